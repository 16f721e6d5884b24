//! IEEE 802.11 MAC header of data frames (LINKTYPE_IEEE802_11, under radiotap, or behind Aruba
//! GRE), and the A-MSDU subframe header. The payload of a data frame starts with an LLC/SNAP
//! header ([`super::llc`]).

use super::{be16, byte, bytes, header, DecodeError};

/// Length of the header every data frame has (frame control, duration, three addresses,
/// sequence control).
pub const BASE_LEN: usize = 24;
/// The fourth address, present when both To DS and From DS are set.
pub const ADDR4_LEN: usize = 6;
/// The QoS control field of QoS data subtypes.
pub const QOS_LEN: usize = 2;
/// Length of an A-MSDU subframe header (destination, source, length).
pub const AMSDU_SUBFRAME_LEN: usize = 14;

/// Frame types (bits 2-3 of the first frame control byte).
pub mod frame_type {
    pub const MANAGEMENT: u8 = 0;
    pub const CONTROL: u8 = 1;
    pub const DATA: u8 = 2;
    pub const EXTENSION: u8 = 3;
}

/// Bits of the second frame control byte.
pub mod flags {
    pub const TO_DS: u8 = 0x01;
    pub const FROM_DS: u8 = 0x02;
    pub const MORE_FRAGMENTS: u8 = 0x04;
    pub const RETRY: u8 = 0x08;
    pub const PROTECTED: u8 = 0x40;
    pub const ORDER: u8 = 0x80;
}

mod field {
    use core::ops::Range;
    pub const FC0: usize = 0;
    pub const FC1: usize = 1;
    pub const DURATION: Range<usize> = 2..4;
    pub const ADDR1: Range<usize> = 4..10;
    pub const ADDR2: Range<usize> = 10..16;
    pub const ADDR3: Range<usize> = 16..22;
    pub const SEQ_CTRL: Range<usize> = 22..24;
    pub const AMSDU_LENGTH: Range<usize> = 12..14;
}

/// An 802.11 MAC header as far as its length is known from the frame control field (fourth
/// address and QoS control included when present); checked as captured.
#[derive(Debug, Clone, Copy)]
pub struct Ieee80211Header<'a> {
    hdr: &'a [u8; BASE_LEN],
    buf: &'a [u8],
    /// The two frame control bytes are in swapped order (as some CAPWAP access points send).
    fc_swapped: bool,
}

impl<'a> Ieee80211Header<'a> {
    /// `Truncated` if the header (as long as the frame control field says) is not captured.
    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        Self::new_checked_fc(buf, false)
    }

    /// As [`Self::new_checked`]; `fc_swapped`: the frame control bytes are in swapped order.
    #[inline]
    pub fn new_checked_fc(buf: &'a [u8], fc_swapped: bool) -> Result<Self, DecodeError> {
        let h = Ieee80211Header { hdr: header(buf)?, buf, fc_swapped };
        if buf.len() < h.header_len() {
            return Err(DecodeError::Truncated);
        }
        Ok(h)
    }

    #[inline]
    fn fc0(&self) -> u8 {
        byte(self.hdr, if self.fc_swapped { field::FC1 } else { field::FC0 })
    }

    #[inline]
    fn fc1(&self) -> u8 {
        byte(self.hdr, if self.fc_swapped { field::FC0 } else { field::FC1 })
    }

    #[inline]
    pub fn protocol_version(&self) -> u8 {
        self.fc0() & 0x3
    }

    #[inline]
    pub fn frame_type(&self) -> u8 {
        (self.fc0() >> 2) & 0x3
    }

    #[inline]
    pub fn subtype(&self) -> u8 {
        self.fc0() >> 4
    }

    /// A data frame whose subtype carries a payload (not Null / QoS Null / CF-Ack/Poll only).
    #[inline]
    pub fn carries_data(&self) -> bool {
        self.frame_type() == frame_type::DATA && self.subtype() & 0x4 == 0
    }

    /// QoS data subtypes have a QoS control field.
    #[inline]
    pub fn is_qos(&self) -> bool {
        self.frame_type() == frame_type::DATA && self.subtype() & 0x8 != 0
    }

    #[inline]
    pub fn to_ds(&self) -> bool {
        self.fc1() & flags::TO_DS != 0
    }

    #[inline]
    pub fn from_ds(&self) -> bool {
        self.fc1() & flags::FROM_DS != 0
    }

    /// The payload is encrypted.
    #[inline]
    pub fn protected(&self) -> bool {
        self.fc1() & flags::PROTECTED != 0
    }

    #[inline]
    pub fn duration(&self) -> u16 {
        be16(self.hdr, field::DURATION)
    }

    #[inline]
    pub fn addr1(&self) -> [u8; 6] {
        bytes(self.hdr, field::ADDR1)
    }

    #[inline]
    pub fn addr2(&self) -> [u8; 6] {
        bytes(self.hdr, field::ADDR2)
    }

    #[inline]
    pub fn addr3(&self) -> [u8; 6] {
        bytes(self.hdr, field::ADDR3)
    }

    /// Sequence control, little-endian on the air.
    #[inline]
    pub fn sequence_control(&self) -> u16 {
        u16::from_le_bytes(bytes(self.hdr, field::SEQ_CTRL))
    }

    /// The QoS control field says the payload is an A-MSDU (a list of subframes).
    #[inline]
    pub fn is_amsdu(&self) -> bool {
        self.is_qos() && byte(self.buf, self.qos_offset()) & 0x80 != 0
    }

    #[inline]
    fn qos_offset(&self) -> usize {
        if self.to_ds() && self.from_ds() {
            BASE_LEN + ADDR4_LEN
        } else {
            BASE_LEN
        }
    }

    /// Header length: 24, plus the fourth address, plus QoS control.
    #[inline]
    pub fn header_len(&self) -> usize {
        self.qos_offset() + if self.is_qos() { QOS_LEN } else { 0 }
    }
}

/// An A-MSDU subframe header; the subframe's LLC/SNAP header follows it.
#[derive(Debug, Clone, Copy)]
pub struct AmsduSubframe<'a> {
    hdr: &'a [u8; AMSDU_SUBFRAME_LEN],
}

impl<'a> AmsduSubframe<'a> {
    pub const HEADER_LEN: usize = AMSDU_SUBFRAME_LEN;

    /// `Truncated` if fewer than 14 bytes.
    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        Ok(AmsduSubframe { hdr: header(buf)? })
    }

    #[inline]
    pub fn destination(&self) -> [u8; 6] {
        bytes(self.hdr, 0..6)
    }

    #[inline]
    pub fn source(&self) -> [u8; 6] {
        bytes(self.hdr, 6..12)
    }

    /// Length of the subframe after this header (padding to 4 bytes excluded).
    #[inline]
    pub fn length(&self) -> u16 {
        be16(self.hdr, field::AMSDU_LENGTH)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hdr(fc0: u8, fc1: u8, extra: &[u8]) -> Vec<u8> {
        let mut b = vec![fc0, fc1, 0x2c, 0];
        b.extend((1..=20).map(|i| i as u8));
        b.extend_from_slice(extra);
        b
    }

    #[test]
    fn data_frame() {
        let b = hdr(0x08, 0x01, &[0xaa]);
        let h = Ieee80211Header::new_checked(&b).unwrap();
        assert_eq!((h.protocol_version(), h.frame_type(), h.subtype()), (0, frame_type::DATA, 0));
        assert!(h.carries_data() && h.to_ds() && !h.from_ds() && !h.is_qos() && !h.protected());
        assert_eq!((h.header_len(), h.duration()), (24, 0x2c00));
        assert_eq!(h.addr1(), [1, 2, 3, 4, 5, 6]);
        assert_eq!(h.addr2(), [7, 8, 9, 10, 11, 12]);
        assert_eq!(h.addr3(), [13, 14, 15, 16, 17, 18]);
        assert_eq!(h.sequence_control(), 0x1413);
        assert_eq!(Ieee80211Header::new_checked(&b[..23]).unwrap_err(), DecodeError::Truncated);
    }

    #[test]
    fn qos_four_addresses_and_amsdu() {
        let b = hdr(0x88, 0x03, &[0, 0, 0, 0, 0, 0, 0x80, 0]);
        let h = Ieee80211Header::new_checked(&b).unwrap();
        assert!(h.is_qos() && h.carries_data() && h.is_amsdu());
        assert_eq!(h.header_len(), 32);
        assert_eq!(Ieee80211Header::new_checked(&b[..31]).unwrap_err(), DecodeError::Truncated);
        let b = hdr(0x88, 0x42, &[0x07, 0]);
        let h = Ieee80211Header::new_checked(&b).unwrap();
        assert!(h.protected() && h.from_ds() && !h.is_amsdu());
        assert_eq!(h.header_len(), 26);
        // QoS Null (subtype 12) and a beacon carry no data.
        assert!(!Ieee80211Header::new_checked(&hdr(0xc8, 0, &[0, 0])).unwrap().carries_data());
        assert!(!Ieee80211Header::new_checked(&hdr(0x80, 0, &[])).unwrap().carries_data());
    }

    #[test]
    fn swapped_frame_control() {
        // ndpi capwap_data.pcapng frame 1 (a Cisco access point): frame control 0x0811 sent as
        // 11 08 (data, To DS, power management).
        let b = hdr(0x11, 0x08, &[0xaa]);
        let h = Ieee80211Header::new_checked_fc(&b, true).unwrap();
        assert!(h.carries_data() && h.to_ds() && !h.from_ds() && !h.protected());
        assert_eq!(h.header_len(), 24);
        assert!(!Ieee80211Header::new_checked(&b).unwrap().carries_data(), "read unswapped: not data");
        let b = hdr(0x03, 0x88, &[0, 0, 0, 0, 0, 0, 0x80, 0]);
        let h = Ieee80211Header::new_checked_fc(&b, true).unwrap();
        assert!(h.is_qos() && h.is_amsdu());
        assert_eq!(h.header_len(), 32);
    }

    #[test]
    fn amsdu_subframe() {
        let mut b = vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x01, 0x19];
        let s = AmsduSubframe::new_checked(&b).unwrap();
        assert_eq!((s.destination(), s.source(), s.length()), ([1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12], 281));
        b.pop();
        assert_eq!(AmsduSubframe::new_checked(&b).unwrap_err(), DecodeError::Truncated);
    }
}
