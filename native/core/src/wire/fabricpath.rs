//! Cisco FabricPath (DCE) encapsulation: an outer MAC header whose EtherType is 0x8903,
//! followed by a 16-bit FTag/TTL word, 16 bytes in all; a classic Ethernet frame (destination,
//! source, EtherType) follows. Zeek skips it in its Ethernet analyzer.

use super::{be16, bytes, header, DecodeError};

/// The FabricPath EtherType.
pub const ETHERTYPE: u16 = 0x8903;
/// Length of the outer header (MACs, EtherType, FTag/TTL).
pub const HEADER_LEN: usize = 16;

mod field {
    use core::ops::Range;
    pub const OUTER_DESTINATION: Range<usize> = 0..6;
    pub const OUTER_SOURCE: Range<usize> = 6..12;
    pub const ETHERTYPE: Range<usize> = 12..14;
    pub const FTAG_TTL: Range<usize> = 14..16;
}

/// The 16-byte FabricPath outer header; the classic Ethernet frame starts at [`HEADER_LEN`].
#[derive(Debug, Clone, Copy)]
pub struct FabricPathHeader<'a> {
    hdr: &'a [u8; HEADER_LEN],
}

impl<'a> FabricPathHeader<'a> {
    pub const HEADER_LEN: usize = HEADER_LEN;

    /// `Truncated` if fewer than 16 bytes, `NotIp` if the EtherType is not 0x8903.
    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        let h = FabricPathHeader { hdr: header(buf)? };
        if h.ethertype() != ETHERTYPE {
            return Err(DecodeError::NotIp);
        }
        Ok(h)
    }

    /// Outer destination address (switch id, sub-switch id, local id).
    #[inline]
    pub fn outer_destination(&self) -> [u8; 6] {
        bytes(self.hdr, field::OUTER_DESTINATION)
    }

    #[inline]
    pub fn outer_source(&self) -> [u8; 6] {
        bytes(self.hdr, field::OUTER_SOURCE)
    }

    #[inline]
    pub fn ethertype(&self) -> u16 {
        be16(self.hdr, field::ETHERTYPE)
    }

    /// Forwarding tag (10 bits).
    #[inline]
    pub fn ftag(&self) -> u16 {
        be16(self.hdr, field::FTAG_TTL) >> 6
    }

    /// Hop limit (6 bits).
    #[inline]
    pub fn ttl(&self) -> u8 {
        (be16(self.hdr, field::FTAG_TTL) & 0x3f) as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields() {
        let mut b = vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x89, 0x03, 0x04, 0x3f];
        let h = FabricPathHeader::new_checked(&b).unwrap();
        assert_eq!(h.outer_destination(), [1, 2, 3, 4, 5, 6]);
        assert_eq!(h.outer_source(), [7, 8, 9, 10, 11, 12]);
        assert_eq!((h.ftag(), h.ttl()), (0x10, 0x3f));
        assert_eq!(FabricPathHeader::new_checked(&b[..15]).unwrap_err(), DecodeError::Truncated);
        b[13] = 0x04;
        assert_eq!(FabricPathHeader::new_checked(&b).unwrap_err(), DecodeError::NotIp);
    }
}
