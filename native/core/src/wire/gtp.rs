//! GTPv1-U (3GPP TS 29.281): user-plane GTP over UDP. A T-PDU (message type 0xff) carries an
//! IPv4 or IPv6 packet after the header: the 8 mandatory bytes, the 4-byte sequence/N-PDU/next
//! extension field when any of the E, S or PN flags is set, and, when E is set, a chain of
//! extension headers each `4 * length` bytes long whose last byte is the next type (0 ends it).

use super::{be16, be32, byte, header, DecodeError};

/// The GTP-U UDP port.
pub const PORT: u16 = 2152;
/// Length of the mandatory header.
pub const HEADER_LEN: usize = 8;
/// Length of the optional sequence number / N-PDU number / next extension type field.
pub const OPTIONAL_LEN: usize = 4;
/// Message type of a T-PDU (G-PDU): user data follows.
pub const MSG_TPDU: u8 = 0xff;
/// Extension headers followed; a longer chain is `BadHeaderLength`.
pub const MAX_EXTENSION_HEADERS: usize = 16;

/// Flag bits of the first byte (version in the top 3 bits).
pub mod flags {
    pub const PROTOCOL_TYPE: u8 = 0x10;
    pub const EXTENSION: u8 = 0x04;
    pub const SEQUENCE: u8 = 0x02;
    pub const N_PDU: u8 = 0x01;
}

mod field {
    use core::ops::Range;
    pub const FLAGS: usize = 0;
    pub const MSG_TYPE: usize = 1;
    pub const LENGTH: Range<usize> = 2..4;
    pub const TEID: Range<usize> = 4..8;
    pub const SEQUENCE: Range<usize> = 8..10;
    pub const N_PDU: usize = 10;
    pub const NEXT_EXTENSION: usize = 11;
}

/// A GTPv1 header with its optional field and extension headers, checked as captured.
#[derive(Debug, Clone, Copy)]
pub struct GtpV1Header<'a> {
    hdr: &'a [u8; HEADER_LEN],
    buf: &'a [u8],
    len: usize,
}

impl<'a> GtpV1Header<'a> {
    /// `Truncated` if the header, its optional field or an extension header is not captured;
    /// `BadHeaderLength` for an extension header of length 0 or a chain longer than
    /// [`MAX_EXTENSION_HEADERS`].
    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        let hdr: &[u8; HEADER_LEN] = header(buf)?;
        let f = byte(hdr, field::FLAGS);
        let mut len = HEADER_LEN;
        if f & (flags::EXTENSION | flags::SEQUENCE | flags::N_PDU) != 0 {
            len += OPTIONAL_LEN;
            if buf.len() < len {
                return Err(DecodeError::Truncated);
            }
            if f & flags::EXTENSION != 0 {
                let mut next = byte(buf, field::NEXT_EXTENSION);
                let mut count = 0usize;
                while next != 0 {
                    if count >= MAX_EXTENSION_HEADERS {
                        return Err(DecodeError::BadHeaderLength);
                    }
                    count += 1;
                    let units = match buf.get(len) {
                        Some(&n) => n as usize,
                        None => return Err(DecodeError::Truncated),
                    };
                    if units == 0 {
                        return Err(DecodeError::BadHeaderLength);
                    }
                    len += units * 4;
                    next = match buf.get(len - 1) {
                        Some(&n) => n,
                        None => return Err(DecodeError::Truncated),
                    };
                }
            }
        }
        Ok(GtpV1Header { hdr, buf, len })
    }

    #[inline]
    fn flags(&self) -> u8 {
        byte(self.hdr, field::FLAGS)
    }

    #[inline]
    pub fn version(&self) -> u8 {
        self.flags() >> 5
    }

    /// Protocol type: 1 for GTP, 0 for GTP' (charging).
    #[inline]
    pub fn protocol_type(&self) -> bool {
        self.flags() & flags::PROTOCOL_TYPE != 0
    }

    #[inline]
    pub fn msg_type(&self) -> u8 {
        byte(self.hdr, field::MSG_TYPE)
    }

    /// Length of everything after the mandatory 8 bytes, as stated.
    #[inline]
    pub fn length(&self) -> u16 {
        be16(self.hdr, field::LENGTH)
    }

    /// Tunnel endpoint identifier.
    #[inline]
    pub fn teid(&self) -> u32 {
        be32(self.hdr, field::TEID)
    }

    /// The sequence number, when the S flag is set.
    #[inline]
    pub fn sequence(&self) -> Option<u16> {
        if self.flags() & flags::SEQUENCE != 0 {
            Some(be16(self.buf, field::SEQUENCE))
        } else {
            None
        }
    }

    /// The N-PDU number, when the PN flag is set.
    #[inline]
    pub fn n_pdu(&self) -> Option<u8> {
        if self.flags() & flags::N_PDU != 0 {
            Some(byte(self.buf, field::N_PDU))
        } else {
            None
        }
    }

    /// Header length including the optional field and extension headers.
    #[inline]
    pub fn header_len(&self) -> usize {
        self.len
    }

    /// A GTPv1 (not GTP') T-PDU: user data follows the header.
    #[inline]
    pub fn is_tpdu(&self) -> bool {
        self.version() == 1 && self.protocol_type() && self.msg_type() == MSG_TPDU
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_tpdu() {
        let b = [0x30, 0xff, 0x00, 0x14, 0x12, 0x34, 0x56, 0x78, 0x45];
        let g = GtpV1Header::new_checked(&b).unwrap();
        assert!(g.is_tpdu());
        assert_eq!((g.version(), g.length(), g.teid(), g.header_len()), (1, 20, 0x12345678, 8));
        assert_eq!((g.sequence(), g.n_pdu()), (None, None));
        assert_eq!(GtpV1Header::new_checked(&b[..7]).unwrap_err(), DecodeError::Truncated);
    }

    #[test]
    fn optional_field_and_extensions() {
        // S flag: 4 more bytes.
        let b = [0x32, 0xff, 0, 4, 0, 0, 0, 1, 0xab, 0xcd, 7, 0];
        let g = GtpV1Header::new_checked(&b).unwrap();
        assert_eq!((g.header_len(), g.sequence(), g.n_pdu()), (12, Some(0xabcd), None));
        assert_eq!(GtpV1Header::new_checked(&b[..11]).unwrap_err(), DecodeError::Truncated);
        // E flag, two extension headers (4 and 8 bytes).
        let b = [0x34, 0xff, 0, 16, 0, 0, 0, 1, 0, 0, 0, 0x85, 1, 0x10, 0, 0xc0, 2, 1, 2, 3, 4, 5, 6, 0, 0x60];
        let g = GtpV1Header::new_checked(&b).unwrap();
        assert_eq!(g.header_len(), 24);
        assert!(g.is_tpdu());
        assert_eq!(GtpV1Header::new_checked(&b[..23]).unwrap_err(), DecodeError::Truncated);
        assert_eq!(GtpV1Header::new_checked(&b[..13]).unwrap_err(), DecodeError::Truncated);
        // E flag with no extension announced.
        let b = [0x34, 0xff, 0, 4, 0, 0, 0, 1, 0, 0, 0, 0];
        assert_eq!(GtpV1Header::new_checked(&b).unwrap().header_len(), 12);
    }

    #[test]
    fn errors_and_other_messages() {
        let b = [0x34, 0xff, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0x85, 0, 0, 0, 0];
        assert_eq!(GtpV1Header::new_checked(&b).unwrap_err(), DecodeError::BadHeaderLength);
        // A chain that never ends, one 4-byte header after another.
        let mut b = vec![0x34, 0xff, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0x85];
        for _ in 0..MAX_EXTENSION_HEADERS + 1 {
            b.extend_from_slice(&[1, 0, 0, 0x85]);
        }
        assert_eq!(GtpV1Header::new_checked(&b).unwrap_err(), DecodeError::BadHeaderLength);
        // Echo request, GTP', GTPv2.
        for f in [[0x32u8, 0x01], [0x20, 0xff], [0x48, 0xff]] {
            let b = [f[0], f[1], 0, 4, 0, 0, 0, 0, 0, 0, 0, 0];
            assert!(!GtpV1Header::new_checked(&b).unwrap().is_tpdu());
        }
    }
}
