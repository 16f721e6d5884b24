//! ICMP (RFC 792) and ICMPv6 (RFC 4443) common header. Quoted packets inside error messages are
//! not decoded here.

use super::{be16, be32, byte, header, DecodeError};

/// Bytes needed to read type, code and checksum.
pub const MIN_LEN: usize = 4;
/// The usual ICMP header length (with the 4-byte rest-of-header); the payload starts after it.
pub const HEADER_LEN: usize = 8;

mod field {
    use core::ops::Range;
    pub const TYPE: usize = 0;
    pub const CODE: usize = 1;
    pub const CHECKSUM: Range<usize> = 2..4;
    pub const REST: Range<usize> = 4..8;
}

/// ICMP / ICMPv6 header: type, code, checksum (and the rest-of-header word when present).
#[derive(Debug, Clone, Copy)]
pub struct IcmpHeader<'a> {
    hdr: &'a [u8; MIN_LEN],
    buf: &'a [u8],
}

impl<'a> IcmpHeader<'a> {
    /// `Truncated` if fewer than 4 bytes.
    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        Ok(IcmpHeader { hdr: header(buf)?, buf })
    }

    #[inline]
    pub fn msg_type(&self) -> u8 {
        byte(self.hdr, field::TYPE)
    }

    #[inline]
    pub fn msg_code(&self) -> u8 {
        byte(self.hdr, field::CODE)
    }

    #[inline]
    pub fn checksum(&self) -> u16 {
        be16(self.hdr, field::CHECKSUM)
    }

    /// The rest-of-header word (identifier/sequence, pointer, MTU...), if captured.
    #[inline]
    pub fn rest_of_header(&self) -> Option<u32> {
        if self.buf.len() >= HEADER_LEN {
            Some(be32(self.buf, field::REST))
        } else {
            None
        }
    }

    /// Offset of the payload: 8, or less when fewer bytes were captured (then it is empty).
    #[inline]
    pub fn payload_offset(&self) -> usize {
        if self.buf.len() < HEADER_LEN {
            self.buf.len()
        } else {
            HEADER_LEN
        }
    }

    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        self.buf.get(self.payload_offset()..).unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields() {
        let b = [8, 0, 0xf7, 0xff, 0, 1, 0, 2, b'p', b'i'];
        let h = IcmpHeader::new_checked(&b).unwrap();
        assert_eq!((h.msg_type(), h.msg_code(), h.checksum()), (8, 0, 0xf7ff));
        assert_eq!(h.rest_of_header(), Some(0x0001_0002));
        assert_eq!(h.payload(), b"pi");
        let h = IcmpHeader::new_checked(&b[..5]).unwrap();
        assert_eq!(h.rest_of_header(), None);
        assert_eq!(h.payload_offset(), 5);
        assert!(h.payload().is_empty());
        assert_eq!(IcmpHeader::new_checked(&b[..3]).unwrap_err(), DecodeError::Truncated);
    }
}
