//! VXLAN header (RFC 7348); an Ethernet frame follows.

use super::{byte, header, DecodeError};

/// The IANA VXLAN UDP port.
pub const PORT: u16 = 4789;
/// Length of the VXLAN header.
pub const HEADER_LEN: usize = 8;

/// The I flag: the VNI is valid.
pub const FLAG_I: u8 = 0x08;

mod field {
    use core::ops::Range;
    pub const FLAGS: usize = 0;
    pub const VNI: Range<usize> = 4..7;
    pub const RESERVED2: usize = 7;
    /// Second flags byte and the 16-bit group policy field, reserved in standard VXLAN.
    pub const RESERVED1: Range<usize> = 1..4;
}

/// The 8-byte VXLAN header.
#[derive(Debug, Clone, Copy)]
pub struct VxlanHeader<'a> {
    hdr: &'a [u8; HEADER_LEN],
}

impl<'a> VxlanHeader<'a> {
    pub const HEADER_LEN: usize = HEADER_LEN;

    /// `Truncated` if fewer than 8 bytes.
    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        Ok(VxlanHeader { hdr: header(buf)? })
    }

    #[inline]
    pub fn flags(&self) -> u8 {
        byte(self.hdr, field::FLAGS)
    }

    /// VXLAN network identifier (24 bits).
    #[inline]
    pub fn vni(&self) -> u32 {
        let r = field::VNI.start;
        ((byte(self.hdr, r) as u32) << 16) | ((byte(self.hdr, r + 1) as u32) << 8) | byte(self.hdr, r + 2) as u32
    }

    /// Suricata's test for a real VXLAN header: I flag set, last reserved byte zero.
    #[inline]
    pub fn looks_valid(&self) -> bool {
        // Suricata's default "strict" reserved-bits check: only the I flag set, every reserved
        // bit zero (decoder.vxlan.reserved-bits-check: strict).
        self.flags() == FLAG_I && self.hdr[field::RESERVED1].iter().all(|&b| b == 0) && byte(self.hdr, field::RESERVED2) == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields() {
        let v = VxlanHeader::new_checked(&[0x08, 0, 0, 0, 0x12, 0x34, 0x56, 0]).unwrap();
        assert_eq!(v.vni(), 0x123456);
        assert!(v.looks_valid());
        assert!(!VxlanHeader::new_checked(&[0x00, 0, 0, 0, 0, 0, 1, 0]).unwrap().looks_valid());
        assert!(!VxlanHeader::new_checked(&[0x08, 0, 0, 0, 0, 0, 1, 1]).unwrap().looks_valid());
        assert_eq!(VxlanHeader::new_checked(&[8; 7]).unwrap_err(), DecodeError::Truncated);
    }
}
