//! The lax frame walk: link type -> link shims (FabricPath, VLAN, VN-Tag, PBB, MPLS, PPPoE,
//! 802.11 LLC/SNAP) -> IP -> transport, then any tunnel (IP-in-IP, GRE incl. ERSPAN, Ethernet
//! bridging and Aruba 802.11, VXLAN, GENEVE, Teredo, GTP-U, AYIYA, GRE in UDP, CAPWAP) is opened and
//! the innermost IP packet is described instead.
//!
//! All offsets are into the captured frame. Nothing here allocates; every length is checked by
//! a view before it is used, so no byte sequence can make it panic.
//!
//! Tunnels: the inner packet is decoded into a copy of the meta and replaces the outer one as
//! soon as its IP header is valid (it is then "the innermost IP packet", even if its transport
//! header is bad). If the encapsulation or the inner IP header is bad, the outer packet stays
//! described (with `l4_ok` as decoded) and `stop` says where the inner decoding stopped. The
//! outer packet is only opened when it is not an IP fragment. Depth beyond
//! [`MAX_TUNNEL_DEPTH`] stops with `(TooDeep, Link)`, describing the deepest packet opened.

use super::ayiya::{self, AyiyaHeader};
use super::capwap::{self, CapwapHeader, CapwapPayload};
use super::erspan::{ErspanType2, ErspanType3};
use super::ethernet::{ethertype, EthernetFrame, VlanTag};
use super::fabricpath::{self, FabricPathHeader};
use super::gre::GreHeader;
use super::gtp::{self, GtpV1Header};
use super::icmp::IcmpHeader;
use super::ieee80211::{AmsduSubframe, Ieee80211Header};
use super::ipv4::Ipv4Packet;
use super::ipv6::{self, Ipv6ExtHeader, Ipv6FragHeader, Ipv6Packet};
use super::llc::{self, SnapHeader};
use super::loopback::{self, Family, LoopbackHeader};
use super::mpls::{self, MplsEntry};
use super::pbb::{self, PbbItag};
use super::ppp::{self, CiscoHdlcHeader, PppHeader, PppoeHeader};
use super::radiotap::RadiotapHeader;
use super::sctp::SctpHeader;
use super::sll::{self, Sll2Header, SllHeader};
use super::tcp::TcpHeader;
use super::udp::UdpHeader;
use super::vntag::{self, VnTag};
use super::vxlan::{self, VxlanHeader};
use super::{ip_proto, nflog, teredo, DecodeError, DecodeOptions, Layer};
use crate::decode::{linktype, Fragment, PacketMeta};

/// LINKTYPE_PPP (not in `decode::linktype`).
pub const LINKTYPE_PPP: u32 = 9;
/// LINKTYPE_C_HDLC, Cisco HDLC (not in `decode::linktype`).
pub const LINKTYPE_C_HDLC: u32 = 104;
/// LINKTYPE_IEEE802_11, 802.11 frames without radio header (not in `decode::linktype`).
pub const LINKTYPE_IEEE802_11: u32 = 105;
/// LINKTYPE_IEEE802_11_RADIOTAP, 802.11 frames behind a radiotap header.
pub const LINKTYPE_IEEE802_11_RADIOTAP: u32 = 127;
/// LINKTYPE_NFLOG, Linux netfilter log messages carrying IP packets.
pub const LINKTYPE_NFLOG: u32 = 239;

/// VLAN tags followed after one Ethernet header; one more is `(TooDeep, Vlan)`.
pub const MAX_VLAN_TAGS: usize = 4;
/// MPLS label stack entries followed; a longer stack is `(TooDeep, Link)`.
pub const MAX_MPLS_LABELS: usize = 16;
/// Ethernet frames nested in MPLS pseudowires or PBB within one link walk.
pub const MAX_LINK_NESTING: usize = 4;
/// IPv6 extension headers followed; one more is `(BadExtensionHeader, Ipv6Ext)`.
pub const MAX_IPV6_EXT_HEADERS: usize = 8;
/// Tunnels opened; one more is `(TooDeep, Link)`.
pub const MAX_TUNNEL_DEPTH: u8 = 4;

type Stop = (DecodeError, Layer);

#[inline(always)]
fn at(layer: Layer) -> impl Fn(DecodeError) -> Stop {
    move |e| (e, layer)
}

/// The captured bytes from `off` on (empty past the end).
#[inline(always)]
fn tail(frame: &[u8], off: usize) -> &[u8] {
    frame.get(off..).unwrap_or(&[])
}

/// Where the network layer starts and what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Net {
    V4(usize),
    V6(usize),
    /// Raw IP: the version nibble decides.
    ByVersion(usize),
}

/// What a tunnel carries, and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Inner {
    Net(Net),
    /// An Ethernet frame; the u16 is a VLAN id announced by the encapsulation (ERSPAN), 0 = none.
    Ether(usize, u16),
    /// A payload of the given EtherType (GRE protocol type).
    EtherType(u16, usize),
    /// A PPP frame (PPTP GRE).
    Ppp(usize),
    /// An 802.11 frame (Aruba GRE, CAPWAP); the bool: its frame control bytes are swapped.
    Wlan(usize, bool),
}

impl Inner {
    /// Offset of the encapsulated packet's first byte.
    fn start(&self) -> usize {
        match *self {
            Inner::Net(Net::V4(o)) | Inner::Net(Net::V6(o)) | Inner::Net(Net::ByVersion(o)) => o,
            Inner::Ether(o, _) | Inner::EtherType(_, o) | Inner::Ppp(o) | Inner::Wlan(o, _) => o,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Tunnel {
    inner: Inner,
    /// Where Suricata's tunnel pseudo-packet starts (for ERSPAN: before the ERSPAN header).
    start: usize,
    /// End of the encapsulating payload: the inner packet never reads past it.
    end: usize,
}

/// VLAN ids in order of appearance; the first two are kept.
#[derive(Debug, Clone, Copy, Default)]
struct Vlans {
    ids: [u16; 2],
    n: u8,
}

impl Vlans {
    #[inline]
    fn push(&mut self, vid: u16) {
        if let Some(slot) = self.ids.get_mut(self.n as usize) {
            *slot = vid;
        }
        self.n = self.n.saturating_add(1);
    }
}

/// See the module documentation and [`crate::decode`].
pub fn decode_frame(linktype: u32, frame: &[u8], meta: &mut PacketMeta) {
    decode_frame_with(linktype, frame, meta, MAX_TUNNEL_DEPTH, DecodeOptions::default())
}

/// As [`decode_frame`], opening at most `max_depth` tunnels; past `max_depth` (below the hard
/// limit) the tunnel packet is described as it is, without a stop reason.
pub fn decode_frame_limited(linktype: u32, frame: &[u8], meta: &mut PacketMeta, max_depth: u8) {
    decode_frame_with(linktype, frame, meta, max_depth, DecodeOptions::default())
}

/// As [`decode_frame_limited`], with the choices of `opts`.
pub fn decode_frame_with(linktype: u32, frame: &[u8], meta: &mut PacketMeta, max_depth: u8, opts: DecodeOptions) {
    *meta = PacketMeta::default();
    // Offsets are reported as u32: never look past 4 GiB (no real frame is that long).
    let frame = frame.get(..u32::MAX as usize).unwrap_or(frame);
    meta.caplen = frame.len() as u32;

    let mut vl = Vlans::default();
    let link = link(linktype, frame, &mut vl);
    meta.vlan = vl.ids;
    let mut next = match link.and_then(|net| network(frame, net, meta, opts)) {
        Ok(n) => n,
        Err(s) => {
            meta.stop = Some(s);
            return;
        }
    };

    let mut depth = 0u8;
    while let Some(t) = next {
        if depth >= max_depth && max_depth < MAX_TUNNEL_DEPTH {
            return;
        }
        if depth >= MAX_TUNNEL_DEPTH {
            meta.stop = Some((DecodeError::TooDeep, Layer::Link));
            return;
        }
        depth += 1;
        let sub = frame.get(..t.end).unwrap_or(frame);
        let mut inner = *meta;
        inner.ip_version = 0;
        let mut ivl = vl;
        let res = inner_net(sub, t.inner, &mut ivl).and_then(|net| network(sub, net, &mut inner, opts));
        if inner.ip_version != 0 {
            // The inner IP header is valid: it is now the packet described.
            inner.vlan = ivl.ids;
            inner.tunnel_depth = depth;
            inner.inner_off = t.start as u32;
            inner.inner_end = t.end.min(frame.len()) as u32;
            *meta = inner;
            vl = ivl;
        }
        next = match res {
            Ok(n) => n,
            Err(s) => {
                meta.stop = Some(s);
                return;
            }
        };
    }
}

// ---- link layer -----------------------------------------------------------------------------

fn link(linktype: u32, frame: &[u8], vl: &mut Vlans) -> Result<Net, Stop> {
    match linktype {
        linktype::ETHERNET => ethernet(frame, 0, vl),
        // Raw IP, whatever the link type says about the version: the version nibble decides.
        linktype::RAW | linktype::RAW_ALT_12 | linktype::RAW_ALT_14 | linktype::IPV4 | linktype::IPV6 => {
            Ok(Net::ByVersion(0))
        }
        linktype::NULL | linktype::LOOP => {
            let h = LoopbackHeader::new_checked(frame).map_err(at(Layer::Link))?;
            let af = if linktype == linktype::NULL { h.family_host_order() } else { h.family_network_order() };
            match loopback::classify(af) {
                Family::Ipv4 => Ok(Net::V4(loopback::HEADER_LEN)),
                Family::Ipv6 => Ok(Net::V6(loopback::HEADER_LEN)),
                Family::Other => Err((DecodeError::NotIp, Layer::Link)),
            }
        }
        linktype::LINUX_SLL => {
            let h = SllHeader::new_checked(frame).map_err(at(Layer::Link))?;
            if h.hatype() == sll::ARPHRD_NETLINK {
                return Err((DecodeError::NotIp, Layer::Link));
            }
            ethertype_chain(frame, h.protocol(), sll::SLL_HEADER_LEN, vl)
        }
        linktype::LINUX_SLL2 => {
            let h = Sll2Header::new_checked(frame).map_err(at(Layer::Link))?;
            if h.hatype() == sll::ARPHRD_NETLINK {
                return Err((DecodeError::NotIp, Layer::Link));
            }
            ethertype_chain(frame, h.protocol(), sll::SLL2_HEADER_LEN, vl)
        }
        LINKTYPE_PPP => ppp_frame(frame, 0),
        LINKTYPE_C_HDLC => {
            let h = CiscoHdlcHeader::new_checked(frame).map_err(at(Layer::Link))?;
            ethertype_chain(frame, h.protocol(), ppp::CHDLC_HEADER_LEN, vl)
        }
        LINKTYPE_IEEE802_11 => wlan(frame, 0, vl, false),
        LINKTYPE_IEEE802_11_RADIOTAP => {
            let h = RadiotapHeader::new_checked(frame).map_err(at(Layer::Link))?;
            wlan(frame, h.header_len(), vl, false)
        }
        LINKTYPE_NFLOG => {
            let p = nflog::payload(frame).map_err(at(Layer::Link))?;
            match p.family {
                nflog::AF_INET => Ok(Net::V4(p.offset)),
                nflog::AF_INET6 => Ok(Net::V6(p.offset)),
                _ => Err((DecodeError::NotIp, Layer::Link)),
            }
        }
        _ => Err((DecodeError::UnsupportedLinkType, Layer::Link)),
    }
}

#[inline]
fn ethernet(frame: &[u8], off: usize, vl: &mut Vlans) -> Result<Net, Stop> {
    let e = EthernetFrame::new_checked(tail(frame, off)).map_err(at(Layer::Link))?;
    if e.ethertype() == fabricpath::ETHERTYPE {
        // Cisco FabricPath: the outer header, then a classic Ethernet frame (Zeek skips it).
        FabricPathHeader::new_checked(tail(frame, off)).map_err(at(Layer::Link))?;
        let off = off + FabricPathHeader::HEADER_LEN;
        let e = EthernetFrame::new_checked(tail(frame, off)).map_err(at(Layer::Link))?;
        return ethertype_chain(frame, e.ethertype(), off + EthernetFrame::HEADER_LEN, vl);
    }
    ethertype_chain(frame, e.ethertype(), off + EthernetFrame::HEADER_LEN, vl)
}

/// An 802.11 frame at `off`: a data frame with a payload, unprotected, whose LLC/SNAP header
/// carries an EtherType. Of an A-MSDU only the first subframe is described. `fc_swapped`: the
/// frame control bytes are in swapped order.
fn wlan(frame: &[u8], off: usize, vl: &mut Vlans, fc_swapped: bool) -> Result<Net, Stop> {
    let h = Ieee80211Header::new_checked_fc(tail(frame, off), fc_swapped).map_err(at(Layer::Link))?;
    if !h.carries_data() || h.protected() {
        return Err((DecodeError::NotIp, Layer::Link));
    }
    let mut off = off + h.header_len();
    if h.is_amsdu() {
        AmsduSubframe::new_checked(tail(frame, off)).map_err(at(Layer::Link))?;
        off += AmsduSubframe::HEADER_LEN;
    }
    let s = SnapHeader::new_checked(tail(frame, off)).map_err(at(Layer::Link))?;
    if !s.is_rfc1042() {
        return Err((DecodeError::NotIp, Layer::Link));
    }
    ethertype_chain(frame, s.protocol(), off + SnapHeader::HEADER_LEN, vl)
}

/// Follow an EtherType at `off`: VLAN tags, VN-Tags, MPLS (and Ethernet pseudowires), PBB,
/// PPPoE, 802.3 length fields with LLC/SNAP, up to IP.
fn ethertype_chain(frame: &[u8], ty: u16, off: usize, vl: &mut Vlans) -> Result<Net, Stop> {
    let (mut ty, mut off) = (ty, off);
    let mut tags = 0usize;
    let mut nested = 0usize;
    loop {
        match ty {
            ethertype::IPV4 => return Ok(Net::V4(off)),
            ethertype::IPV6 => return Ok(Net::V6(off)),
            ethertype::VLAN | ethertype::QINQ | ethertype::QINQ_9100 => {
                if tags >= MAX_VLAN_TAGS {
                    return Err((DecodeError::TooDeep, Layer::Vlan));
                }
                let t = VlanTag::new_checked(tail(frame, off)).map_err(at(Layer::Vlan))?;
                vl.push(t.vid());
                tags += 1;
                ty = t.ethertype();
                off += VlanTag::HEADER_LEN;
            }
            ethertype::MPLS_UNICAST | ethertype::MPLS_MULTICAST => match mpls_stack(frame, off)? {
                MplsNext::Net(n) => return Ok(n),
                MplsNext::Ethernet(eoff) => {
                    nested += 1;
                    if nested > MAX_LINK_NESTING {
                        return Err((DecodeError::TooDeep, Layer::Link));
                    }
                    let e = EthernetFrame::new_checked(tail(frame, eoff)).map_err(at(Layer::Link))?;
                    ty = e.ethertype();
                    off = eoff + EthernetFrame::HEADER_LEN;
                    tags = 0;
                }
            },
            ethertype::PPPOE_SESSION => {
                PppoeHeader::new_checked(tail(frame, off)).map_err(at(Layer::Link))?;
                return ppp_frame(frame, off + PppoeHeader::HEADER_LEN);
            }
            vntag::ETHERTYPE => {
                // Counted with the VLAN tags: each one is 6 bytes further in.
                if tags >= MAX_VLAN_TAGS {
                    return Err((DecodeError::TooDeep, Layer::Vlan));
                }
                let t = VnTag::new_checked(tail(frame, off)).map_err(at(Layer::Link))?;
                tags += 1;
                ty = t.ethertype();
                off += VnTag::HEADER_LEN;
            }
            pbb::ETHERTYPE => {
                // I-TAG, then the customer's Ethernet frame.
                nested += 1;
                if nested > MAX_LINK_NESTING {
                    return Err((DecodeError::TooDeep, Layer::Link));
                }
                PbbItag::new_checked(tail(frame, off)).map_err(at(Layer::Link))?;
                let eoff = off + PbbItag::HEADER_LEN;
                let e = EthernetFrame::new_checked(tail(frame, eoff)).map_err(at(Layer::Link))?;
                ty = e.ethertype();
                off = eoff + EthernetFrame::HEADER_LEN;
                tags = 0;
            }
            len if len <= llc::MAX_8023_LENGTH => {
                // An 802.3 length field: an 802.2 LLC header follows. Only SNAP with organisation
                // code 0 (RFC 1042) names an EtherType, as in Zeek's SNAP analyzer (counted with
                // the nested frames; a SNAP naming another length is not followed).
                nested += 1;
                if nested > MAX_LINK_NESTING {
                    return Err((DecodeError::TooDeep, Layer::Link));
                }
                let s = SnapHeader::new_checked(tail(frame, off)).map_err(at(Layer::Link))?;
                if !s.is_rfc1042() || s.protocol() <= llc::MAX_8023_LENGTH {
                    return Err((DecodeError::NotIp, Layer::Link));
                }
                ty = s.protocol();
                off += SnapHeader::HEADER_LEN;
            }
            // 802.3 lengths 1501-1535 (undefined), ARP, LLDP, PPPoE discovery, ...
            _ => return Err((DecodeError::NotIp, Layer::Link)),
        }
    }
}

enum MplsNext {
    Net(Net),
    /// An Ethernet frame after the pseudowire control word.
    Ethernet(usize),
}

/// Pop labels to the bottom of the stack, then guess the payload by its first nibble as
/// Suricata does: 4 IPv4, 6 IPv6, 0 a pseudowire control word followed by Ethernet.
fn mpls_stack(frame: &[u8], off: usize) -> Result<MplsNext, Stop> {
    let mut off = off;
    for _ in 0..MAX_MPLS_LABELS {
        let e = MplsEntry::new_checked(tail(frame, off)).map_err(at(Layer::Link))?;
        off += MplsEntry::HEADER_LEN;
        if e.bottom_of_stack() {
            let first = match frame.get(off) {
                Some(&b) => b,
                None => return Err((DecodeError::Truncated, Layer::Link)),
            };
            return match first >> 4 {
                4 => Ok(MplsNext::Net(Net::V4(off))),
                6 => Ok(MplsNext::Net(Net::V6(off))),
                0 => Ok(MplsNext::Ethernet(off + mpls::PW_CONTROL_WORD_LEN)),
                _ => Err((DecodeError::NotIp, Layer::Link)),
            };
        }
    }
    Err((DecodeError::TooDeep, Layer::Link))
}

/// A PPP frame at `off` (optional address/control, protocol).
#[inline]
fn ppp_frame(frame: &[u8], off: usize) -> Result<Net, Stop> {
    let h = PppHeader::new_checked(tail(frame, off)).map_err(at(Layer::Link))?;
    let off = off + h.header_len();
    match h.protocol() {
        ppp::protocol::IPV4 => Ok(Net::V4(off)),
        ppp::protocol::IPV6 => Ok(Net::V6(off)),
        _ => Err((DecodeError::NotIp, Layer::Link)),
    }
}

// ---- network layer --------------------------------------------------------------------------

/// Decode the IP packet at `net` and its transport header into `meta`; return the tunnel it
/// carries, if any.
#[inline]
fn network(frame: &[u8], net: Net, meta: &mut PacketMeta, opts: DecodeOptions) -> Result<Option<Tunnel>, Stop> {
    match net {
        Net::V4(off) => ipv4(frame, off, meta, opts),
        Net::V6(off) => ipv6(frame, off, meta, opts),
        Net::ByVersion(off) => match frame.get(off) {
            Some(b) if b >> 4 == 4 => ipv4(frame, off, meta, opts),
            Some(b) if b >> 4 == 6 => ipv6(frame, off, meta, opts),
            Some(_) => Err((DecodeError::BadIpVersion, Layer::Link)),
            None => Err((DecodeError::Truncated, Layer::Link)),
        },
    }
}

/// Record a valid IP header; clears everything a previous (outer) header left at the transport
/// layer.
#[inline(always)]
fn commit_ip(meta: &mut PacketMeta, version: u8, src: [u8; 16], dst: [u8; 16], proto: u8, ip_len: u32) {
    meta.ip_version = version;
    meta.src = src;
    meta.dst = dst;
    meta.proto = proto;
    meta.ip_len = ip_len;
    meta.fragment = None;
    meta.l4_ok = false;
    meta.src_port = 0;
    meta.dst_port = 0;
    meta.tcp_flags = 0;
    meta.tcp_seq = 0;
    meta.tcp_ack = 0;
    meta.payload_off = 0;
    meta.payload_len = 0;
}

#[inline(always)]
fn v4_in_16(a: [u8; 4]) -> [u8; 16] {
    [a[0], a[1], a[2], a[3], 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
}

fn ipv4(frame: &[u8], off: usize, meta: &mut PacketMeta, opts: DecodeOptions) -> Result<Option<Tunnel>, Stop> {
    let ip = Ipv4Packet::new_checked(tail(frame, off)).map_err(at(Layer::Ipv4))?;
    let proto = ip.protocol();
    commit_ip(meta, 4, v4_in_16(ip.src_addr()), v4_in_16(ip.dst_addr()), proto, ip.total_len() as u32);
    let start = off + ip.header_len();
    let end = off + ip.payload_end();
    if ip.is_fragment() {
        let offset = ip.frag_offset();
        meta.fragment = Some(Fragment { id: ip.ident() as u32, offset, more: ip.more_frags() });
        if offset > 0 {
            return Err((DecodeError::Fragment, Layer::Ipv4));
        }
    }
    transport(frame, proto, start, end, meta)?;
    if meta.fragment.is_some() {
        return Ok(None);
    }
    tunnel(frame, proto, start, end, meta, opts)
}

fn ipv6(frame: &[u8], off: usize, meta: &mut PacketMeta, opts: DecodeOptions) -> Result<Option<Tunnel>, Stop> {
    let ip = Ipv6Packet::new_checked(tail(frame, off)).map_err(at(Layer::Ipv6))?;
    let mut nh = ip.next_header();
    commit_ip(meta, 6, ip.src_addr(), ip.dst_addr(), nh, ip.total_len());
    let stated_end = off + ip.total_len() as usize;
    let end = off + ip.payload_end();
    let mut start = off + ipv6::HEADER_LEN;
    let mut count = 0usize;
    while ipv6::is_extension_header(nh) {
        if count >= MAX_IPV6_EXT_HEADERS {
            return Err((DecodeError::BadExtensionHeader, Layer::Ipv6Ext));
        }
        count += 1;
        let avail = frame.get(start..end).unwrap_or(&[]);
        let ext = match Ipv6ExtHeader::new_checked(nh, avail) {
            Ok(e) => e,
            // Cut by the capture, or running past the stated payload length.
            Err(_) if end < stated_end => return Err((DecodeError::Truncated, Layer::Ipv6Ext)),
            Err(_) => return Err((DecodeError::BadExtensionHeader, Layer::Ipv6Ext)),
        };
        if nh == ip_proto::FRAGMENT {
            let f = Ipv6FragHeader::new_checked(avail).map_err(at(Layer::Ipv6Ext))?;
            nh = f.next_header();
            meta.proto = nh;
            meta.fragment = Some(Fragment { id: f.ident(), offset: f.frag_offset(), more: f.more_frags() });
            if f.frag_offset() > 0 {
                return Err((DecodeError::Fragment, Layer::Ipv6Ext));
            }
        } else {
            nh = ext.next_header();
            meta.proto = nh;
        }
        start += ext.header_len();
    }
    transport(frame, nh, start, end, meta)?;
    if let Some(f) = meta.fragment {
        if f.more {
            return Ok(None);
        }
    }
    tunnel(frame, nh, start, end, meta, opts)
}

// ---- transport layer ------------------------------------------------------------------------

/// Decode the transport header of protocol `proto` in `frame[start..end]` (the IP payload as
/// captured); `end` never exceeds the frame, so neither does payload_off + payload_len.
fn transport(frame: &[u8], proto: u8, start: usize, end: usize, meta: &mut PacketMeta) -> Result<(), Stop> {
    let seg = frame.get(start..end).unwrap_or(&[]);
    let (hl, payload_len) = match proto {
        ip_proto::TCP => {
            let t = TcpHeader::new_checked(seg).map_err(at(Layer::Tcp))?;
            meta.src_port = t.src_port();
            meta.dst_port = t.dst_port();
            meta.tcp_flags = t.flags();
            meta.tcp_seq = t.seq_number();
            meta.tcp_ack = t.ack_number();
            let hl = t.header_len();
            (hl, seg.len().saturating_sub(hl))
        }
        ip_proto::UDP => {
            let u = UdpHeader::new_checked(seg).map_err(at(Layer::Udp))?;
            meta.src_port = u.src_port();
            meta.dst_port = u.dst_port();
            (UdpHeader::HEADER_LEN, u.payload_len())
        }
        ip_proto::ICMP | ip_proto::ICMPV6 => {
            let layer = if proto == ip_proto::ICMP { Layer::Icmp } else { Layer::Icmpv6 };
            let h = IcmpHeader::new_checked(seg).map_err(at(layer))?;
            meta.src_port = h.msg_type() as u16;
            meta.dst_port = h.msg_code() as u16;
            let hl = h.payload_offset();
            (hl, seg.len().saturating_sub(hl))
        }
        ip_proto::SCTP => {
            let s = SctpHeader::new_checked(seg).map_err(at(Layer::Sctp))?;
            meta.src_port = s.src_port();
            meta.dst_port = s.dst_port();
            (SctpHeader::HEADER_LEN, seg.len().saturating_sub(SctpHeader::HEADER_LEN))
        }
        // GRE, ESP, AH (IPv4), OSPF, No Next Header, ...: no ports; the payload is all of it.
        _ => (0, seg.len()),
    };
    meta.payload_off = (start + hl) as u32;
    meta.payload_len = payload_len as u32;
    meta.l4_ok = true;
    Ok(())
}

// ---- tunnels --------------------------------------------------------------------------------

/// The tunnel carried by a whole (unfragmented) IP packet whose transport decoded, if any.
#[inline]
fn tunnel(
    frame: &[u8],
    proto: u8,
    start: usize,
    end: usize,
    meta: &PacketMeta,
    opts: DecodeOptions,
) -> Result<Option<Tunnel>, Stop> {
    let inner = match proto {
        ip_proto::IPIP => Inner::Net(Net::V4(start)),
        ip_proto::IPV6 => Inner::Net(Net::V6(start)),
        ip_proto::GRE => match gre(frame, start, end)? {
            Some((i, payload)) => return Ok(Some(Tunnel { inner: i, start: payload, end })),
            None => return Ok(None),
        },
        ip_proto::UDP => return Ok(udp_tunnel(frame, start, meta, opts)),
        _ => return Ok(None),
    };
    Ok(Some(Tunnel { inner, start: inner.start(), end }))
}

/// The UDP tunnels, by port (either side, as a server port): GENEVE 6081 (destination only),
/// Teredo 3544, VXLAN 4789, GTP-U 2152, AYIYA 5072, GRE 4754 and CAPWAP data 5247 (as nDPI's
/// reader); each whose port matches is tried in that order. With
/// [`DecodeOptions::detect_udp_tunnels`], when no port matches, the payload is tested for Teredo
/// and AYIYA by content, as Zeek does.
#[inline]
fn udp_tunnel(frame: &[u8], start: usize, meta: &PacketMeta, opts: DecodeOptions) -> Option<Tunnel> {
    let (sp, dp) = (meta.src_port, meta.dst_port);
    let port = |p: u16| sp == p || dp == p;
    let off = meta.payload_off as usize;
    let end = off + meta.payload_len as usize;
    let payload = frame.get(off..end)?;
    let stated = || match UdpHeader::new_checked(tail(frame, start)) {
        Ok(u) => (u.len() as usize).saturating_sub(UdpHeader::HEADER_LEN),
        Err(_) => 0,
    };
    let teredo = || teredo::ipv6_offset(payload, stated()).map(|o| Inner::Net(Net::V6(off + o)));
    let found = |inner: Inner| Some(Tunnel { inner, start: inner.start(), end });
    let mut known_port = false;
    if dp == GENEVE_PORT {
        // Destination port only, as Suricata (RFC 8926: the destination port is 6081).
        known_port = true;
        if let Some(i) = geneve_inner(payload, off) {
            return found(i);
        }
    }
    if port(teredo::PORT) {
        known_port = true;
        if let Some(i) = teredo() {
            return found(i);
        }
    }
    if port(vxlan::PORT) {
        known_port = true;
        if let Some(o) = vxlan_inner(payload) {
            return found(Inner::Ether(off + o, 0));
        }
    }
    if port(gtp::PORT) {
        known_port = true;
        if let Some(o) = gtp_inner(payload) {
            return found(Inner::Net(Net::ByVersion(off + o)));
        }
    }
    if port(ayiya::PORT) {
        known_port = true;
        if let Some(i) = ayiya_inner(payload, off) {
            return found(i);
        }
    }
    if port(GRE_UDP_PORT) {
        known_port = true;
        if let Ok(Some((i, payload_off))) = gre(frame, off, end) {
            return Some(Tunnel { inner: i, start: payload_off, end });
        }
    }
    if port(capwap::DATA_PORT) {
        known_port = true;
        if let Some(i) = capwap_inner(payload, off) {
            return found(i);
        }
    }
    if known_port || !opts.detect_udp_tunnels {
        return None;
    }
    if teredo::looks_like_teredo(payload) {
        return teredo().and_then(found);
    }
    if ayiya::looks_like_ayiya(payload) {
        return ayiya_inner(payload, off).and_then(found);
    }
    None
}

/// The frame inside a CAPWAP data packet (at `off` in the frame): an 802.11 frame (its frame
/// control possibly byte-swapped) or an Ethernet frame.
#[inline]
fn capwap_inner(payload: &[u8], off: usize) -> Option<Inner> {
    let h = CapwapHeader::new_checked(payload).ok()?;
    let o = h.header_len();
    let frame = payload.get(o..)?;
    match h.payload()? {
        CapwapPayload::Ieee80211 => Some(Inner::Wlan(off + o, capwap::frame_control_swapped(frame))),
        CapwapPayload::Ethernet if frame.len() >= EthernetFrame::HEADER_LEN => Some(Inner::Ether(off + o, 0)),
        CapwapPayload::Ethernet => None,
    }
}

/// GRE in UDP (RFC 8086) on its IANA port, which Zeek decodes.
const GRE_UDP_PORT: u16 = 4754;

/// Offset of the Ethernet frame inside a VXLAN payload.
#[inline]
fn vxlan_inner(payload: &[u8]) -> Option<usize> {
    if payload.len() < VxlanHeader::HEADER_LEN + EthernetFrame::HEADER_LEN {
        return None;
    }
    match VxlanHeader::new_checked(payload) {
        Ok(v) if v.looks_valid() => Some(VxlanHeader::HEADER_LEN),
        _ => None,
    }
}

/// Offset of the IP packet inside a GTP-U payload: a GTPv1 T-PDU carrying IPv4 or IPv6.
#[inline]
fn gtp_inner(payload: &[u8]) -> Option<usize> {
    let g = GtpV1Header::new_checked(payload).ok()?;
    if !g.is_tpdu() {
        return None;
    }
    let o = g.header_len();
    match payload.get(o) {
        Some(&b) if b >> 4 == 4 || b >> 4 == 6 => Some(o),
        _ => None,
    }
}

/// The IP packet inside an AYIYA payload (at `off` in the frame): a forwarded IPv4 or IPv6
/// packet.
#[inline]
fn ayiya_inner(payload: &[u8], off: usize) -> Option<Inner> {
    let h = AyiyaHeader::new_checked(payload).ok()?;
    if h.opcode() != ayiya::OP_FORWARD || payload.len() <= h.header_len() {
        return None;
    }
    let o = off + h.header_len();
    match h.next_header() {
        ip_proto::IPIP => Some(Inner::Net(Net::V4(o))),
        ip_proto::IPV6 => Some(Inner::Net(Net::V6(o))),
        _ => None,
    }
}

/// GENEVE (RFC 8926) on its IANA port.
const GENEVE_PORT: u16 = 6081;
const GENEVE_PROTO_ETHERNET: u16 = 0x6558;

/// What a GENEVE payload (at `off` in the frame) carries: version 0, protocol type Ethernet,
/// IPv4 or IPv6, after the 8-byte base header and `opt_len` 4-byte words of options.
fn geneve_inner(payload: &[u8], off: usize) -> Option<Inner> {
    let h = payload.get(..8)?;
    if h[0] >> 6 != 0 {
        return None;
    }
    let len = 8 + ((h[0] & 0x3f) as usize) * 4;
    let o = off + len;
    match u16::from_be_bytes([h[2], h[3]]) {
        GENEVE_PROTO_ETHERNET if payload.len() >= len + EthernetFrame::HEADER_LEN => Some(Inner::Ether(o, 0)),
        ethertype::IPV4 if payload.len() > len => Some(Inner::Net(Net::V4(o))),
        ethertype::IPV6 if payload.len() > len => Some(Inner::Net(Net::V6(o))),
        _ => None,
    }
}

/// Open a GRE header in `frame[start..end]`: what it carries and where its payload starts.
/// `Ok(None)`: a GRE variant or payload Suricata does not follow either (the GRE packet itself
/// stays the flow).
fn gre(frame: &[u8], start: usize, end: usize) -> Result<Option<(Inner, usize)>, Stop> {
    let buf = frame.get(start..end).unwrap_or(&[]);
    let g = GreHeader::new_checked(buf).map_err(at(Layer::Link))?;
    if !g.is_supported() {
        return Ok(None);
    }
    let off = start + g.header_len();
    let inner = match g.protocol() {
        ethertype::TEB => Inner::Ether(off, 0),
        ethertype::ERSPAN_II if !g.sequence_present() => Inner::Ether(off, 0), // type I
        ethertype::ERSPAN_II => {
            let e = ErspanType2::new_checked(tail(buf, g.header_len())).map_err(at(Layer::Link))?;
            if e.version() != 1 {
                return Ok(None);
            }
            Inner::Ether(off + ErspanType2::HEADER_LEN, e.vlan())
        }
        ethertype::ERSPAN_III => {
            let e = ErspanType3::new_checked(tail(buf, g.header_len())).map_err(at(Layer::Link))?;
            if e.version() != 2 || e.frame_type() != 0 {
                return Ok(None);
            }
            Inner::Ether(off + e.header_len(), e.vlan())
        }
        ethertype::PPP => {
            // PPTP: a key whose payload length is zero is an acknowledgment without data.
            if g.version() == 1 && g.key().map_or(0, |k| k >> 16) == 0 {
                return Ok(None);
            }
            Inner::Ppp(off)
        }
        p if is_aruba_wlan(p) => Inner::Wlan(off, false),
        ethertype::IPV4
        | ethertype::IPV6
        | ethertype::VLAN
        | ethertype::QINQ
        | ethertype::QINQ_9100
        | ethertype::MPLS_UNICAST
        | ethertype::MPLS_MULTICAST => Inner::EtherType(g.protocol(), off),
        _ => return Ok(None),
    };
    Ok(Some((inner, off)))
}

/// Aruba's GRE protocol types for 802.11 frames (0x8200 to 0x8370 in steps of 0x10), as Zeek
/// registers them.
#[inline]
fn is_aruba_wlan(p: u16) -> bool {
    (0x8200..=0x8370).contains(&p) && p & 0x000f == 0
}

/// Resolve what a tunnel carries to its IP header.
fn inner_net(frame: &[u8], inner: Inner, vl: &mut Vlans) -> Result<Net, Stop> {
    match inner {
        Inner::Net(n) => Ok(n),
        Inner::Ether(off, vid) => {
            if vid != 0 {
                vl.push(vid);
            }
            ethernet(frame, off, vl)
        }
        Inner::EtherType(ty, off) => ethertype_chain(frame, ty, off, vl),
        Inner::Ppp(off) => ppp_frame(frame, off),
        Inner::Wlan(off, swapped) => wlan(frame, off, vl, swapped),
    }
}
