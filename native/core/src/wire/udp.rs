//! UDP header (RFC 768).

use super::{be16, header, DecodeError};

/// Length of the UDP header.
pub const HEADER_LEN: usize = 8;

mod field {
    use core::ops::Range;
    pub const SRC_PORT: Range<usize> = 0..2;
    pub const DST_PORT: Range<usize> = 2..4;
    pub const LENGTH: Range<usize> = 4..6;
    pub const CHECKSUM: Range<usize> = 6..8;
}

/// A validated UDP header over the datagram bytes (bounded by the IP payload end and capture).
#[derive(Debug, Clone, Copy)]
pub struct UdpHeader<'a> {
    hdr: &'a [u8; HEADER_LEN],
    buf: &'a [u8],
}

impl<'a> UdpHeader<'a> {
    pub const HEADER_LEN: usize = HEADER_LEN;

    /// `Truncated` if fewer than 8 bytes, `BadTotalLength` if the length field is below 8.
    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        let hdr: &[u8; HEADER_LEN] = header(buf)?;
        let u = UdpHeader { hdr, buf };
        if (u.len() as usize) < HEADER_LEN {
            return Err(DecodeError::BadTotalLength);
        }
        Ok(u)
    }

    #[inline]
    pub fn src_port(&self) -> u16 {
        be16(self.hdr, field::SRC_PORT)
    }

    #[inline]
    pub fn dst_port(&self) -> u16 {
        be16(self.hdr, field::DST_PORT)
    }

    /// Length field (header + payload) as stated.
    #[inline]
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> u16 {
        be16(self.hdr, field::LENGTH)
    }

    #[inline]
    pub fn checksum(&self) -> u16 {
        be16(self.hdr, field::CHECKSUM)
    }

    /// Payload length: min(length - 8, bytes we have after the header).
    #[inline]
    pub fn payload_len(&self) -> usize {
        let stated = (self.len() as usize).saturating_sub(HEADER_LEN);
        let have = self.buf.len().saturating_sub(HEADER_LEN);
        if stated < have {
            stated
        } else {
            have
        }
    }

    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        let end = HEADER_LEN + self.payload_len();
        self.buf.get(HEADER_LEN..end).unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields() {
        let d = [0x00, 0x35, 0xc0, 0x01, 0x00, 0x0b, 0xbe, 0xef, 1, 2, 3, 4, 5];
        let u = UdpHeader::new_checked(&d).unwrap();
        assert_eq!((u.src_port(), u.dst_port(), u.len(), u.checksum()), (53, 0xc001, 11, 0xbeef));
        assert_eq!(u.payload(), &[1, 2, 3], "bounded by the UDP length");
        let u = UdpHeader::new_checked(&d[..10]).unwrap();
        assert_eq!(u.payload(), &[1, 2], "bounded by what we have");
    }

    #[test]
    fn errors() {
        let d = [0x00, 0x35, 0xc0, 0x01, 0x00, 0x07, 0, 0];
        assert_eq!(UdpHeader::new_checked(&d).unwrap_err(), DecodeError::BadTotalLength);
        assert_eq!(UdpHeader::new_checked(&d[..7]).unwrap_err(), DecodeError::Truncated);
    }
}
