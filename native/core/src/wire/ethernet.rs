//! Ethernet II header and 802.1Q / 802.1ad VLAN tags.

use super::{be16, bytes, header, DecodeError};

/// EtherType values (also used as SLL protocol, Cisco HDLC protocol and GRE protocol type).
pub mod ethertype {
    pub const IPV4: u16 = 0x0800;
    pub const ARP: u16 = 0x0806;
    pub const IPV6: u16 = 0x86dd;
    /// 802.1Q customer VLAN tag.
    pub const VLAN: u16 = 0x8100;
    /// 802.1ad service VLAN tag (QinQ).
    pub const QINQ: u16 = 0x88a8;
    /// Pre-standard QinQ tag.
    pub const QINQ_9100: u16 = 0x9100;
    pub const MPLS_UNICAST: u16 = 0x8847;
    pub const MPLS_MULTICAST: u16 = 0x8848;
    pub const PPPOE_DISCOVERY: u16 = 0x8863;
    pub const PPPOE_SESSION: u16 = 0x8864;
    /// GRE: transparent Ethernet bridging (an Ethernet frame follows).
    pub const TEB: u16 = 0x6558;
    /// GRE: ERSPAN type I (no GRE sequence number) / type II (with one).
    pub const ERSPAN_II: u16 = 0x88be;
    /// GRE: ERSPAN type III.
    pub const ERSPAN_III: u16 = 0x22eb;
    /// GRE (PPTP, enhanced GRE v1): a PPP frame follows.
    pub const PPP: u16 = 0x880b;
    /// Values below this are 802.3 length fields, not EtherTypes.
    pub const MIN: u16 = 0x0600;

    /// True for the tag EtherTypes we strip (0x8100, 0x88a8, 0x9100).
    #[inline]
    pub fn is_vlan(t: u16) -> bool {
        t == VLAN || t == QINQ || t == QINQ_9100
    }
}

/// Length of an Ethernet II header.
pub const HEADER_LEN: usize = 14;
/// Length of one VLAN tag (TCI + inner EtherType).
pub const VLAN_TAG_LEN: usize = 4;

mod field {
    use core::ops::Range;
    pub const DESTINATION: Range<usize> = 0..6;
    pub const SOURCE: Range<usize> = 6..12;
    pub const ETHERTYPE: Range<usize> = 12..14;
}

/// An Ethernet II header (the 14 bytes before the payload; no FCS).
#[derive(Debug, Clone, Copy)]
pub struct EthernetFrame<'a> {
    hdr: &'a [u8; HEADER_LEN],
}

impl<'a> EthernetFrame<'a> {
    pub const HEADER_LEN: usize = HEADER_LEN;

    /// `Truncated` if fewer than 14 bytes.
    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        Ok(EthernetFrame { hdr: header(buf)? })
    }

    #[inline]
    pub fn destination(&self) -> [u8; 6] {
        bytes(self.hdr, field::DESTINATION)
    }

    #[inline]
    pub fn source(&self) -> [u8; 6] {
        bytes(self.hdr, field::SOURCE)
    }

    /// EtherType, or an 802.3 length when below [`ethertype::MIN`].
    #[inline]
    pub fn ethertype(&self) -> u16 {
        be16(self.hdr, field::ETHERTYPE)
    }
}

mod vlan_field {
    use core::ops::Range;
    pub const TCI: Range<usize> = 0..2;
    pub const ETHERTYPE: Range<usize> = 2..4;
}

/// One 802.1Q/802.1ad tag as it follows the tag EtherType: TCI then the inner EtherType.
#[derive(Debug, Clone, Copy)]
pub struct VlanTag<'a> {
    hdr: &'a [u8; VLAN_TAG_LEN],
}

impl<'a> VlanTag<'a> {
    pub const HEADER_LEN: usize = VLAN_TAG_LEN;

    /// `Truncated` if fewer than 4 bytes.
    #[inline]
    pub fn new_checked(buf: &'a [u8]) -> Result<Self, DecodeError> {
        Ok(VlanTag { hdr: header(buf)? })
    }

    #[inline]
    pub fn tci(&self) -> u16 {
        be16(self.hdr, vlan_field::TCI)
    }

    /// Priority code point (3 bits).
    #[inline]
    pub fn pcp(&self) -> u8 {
        (self.tci() >> 13) as u8
    }

    /// VLAN identifier (12 bits).
    #[inline]
    pub fn vid(&self) -> u16 {
        self.tci() & 0x0fff
    }

    /// The EtherType of what follows the tag.
    #[inline]
    pub fn ethertype(&self) -> u16 {
        be16(self.hdr, vlan_field::ETHERTYPE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ethernet_fields() {
        let f = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x08, 0x00, 0x45];
        let e = EthernetFrame::new_checked(&f).unwrap();
        assert_eq!(e.destination(), [1, 2, 3, 4, 5, 6]);
        assert_eq!(e.source(), [7, 8, 9, 10, 11, 12]);
        assert_eq!(e.ethertype(), ethertype::IPV4);
    }

    #[test]
    fn ethernet_truncated() {
        assert_eq!(EthernetFrame::new_checked(&[0u8; 13]).unwrap_err(), DecodeError::Truncated);
        assert!(EthernetFrame::new_checked(&[0u8; 14]).is_ok());
        assert!(EthernetFrame::new_checked(&[]).is_err());
    }

    #[test]
    fn vlan_tag_fields() {
        let t = VlanTag::new_checked(&[0xa0, 0x64, 0x86, 0xdd]).unwrap();
        assert_eq!(t.pcp(), 5);
        assert_eq!(t.vid(), 100);
        assert_eq!(t.ethertype(), ethertype::IPV6);
        assert_eq!(VlanTag::new_checked(&[0, 1, 2]).unwrap_err(), DecodeError::Truncated);
        assert!(ethertype::is_vlan(0x8100) && ethertype::is_vlan(0x88a8) && ethertype::is_vlan(0x9100));
        assert!(!ethertype::is_vlan(0x0800));
    }
}
