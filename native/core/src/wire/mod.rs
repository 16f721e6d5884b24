//! Wire formats, one file per header (smoltcp-style checked views), and the lax frame decoder
//! that walks them into a [`crate::decode::PacketMeta`].
//!
//! Every view checks its length once in `new_checked`; accessors after that cannot panic.

use crate::decode::PacketMeta;

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

/// Walk the layers of one frame. Implemented across the per-protocol files of this module.
pub fn decode_frame(linktype: u32, frame: &[u8], meta: &mut PacketMeta) {
    let _ = (linktype, frame, meta);
    unimplemented!("filled in by the decoder work")
}
