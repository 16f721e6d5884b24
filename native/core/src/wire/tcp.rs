//! TCP header (RFC 9293).

use super::{be16, be32, byte, header, DecodeError};

/// Length of the fixed TCP header (data offset 5).
pub const HEADER_LEN: usize = 20;

/// TCP flag bits as in the flags byte.
pub mod flags {
    pub const FIN: u8 = 0x01;
    pub const SYN: u8 = 0x02;
    pub const RST: u8 = 0x04;
    pub const PSH: u8 = 0x08;
    pub const ACK: u8 = 0x10;
    pub const URG: u8 = 0x20;
    pub const ECE: u8 = 0x40;
    pub const CWR: u8 = 0x80;
}

mod field {
    use core::ops::Range;
    pub const SRC_PORT: Range<usize> = 0..2;
    pub const DST_PORT: Range<usize> = 2..4;
    pub const SEQ_NUM: Range<usize> = 4..8;
    pub const ACK_NUM: Range<usize> = 8..12;
    pub const DATA_OFF: usize = 12;
    pub const FLAGS: usize = 13;
    pub const WIN_SIZE: Range<usize> = 14..16;
    pub const CHECKSUM: Range<usize> = 16..18;
    pub const URGENT: Range<usize> = 18..20;
}

/// A validated TCP header over the segment bytes (bounded by the IP payload end and capture).
#[derive(Debug, Clone, Copy)]
pub struct TcpHeader<'a> {
    hdr: &'a [u8; HEADER_LEN],
    buf: &'a [u8],
}

impl<'a> TcpHeader<'a> {
    pub const HEADER_LEN: usize = HEADER_LEN;

    /// `Truncated` if fewer than 20 bytes, `BadHeaderLength` if the data offset is below 5,
    /// `Truncated` if the options are not all there.
    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        let hdr: &[u8; HEADER_LEN] = header(buf)?;
        let t = TcpHeader { hdr, buf };
        let hl = t.header_len();
        if hl < HEADER_LEN {
            return Err(DecodeError::BadHeaderLength);
        }
        if buf.len() < hl {
            return Err(DecodeError::Truncated);
        }
        Ok(t)
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
    pub fn seq_number(&self) -> u32 {
        be32(self.hdr, field::SEQ_NUM)
    }

    #[inline]
    pub fn ack_number(&self) -> u32 {
        be32(self.hdr, field::ACK_NUM)
    }

    /// Header length in bytes (data offset * 4).
    #[inline]
    pub fn header_len(&self) -> usize {
        ((byte(self.hdr, field::DATA_OFF) >> 4) as usize) * 4
    }

    /// The flags byte (CWR..FIN); the NS bit is not included.
    #[inline]
    pub fn flags(&self) -> u8 {
        byte(self.hdr, field::FLAGS)
    }

    #[inline]
    pub fn window_len(&self) -> u16 {
        be16(self.hdr, field::WIN_SIZE)
    }

    #[inline]
    pub fn checksum(&self) -> u16 {
        be16(self.hdr, field::CHECKSUM)
    }

    #[inline]
    pub fn urgent_at(&self) -> u16 {
        be16(self.hdr, field::URGENT)
    }

    #[inline]
    pub fn options(&self) -> &'a [u8] {
        self.buf.get(HEADER_LEN..self.header_len()).unwrap_or(&[])
    }

    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        self.buf.get(self.header_len()..).unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEG: [u8; 27] = [
        0x30, 0x39, 0x00, 0x50, // ports 12345 -> 80
        0x01, 0x02, 0x03, 0x04, // seq
        0x0a, 0x0b, 0x0c, 0x0d, // ack
        0x60, 0x18, 0xff, 0xff, // doff 6, PSH|ACK, window
        0x12, 0x34, 0x00, 0x00, // checksum, urgent
        0x01, 0x01, 0x01, 0x00, // options (NOP NOP NOP EOL)
        b'a', b'b', b'c',
    ];

    #[test]
    fn fields() {
        let t = TcpHeader::new_checked(&SEG).unwrap();
        assert_eq!((t.src_port(), t.dst_port()), (12345, 80));
        assert_eq!(t.seq_number(), 0x01020304);
        assert_eq!(t.ack_number(), 0x0a0b0c0d);
        assert_eq!(t.header_len(), 24);
        assert_eq!(t.flags(), flags::PSH | flags::ACK);
        assert_eq!((t.window_len(), t.checksum(), t.urgent_at()), (0xffff, 0x1234, 0));
        assert_eq!(t.options(), &[1, 1, 1, 0]);
        assert_eq!(t.payload(), b"abc");
    }

    #[test]
    fn errors() {
        assert_eq!(TcpHeader::new_checked(&SEG[..19]).unwrap_err(), DecodeError::Truncated);
        assert_eq!(TcpHeader::new_checked(&SEG[..23]).unwrap_err(), DecodeError::Truncated);
        let mut x = SEG;
        x[12] = 0x40;
        assert_eq!(TcpHeader::new_checked(&x).unwrap_err(), DecodeError::BadHeaderLength);
        x[12] = 0xf0;
        assert_eq!(TcpHeader::new_checked(&x).unwrap_err(), DecodeError::Truncated);
    }
}
