//! Lax layered decoding of one captured frame into a [`PacketMeta`].
//!
//! Contract (etherparse's "lax" idea, smoltcp's "checked views"):
//! - never panics and never allocates, whatever the bytes;
//! - decodes as far as it can and records where and why it stopped in `stop`;
//! - a packet whose IP header decoded but whose transport header did not is still
//!   reported with `ip_version != 0` and `l4_ok == false`; the flow layer decides
//!   what to do with it (it does not track it, and counts it).
//!
//! Link types are the LINKTYPE_* numbers of pcap/pcapng (tcpdump.org/linktypes.html).

use crate::wire::{self, DecodeError, Layer};

/// LINKTYPE_* values we decode.
pub mod linktype {
    pub const NULL: u32 = 0; // BSD loopback, host-endian u32 family
    pub const ETHERNET: u32 = 1;
    pub const RAW: u32 = 101; // raw IPv4/IPv6, version nibble decides
    pub const LOOP: u32 = 108; // OpenBSD loopback, network-endian family
    pub const LINUX_SLL: u32 = 113;
    pub const IPV4: u32 = 228;
    pub const IPV6: u32 = 229;
    pub const LINUX_SLL2: u32 = 276;
    /// DLT_RAW as some platforms number it (12 or 14 in old files).
    pub const RAW_ALT_12: u32 = 12;
    pub const RAW_ALT_14: u32 = 14;
}

/// IP fragment information; present only when the IP layer says this is a fragment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Fragment {
    /// IPv4 identification or IPv6 fragment-header identification.
    pub id: u32,
    /// Fragment offset in bytes.
    pub offset: u32,
    /// More-fragments flag.
    pub more: bool,
}

/// Everything the flow layer needs from one frame. Plain data, reused across packets.
#[derive(Debug, Clone, Copy, Default)]
pub struct PacketMeta {
    /// Captured length of the frame, link header included (Suricata's byte convention).
    pub caplen: u32,
    /// Up to two VLAN ids (outer first); 0 = absent.
    pub vlan: [u16; 2],
    /// 0 when no IP layer was decoded, else 4 or 6.
    pub ip_version: u8,
    /// Source and destination address. IPv4 uses the first 4 bytes, the rest are zero.
    pub src: [u8; 16],
    pub dst: [u8; 16],
    /// IP protocol number (after IPv6 extension headers), e.g. 6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, 132 SCTP.
    pub proto: u8,
    /// Transport ports; for ICMP/ICMPv6 the type and code; 0 when the protocol has none.
    pub src_port: u16,
    pub dst_port: u16,
    /// IP total length as stated by the header (IPv4 total length; IPv6 40 + payload length),
    /// i.e. what Zeek sums into orig_ip_bytes/resp_ip_bytes.
    pub ip_len: u32,
    /// True when the transport header decoded fully (ports and flags are valid).
    pub l4_ok: bool,
    /// TCP flags byte (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, URG 0x20, ECE 0x40, CWR 0x80).
    pub tcp_flags: u8,
    pub tcp_seq: u32,
    pub tcp_ack: u32,
    /// Offset and length of the transport payload inside the captured frame (truncated to caplen).
    pub payload_off: u32,
    pub payload_len: u32,
    /// Set when this packet is an IP fragment.
    pub fragment: Option<Fragment>,
    /// Where and why decoding stopped early; None when every layer decoded.
    pub stop: Option<(DecodeError, Layer)>,
    /// Number of tunnels opened (IP-in-IP, GRE/ERSPAN, VXLAN, Teredo): 0 for a plain packet.
    /// When > 0 the IP and transport fields describe the innermost packet whose IP header is
    /// valid; `caplen` is still the whole frame and `vlan` the first two VLAN ids met on the way
    /// in (outer first). If an encapsulation or the inner IP header is bad, the outer packet
    /// stays described and `stop` says why the inner one could not be (so `stop` can be Some
    /// while `l4_ok` is true).
    pub tunnel_depth: u8,
    /// When `tunnel_depth > 0`: where the innermost tunnel's payload (the encapsulated packet,
    /// from its link or IP header) starts and ends in the frame. Suricata counts a tunnelled
    /// packet to the inner flow with this length.
    pub inner_off: u32,
    pub inner_end: u32,
}

/// Decode `frame` (the captured bytes) of link type `linktype` into `meta`.
/// `meta` is overwritten entirely. Never panics.
pub fn decode(linktype: u32, frame: &[u8], meta: &mut PacketMeta) {
    wire::decode_frame(linktype, frame, meta)
}

/// Decode only the outermost packet: tunnels are not opened (the tunnel packet itself, e.g. the
/// UDP/4789 or GRE packet, is described). Used to count a tunnelled packet to its outer flow.
pub fn decode_outer(linktype: u32, frame: &[u8], meta: &mut PacketMeta) {
    wire::decode_frame_limited(linktype, frame, meta, 0)
}
