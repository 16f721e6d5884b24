//! LINKTYPE_NFLOG (239): Linux netfilter log messages (tcpdump.org/linktypes/LINKTYPE_NFLOG.html).
//! A 4-byte header (address family, version 0, resource id) is followed by TLVs; the one of
//! type NFULA_PAYLOAD (9) holds the logged packet, an IP packet of the header's family.
//!
//! TLV length and type are in the byte order of the host that captured (libpcap swaps them only
//! when it reads a file of the other order, which we do not). Types are small (1 to 0xff), so
//! the first TLV's type tells the order: read little-endian (every common capture host) unless
//! only the big-endian reading gives a valid type. A TLV's length counts its 4-byte header; TLVs
//! are padded to 4 bytes (Zeek's NFLog analyzer walks them the same way).

use super::{byte, DecodeError};

/// Length of the NFLOG header before the TLVs.
pub const HEADER_LEN: usize = 4;
/// Length of a TLV's own header (length, type).
pub const TLV_HEADER_LEN: usize = 4;
/// TLV type of the logged packet.
pub const NFULA_PAYLOAD: u16 = 9;
/// TLVs walked before the payload; netfilter defines fewer than 20 types, so more is not NFLOG.
pub const MAX_TLVS: usize = 32;
/// Address families of the header (Linux numbering).
pub const AF_INET: u8 = 2;
pub const AF_INET6: u8 = 10;

/// The high bits of a TLV type are netlink flags (nested, byte order), not part of the type.
const TLV_TYPE_MASK: u16 = 0x3fff;

/// Where the logged packet is and which family it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NflogPayload {
    /// Address family from the header (`AF_INET`, `AF_INET6` or another).
    pub family: u8,
    /// Offset of the packet from the start of the NFLOG header.
    pub offset: usize,
    /// Length of the packet as the TLV states it, bounded by the captured bytes.
    pub len: usize,
}

/// Find the payload TLV of an NFLOG message.
/// `Truncated`: the header or a TLV is cut, or no payload TLV is captured;
/// `BadIpVersion`: version is not 0; `BadHeaderLength`: a TLV length below 4 or running past the
/// capture; `TooDeep`: more than [`MAX_TLVS`] TLVs before the payload.
pub fn payload(buf: &[u8]) -> Result<NflogPayload, DecodeError> {
    if buf.len() < HEADER_LEN {
        return Err(DecodeError::Truncated);
    }
    if byte(buf, 1) != 0 {
        return Err(DecodeError::BadIpVersion);
    }
    let family = byte(buf, 0);
    let little = match (tlv_u16(buf, HEADER_LEN + 2, true), tlv_u16(buf, HEADER_LEN + 2, false)) {
        (Some(le), Some(be)) => !(le & TLV_TYPE_MASK > 0xff && (1..=0xff).contains(&(be & TLV_TYPE_MASK))),
        _ => return Err(DecodeError::Truncated),
    };
    let mut at = HEADER_LEN;
    for _ in 0..MAX_TLVS {
        let (len, ty) = match (tlv_u16(buf, at, little), tlv_u16(buf, at + 2, little)) {
            (Some(l), Some(t)) => (l as usize, t & TLV_TYPE_MASK),
            _ => return Err(DecodeError::Truncated),
        };
        if len < TLV_HEADER_LEN {
            return Err(DecodeError::BadHeaderLength);
        }
        if ty == NFULA_PAYLOAD {
            let offset = at + TLV_HEADER_LEN;
            let avail = buf.len() - offset;
            let stated = len - TLV_HEADER_LEN;
            return Ok(NflogPayload { family, offset, len: stated.min(avail) });
        }
        // Padded to a multiple of 4, which may not be counted in the length.
        let skip = (len + 3) & !3;
        if skip > buf.len() - at {
            return Err(DecodeError::BadHeaderLength);
        }
        at += skip;
    }
    Err(DecodeError::TooDeep)
}

#[inline]
fn tlv_u16(buf: &[u8], at: usize, little: bool) -> Option<u16> {
    match buf.get(at..at + 2) {
        Some(&[a, b]) => Some(if little { u16::from_le_bytes([a, b]) } else { u16::from_be_bytes([a, b]) }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// zeek nflog-http.pcap, frame 1 up to the first bytes of its IPv4 SYN: family 2, resource
    /// 42, TLVs PACKET_HDR(8), PREFIX(5, padded to 8), IFINDEX_OUTDEV, UID, GID, PAYLOAD(64).
    const FRAME1_HEAD: [u8; 48] = [
        0x02, 0x00, 0x00, 0x2a, 0x08, 0x00, 0x01, 0x00, 0x00, 0x00, 0x03, 0x00, 0x05, 0x00, 0x0a, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x08, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x02, 0x08, 0x00, 0x0b, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x08, 0x00, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x09, 0x00,
    ];

    fn frame1() -> Vec<u8> {
        let mut b = FRAME1_HEAD.to_vec();
        b.extend_from_slice(&[0x45, 0x00, 0x00, 0x3c]);
        b.extend(std::iter::repeat(0).take(56));
        b
    }

    #[test]
    fn corpus_frame_little_endian() {
        let b = frame1();
        assert_eq!(payload(&b), Ok(NflogPayload { family: AF_INET, offset: 48, len: 60 }));
        // Cut inside the logged packet: the length is bounded by the capture.
        assert_eq!(payload(&b[..60]).unwrap().len, 12);
    }

    #[test]
    fn big_endian_host() {
        let mut b = frame1();
        for at in [4, 12, 20, 28, 36, 44] {
            b.swap(at, at + 1);
            b.swap(at + 2, at + 3);
        }
        assert_eq!(payload(&b), Ok(NflogPayload { family: AF_INET, offset: 48, len: 60 }));
    }

    #[test]
    fn errors() {
        let b = frame1();
        assert_eq!(payload(&b[..3]), Err(DecodeError::Truncated));
        assert_eq!(payload(&b[..4]), Err(DecodeError::Truncated));
        assert_eq!(payload(&b[..46]), Err(DecodeError::Truncated), "payload TLV header cut");
        let mut v = b.clone();
        v[1] = 1;
        assert_eq!(payload(&v), Err(DecodeError::BadIpVersion));
        let mut z = b.clone();
        z[4] = 2;
        assert_eq!(payload(&z), Err(DecodeError::BadHeaderLength), "TLV length below its header");
        let mut l = b.clone();
        l[20] = 0xf0;
        assert_eq!(payload(&l), Err(DecodeError::BadHeaderLength), "TLV running past the capture");
        // No payload TLV: a chain of 4-byte TLVs ends in Truncated, a longer one in TooDeep.
        let mut n = vec![2, 0, 0, 0];
        for _ in 0..4 {
            n.extend_from_slice(&[4, 0, 1, 0]);
        }
        assert_eq!(payload(&n), Err(DecodeError::Truncated));
        let mut n = vec![2, 0, 0, 0];
        for _ in 0..MAX_TLVS + 1 {
            n.extend_from_slice(&[4, 0, 1, 0]);
        }
        assert_eq!(payload(&n), Err(DecodeError::TooDeep));
    }
}
