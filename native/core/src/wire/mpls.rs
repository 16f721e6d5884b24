//! MPLS label stack entries (RFC 3032).

use super::{be32, header, DecodeError};

/// Length of one label stack entry.
pub const ENTRY_LEN: usize = 4;
/// Length of the pseudowire control word before an Ethernet frame (RFC 4448).
pub const PW_CONTROL_WORD_LEN: usize = 4;

mod field {
    use core::ops::Range;
    pub const ENTRY: Range<usize> = 0..4;
}

/// One 4-byte label stack entry: label (20 bits), traffic class (3), bottom of stack (1), TTL (8).
#[derive(Debug, Clone, Copy)]
pub struct MplsEntry<'a> {
    hdr: &'a [u8; ENTRY_LEN],
}

impl<'a> MplsEntry<'a> {
    pub const HEADER_LEN: usize = ENTRY_LEN;

    /// `Truncated` if fewer than 4 bytes.
    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        Ok(MplsEntry { hdr: header(buf)? })
    }

    #[inline]
    fn raw(&self) -> u32 {
        be32(self.hdr, field::ENTRY)
    }

    #[inline]
    pub fn label(&self) -> u32 {
        self.raw() >> 12
    }

    #[inline]
    pub fn traffic_class(&self) -> u8 {
        ((self.raw() >> 9) & 0x7) as u8
    }

    #[inline]
    pub fn bottom_of_stack(&self) -> bool {
        self.raw() & 0x100 != 0
    }

    #[inline]
    pub fn ttl(&self) -> u8 {
        self.raw() as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_fields() {
        // label 0x12345, TC 5, BoS, TTL 64
        let e = MplsEntry::new_checked(&[0x12, 0x34, 0x5b, 0x40]).unwrap();
        assert_eq!(e.label(), 0x12345);
        assert_eq!(e.traffic_class(), 5);
        assert!(e.bottom_of_stack());
        assert_eq!(e.ttl(), 64);
        let e = MplsEntry::new_checked(&[0, 0, 0x10, 1]).unwrap();
        assert!(!e.bottom_of_stack());
        assert_eq!(MplsEntry::new_checked(&[0, 0, 1]).unwrap_err(), DecodeError::Truncated);
    }
}
