//! Cisco VN-Tag (IEEE 802.1Qbh predecessor): after EtherType 0x8926, a 4-byte tag and the
//! EtherType of what follows.

use super::{be16, byte, header, DecodeError};

/// The VN-Tag EtherType.
pub const ETHERTYPE: u16 = 0x8926;
/// Length of the tag plus the inner EtherType.
pub const HEADER_LEN: usize = 6;

mod field {
    use core::ops::Range;
    pub const DVIF: Range<usize> = 0..2;
    pub const SVIF: Range<usize> = 2..4;
    pub const ETHERTYPE: Range<usize> = 4..6;
}

/// The VN-Tag as it follows its EtherType: direction (1 bit), pointer (1), destination virtual
/// interface (14), looped (1), reserved (1), version (2), source virtual interface (12), then
/// the inner EtherType.
#[derive(Debug, Clone, Copy)]
pub struct VnTag<'a> {
    hdr: &'a [u8; HEADER_LEN],
}

impl<'a> VnTag<'a> {
    pub const HEADER_LEN: usize = HEADER_LEN;

    /// `Truncated` if fewer than 6 bytes.
    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        Ok(VnTag { hdr: header(buf)? })
    }

    /// Set on frames from the bridge to the interface virtualizer.
    #[inline]
    pub fn direction(&self) -> bool {
        byte(self.hdr, 0) & 0x80 != 0
    }

    #[inline]
    pub fn pointer(&self) -> bool {
        byte(self.hdr, 0) & 0x40 != 0
    }

    #[inline]
    pub fn dvif(&self) -> u16 {
        be16(self.hdr, field::DVIF) & 0x3fff
    }

    #[inline]
    pub fn looped(&self) -> bool {
        byte(self.hdr, 2) & 0x80 != 0
    }

    #[inline]
    pub fn version(&self) -> u8 {
        (byte(self.hdr, 2) >> 4) & 0x3
    }

    #[inline]
    pub fn svif(&self) -> u16 {
        be16(self.hdr, field::SVIF) & 0x0fff
    }

    /// The EtherType of what follows the tag.
    #[inline]
    pub fn ethertype(&self) -> u16 {
        be16(self.hdr, field::ETHERTYPE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields() {
        let t = VnTag::new_checked(&[0xc0, 0x05, 0x90, 0x07, 0x81, 0x00]).unwrap();
        assert!(t.direction() && t.pointer() && t.looped());
        assert_eq!((t.dvif(), t.version(), t.svif()), (5, 1, 7));
        assert_eq!(t.ethertype(), 0x8100);
        assert_eq!(VnTag::new_checked(&[0; 5]).unwrap_err(), DecodeError::Truncated);
    }
}
