//! IEEE 802.2 LLC with a SNAP extension: `aa aa 03`, an organisation code and a protocol id.
//! With organisation code 0 (RFC 1042) the protocol id is an EtherType.

use super::{be16, byte, header, DecodeError};

/// Length of the LLC header plus the SNAP extension.
pub const SNAP_LEN: usize = 8;
/// DSAP/SSAP value announcing SNAP.
pub const SAP_SNAP: u8 = 0xaa;
/// Control field of unnumbered information frames.
pub const CONTROL_UI: u8 = 0x03;
/// Largest value of an Ethernet type/length field that is an 802.3 length (an LLC header
/// follows); 0x0600 and up are EtherTypes.
pub const MAX_8023_LENGTH: u16 = 1500;

mod field {
    use core::ops::Range;
    pub const DSAP: usize = 0;
    pub const SSAP: usize = 1;
    pub const CONTROL: usize = 2;
    pub const OUI: Range<usize> = 3..6;
    pub const PROTOCOL: Range<usize> = 6..8;
}

/// LLC + SNAP header (8 bytes).
#[derive(Debug, Clone, Copy)]
pub struct SnapHeader<'a> {
    hdr: &'a [u8; SNAP_LEN],
}

impl<'a> SnapHeader<'a> {
    pub const HEADER_LEN: usize = SNAP_LEN;

    /// `Truncated` if fewer than 8 bytes.
    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        Ok(SnapHeader { hdr: header(buf)? })
    }

    #[inline]
    pub fn dsap(&self) -> u8 {
        byte(self.hdr, field::DSAP)
    }

    #[inline]
    pub fn ssap(&self) -> u8 {
        byte(self.hdr, field::SSAP)
    }

    #[inline]
    pub fn control(&self) -> u8 {
        byte(self.hdr, field::CONTROL)
    }

    /// Organisationally unique identifier (24 bits).
    #[inline]
    pub fn oui(&self) -> u32 {
        let r = field::OUI.start;
        ((byte(self.hdr, r) as u32) << 16) | ((byte(self.hdr, r + 1) as u32) << 8) | byte(self.hdr, r + 2) as u32
    }

    /// The protocol id: an EtherType when [`Self::is_rfc1042`].
    #[inline]
    pub fn protocol(&self) -> u16 {
        be16(self.hdr, field::PROTOCOL)
    }

    /// SNAP, unnumbered information, organisation code 0: encapsulated Ethernet (RFC 1042).
    #[inline]
    pub fn is_rfc1042(&self) -> bool {
        self.dsap() == SAP_SNAP && self.ssap() == SAP_SNAP && self.control() == CONTROL_UI && self.oui() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields() {
        let s = SnapHeader::new_checked(&[0xaa, 0xaa, 0x03, 0, 0, 0, 0x86, 0xdd]).unwrap();
        assert!(s.is_rfc1042());
        assert_eq!(s.protocol(), 0x86dd);
        let s = SnapHeader::new_checked(&[0xaa, 0xaa, 0x03, 0, 0, 0xf8, 0x80, 0xf3]).unwrap();
        assert_eq!(s.oui(), 0xf8);
        assert!(!s.is_rfc1042());
        assert!(!SnapHeader::new_checked(&[0x42, 0x42, 0x03, 0, 0, 0, 0, 0]).unwrap().is_rfc1042());
        assert_eq!(SnapHeader::new_checked(&[0xaa; 7]).unwrap_err(), DecodeError::Truncated);
    }
}
