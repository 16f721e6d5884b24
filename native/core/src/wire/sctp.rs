//! SCTP common header (RFC 9260).

use super::{be16, be32, header, DecodeError};

/// Length of the SCTP common header.
pub const HEADER_LEN: usize = 12;

mod field {
    use core::ops::Range;
    pub const SRC_PORT: Range<usize> = 0..2;
    pub const DST_PORT: Range<usize> = 2..4;
    pub const VERIFICATION_TAG: Range<usize> = 4..8;
    pub const CHECKSUM: Range<usize> = 8..12;
}

/// The SCTP common header (chunks follow).
#[derive(Debug, Clone, Copy)]
pub struct SctpHeader<'a> {
    hdr: &'a [u8; HEADER_LEN],
}

impl<'a> SctpHeader<'a> {
    pub const HEADER_LEN: usize = HEADER_LEN;

    /// `Truncated` if fewer than 12 bytes.
    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        Ok(SctpHeader { hdr: header(buf)? })
    }

    #[inline]
    pub fn src_port(&self) -> u16 {
        be16(self.hdr, field::SRC_PORT)
    }

    #[inline]
    pub fn dst_port(&self) -> u16 {
        be16(self.hdr, field::DST_PORT)
    }

    #[inline]
    pub fn verification_tag(&self) -> u32 {
        be32(self.hdr, field::VERIFICATION_TAG)
    }

    #[inline]
    pub fn checksum(&self) -> u32 {
        be32(self.hdr, field::CHECKSUM)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields() {
        let b = [0x0b, 0x59, 0x0b, 0x5a, 0, 0, 0, 7, 0xde, 0xad, 0xbe, 0xef];
        let s = SctpHeader::new_checked(&b).unwrap();
        assert_eq!((s.src_port(), s.dst_port()), (2905, 2906));
        assert_eq!(s.verification_tag(), 7);
        assert_eq!(s.checksum(), 0xdeadbeef);
        assert_eq!(SctpHeader::new_checked(&b[..11]).unwrap_err(), DecodeError::Truncated);
    }
}
