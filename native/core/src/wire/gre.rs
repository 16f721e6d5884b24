//! GRE header (RFC 2784/2890, RFC 1701 routing, and the PPTP "enhanced GRE" version 1 of
//! RFC 2637).

use super::{be16, be32, byte, header, DecodeError};

/// Length of the fixed part (flags/version, protocol type).
pub const HEADER_LEN: usize = 4;

/// Flag bits of the first 16-bit word.
pub mod flags {
    pub const CHECKSUM: u16 = 0x8000;
    pub const ROUTING: u16 = 0x4000;
    pub const KEY: u16 = 0x2000;
    pub const SEQUENCE: u16 = 0x1000;
    pub const STRICT_SOURCE_ROUTE: u16 = 0x0800;
    pub const RECURSION: u16 = 0x0700;
    /// Version 1 only: an acknowledgment number is present.
    pub const ACK: u16 = 0x0080;
    /// Reserved flag bits (must be zero).
    pub const RESERVED: u16 = 0x0078;
    pub const VERSION: u16 = 0x0007;
}

mod field {
    use core::ops::Range;
    pub const FLAGS_VERSION: Range<usize> = 0..2;
    pub const PROTOCOL: Range<usize> = 2..4;
}

/// Length of a source route entry header (address family, offset, length).
const SRE_HEADER_LEN: usize = 4;

/// A GRE header with its optional fields (checksum/offset, key, sequence, acknowledgment and
/// RFC 1701 source route entries), all checked as captured by `new_checked`.
#[derive(Debug, Clone, Copy)]
pub struct GreHeader<'a> {
    hdr: &'a [u8; HEADER_LEN],
    buf: &'a [u8],
    len: usize,
}

impl<'a> GreHeader<'a> {
    /// `Truncated` if the fixed part, an optional field or a source route entry is not captured.
    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        let hdr: &[u8; HEADER_LEN] = header(buf)?;
        let mut g = GreHeader { hdr, buf, len: HEADER_LEN };
        let mut len = g.fixed_len();
        if buf.len() < len {
            return Err(DecodeError::Truncated);
        }
        if g.flags() & flags::ROUTING != 0 {
            // A list of SREs ending with one whose address family and length are both zero.
            // Each step moves forward by at least 4 bytes, so this ends with the buffer.
            loop {
                let sre = match buf.get(len..len + SRE_HEADER_LEN) {
                    Some(s) => s,
                    None => return Err(DecodeError::Truncated),
                };
                let af = be16(sre, 0..2);
                let sre_len = byte(sre, 3) as usize;
                len += SRE_HEADER_LEN;
                if af == 0 && sre_len == 0 {
                    break;
                }
                len += sre_len;
                if buf.len() < len {
                    return Err(DecodeError::Truncated);
                }
            }
        }
        g.len = len;
        Ok(g)
    }

    /// Header length without source route entries.
    #[inline]
    fn fixed_len(&self) -> usize {
        let f = self.flags();
        let mut len = HEADER_LEN;
        if f & (flags::CHECKSUM | flags::ROUTING) != 0 {
            len += 4;
        }
        if f & flags::KEY != 0 {
            len += 4;
        }
        if f & flags::SEQUENCE != 0 {
            len += 4;
        }
        if self.version() == 1 && f & flags::ACK != 0 {
            len += 4;
        }
        len
    }

    #[inline]
    fn flags(&self) -> u16 {
        be16(self.hdr, field::FLAGS_VERSION)
    }

    #[inline]
    pub fn version(&self) -> u8 {
        (self.flags() & flags::VERSION) as u8
    }

    /// The payload's protocol type (an EtherType).
    #[inline]
    pub fn protocol(&self) -> u16 {
        be16(self.hdr, field::PROTOCOL)
    }

    #[inline]
    pub fn checksum_present(&self) -> bool {
        self.flags() & flags::CHECKSUM != 0
    }

    #[inline]
    pub fn routing_present(&self) -> bool {
        self.flags() & flags::ROUTING != 0
    }

    #[inline]
    pub fn key_present(&self) -> bool {
        self.flags() & flags::KEY != 0
    }

    #[inline]
    pub fn sequence_present(&self) -> bool {
        self.flags() & flags::SEQUENCE != 0
    }

    /// Version 1 only.
    #[inline]
    pub fn ack_present(&self) -> bool {
        self.version() == 1 && self.flags() & flags::ACK != 0
    }

    #[inline]
    fn key_offset(&self) -> usize {
        if self.flags() & (flags::CHECKSUM | flags::ROUTING) != 0 {
            8
        } else {
            4
        }
    }

    /// The key field (in version 1: payload length in the high half, call id in the low half).
    #[inline]
    pub fn key(&self) -> Option<u32> {
        if self.key_present() {
            let o = self.key_offset();
            Some(be32(self.buf, o..o + 4))
        } else {
            None
        }
    }

    #[inline]
    pub fn sequence(&self) -> Option<u32> {
        if self.sequence_present() {
            let o = self.key_offset() + if self.key_present() { 4 } else { 0 };
            Some(be32(self.buf, o..o + 4))
        } else {
            None
        }
    }

    /// Whether Suricata would follow this header: version 0 without recursion or reserved
    /// flags; or version 1 (PPTP) carrying PPP with a key and none of checksum, routing, strict
    /// source route, recursion or reserved flags.
    #[inline]
    pub fn is_supported(&self) -> bool {
        let f = self.flags();
        match self.version() {
            0 => f & (flags::RECURSION | flags::RESERVED) == 0,
            1 => {
                f & (flags::CHECKSUM | flags::ROUTING | flags::STRICT_SOURCE_ROUTE | flags::RECURSION | flags::RESERVED)
                    == 0
                    && f & flags::KEY != 0
                    && self.protocol() == super::ethernet::ethertype::PPP
            }
            _ => false,
        }
    }

    /// Full header length, optional fields and source routes included.
    #[inline]
    pub fn header_len(&self) -> usize {
        self.len
    }

    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        self.buf.get(self.len..).unwrap_or(&[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain() {
        let g = GreHeader::new_checked(&[0, 0, 0x08, 0x00, 0x45]).unwrap();
        assert_eq!((g.version(), g.protocol(), g.header_len()), (0, 0x0800, 4));
        assert!(g.is_supported());
        assert_eq!(g.payload(), &[0x45]);
        assert_eq!((g.key(), g.sequence()), (None, None));
    }

    #[test]
    fn optional_fields() {
        // checksum + key + sequence
        let b = [0xb0, 0x00, 0x65, 0x58, 0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 9, 0xaa];
        let g = GreHeader::new_checked(&b).unwrap();
        assert_eq!(g.header_len(), 16);
        assert_eq!(g.key(), Some(7));
        assert_eq!(g.sequence(), Some(9));
        assert!(g.checksum_present() && g.key_present() && g.sequence_present() && !g.routing_present());
        assert_eq!(GreHeader::new_checked(&b[..15]).unwrap_err(), DecodeError::Truncated);
    }

    #[test]
    fn routing_entries() {
        // R set: checksum/offset word, one SRE of 4 bytes of data, then the terminator.
        let b = [0x40, 0x00, 0x08, 0x00, 0, 0, 0, 0, 0x08, 0x00, 0, 4, 1, 2, 3, 4, 0, 0, 0, 0, 0x45];
        let g = GreHeader::new_checked(&b).unwrap();
        assert_eq!(g.header_len(), 20);
        assert_eq!(GreHeader::new_checked(&b[..19]).unwrap_err(), DecodeError::Truncated);
        assert_eq!(GreHeader::new_checked(&b[..13]).unwrap_err(), DecodeError::Truncated);
    }

    #[test]
    fn pptp_version_1() {
        // K, S, A set, version 1, PPP
        let b = [0x30, 0x81, 0x88, 0x0b, 0, 20, 0, 1, 0, 0, 0, 5, 0, 0, 0, 4, 0xff, 0x03];
        let g = GreHeader::new_checked(&b).unwrap();
        assert_eq!(g.version(), 1);
        assert!(g.ack_present());
        assert_eq!(g.header_len(), 16);
        assert_eq!(g.key(), Some((20 << 16) | 1));
        assert!(g.is_supported());
        // version 1 without a key is not followed
        let g = GreHeader::new_checked(&[0x10, 0x01, 0x88, 0x0b, 0, 0, 0, 0]).unwrap();
        assert!(!g.is_supported());
        // unknown version, recursion
        assert!(!GreHeader::new_checked(&[0, 2, 8, 0]).unwrap().is_supported());
        assert!(!GreHeader::new_checked(&[1, 0, 8, 0]).unwrap().is_supported());
        assert_eq!(GreHeader::new_checked(&[0, 0, 8]).unwrap_err(), DecodeError::Truncated);
    }
}
