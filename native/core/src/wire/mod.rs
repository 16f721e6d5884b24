//! Wire formats, one file per header (smoltcp-style checked views), and the lax frame decoder
//! that walks them into a [`crate::decode::PacketMeta`].
//!
//! Every view checks its length once in `new_checked`; accessors after that cannot panic.
//! Views borrow the captured bytes (`&[u8]`), copy nothing and allocate nothing. Field offsets
//! are the named ranges/indices of each file's `field` module.
//!
//! The walk itself (link type -> link shims -> IP -> transport -> tunnels) is in [`frame`].

use crate::decode::PacketMeta;
use core::ops::Range;

pub mod ayiya;
pub mod capwap;
pub mod erspan;
pub mod ethernet;
pub mod fabricpath;
pub mod gre;
pub mod gtp;
pub mod icmp;
pub mod ieee80211;
pub mod ipv4;
pub mod ipv6;
pub mod llc;
pub mod loopback;
pub mod mpls;
pub mod nflog;
pub mod pbb;
pub mod ppp;
pub mod radiotap;
pub mod sctp;
pub mod sll;
pub mod tcp;
pub mod teredo;
pub mod udp;
pub mod vntag;
pub mod vxlan;

mod frame;

pub use frame::{
    LINKTYPE_C_HDLC, LINKTYPE_IEEE802_11, LINKTYPE_IEEE802_11_RADIOTAP, LINKTYPE_NFLOG, LINKTYPE_PPP, MAX_IPV6_EXT_HEADERS,
    MAX_LINK_NESTING, MAX_MPLS_LABELS, MAX_TUNNEL_DEPTH, MAX_VLAN_TAGS,
};

/// IP protocol numbers (IPv4 protocol field, IPv6 next header).
pub mod ip_proto {
    pub const HOP_BY_HOP: u8 = 0;
    pub const ICMP: u8 = 1;
    pub const IPIP: u8 = 4;
    pub const TCP: u8 = 6;
    pub const UDP: u8 = 17;
    pub const IPV6: u8 = 41;
    pub const ROUTING: u8 = 43;
    pub const FRAGMENT: u8 = 44;
    pub const GRE: u8 = 47;
    pub const ESP: u8 = 50;
    pub const AH: u8 = 51;
    pub const ICMPV6: u8 = 58;
    pub const NO_NEXT_HEADER: u8 = 59;
    pub const DESTINATION_OPTIONS: u8 = 60;
    pub const SCTP: u8 = 132;
    pub const MOBILITY: u8 = 135;
}

#[cfg(test)]
mod tests;

/// Why decoding stopped. Each variant is a counter reason in the engine's statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum DecodeError {
    /// Fewer captured bytes than the header needs (snaplen cut or a runt frame).
    Truncated = 0,
    /// A link type we do not decode.
    UnsupportedLinkType = 1,
    /// An EtherType / SLL protocol / loopback family that is not IP (ARP, LLDP, ...). Not an error
    /// of the packet, but it ends decoding before IP.
    NotIp = 2,
    /// IP version nibble is not what the layer expects.
    BadIpVersion = 3,
    /// IPv4 IHL < 5, TCP data offset < 5, and similar header-length fields that cannot be right.
    BadHeaderLength = 4,
    /// IPv4 total length / IPv6 payload length smaller than the header, or UDP length < 8.
    BadTotalLength = 5,
    /// An IPv6 extension-header chain that is malformed or longer than we follow.
    BadExtensionHeader = 6,
    /// Non-first IP fragment: there is no transport header in this packet (not an error).
    Fragment = 7,
    /// Too many nested VLAN tags or encapsulations.
    TooDeep = 8,
}

impl DecodeError {
    pub const COUNT: usize = 9;
    pub fn as_str(self) -> &'static str {
        match self {
            DecodeError::Truncated => "truncated",
            DecodeError::UnsupportedLinkType => "unsupported_link_type",
            DecodeError::NotIp => "not_ip",
            DecodeError::BadIpVersion => "bad_ip_version",
            DecodeError::BadHeaderLength => "bad_header_length",
            DecodeError::BadTotalLength => "bad_total_length",
            DecodeError::BadExtensionHeader => "bad_extension_header",
            DecodeError::Fragment => "fragment",
            DecodeError::TooDeep => "too_deep",
        }
    }
}

/// The layer decoding stopped at.
///
/// Everything below IP that is not a VLAN tag reports as `Link`: the link header itself, MPLS
/// labels, PPPoE/PPP, FabricPath, VN-Tag, PBB, radiotap/802.11/LLC, and, for a tunnelled
/// packet, the encapsulation headers (GRE, ERSPAN, VXLAN, GENEVE, Teredo, GTP-U, AYIYA, CAPWAP) that
/// are the inner packet's link layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Layer {
    Link = 0,
    Vlan = 1,
    Ipv4 = 2,
    Ipv6 = 3,
    Ipv6Ext = 4,
    Tcp = 5,
    Udp = 6,
    Icmp = 7,
    Icmpv6 = 8,
    Sctp = 9,
}

impl Layer {
    pub const COUNT: usize = 10;
    pub fn as_str(self) -> &'static str {
        match self {
            Layer::Link => "link",
            Layer::Vlan => "vlan",
            Layer::Ipv4 => "ipv4",
            Layer::Ipv6 => "ipv6",
            Layer::Ipv6Ext => "ipv6_ext",
            Layer::Tcp => "tcp",
            Layer::Udp => "udp",
            Layer::Icmp => "icmp",
            Layer::Icmpv6 => "icmpv6",
            Layer::Sctp => "sctp",
        }
    }
}

/// Walk the layers of one frame. See [`frame`] for the rules; never panics, never allocates.
#[inline]
pub fn decode_frame(linktype: u32, frame: &[u8], meta: &mut PacketMeta) {
    frame::decode_frame(linktype, frame, meta)
}

/// As [`decode_frame`], opening at most `max_depth` tunnels (0: describe the outer packet).
#[inline]
pub fn decode_frame_limited(linktype: u32, frame: &[u8], meta: &mut PacketMeta, max_depth: u8) {
    frame::decode_frame_limited(linktype, frame, meta, max_depth)
}

/// Decoder choices on which Suricata and Zeek differ. The default is Suricata's behaviour.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DecodeOptions {
    /// Also find Teredo and AYIYA by their content on UDP ports that are not theirs, as Zeek's
    /// protocol detection does. Off (Suricata): Teredo only on port 3544, AYIYA only on 5072.
    pub detect_udp_tunnels: bool,
}

/// As [`decode_frame_limited`], with the choices of `opts` (`max_depth`
/// [`MAX_TUNNEL_DEPTH`] opens every tunnel).
#[inline]
pub fn decode_frame_with(linktype: u32, frame: &[u8], meta: &mut PacketMeta, max_depth: u8, opts: DecodeOptions) {
    frame::decode_frame_with(linktype, frame, meta, max_depth, opts)
}

// ---- byte helpers shared by the views ------------------------------------------------------
//
// They take a field range and return 0 if the range does not fit, so they can never panic. In a
// view the range is a constant inside a fixed-size header array, so the check folds away.

/// First `N` bytes of `buf` as a fixed-size header, or `Truncated`.
#[inline(always)]
pub(crate) fn header<const N: usize>(buf: &[u8]) -> Result<&[u8; N], DecodeError> {
    match buf.get(..N) {
        Some(s) => <&[u8; N]>::try_from(s).map_err(|_| DecodeError::Truncated),
        None => Err(DecodeError::Truncated),
    }
}

#[inline(always)]
pub(crate) fn be16(b: &[u8], r: Range<usize>) -> u16 {
    match b.get(r) {
        Some(&[x, y]) => u16::from_be_bytes([x, y]),
        _ => 0,
    }
}

#[inline(always)]
pub(crate) fn be32(b: &[u8], r: Range<usize>) -> u32 {
    match b.get(r) {
        Some(&[a, b, c, d]) => u32::from_be_bytes([a, b, c, d]),
        _ => 0,
    }
}

#[inline(always)]
pub(crate) fn byte(b: &[u8], i: usize) -> u8 {
    match b.get(i) {
        Some(&x) => x,
        None => 0,
    }
}

/// `N` bytes at `r` as an array (zeros if the range does not fit).
#[inline(always)]
pub(crate) fn bytes<const N: usize>(b: &[u8], r: Range<usize>) -> [u8; N] {
    match b.get(r) {
        Some(s) => <[u8; N]>::try_from(s).unwrap_or([0u8; N]),
        None => [0u8; N],
    }
}
