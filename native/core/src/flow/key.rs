//! Flow keys: the direction-free identity of a flow (Suricata's `FlowHashKey4/6` + compare).
//!
//! Endpoints are stored ordered (lower (addr, port) first) so both directions of a flow give
//! the same key. What counts as "ports" follows Suricata (`src/flow-hash.c`):
//! - TCP, UDP, SCTP: the transport ports;
//! - ICMPv4 queries: (type, counterpart type or 0); codes are ignored;
//! - ICMPv6: (type << 8 | code, counterpart type << 8 or 0);
//! - anything else: no ports (all traffic of that protocol between two hosts is one flow).
//! ICMPv4 destination-unreachable messages that quote a TCP/UDP header belong to the quoted
//! flow (they never create one); other ICMPv4 error messages are not flow-tracked.

use crate::decode::PacketMeta;
use crate::hash::{addr_words, hash_words};

pub const PROTO_ICMP: u8 = 1;
pub const PROTO_TCP: u8 = 6;
pub const PROTO_UDP: u8 = 17;
pub const PROTO_ICMPV6: u8 = 58;
pub const PROTO_SCTP: u8 = 132;
pub const PROTO_ESP: u8 = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FlowKey {
    pub lo_addr: [u8; 16],
    pub hi_addr: [u8; 16],
    pub lo_port: u16,
    pub hi_port: u16,
    pub proto: u8,
    pub ip_version: u8,
    pub vlan: [u16; 2],
    /// Tunnel depth of the packet (Suricata's recursion level, part of the key by default).
    pub recursion: u8,
}

impl FlowKey {
    /// Build an ordered key from one directional endpoint pair; also says whether the given
    /// source is the key's `lo` endpoint.
    pub fn new(ip_version: u8, proto: u8, src: [u8; 16], sport: u16, dst: [u8; 16], dport: u16, vlan: [u16; 2]) -> (FlowKey, bool) {
        if (src, sport) <= (dst, dport) {
            (FlowKey { lo_addr: src, hi_addr: dst, lo_port: sport, hi_port: dport, proto, ip_version, vlan, recursion: 0 }, true)
        } else {
            (FlowKey { lo_addr: dst, hi_addr: src, lo_port: dport, hi_port: sport, proto, ip_version, vlan, recursion: 0 }, false)
        }
    }

    /// Seeded hash of the key; equal keys give equal hashes.
    #[inline]
    pub fn hash(&self, seed: u64) -> u64 {
        let (a0, a1) = addr_words(&self.lo_addr);
        let (b0, b1) = addr_words(&self.hi_addr);
        let tail = (self.lo_port as u64)
            | ((self.hi_port as u64) << 16)
            | ((self.proto as u64) << 32)
            | ((self.ip_version as u64) << 40)
            | ((self.recursion as u64) << 48);
        let vl = (self.vlan[0] as u64) | ((self.vlan[1] as u64) << 16);
        hash_words(seed, &[a0, a1, b0, b1, tail, vl])
    }
}

/// How a packet relates to flows, after looking at its headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyOutcome {
    /// A normal packet of the flow with this key; it may create the flow. The bool says the
    /// packet's source is the key's `lo` endpoint.
    Track(FlowKey, bool),
    /// An ICMP error quoting the first flow: counted to it if it exists, else (when ICMP error
    /// flows are enabled) to its own one-way ICMP flow, the second key (its source is `lo` when
    /// the bool says so).
    AttachOnly(FlowKey, FlowKey, bool),
    /// Not flow-tracked, with the reason (a stats counter).
    Untracked(Untracked),
    /// An ICMPv4 error that quotes no flow: Suricata tracks none; we may track its own flow.
    IcmpError(FlowKey, bool),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Untracked {
    /// No valid IP header (ARP, truncated, unsupported link, ...).
    NoIp = 0,
    /// IP header fine but the TCP/UDP/SCTP/ICMP header is missing or invalid.
    BadTransport = 1,
    /// ICMPv4 error message that quotes no trackable flow (ICMP error flows disabled).
    IcmpError = 2,
    /// ICMP error quoting a flow we do not have.
    IcmpErrorNoFlow = 3,
    /// Emergency mode with syn-only creation: a TCP non-SYN packet for an unknown flow.
    EmergencyNoSyn = 4,
}

impl Untracked {
    pub const COUNT: usize = 5;
    pub fn as_str(self) -> &'static str {
        match self {
            Untracked::NoIp => "no_ip",
            Untracked::BadTransport => "bad_transport",
            Untracked::IcmpError => "icmp_error",
            Untracked::IcmpErrorNoFlow => "icmp_error_no_flow",
            Untracked::EmergencyNoSyn => "emergency_no_syn",
        }
    }
}

/// ICMPv4 counterpart types (Suricata `ICMPv4GetCounterpart`).
pub fn icmpv4_counterpart(t: u8) -> Option<u8> {
    match t {
        8 => Some(0),
        0 => Some(8),
        13 => Some(14),
        14 => Some(13),
        15 => Some(16),
        16 => Some(15),
        10 => Some(9),
        9 => Some(10),
        17 => Some(18),
        18 => Some(17),
        _ => None,
    }
}

/// ICMPv6 counterpart types (Suricata `ICMPv6GetCounterpart`).
pub fn icmpv6_counterpart(t: u8) -> Option<u8> {
    match t {
        128 => Some(129),
        129 => Some(128),
        135 => Some(136),
        136 => Some(135),
        133 => Some(134),
        134 => Some(133),
        130 => Some(131),
        131 => Some(130),
        139 => Some(140),
        140 => Some(139),
        144 => Some(145),
        145 => Some(144),
        146 => Some(147),
        147 => Some(146),
        148 => Some(149),
        149 => Some(148),
        151 => Some(152),
        152 => Some(151),
        157 => Some(158),
        158 => Some(157),
        _ => None,
    }
}

pub fn icmpv4_is_error(t: u8) -> bool {
    matches!(t, 3 | 4 | 5 | 11 | 12)
}

/// The TCP/UDP tuple quoted by an ICMPv4 destination-unreachable message, if it is complete:
/// (src, dst, proto, sport, dport) of the packet that triggered the error.
pub fn icmpv4_quoted_tuple(frame: &[u8], meta: &PacketMeta) -> Option<([u8; 16], [u8; 16], u8, u16, u16)> {
    // The ICMP header is 8 bytes; the quoted IPv4 header follows it.
    let icmp_start = (meta.payload_off as usize).checked_sub(icmp_payload_skip(meta))?;
    let inner = frame.get(icmp_start.checked_add(8)?..)?;
    let vihl = *inner.first()?;
    if vihl >> 4 != 4 {
        return None;
    }
    let ihl = ((vihl & 0x0f) as usize) * 4;
    if ihl < 20 {
        return None;
    }
    let proto = *inner.get(9)?;
    if proto != PROTO_TCP && proto != PROTO_UDP {
        return None;
    }
    let mut src = [0u8; 16];
    let mut dst = [0u8; 16];
    src[..4].copy_from_slice(inner.get(12..16)?);
    dst[..4].copy_from_slice(inner.get(16..20)?);
    let ports = inner.get(ihl..ihl + 4)?;
    let sport = u16::from_be_bytes([ports[0], ports[1]]);
    let dport = u16::from_be_bytes([ports[2], ports[3]]);
    Some((src, dst, proto, sport, dport))
}

/// How far `payload_off` sits past the start of the ICMP header (the decoder reports the
/// payload after the 8-byte ICMP header).
#[inline]
fn icmp_payload_skip(_meta: &PacketMeta) -> usize {
    8
}

/// Decide the key for a decoded packet. `ports_override` supplies ports for non-first fragments
/// (looked up by the fragment tracker).
pub fn key_for(frame: &[u8], meta: &PacketMeta, ports_override: Option<(u16, u16)>, vlan: [u16; 2]) -> KeyOutcome {
    if meta.ip_version == 0 {
        return KeyOutcome::Untracked(Untracked::NoIp);
    }
    let v = meta.ip_version;
    match meta.proto {
        PROTO_TCP | PROTO_UDP | PROTO_SCTP => {
            let (sp, dp) = if meta.l4_ok {
                (meta.src_port, meta.dst_port)
            } else if let Some(p) = ports_override {
                p
            } else if meta.fragment.map_or(false, |f| f.offset > 0) {
                // A fragment whose first fragment we never saw: keep the bytes, ports unknown.
                (0, 0)
            } else {
                return KeyOutcome::Untracked(Untracked::BadTransport);
            };
            {
                let (k, lo) = FlowKey::new(v, meta.proto, meta.src, sp, meta.dst, dp, vlan);
                KeyOutcome::Track(k, lo)
            }
        }
        PROTO_ICMP if v == 4 => {
            if !meta.l4_ok {
                if meta.fragment.map_or(false, |f| f.offset > 0) {
                    return {
                let (k, lo) = FlowKey::new(v, meta.proto, meta.src, 0, meta.dst, 0, vlan);
                KeyOutcome::Track(k, lo)
            };
                }
                return KeyOutcome::Untracked(Untracked::BadTransport);
            }
            let t = meta.src_port as u8;
            if icmpv4_is_error(t) {
                // Its own flow (if the engine keeps ICMP error flows): one-way, by type and code.
                let (own, lo) = FlowKey::new(v, meta.proto, meta.src, (t as u16) << 8 | meta.dst_port, meta.dst, 0, vlan);
                if t == 3 {
                    if let Some((s, d, p, sp, dp)) = icmpv4_quoted_tuple(frame, meta) {
                        return KeyOutcome::AttachOnly(FlowKey::new(4, p, s, sp, d, dp, vlan).0, own, lo);
                    }
                }
                return KeyOutcome::IcmpError(own, lo);
            }
            let ct = icmpv4_counterpart(t).unwrap_or(0);
            {
                let (k, lo) = FlowKey::new(v, meta.proto, meta.src, t as u16, meta.dst, ct as u16, vlan);
                KeyOutcome::Track(k, lo)
            }
        }
        PROTO_ICMPV6 => {
            if !meta.l4_ok {
                if meta.fragment.map_or(false, |f| f.offset > 0) {
                    return {
                let (k, lo) = FlowKey::new(v, meta.proto, meta.src, 0, meta.dst, 0, vlan);
                KeyOutcome::Track(k, lo)
            };
                }
                return KeyOutcome::Untracked(Untracked::BadTransport);
            }
            let t = meta.src_port as u8;
            let code = meta.dst_port as u8;
            let sp = ((t as u16) << 8) | code as u16;
            let dp = icmpv6_counterpart(t).map_or(0, |c| (c as u16) << 8);
            {
                let (k, lo) = FlowKey::new(v, meta.proto, meta.src, sp, meta.dst, dp, vlan);
                KeyOutcome::Track(k, lo)
            }
        }
        PROTO_ESP => {
            // Suricata keys ESP by SPI and direction: each direction is its own flow.
            let spi = frame
                .get(meta.payload_off as usize..meta.payload_off as usize + 4)
                .map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
            let k = FlowKey {
                lo_addr: meta.src,
                hi_addr: meta.dst,
                lo_port: (spi >> 16) as u16,
                hi_port: spi as u16,
                proto: PROTO_ESP,
                ip_version: v,
                vlan,
                recursion: 0,
            };
            KeyOutcome::Track(k, true)
        }
        p => {
                let (k, lo) = FlowKey::new(v, p, meta.src, 0, meta.dst, 0, vlan);
                KeyOutcome::Track(k, lo)
            },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v4(a: [u8; 4]) -> [u8; 16] {
        let mut x = [0u8; 16];
        x[..4].copy_from_slice(&a);
        x
    }

    fn meta(proto: u8, s: [u8; 4], sp: u16, d: [u8; 4], dp: u16) -> PacketMeta {
        PacketMeta { ip_version: 4, proto, src: v4(s), dst: v4(d), src_port: sp, dst_port: dp, l4_ok: true, ..Default::default() }
    }

    fn key_of(o: KeyOutcome) -> FlowKey {
        match o {
            KeyOutcome::Track(k, _) | KeyOutcome::AttachOnly(k, _, _) | KeyOutcome::IcmpError(k, _) => k,
            KeyOutcome::Untracked(r) => panic!("untracked: {:?}", r),
        }
    }

    #[test]
    fn both_directions_give_one_key() {
        let a = key_for(&[], &meta(6, [10, 0, 0, 1], 40000, [1, 1, 1, 1], 443), None, [0, 0]);
        let b = key_for(&[], &meta(6, [1, 1, 1, 1], 443, [10, 0, 0, 1], 40000), None, [0, 0]);
        assert_eq!(key_of(a), key_of(b));
        assert!(matches!((a, b), (KeyOutcome::Track(_, false), KeyOutcome::Track(_, true))), "direction flag tells the sides apart");
        let c = key_for(&[], &meta(6, [10, 0, 0, 1], 443, [1, 1, 1, 1], 40000), None, [0, 0]);
        assert_ne!(key_of(a), key_of(c), "swapped ports on the same address order are another flow");
    }

    #[test]
    fn icmp_echo_request_and_reply_share_a_flow_but_not_with_timestamp() {
        let req = key_for(&[], &meta(1, [10, 0, 0, 1], 8, [1, 1, 1, 1], 0), None, [0, 0]);
        let rep = key_for(&[], &meta(1, [1, 1, 1, 1], 0, [10, 0, 0, 1], 0), None, [0, 0]);
        let ts = key_for(&[], &meta(1, [10, 0, 0, 1], 13, [1, 1, 1, 1], 0), None, [0, 0]);
        assert_eq!(key_of(req), key_of(rep));
        assert_ne!(key_of(req), key_of(ts));
    }

    #[test]
    fn icmp_errors_without_quote_are_untracked() {
        let te = key_for(&[], &meta(1, [9, 9, 9, 9], 11, [10, 0, 0, 1], 0), None, [0, 0]);
        assert!(matches!(te, KeyOutcome::IcmpError(..)));
    }

    #[test]
    fn vlan_separates_flows() {
        let a = key_for(&[], &meta(17, [10, 0, 0, 1], 5, [1, 1, 1, 1], 53), None, [0, 0]);
        let b = key_for(&[], &meta(17, [10, 0, 0, 1], 5, [1, 1, 1, 1], 53), None, [7, 0]);
        assert_ne!(key_of(a), key_of(b));
    }

    #[test]
    fn transport_missing_is_untracked_unless_a_later_fragment() {
        let mut m = meta(6, [10, 0, 0, 1], 0, [1, 1, 1, 1], 0);
        m.l4_ok = false;
        assert_eq!(key_for(&[], &m, None, [0, 0]), KeyOutcome::Untracked(Untracked::BadTransport));
        m.fragment = Some(crate::decode::Fragment { id: 1, offset: 1480, more: false });
        assert!(matches!(key_for(&[], &m, Some((1, 2)), [0, 0]), KeyOutcome::Track(k, _) if k.lo_port == 1 || k.hi_port == 1));
    }
}
