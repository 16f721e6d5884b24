//! Radiotap header (LINKTYPE_IEEE802_11_RADIOTAP): capture metadata of variable length in front
//! of an 802.11 frame. Only its length matters to us; its fields are little-endian.

use super::{byte, bytes, header, DecodeError};

/// Length of the fixed part (version, pad, length, first present word).
pub const MIN_LEN: usize = 8;

mod field {
    use core::ops::Range;
    pub const VERSION: usize = 0;
    pub const LENGTH: Range<usize> = 2..4;
    pub const PRESENT: Range<usize> = 4..8;
}

/// The radiotap header; the 802.11 frame starts at [`Self::header_len`].
#[derive(Debug, Clone, Copy)]
pub struct RadiotapHeader<'a> {
    hdr: &'a [u8; MIN_LEN],
}

impl<'a> RadiotapHeader<'a> {
    /// `Truncated` if the fixed part or the stated length is not captured; `BadHeaderLength`
    /// if the stated length is below 8.
    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        let h = RadiotapHeader { hdr: header(buf)? };
        if h.header_len() < MIN_LEN {
            return Err(DecodeError::BadHeaderLength);
        }
        if buf.len() < h.header_len() {
            return Err(DecodeError::Truncated);
        }
        Ok(h)
    }

    #[inline]
    pub fn version(&self) -> u8 {
        byte(self.hdr, field::VERSION)
    }

    /// The whole header's length, as stated (little-endian).
    #[inline]
    pub fn header_len(&self) -> usize {
        u16::from_le_bytes(bytes(self.hdr, field::LENGTH)) as usize
    }

    /// The first "present" bitmap word.
    #[inline]
    pub fn present(&self) -> u32 {
        u32::from_le_bytes(bytes(self.hdr, field::PRESENT))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields() {
        let mut b = vec![0, 0, 12, 0, 0x6f, 0x08, 0, 0, 1, 2, 3, 4];
        let h = RadiotapHeader::new_checked(&b).unwrap();
        assert_eq!((h.version(), h.header_len(), h.present()), (0, 12, 0x86f));
        assert_eq!(RadiotapHeader::new_checked(&b[..11]).unwrap_err(), DecodeError::Truncated);
        assert_eq!(RadiotapHeader::new_checked(&b[..7]).unwrap_err(), DecodeError::Truncated);
        b[2] = 7;
        assert_eq!(RadiotapHeader::new_checked(&b).unwrap_err(), DecodeError::BadHeaderLength);
    }
}
