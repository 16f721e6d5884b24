//! Provider Backbone Bridging (IEEE 802.1ah, MAC-in-MAC): after the B-TAG (an ordinary 802.1ad
//! VLAN tag) comes EtherType 0x88e7 and the 4-byte I-TAG, then the customer's Ethernet frame
//! (C-DA, C-SA, EtherType).

use super::{be32, byte, header, DecodeError};

/// The I-TAG EtherType.
pub const ETHERTYPE: u16 = 0x88e7;
/// Length of the I-TAG (after its EtherType).
pub const ITAG_LEN: usize = 4;

mod field {
    use core::ops::Range;
    pub const FLAGS: usize = 0;
    pub const TCI: Range<usize> = 0..4;
}

/// The I-TAG: priority (3 bits), drop eligible (1), use customer addresses (1), reserved (3),
/// service instance id (24). The customer's Ethernet frame starts at [`ITAG_LEN`].
#[derive(Debug, Clone, Copy)]
pub struct PbbItag<'a> {
    hdr: &'a [u8; ITAG_LEN],
}

impl<'a> PbbItag<'a> {
    pub const HEADER_LEN: usize = ITAG_LEN;

    /// `Truncated` if fewer than 4 bytes.
    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        Ok(PbbItag { hdr: header(buf)? })
    }

    #[inline]
    pub fn priority(&self) -> u8 {
        byte(self.hdr, field::FLAGS) >> 5
    }

    #[inline]
    pub fn drop_eligible(&self) -> bool {
        byte(self.hdr, field::FLAGS) & 0x10 != 0
    }

    #[inline]
    pub fn use_customer_addresses(&self) -> bool {
        byte(self.hdr, field::FLAGS) & 0x08 != 0
    }

    /// Backbone service instance identifier (I-SID, 24 bits).
    #[inline]
    pub fn isid(&self) -> u32 {
        be32(self.hdr, field::TCI) & 0x00ff_ffff
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields() {
        let t = PbbItag::new_checked(&[0xb8, 0x1e, 0xbb, 0x30]).unwrap();
        assert_eq!(t.priority(), 5);
        assert!(t.drop_eligible() && t.use_customer_addresses());
        assert_eq!(t.isid(), 0x1ebb30);
        assert_eq!(PbbItag::new_checked(&[0, 1, 2]).unwrap_err(), DecodeError::Truncated);
    }
}
