//! IPv4 header (RFC 791).

use super::{be16, byte, bytes, header, DecodeError};

/// Length of the fixed IPv4 header (IHL 5).
pub const HEADER_LEN: usize = 20;

mod field {
    use core::ops::Range;
    pub const VER_IHL: usize = 0;
    pub const DSCP_ECN: usize = 1;
    pub const LENGTH: Range<usize> = 2..4;
    pub const IDENT: Range<usize> = 4..6;
    pub const FLG_OFF: Range<usize> = 6..8;
    pub const TTL: usize = 8;
    pub const PROTOCOL: usize = 9;
    pub const CHECKSUM: Range<usize> = 10..12;
    pub const SRC_ADDR: Range<usize> = 12..16;
    pub const DST_ADDR: Range<usize> = 16..20;
}

const FLAG_DF: u16 = 0x4000;
const FLAG_MF: u16 = 0x2000;
const OFFSET_MASK: u16 = 0x1fff;

/// A validated IPv4 header over the captured bytes from the start of the header to the end of
/// the capture (which may run past the packet: link padding, or be cut short by the snaplen).
#[derive(Debug, Clone, Copy)]
pub struct Ipv4Packet<'a> {
    hdr: &'a [u8; HEADER_LEN],
    buf: &'a [u8],
}

impl<'a> Ipv4Packet<'a> {
    pub const HEADER_LEN: usize = HEADER_LEN;

    /// Checks, in order: 20 bytes captured (`Truncated`), version 4 (`BadIpVersion`), IHL >= 5
    /// (`BadHeaderLength`), total length >= IHL*4 (`BadTotalLength`), options captured
    /// (`Truncated`). A total length beyond the capture is accepted (snaplen cut).
    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        let hdr: &[u8; HEADER_LEN] = header(buf)?;
        let p = Ipv4Packet { hdr, buf };
        if p.version() != 4 {
            return Err(DecodeError::BadIpVersion);
        }
        let hl = p.header_len();
        if hl < HEADER_LEN {
            return Err(DecodeError::BadHeaderLength);
        }
        if (p.total_len() as usize) < hl {
            return Err(DecodeError::BadTotalLength);
        }
        if buf.len() < hl {
            return Err(DecodeError::Truncated);
        }
        Ok(p)
    }

    #[inline]
    pub fn version(&self) -> u8 {
        byte(self.hdr, field::VER_IHL) >> 4
    }

    /// Header length in bytes (IHL * 4).
    #[inline]
    pub fn header_len(&self) -> usize {
        ((byte(self.hdr, field::VER_IHL) & 0x0f) as usize) * 4
    }

    #[inline]
    pub fn dscp(&self) -> u8 {
        byte(self.hdr, field::DSCP_ECN) >> 2
    }

    #[inline]
    pub fn ecn(&self) -> u8 {
        byte(self.hdr, field::DSCP_ECN) & 0x03
    }

    /// Total length field (header + payload) as stated.
    #[inline]
    pub fn total_len(&self) -> u16 {
        be16(self.hdr, field::LENGTH)
    }

    #[inline]
    pub fn ident(&self) -> u16 {
        be16(self.hdr, field::IDENT)
    }

    #[inline]
    pub fn dont_frag(&self) -> bool {
        be16(self.hdr, field::FLG_OFF) & FLAG_DF != 0
    }

    #[inline]
    pub fn more_frags(&self) -> bool {
        be16(self.hdr, field::FLG_OFF) & FLAG_MF != 0
    }

    /// Fragment offset in bytes.
    #[inline]
    pub fn frag_offset(&self) -> u32 {
        ((be16(self.hdr, field::FLG_OFF) & OFFSET_MASK) as u32) * 8
    }

    /// More-fragments set or a non-zero offset.
    #[inline]
    pub fn is_fragment(&self) -> bool {
        be16(self.hdr, field::FLG_OFF) & (FLAG_MF | OFFSET_MASK) != 0
    }

    #[inline]
    pub fn ttl(&self) -> u8 {
        byte(self.hdr, field::TTL)
    }

    #[inline]
    pub fn protocol(&self) -> u8 {
        byte(self.hdr, field::PROTOCOL)
    }

    #[inline]
    pub fn checksum(&self) -> u16 {
        be16(self.hdr, field::CHECKSUM)
    }

    #[inline]
    pub fn src_addr(&self) -> [u8; 4] {
        bytes(self.hdr, field::SRC_ADDR)
    }

    #[inline]
    pub fn dst_addr(&self) -> [u8; 4] {
        bytes(self.hdr, field::DST_ADDR)
    }

    /// The option bytes (validated as captured by `new_checked`).
    #[inline]
    pub fn options(&self) -> &'a [u8] {
        self.buf.get(HEADER_LEN..self.header_len()).unwrap_or(&[])
    }

    /// End of the IP packet relative to the header start: min(total length, captured bytes).
    /// Link padding after the packet is never included.
    #[inline]
    pub fn payload_end(&self) -> usize {
        let total = self.total_len() as usize;
        if total < self.buf.len() {
            total
        } else {
            self.buf.len()
        }
    }

    /// The payload as captured, bounded by the total length.
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        self.buf.get(self.header_len()..self.payload_end()).unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hdr() -> Vec<u8> {
        vec![
            0x45, 0x00, 0x00, 0x1c, 0x12, 0x34, 0x20, 0x03, 64, 17, 0xab, 0xcd, 10, 0, 0, 1, 10, 0, 0,
            2, // header
            0, 53, 0, 53, 0, 8, 0, 0, // 8 bytes UDP
            0, 0, // link padding
        ]
    }

    #[test]
    fn fields_and_payload() {
        let b = hdr();
        let p = Ipv4Packet::new_checked(&b).unwrap();
        assert_eq!((p.version(), p.header_len(), p.total_len()), (4, 20, 28));
        assert_eq!(p.ident(), 0x1234);
        assert!(p.more_frags() && !p.dont_frag() && p.is_fragment());
        assert_eq!(p.frag_offset(), 24);
        assert_eq!((p.ttl(), p.protocol(), p.checksum()), (64, 17, 0xabcd));
        assert_eq!(p.src_addr(), [10, 0, 0, 1]);
        assert_eq!(p.dst_addr(), [10, 0, 0, 2]);
        assert_eq!(p.payload().len(), 8, "padding is not payload");
        assert_eq!(p.payload_end(), 28);
        assert!(p.options().is_empty());
        assert_eq!((p.dscp(), p.ecn()), (0, 0));
    }

    #[test]
    fn options_and_snaplen() {
        let mut b = hdr();
        b[0] = 0x46;
        b[3] = 0x20;
        let p = Ipv4Packet::new_checked(&b[..26]).unwrap();
        assert_eq!(p.header_len(), 24);
        assert_eq!(p.options(), &b[20..24]);
        assert_eq!(p.payload_end(), 26, "bounded by the capture");
        assert_eq!(p.payload(), &b[24..26]);
    }

    #[test]
    fn errors() {
        let b = hdr();
        assert_eq!(Ipv4Packet::new_checked(&b[..19]).unwrap_err(), DecodeError::Truncated);
        let mut x = b.clone();
        x[0] = 0x65;
        assert_eq!(Ipv4Packet::new_checked(&x).unwrap_err(), DecodeError::BadIpVersion);
        x[0] = 0x44;
        assert_eq!(Ipv4Packet::new_checked(&x).unwrap_err(), DecodeError::BadHeaderLength);
        x[0] = 0x45;
        x[3] = 19;
        assert_eq!(Ipv4Packet::new_checked(&x).unwrap_err(), DecodeError::BadTotalLength);
        let mut x = b.clone();
        x[0] = 0x4f;
        x[3] = 60;
        assert_eq!(Ipv4Packet::new_checked(&x).unwrap_err(), DecodeError::Truncated);
    }
}
