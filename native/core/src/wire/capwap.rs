//! CAPWAP data channel (RFC 5415 section 4.3, RFC 5416): wireless access points tunnel their
//! stations' frames to the controller over UDP port 5247. The header starts with a preamble
//! (version 0, type 0 = plain CAPWAP; type 1 is DTLS, encrypted), then HLEN (the whole header in
//! 4-byte words, optional radio MAC and wireless information included), radio id, wireless
//! binding id, the flags T (native frame format of the binding, else 802.3), F (fragment),
//! L, W, M, K (keep-alive, no frame), and the fragment id and offset.
//!
//! nDPI's reader decodes it (ndpiReader -t, `NDPI_CAPWAP_DATA_PORT`); Suricata and Zeek do not.

use super::{be16, byte, header, DecodeError};

/// The CAPWAP data channel UDP port.
pub const DATA_PORT: u16 = 5247;
/// Length of the fixed part of the header.
pub const MIN_HEADER_LEN: usize = 8;
/// Wireless binding id of IEEE 802.11 (RFC 5416).
pub const WBID_IEEE80211: u8 = 1;

mod field {
    use core::ops::Range;
    pub const PREAMBLE: usize = 0;
    /// HLEN (5 bits), RID (5), WBID (5), T, F, L, W, M, K, flags (3): bits of bytes 1 to 3.
    pub const BITS: Range<usize> = 1..4;
    pub const FRAGMENT_ID: Range<usize> = 4..6;
}

const FLAG_T: u32 = 1 << 8;
const FLAG_F: u32 = 1 << 7;
const FLAG_K: u32 = 1 << 3;

/// What a CAPWAP data packet carries after its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapwapPayload {
    /// An IEEE 802.11 frame (native format of binding 1).
    Ieee80211,
    /// An IEEE 802.3 (Ethernet) frame.
    Ethernet,
}

/// A plain (not DTLS) CAPWAP header, checked as captured.
#[derive(Debug, Clone, Copy)]
pub struct CapwapHeader<'a> {
    hdr: &'a [u8; MIN_HEADER_LEN],
}

impl<'a> CapwapHeader<'a> {
    /// `Truncated` if the fixed part or the stated header length is not captured;
    /// `BadIpVersion` for a preamble that is not version 0 type 0 (DTLS or not CAPWAP);
    /// `BadHeaderLength` for HLEN below the fixed part.
    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        let hdr: &[u8; MIN_HEADER_LEN] = header(buf)?;
        if byte(hdr, field::PREAMBLE) != 0 {
            return Err(DecodeError::BadIpVersion);
        }
        let h = CapwapHeader { hdr };
        if h.header_len() < MIN_HEADER_LEN {
            return Err(DecodeError::BadHeaderLength);
        }
        if buf.len() < h.header_len() {
            return Err(DecodeError::Truncated);
        }
        Ok(h)
    }

    #[inline]
    fn bits(&self) -> u32 {
        let r = field::BITS.start;
        ((byte(self.hdr, r) as u32) << 16) | ((byte(self.hdr, r + 1) as u32) << 8) | byte(self.hdr, r + 2) as u32
    }

    /// Header length in bytes (HLEN * 4).
    #[inline]
    pub fn header_len(&self) -> usize {
        ((self.bits() >> 19) as usize) * 4
    }

    #[inline]
    pub fn radio_id(&self) -> u8 {
        ((self.bits() >> 14) & 0x1f) as u8
    }

    #[inline]
    pub fn wireless_binding(&self) -> u8 {
        ((self.bits() >> 9) & 0x1f) as u8
    }

    /// T: the payload is in the binding's native format (else an 802.3 frame).
    #[inline]
    pub fn native_format(&self) -> bool {
        self.bits() & FLAG_T != 0
    }

    /// F: this packet is a fragment of a larger one.
    #[inline]
    pub fn fragmented(&self) -> bool {
        self.bits() & FLAG_F != 0
    }

    /// K: a data channel keep-alive (message elements, no frame).
    #[inline]
    pub fn keep_alive(&self) -> bool {
        self.bits() & FLAG_K != 0
    }

    #[inline]
    pub fn fragment_id(&self) -> u16 {
        be16(self.hdr, field::FRAGMENT_ID)
    }

    /// The frame this packet carries, if it is a whole one we decode: not a keep-alive, not a
    /// fragment, an 802.3 frame or an 802.11 frame of the 802.11 binding.
    #[inline]
    pub fn payload(&self) -> Option<CapwapPayload> {
        if self.keep_alive() || self.fragmented() {
            return None;
        }
        if !self.native_format() {
            return Some(CapwapPayload::Ethernet);
        }
        if self.wireless_binding() == WBID_IEEE80211 {
            return Some(CapwapPayload::Ieee80211);
        }
        None
    }
}

/// Some access points (Cisco's among them) send the 802.11 frame control field with its two
/// bytes swapped. A frame a station sends to or receives from the distribution system (every
/// frame a CAPWAP access point tunnels) has To DS or From DS set, which, read as the first byte,
/// is a protocol version other than 0: so the bytes are swapped when the first byte's version
/// bits are set and the second byte reads as a version-0 frame control.
#[inline]
pub fn frame_control_swapped(frame: &[u8]) -> bool {
    match frame.get(..2) {
        Some(&[a, b]) => a & 0x03 != 0 && b & 0x03 == 0,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// ndpi capwap_data.pcapng frame 1, from the CAPWAP header to the swapped frame control:
    /// HLEN 4, RID 0, WBID 1, T and W set, wireless information (RSSI -65, SNR 35), padding.
    const FRAME1: [u8; 18] = [
        0x00, 0x20, 0x03, 0x20, 0x00, 0x00, 0x00, 0x00, 0x04, 0xbf, 0x23, 0x00, 0x00, 0x00, 0x00, 0x00, 0x11, 0x08,
    ];

    #[test]
    fn corpus_header() {
        let h = CapwapHeader::new_checked(&FRAME1).unwrap();
        assert_eq!((h.header_len(), h.radio_id(), h.wireless_binding()), (16, 0, 1));
        assert!(h.native_format() && !h.fragmented() && !h.keep_alive());
        assert_eq!(h.fragment_id(), 0);
        assert_eq!(h.payload(), Some(CapwapPayload::Ieee80211));
        assert!(frame_control_swapped(&FRAME1[16..]));
        assert!(!frame_control_swapped(&[0x08, 0x01]), "plain data frame, To DS");
        assert!(!frame_control_swapped(&[0x08]));
        // Server to station: frame control 0x0208 swapped.
        assert!(frame_control_swapped(&[0x02, 0x08]));
    }

    #[test]
    fn other_payloads() {
        let mut b = FRAME1;
        b[2] &= !0x01; // T clear: 802.3
        assert_eq!(CapwapHeader::new_checked(&b).unwrap().payload(), Some(CapwapPayload::Ethernet));
        let mut b = FRAME1;
        b[3] |= 0x80; // F
        assert_eq!(CapwapHeader::new_checked(&b).unwrap().payload(), None);
        let mut b = FRAME1;
        b[3] |= 0x08; // K
        assert_eq!(CapwapHeader::new_checked(&b).unwrap().payload(), None);
        let mut b = FRAME1;
        b[2] = 0x05; // WBID 2 (reserved), native
        assert_eq!(CapwapHeader::new_checked(&b).unwrap().payload(), None);
    }

    #[test]
    fn errors() {
        assert_eq!(CapwapHeader::new_checked(&FRAME1[..7]).unwrap_err(), DecodeError::Truncated);
        assert_eq!(CapwapHeader::new_checked(&FRAME1[..15]).unwrap_err(), DecodeError::Truncated);
        let mut b = FRAME1;
        b[0] = 0x01; // DTLS
        assert_eq!(CapwapHeader::new_checked(&b).unwrap_err(), DecodeError::BadIpVersion);
        let mut b = FRAME1;
        b[1] = 0x08; // HLEN 1
        assert_eq!(CapwapHeader::new_checked(&b).unwrap_err(), DecodeError::BadHeaderLength);
    }
}
