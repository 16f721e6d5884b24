//! IPv6 header (RFC 8200) and the extension headers we walk over.

use super::{be16, be32, byte, bytes, header, ip_proto, DecodeError};

/// Length of the fixed IPv6 header.
pub const HEADER_LEN: usize = 40;

mod field {
    use core::ops::Range;
    pub const VER_TC_FLOW: Range<usize> = 0..4;
    pub const PAYLOAD_LEN: Range<usize> = 4..6;
    pub const NEXT_HEADER: usize = 6;
    pub const HOP_LIMIT: usize = 7;
    pub const SRC_ADDR: Range<usize> = 8..24;
    pub const DST_ADDR: Range<usize> = 24..40;
}

/// A validated IPv6 header over the captured bytes from the header start to the end of capture.
#[derive(Debug, Clone, Copy)]
pub struct Ipv6Packet<'a> {
    hdr: &'a [u8; HEADER_LEN],
    buf: &'a [u8],
}

impl<'a> Ipv6Packet<'a> {
    pub const HEADER_LEN: usize = HEADER_LEN;

    /// `Truncated` if fewer than 40 bytes, `BadIpVersion` if the version is not 6.
    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        let hdr: &[u8; HEADER_LEN] = header(buf)?;
        let p = Ipv6Packet { hdr, buf };
        if p.version() != 6 {
            return Err(DecodeError::BadIpVersion);
        }
        Ok(p)
    }

    #[inline]
    fn vtf(&self) -> u32 {
        be32(self.hdr, field::VER_TC_FLOW)
    }

    #[inline]
    pub fn version(&self) -> u8 {
        (self.vtf() >> 28) as u8
    }

    #[inline]
    pub fn traffic_class(&self) -> u8 {
        (self.vtf() >> 20) as u8
    }

    #[inline]
    pub fn flow_label(&self) -> u32 {
        self.vtf() & 0x000f_ffff
    }

    /// Payload length field (extension headers included, fixed header excluded).
    #[inline]
    pub fn payload_len(&self) -> u16 {
        be16(self.hdr, field::PAYLOAD_LEN)
    }

    /// 40 + payload length: the IP length as stated.
    #[inline]
    pub fn total_len(&self) -> u32 {
        HEADER_LEN as u32 + self.payload_len() as u32
    }

    #[inline]
    pub fn next_header(&self) -> u8 {
        byte(self.hdr, field::NEXT_HEADER)
    }

    #[inline]
    pub fn hop_limit(&self) -> u8 {
        byte(self.hdr, field::HOP_LIMIT)
    }

    #[inline]
    pub fn src_addr(&self) -> [u8; 16] {
        bytes(self.hdr, field::SRC_ADDR)
    }

    #[inline]
    pub fn dst_addr(&self) -> [u8; 16] {
        bytes(self.hdr, field::DST_ADDR)
    }

    /// End of the IP packet relative to the header start: min(40 + payload length, captured).
    #[inline]
    pub fn payload_end(&self) -> usize {
        let total = self.total_len() as usize;
        if total < self.buf.len() {
            total
        } else {
            self.buf.len()
        }
    }

    /// The payload (extension headers included) as captured, bounded by the payload length.
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        self.buf.get(HEADER_LEN..self.payload_end()).unwrap_or(&[])
    }
}

/// True for the next-header values we walk over as extension headers.
#[inline]
pub fn is_extension_header(nh: u8) -> bool {
    matches!(
        nh,
        ip_proto::HOP_BY_HOP
            | ip_proto::ROUTING
            | ip_proto::FRAGMENT
            | ip_proto::DESTINATION_OPTIONS
            | ip_proto::AH
            | ip_proto::MOBILITY
    )
}

/// Length of the first two bytes shared by every extension header (next header, length).
pub const EXT_MIN_LEN: usize = 2;

mod ext_field {
    pub const NEXT_HEADER: usize = 0;
    pub const LENGTH: usize = 1;
}

/// A generic extension header of type `kind` (one of [`is_extension_header`]): next header and
/// the length in bytes, which is (n+1)*8, or (n+2)*4 for AH, or 8 for a fragment header.
#[derive(Debug, Clone, Copy)]
pub struct Ipv6ExtHeader<'a> {
    hdr: &'a [u8; EXT_MIN_LEN],
    len: usize,
}

impl<'a> Ipv6ExtHeader<'a> {
    /// `Truncated` if the whole header is not in `buf`.
    #[inline]
    pub fn new_checked(kind: u8, buf: &'a [u8]) -> Result<Self, DecodeError> {
        let hdr: &[u8; EXT_MIN_LEN] = header(buf)?;
        let n = byte(hdr, ext_field::LENGTH) as usize;
        let len = match kind {
            ip_proto::FRAGMENT => FRAG_HEADER_LEN,
            ip_proto::AH => (n + 2) * 4,
            _ => (n + 1) * 8,
        };
        if buf.len() < len {
            return Err(DecodeError::Truncated);
        }
        Ok(Ipv6ExtHeader { hdr, len })
    }

    #[inline]
    pub fn next_header(&self) -> u8 {
        byte(self.hdr, ext_field::NEXT_HEADER)
    }

    /// Length of this header in bytes (at least 8).
    #[inline]
    pub fn header_len(&self) -> usize {
        self.len
    }
}

/// Length of the fragment extension header.
pub const FRAG_HEADER_LEN: usize = 8;

mod frag_field {
    use core::ops::Range;
    pub const NEXT_HEADER: usize = 0;
    pub const OFF_M: Range<usize> = 2..4;
    pub const IDENT: Range<usize> = 4..8;
}

/// The fragment extension header.
#[derive(Debug, Clone, Copy)]
pub struct Ipv6FragHeader<'a> {
    hdr: &'a [u8; FRAG_HEADER_LEN],
}

impl<'a> Ipv6FragHeader<'a> {
    pub const HEADER_LEN: usize = FRAG_HEADER_LEN;

    /// `Truncated` if fewer than 8 bytes.
    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        Ok(Ipv6FragHeader { hdr: header(buf)? })
    }

    #[inline]
    pub fn next_header(&self) -> u8 {
        byte(self.hdr, frag_field::NEXT_HEADER)
    }

    /// Fragment offset in bytes.
    #[inline]
    pub fn frag_offset(&self) -> u32 {
        (be16(self.hdr, frag_field::OFF_M) & 0xfff8) as u32
    }

    #[inline]
    pub fn more_frags(&self) -> bool {
        be16(self.hdr, frag_field::OFF_M) & 1 != 0
    }

    #[inline]
    pub fn ident(&self) -> u32 {
        be32(self.hdr, frag_field::IDENT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hdr(plen: u16, nh: u8) -> Vec<u8> {
        let mut b = vec![0x6a, 0xb1, 0x23, 0x45];
        b.extend_from_slice(&plen.to_be_bytes());
        b.push(nh);
        b.push(64);
        b.extend((0..16).map(|i| 0x20 + i as u8));
        b.extend((0..16).map(|i| 0x40 + i as u8));
        b
    }

    #[test]
    fn fields_and_payload() {
        let mut b = hdr(4, ip_proto::NO_NEXT_HEADER);
        b.extend_from_slice(&[1, 2, 3, 4, 0xee, 0xee]);
        let p = Ipv6Packet::new_checked(&b).unwrap();
        assert_eq!(p.version(), 6);
        assert_eq!(p.traffic_class(), 0xab);
        assert_eq!(p.flow_label(), 0x12345);
        assert_eq!((p.payload_len(), p.total_len()), (4, 44));
        assert_eq!((p.next_header(), p.hop_limit()), (59, 64));
        assert_eq!(p.src_addr()[0], 0x20);
        assert_eq!(p.dst_addr()[15], 0x4f);
        assert_eq!(p.payload(), &[1, 2, 3, 4]);
        assert_eq!(p.payload_end(), 44);
        assert_eq!(Ipv6Packet::new_checked(&b[..44]).unwrap().payload_end(), 44);
        assert_eq!(Ipv6Packet::new_checked(&b[..42]).unwrap().payload_end(), 42);
    }

    #[test]
    fn errors() {
        let b = hdr(0, 59);
        assert_eq!(Ipv6Packet::new_checked(&b[..39]).unwrap_err(), DecodeError::Truncated);
        let mut x = b.clone();
        x[0] = 0x45;
        assert_eq!(Ipv6Packet::new_checked(&x).unwrap_err(), DecodeError::BadIpVersion);
    }

    #[test]
    fn extension_lengths() {
        let e = Ipv6ExtHeader::new_checked(ip_proto::HOP_BY_HOP, &[6, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
            .unwrap();
        assert_eq!((e.next_header(), e.header_len()), (6, 16));
        let e = Ipv6ExtHeader::new_checked(
            ip_proto::AH,
            &[17, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        )
        .unwrap();
        assert_eq!((e.next_header(), e.header_len()), (17, 24));
        let e = Ipv6ExtHeader::new_checked(ip_proto::FRAGMENT, &[6, 0xff, 0, 0, 0, 0, 0, 0]).unwrap();
        assert_eq!(e.header_len(), 8);
        assert_eq!(
            Ipv6ExtHeader::new_checked(ip_proto::ROUTING, &[6, 1, 0, 0, 0, 0, 0, 0]).unwrap_err(),
            DecodeError::Truncated
        );
        assert_eq!(Ipv6ExtHeader::new_checked(ip_proto::ROUTING, &[6]).unwrap_err(), DecodeError::Truncated);
        for nh in [0u8, 43, 44, 51, 60, 135] {
            assert!(is_extension_header(nh));
        }
        for nh in [6u8, 17, 50, 59, 58] {
            assert!(!is_extension_header(nh));
        }
    }

    #[test]
    fn fragment_header() {
        let f = Ipv6FragHeader::new_checked(&[17, 0, 0x05, 0x39, 0xde, 0xad, 0xbe, 0xef]).unwrap();
        assert_eq!(f.next_header(), 17);
        assert_eq!(f.frag_offset(), 0x0538);
        assert!(f.more_frags());
        assert_eq!(f.ident(), 0xdeadbeef);
        assert_eq!(Ipv6FragHeader::new_checked(&[0; 7]).unwrap_err(), DecodeError::Truncated);
    }
}
