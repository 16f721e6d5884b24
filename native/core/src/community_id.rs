//! Community ID v1 flow hashing (corelight/community-id-spec), following the reference
//! implementation pycommunityid exactly.
//!
//! The hash input, all in network byte order, is
//! `seed (2) . saddr (4|16) . daddr (4|16) . proto (1) . 0 (1) [. sport (2) . dport (2)]`,
//! with the endpoints ordered so that both directions of a flow give the same id, and the
//! digest is SHA-1. The rendering is `"1:"` followed by base64 (the default) or lowercase hex.
//!
//! - Ports are hashed only for TCP (6), UDP (17), SCTP (132), ICMP (1) and ICMPv6 (58), and
//!   only when the caller has them (`has_ports`). For every other protocol (e.g. RSVP, 46) the
//!   ports are ignored even if given. A port protocol without ports (e.g. a non-first
//!   fragment) is hashed like a port-less protocol; pycommunityid refuses such a tuple.
//! - ICMP / ICMPv6 (Zeek's mapping): `src_port` / `dst_port` carry the message type and code.
//!   A type with a counterpart (echo request/reply, ...) becomes the pair
//!   `(type, counterpart type)` and the code is dropped; that pair is then ordered like
//!   ports, so a request and its reply meet. A type without a counterpart is one-way: the
//!   pair stays `(type, code)` and the endpoints are never swapped, whatever the addresses.
//!   Mapping is idempotent, so callers may also pass already-mapped pairs.
//! - Ordering: swap when `(saddr, sport) > (daddr, dport)`, addresses compared bytewise,
//!   then ports numerically (equal tuples need no swap).
//!
//! `community_id_v1` works on a fixed stack buffer and returns a fixed array: no allocation.

use crate::crypto::{base64_encode, sha1, to_hex};

/// IP protocol number of ICMP.
pub const PROTO_ICMP: u8 = 1;
/// IP protocol number of TCP.
pub const PROTO_TCP: u8 = 6;
/// IP protocol number of UDP.
pub const PROTO_UDP: u8 = 17;
/// IP protocol number of ICMPv6.
pub const PROTO_ICMPV6: u8 = 58;
/// IP protocol number of SCTP.
pub const PROTO_SCTP: u8 = 132;

/// Longest address hashed: an IPv6 address. Longer slices are cut to this length.
const MAX_ADDR_LEN: usize = 16;
/// seed + two addresses + proto + padding + two ports.
const MAX_INPUT_LEN: usize = 2 + 2 * MAX_ADDR_LEN + 1 + 1 + 4;

/// One packet's (or flow's) tuple, in the packet's own direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommunityIdInput<'a> {
    /// Source address in network byte order: 4 bytes (IPv4) or 16 bytes (IPv6).
    pub src: &'a [u8],
    /// Destination address in network byte order, same family as `src`.
    pub dst: &'a [u8],
    /// IP protocol number (IPv6: the upper-layer protocol after extension headers).
    pub proto: u8,
    /// Source port; for ICMP/ICMPv6 the message type.
    pub src_port: u16,
    /// Destination port; for ICMP/ICMPv6 the message code.
    pub dst_port: u16,
    /// Whether `src_port` / `dst_port` are known (the transport header was present).
    pub has_ports: bool,
}

/// Whether Community ID v1 hashes ports for `proto`.
pub fn proto_has_ports(proto: u8) -> bool {
    matches!(
        proto,
        PROTO_ICMP | PROTO_TCP | PROTO_UDP | PROTO_ICMPV6 | PROTO_SCTP
    )
}

/// The counterpart of an ICMPv4 message type (Zeek's `ICMP4_counterpart`), if it has one.
fn icmp4_counterpart(msg_type: u16) -> Option<u16> {
    match msg_type {
        8 => Some(0),   // echo request -> echo reply
        0 => Some(8),   // echo reply -> echo request
        13 => Some(14), // timestamp -> timestamp reply
        14 => Some(13),
        15 => Some(16), // information request -> reply
        16 => Some(15),
        10 => Some(9), // router solicitation -> router advertisement
        9 => Some(10),
        17 => Some(18), // address mask request -> reply
        18 => Some(17),
        _ => None,
    }
}

/// The counterpart of an ICMPv6 message type (Zeek's `ICMP6_counterpart`), if it has one.
fn icmp6_counterpart(msg_type: u16) -> Option<u16> {
    match msg_type {
        128 => Some(129), // echo request -> echo reply
        129 => Some(128),
        130 => Some(131), // multicast listener query -> report
        131 => Some(130),
        133 => Some(134), // router solicitation -> router advertisement
        134 => Some(133),
        135 => Some(136), // neighbor solicitation -> neighbor advertisement
        136 => Some(135),
        139 => Some(140), // node information query -> response ("who are you")
        140 => Some(139),
        144 => Some(145), // home agent address discovery request -> reply
        145 => Some(144),
        _ => None,
    }
}

/// Community ID v1 of `input` with `seed`: the raw 20-byte SHA-1 digest (render it with
/// [`format`]). Never panics and never allocates.
pub fn community_id_v1(seed: u16, input: &CommunityIdInput) -> [u8; 20] {
    let src = input.src.get(..MAX_ADDR_LEN).unwrap_or(input.src);
    let dst = input.dst.get(..MAX_ADDR_LEN).unwrap_or(input.dst);

    let with_ports = input.has_ports && proto_has_ports(input.proto);
    let (mut sport, mut dport, mut one_way) = (input.src_port, input.dst_port, false);
    if with_ports {
        let counterpart = match input.proto {
            PROTO_ICMP => Some(icmp4_counterpart(sport)),
            PROTO_ICMPV6 => Some(icmp6_counterpart(sport)),
            _ => None,
        };
        match counterpart {
            Some(Some(other)) => dport = other,
            Some(None) => one_way = true, // keep (type, code)
            None => {}
        }
    } else {
        sport = 0;
        dport = 0;
    }

    let swap = !one_way
        && match src.cmp(dst) {
            core::cmp::Ordering::Greater => true,
            core::cmp::Ordering::Less => false,
            core::cmp::Ordering::Equal => with_ports && sport > dport,
        };
    let (first, second, first_port, second_port) = if swap {
        (dst, src, dport, sport)
    } else {
        (src, dst, sport, dport)
    };

    let mut buf = [0u8; MAX_INPUT_LEN];
    let mut len = 0;
    put(&mut buf, &mut len, &seed.to_be_bytes());
    put(&mut buf, &mut len, first);
    put(&mut buf, &mut len, second);
    put(&mut buf, &mut len, &[input.proto, 0]);
    if with_ports {
        put(&mut buf, &mut len, &first_port.to_be_bytes());
        put(&mut buf, &mut len, &second_port.to_be_bytes());
    }
    sha1::sha1(buf.get(..len).unwrap_or(&buf))
}

/// Appends `bytes` to `buf` at `*len`; the caller's sizes always fit, anything else is cut.
fn put(buf: &mut [u8; MAX_INPUT_LEN], len: &mut usize, bytes: &[u8]) {
    if let Some(dst) = buf.get_mut(*len..) {
        let n = dst.len().min(bytes.len());
        if let (Some(d), Some(s)) = (dst.get_mut(..n), bytes.get(..n)) {
            d.copy_from_slice(s);
            *len += n;
        }
    }
}

/// Renders a digest from [`community_id_v1`] as the Community ID string: `"1:"` followed by
/// the base64 (standard alphabet, padded; the spec's default) or lowercase hex digest.
pub fn format(digest: &[u8; 20], base64: bool) -> String {
    let body = if base64 {
        base64_encode(digest)
    } else {
        to_hex(digest)
    };
    let mut out = String::with_capacity(2 + body.len());
    out.push_str("1:");
    out.push_str(&body);
    out
}

/// Exact hash input of one cached entry: addresses as hashed (at most 16 bytes each).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct CacheKey {
    src: [u8; MAX_ADDR_LEN],
    dst: [u8; MAX_ADDR_LEN],
    src_len: u8,
    dst_len: u8,
    proto: u8,
    has_ports: bool,
    src_port: u16,
    dst_port: u16,
}

impl CacheKey {
    fn of(input: &CommunityIdInput) -> CacheKey {
        let src = input.src.get(..MAX_ADDR_LEN).unwrap_or(input.src);
        let dst = input.dst.get(..MAX_ADDR_LEN).unwrap_or(input.dst);
        let mut k = CacheKey {
            src: [0; MAX_ADDR_LEN],
            dst: [0; MAX_ADDR_LEN],
            src_len: src.len() as u8,
            dst_len: dst.len() as u8,
            proto: input.proto,
            has_ports: input.has_ports,
            src_port: input.src_port,
            dst_port: input.dst_port,
        };
        k.src[..src.len()].copy_from_slice(src);
        k.dst[..dst.len()].copy_from_slice(dst);
        k
    }
}

/// A fixed-size, direct-mapped cache of Community ID digests for one seed, so a flow that
/// emits many records (evidence, then its flow record) hashes its tuple once. Entries are
/// keyed by the exact hash input, so a hit is always the digest `community_id_v1` would give;
/// the caller's `hint` (e.g. a flow id) only picks the slot. Fixed memory, never grows.
#[derive(Debug, Clone)]
pub struct CommunityIdCache {
    seed: u16,
    slots: Vec<Option<(CacheKey, [u8; 20])>>,
}

impl CommunityIdCache {
    /// Number of slots (a power of two).
    pub const SLOTS: usize = 1024;

    pub fn new(seed: u16) -> CommunityIdCache {
        CommunityIdCache { seed, slots: vec![None; Self::SLOTS] }
    }

    pub fn seed(&self) -> u16 {
        self.seed
    }

    fn slot(hint: u64) -> usize {
        (hint as usize) & (Self::SLOTS - 1)
    }

    /// The digest of `input` with this cache's seed, from the cache when present, else
    /// computed and stored in `hint`'s slot.
    pub fn get(&mut self, hint: u64, input: &CommunityIdInput) -> [u8; 20] {
        let key = CacheKey::of(input);
        let i = Self::slot(hint);
        if let Some((k, d)) = &self.slots[i] {
            if *k == key {
                return *d;
            }
        }
        let d = community_id_v1(self.seed, input);
        self.slots[i] = Some((key, d));
        d
    }

    /// The digest of `input` if cached in `hint`'s slot (no insertion).
    pub fn peek(&self, hint: u64, input: &CommunityIdInput) -> Option<[u8; 20]> {
        match &self.slots[Self::slot(hint)] {
            Some((k, d)) if *k == CacheKey::of(input) => Some(*d),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_matches_direct_hash_and_never_confuses_tuples() {
        let mut cache = CommunityIdCache::new(7);
        let a4 = [10, 0, 0, 1];
        let b4 = [10, 0, 0, 2];
        let a6 = [0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
        let inputs = [
            CommunityIdInput { src: &a4, dst: &b4, proto: PROTO_TCP, src_port: 40000, dst_port: 443, has_ports: true },
            CommunityIdInput { src: &a4, dst: &b4, proto: PROTO_TCP, src_port: 40001, dst_port: 443, has_ports: true },
            CommunityIdInput { src: &a4, dst: &b4, proto: PROTO_UDP, src_port: 40000, dst_port: 443, has_ports: true },
            CommunityIdInput { src: &a4, dst: &b4, proto: PROTO_TCP, src_port: 40000, dst_port: 443, has_ports: false },
            CommunityIdInput { src: &b4, dst: &a4, proto: PROTO_TCP, src_port: 443, dst_port: 40000, has_ports: true },
            CommunityIdInput { src: &a6, dst: &a6, proto: PROTO_ICMPV6, src_port: 128, dst_port: 0, has_ports: true },
        ];
        // Every input in the same slot (hint 0) and in its own slot, twice (miss then hit).
        for round in 0..2 {
            for (n, inp) in inputs.iter().enumerate() {
                let want = community_id_v1(7, inp);
                assert_eq!(cache.get(0, inp), want, "round {} input {} shared slot", round, n);
                assert_eq!(cache.peek(0, inp), Some(want));
                assert_eq!(cache.get(n as u64 + 1, inp), want, "round {} input {} own slot", round, n);
            }
        }
        // The shared slot now holds the last input only; the others are not reported from it.
        assert_eq!(cache.peek(0, &inputs[0]), None);
        assert_eq!(cache.peek(1, &inputs[0]), Some(community_id_v1(7, &inputs[0])));
        // A different seed is a different cache.
        assert_ne!(CommunityIdCache::new(8).get(1, &inputs[0]), cache.get(1, &inputs[0]));
        assert_eq!(cache.seed(), 7);
    }

    /// One expectation: the tuple in packet direction, seed, rendering and expected id.
    struct V {
        seed: u16,
        b64: bool,
        proto: u8,
        src: &'static [u8],
        sport: Option<u16>,
        dst: &'static [u8],
        dport: Option<u16>,
        id: &'static str,
    }

    fn id_of(v: &V) -> String {
        let input = CommunityIdInput {
            src: v.src,
            dst: v.dst,
            proto: v.proto,
            src_port: v.sport.unwrap_or(0),
            dst_port: v.dport.unwrap_or(0),
            has_ports: v.sport.is_some() && v.dport.is_some(),
        };
        format(&community_id_v1(v.seed, &input), v.b64)
    }

    fn check_all(vectors: &[V]) {
        let mut failures = Vec::new();
        for (i, v) in vectors.iter().enumerate() {
            let got = id_of(v);
            if got != v.id {
                failures.push(format!(
                    "#{} proto {} seed {}: got {} want {}",
                    i, v.proto, v.seed, got, v.id
                ));
            }
        }
        assert!(
            failures.is_empty(),
            "{} of {} failed:\n{}",
            failures.len(),
            vectors.len(),
            failures.join("\n")
        );
    }

    /// The 48 tuple-only vectors (`"pcap": null`) of
    /// `corpus/community-id-spec/expectations.jsonl`: the tables of the spec's
    /// `baseline/README.md`. ICMP ports here are the raw (type, code).
    #[rustfmt::skip]
    const SPEC_TABLE: [V; 48] = [
        V { seed: 0, b64: true, proto: 6, src: &[1, 2, 3, 4], sport: Some(1122), dst: &[5, 6, 7, 8], dport: Some(3344), id: "1:wCb3OG7yAFWelaUydu0D+125CLM=" },
        V { seed: 0, b64: true, proto: 6, src: &[5, 6, 7, 8], sport: Some(3344), dst: &[1, 2, 3, 4], dport: Some(1122), id: "1:wCb3OG7yAFWelaUydu0D+125CLM=" },
        V { seed: 0, b64: true, proto: 17, src: &[1, 2, 3, 4], sport: Some(1122), dst: &[5, 6, 7, 8], dport: Some(3344), id: "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=" },
        V { seed: 0, b64: true, proto: 17, src: &[5, 6, 7, 8], sport: Some(3344), dst: &[1, 2, 3, 4], dport: Some(1122), id: "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg=" },
        V { seed: 0, b64: true, proto: 132, src: &[1, 2, 3, 4], sport: Some(1122), dst: &[5, 6, 7, 8], dport: Some(3344), id: "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8=" },
        V { seed: 0, b64: true, proto: 132, src: &[5, 6, 7, 8], sport: Some(3344), dst: &[1, 2, 3, 4], dport: Some(1122), id: "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8=" },
        V { seed: 0, b64: true, proto: 1, src: &[1, 2, 3, 4], sport: Some(8), dst: &[5, 6, 7, 8], dport: Some(0), id: "1:crodRHL2FEsHjbv3UkRrfbs4bZ0=" },
        V { seed: 0, b64: true, proto: 1, src: &[5, 6, 7, 8], sport: Some(0), dst: &[1, 2, 3, 4], dport: Some(0), id: "1:crodRHL2FEsHjbv3UkRrfbs4bZ0=" },
        V { seed: 0, b64: true, proto: 1, src: &[1, 2, 3, 4], sport: Some(11), dst: &[5, 6, 7, 8], dport: Some(0), id: "1:f/YiSyWqczrTgfUCZlBUnvHRcPk=" },
        V { seed: 0, b64: true, proto: 58, src: &[254, 128, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13], sport: Some(128), dst: &[254, 128, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29], dport: Some(0), id: "1:0bf7hyMJUwt3fMED7z8LIfRpBeo=" },
        V { seed: 0, b64: true, proto: 58, src: &[254, 128, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29], sport: Some(129), dst: &[254, 128, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13], dport: Some(0), id: "1:0bf7hyMJUwt3fMED7z8LIfRpBeo=" },
        V { seed: 0, b64: true, proto: 58, src: &[254, 128, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13], sport: Some(146), dst: &[254, 128, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29], dport: Some(0), id: "1:fYC8+pz24E+EhANP1EZhpX0Dw10=" },
        V { seed: 0, b64: true, proto: 46, src: &[1, 2, 3, 4], sport: None, dst: &[5, 6, 7, 8], dport: None, id: "1:ikv3kmf89luf73WPz1jOs49S768=" },
        V { seed: 0, b64: true, proto: 46, src: &[5, 6, 7, 8], sport: None, dst: &[1, 2, 3, 4], dport: None, id: "1:ikv3kmf89luf73WPz1jOs49S768=" },
        V { seed: 0, b64: true, proto: 46, src: &[254, 128, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13], sport: None, dst: &[254, 128, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29], dport: None, id: "1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0=" },
        V { seed: 0, b64: true, proto: 46, src: &[254, 128, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29], sport: None, dst: &[254, 128, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13], dport: None, id: "1:wQ/2mwrnXP4lmJcHdGL5ePjR+e0=" },
        V { seed: 1, b64: true, proto: 6, src: &[1, 2, 3, 4], sport: Some(1122), dst: &[5, 6, 7, 8], dport: Some(3344), id: "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=" },
        V { seed: 1, b64: true, proto: 6, src: &[5, 6, 7, 8], sport: Some(3344), dst: &[1, 2, 3, 4], dport: Some(1122), id: "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=" },
        V { seed: 1, b64: true, proto: 17, src: &[1, 2, 3, 4], sport: Some(1122), dst: &[5, 6, 7, 8], dport: Some(3344), id: "1:OShq+iKDAMVouh/4bMxB9Sz4amw=" },
        V { seed: 1, b64: true, proto: 17, src: &[5, 6, 7, 8], sport: Some(3344), dst: &[1, 2, 3, 4], dport: Some(1122), id: "1:OShq+iKDAMVouh/4bMxB9Sz4amw=" },
        V { seed: 1, b64: true, proto: 132, src: &[1, 2, 3, 4], sport: Some(1122), dst: &[5, 6, 7, 8], dport: Some(3344), id: "1:uitchpn5MMGAQKBJh7bIr/bAr7s=" },
        V { seed: 1, b64: true, proto: 132, src: &[5, 6, 7, 8], sport: Some(3344), dst: &[1, 2, 3, 4], dport: Some(1122), id: "1:uitchpn5MMGAQKBJh7bIr/bAr7s=" },
        V { seed: 1, b64: true, proto: 1, src: &[1, 2, 3, 4], sport: Some(8), dst: &[5, 6, 7, 8], dport: Some(0), id: "1:9pr4ZGTICiuZoIh90RRYE2RyXpU=" },
        V { seed: 1, b64: true, proto: 1, src: &[5, 6, 7, 8], sport: Some(0), dst: &[1, 2, 3, 4], dport: Some(0), id: "1:9pr4ZGTICiuZoIh90RRYE2RyXpU=" },
        V { seed: 1, b64: true, proto: 1, src: &[1, 2, 3, 4], sport: Some(11), dst: &[5, 6, 7, 8], dport: Some(0), id: "1:1DD7cWGC/Yg91YGsQeni8du3pIA=" },
        V { seed: 1, b64: true, proto: 58, src: &[254, 128, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13], sport: Some(128), dst: &[254, 128, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29], dport: Some(0), id: "1:IO27GQzPuCtNnwFvjWALMHu5tJE=" },
        V { seed: 1, b64: true, proto: 58, src: &[254, 128, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29], sport: Some(129), dst: &[254, 128, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13], dport: Some(0), id: "1:IO27GQzPuCtNnwFvjWALMHu5tJE=" },
        V { seed: 1, b64: true, proto: 58, src: &[254, 128, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13], sport: Some(146), dst: &[254, 128, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29], dport: Some(0), id: "1:Cv4IKJe56BNkF0MBW2YxQ3Nwc3s=" },
        V { seed: 1, b64: true, proto: 46, src: &[1, 2, 3, 4], sport: None, dst: &[5, 6, 7, 8], dport: None, id: "1:/buhqeOmaRCopOZFy9HnoJd5XW8=" },
        V { seed: 1, b64: true, proto: 46, src: &[5, 6, 7, 8], sport: None, dst: &[1, 2, 3, 4], dport: None, id: "1:/buhqeOmaRCopOZFy9HnoJd5XW8=" },
        V { seed: 1, b64: true, proto: 46, src: &[254, 128, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13], sport: None, dst: &[254, 128, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29], dport: None, id: "1:j6EyyfBzL4vWKHFXgUqb5Az3OxM=" },
        V { seed: 1, b64: true, proto: 46, src: &[254, 128, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29], sport: None, dst: &[254, 128, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13], dport: None, id: "1:j6EyyfBzL4vWKHFXgUqb5Az3OxM=" },
        V { seed: 0, b64: false, proto: 6, src: &[1, 2, 3, 4], sport: Some(1122), dst: &[5, 6, 7, 8], dport: Some(3344), id: "1:c026f7386ef200559e95a53276ed03fb5db908b3" },
        V { seed: 0, b64: false, proto: 6, src: &[5, 6, 7, 8], sport: Some(3344), dst: &[1, 2, 3, 4], dport: Some(1122), id: "1:c026f7386ef200559e95a53276ed03fb5db908b3" },
        V { seed: 0, b64: false, proto: 17, src: &[1, 2, 3, 4], sport: Some(1122), dst: &[5, 6, 7, 8], dport: Some(3344), id: "1:d0cbbd227431eb3e1988264cffb1d78b658c84e8" },
        V { seed: 0, b64: false, proto: 17, src: &[5, 6, 7, 8], sport: Some(3344), dst: &[1, 2, 3, 4], dport: Some(1122), id: "1:d0cbbd227431eb3e1988264cffb1d78b658c84e8" },
        V { seed: 0, b64: false, proto: 132, src: &[1, 2, 3, 4], sport: Some(1122), dst: &[5, 6, 7, 8], dport: Some(3344), id: "1:10ab7832cc6ec9a13a98bfa19ab12443d72c0c3f" },
        V { seed: 0, b64: false, proto: 132, src: &[5, 6, 7, 8], sport: Some(3344), dst: &[1, 2, 3, 4], dport: Some(1122), id: "1:10ab7832cc6ec9a13a98bfa19ab12443d72c0c3f" },
        V { seed: 0, b64: false, proto: 1, src: &[1, 2, 3, 4], sport: Some(8), dst: &[5, 6, 7, 8], dport: Some(0), id: "1:72ba1d4472f6144b078dbbf752446b7dbb386d9d" },
        V { seed: 0, b64: false, proto: 1, src: &[5, 6, 7, 8], sport: Some(0), dst: &[1, 2, 3, 4], dport: Some(0), id: "1:72ba1d4472f6144b078dbbf752446b7dbb386d9d" },
        V { seed: 0, b64: false, proto: 1, src: &[1, 2, 3, 4], sport: Some(11), dst: &[5, 6, 7, 8], dport: Some(0), id: "1:7ff6224b25aa733ad381f5026650549ef1d170f9" },
        V { seed: 0, b64: false, proto: 58, src: &[254, 128, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13], sport: Some(128), dst: &[254, 128, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29], dport: Some(0), id: "1:d1b7fb872309530b777cc103ef3f0b21f46905ea" },
        V { seed: 0, b64: false, proto: 58, src: &[254, 128, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29], sport: Some(129), dst: &[254, 128, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13], dport: Some(0), id: "1:d1b7fb872309530b777cc103ef3f0b21f46905ea" },
        V { seed: 0, b64: false, proto: 58, src: &[254, 128, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13], sport: Some(146), dst: &[254, 128, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29], dport: Some(0), id: "1:7d80bcfa9cf6e04f8484034fd44661a57d03c35d" },
        V { seed: 0, b64: false, proto: 46, src: &[1, 2, 3, 4], sport: None, dst: &[5, 6, 7, 8], dport: None, id: "1:8a4bf79267fcf65b9fef758fcf58ceb38f52efaf" },
        V { seed: 0, b64: false, proto: 46, src: &[5, 6, 7, 8], sport: None, dst: &[1, 2, 3, 4], dport: None, id: "1:8a4bf79267fcf65b9fef758fcf58ceb38f52efaf" },
        V { seed: 0, b64: false, proto: 46, src: &[254, 128, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13], sport: None, dst: &[254, 128, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29], dport: None, id: "1:c10ff69b0ae75cfe259897077462f978f8d1f9ed" },
        V { seed: 0, b64: false, proto: 46, src: &[254, 128, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29], sport: None, dst: &[254, 128, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13], dport: None, id: "1:c10ff69b0ae75cfe259897077462f978f8d1f9ed" },
    ];

    /// The 69 pcap-derived baseline tuples of the same file (pycommunityid over the spec's
    /// pcaps). ICMP ports here are already mapped (type, counterpart type or code).
    #[rustfmt::skip]
    const SPEC_BASELINE: [V; 69] = [
        V { seed: 0, b64: true, proto: 58, src: &[254, 128, 0, 0, 0, 0, 0, 0, 2, 0, 134, 255, 254, 5, 128, 218], sport: Some(135), dst: &[254, 128, 0, 0, 0, 0, 0, 0, 2, 96, 151, 255, 254, 7, 105, 234], dport: Some(136), id: "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=" },
        V { seed: 0, b64: true, proto: 58, src: &[254, 128, 0, 0, 0, 0, 0, 0, 2, 96, 151, 255, 254, 7, 105, 234], sport: Some(136), dst: &[254, 128, 0, 0, 0, 0, 0, 0, 2, 0, 134, 255, 254, 5, 128, 218], dport: Some(135), id: "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=" },
        V { seed: 0, b64: true, proto: 58, src: &[254, 128, 0, 0, 0, 0, 0, 0, 2, 96, 151, 255, 254, 7, 105, 234], sport: Some(135), dst: &[254, 128, 0, 0, 0, 0, 0, 0, 2, 0, 134, 255, 254, 5, 128, 218], dport: Some(136), id: "1:zavyT/cezQr1fmImYCwYnMXbgck=" },
        V { seed: 0, b64: true, proto: 58, src: &[254, 128, 0, 0, 0, 0, 0, 0, 2, 0, 134, 255, 254, 5, 128, 218], sport: Some(136), dst: &[254, 128, 0, 0, 0, 0, 0, 0, 2, 96, 151, 255, 254, 7, 105, 234], dport: Some(135), id: "1:zavyT/cezQr1fmImYCwYnMXbgck=" },
        V { seed: 0, b64: true, proto: 58, src: &[63, 254, 5, 1, 24, 0, 35, 69, 0, 0, 0, 0, 0, 0, 0, 2], sport: Some(3), dst: &[63, 254, 5, 7, 0, 0, 0, 1, 2, 0, 134, 255, 254, 5, 128, 218], dport: Some(0), id: "1:2ObVBgIn28oZvibYZhZMBgh7WdQ=" },
        V { seed: 0, b64: true, proto: 58, src: &[63, 254, 5, 1, 4, 16, 0, 0, 2, 192, 223, 255, 254, 71, 3, 62], sport: Some(1), dst: &[63, 254, 5, 7, 0, 0, 0, 1, 2, 0, 134, 255, 254, 5, 128, 218], dport: Some(4), id: "1:hLZd0XGWojozrvxqE0dWB1iM6R0=" },
        V { seed: 0, b64: true, proto: 58, src: &[63, 254, 5, 7, 0, 0, 0, 1, 2, 0, 134, 255, 254, 5, 128, 218], sport: Some(128), dst: &[63, 254, 5, 1, 0, 0, 16, 1, 0, 0, 0, 0, 0, 0, 0, 2], dport: Some(129), id: "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=" },
        V { seed: 0, b64: true, proto: 58, src: &[63, 254, 5, 1, 0, 0, 16, 1, 0, 0, 0, 0, 0, 0, 0, 2], sport: Some(129), dst: &[63, 254, 5, 7, 0, 0, 0, 1, 2, 0, 134, 255, 254, 5, 128, 218], dport: Some(128), id: "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=" },
        V { seed: 0, b64: true, proto: 58, src: &[254, 128, 0, 0, 0, 0, 0, 0, 2, 0, 134, 255, 254, 5, 128, 218], sport: Some(133), dst: &[255, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2], dport: Some(134), id: "1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0=" },
        V { seed: 0, b64: true, proto: 58, src: &[254, 128, 0, 0, 0, 0, 0, 0, 2, 96, 151, 255, 254, 7, 105, 234], sport: Some(134), dst: &[255, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], dport: Some(133), id: "1:pkvHqCL88/tg1k4cPigmZXUtL00=" },
        V { seed: 0, b64: true, proto: 1, src: &[192, 168, 0, 89], sport: Some(8), dst: &[192, 168, 0, 1], dport: Some(0), id: "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=" },
        V { seed: 0, b64: true, proto: 1, src: &[192, 168, 0, 1], sport: Some(0), dst: &[192, 168, 0, 89], dport: Some(8), id: "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=" },
        V { seed: 0, b64: true, proto: 1, src: &[10, 0, 0, 1], sport: Some(11), dst: &[10, 0, 0, 2], dport: Some(0), id: "1:YHxtAirCG//0OzkcVAukqKQN9xM=" },
        V { seed: 0, b64: true, proto: 6, src: &[32, 1, 4, 112, 229, 191, 222, 173, 73, 87, 33, 116, 232, 44, 72, 135], sport: Some(63943), dst: &[38, 7, 248, 176, 64, 12, 12, 3, 0, 0, 0, 0, 0, 0, 0, 26], dport: Some(25), id: "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=" },
        V { seed: 0, b64: true, proto: 6, src: &[38, 7, 248, 176, 64, 12, 12, 3, 0, 0, 0, 0, 0, 0, 0, 26], sport: Some(25), dst: &[32, 1, 4, 112, 229, 191, 222, 173, 73, 87, 33, 116, 232, 44, 72, 135], dport: Some(63943), id: "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=" },
        V { seed: 0, b64: true, proto: 132, src: &[192, 168, 170, 8], sport: Some(7), dst: &[192, 168, 170, 56], dport: Some(7), id: "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=" },
        V { seed: 0, b64: true, proto: 132, src: &[192, 168, 170, 56], sport: Some(7), dst: &[192, 168, 170, 8], dport: Some(7), id: "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=" },
        V { seed: 0, b64: true, proto: 6, src: &[128, 232, 110, 120], sport: Some(34855), dst: &[66, 35, 250, 204], dport: Some(80), id: "1:LQU9qZlK+B5F3KDmev6m5PMibrg=" },
        V { seed: 0, b64: true, proto: 6, src: &[66, 35, 250, 204], sport: Some(80), dst: &[128, 232, 110, 120], dport: Some(34855), id: "1:LQU9qZlK+B5F3KDmev6m5PMibrg=" },
        V { seed: 0, b64: true, proto: 17, src: &[192, 168, 1, 52], sport: Some(54585), dst: &[8, 8, 8, 8], dport: Some(53), id: "1:d/FP5EW3wiY1vCndhwleRRKHowQ=" },
        V { seed: 0, b64: true, proto: 17, src: &[8, 8, 8, 8], sport: Some(53), dst: &[192, 168, 1, 52], dport: Some(54585), id: "1:d/FP5EW3wiY1vCndhwleRRKHowQ=" },
        V { seed: 0, b64: true, proto: 46, src: &[10, 1, 12, 1], sport: None, dst: &[10, 1, 12, 2], dport: None, id: "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=" },
        V { seed: 0, b64: true, proto: 46, src: &[10, 1, 12, 2], sport: None, dst: &[10, 1, 12, 1], dport: None, id: "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw=" },
        V { seed: 1, b64: true, proto: 58, src: &[254, 128, 0, 0, 0, 0, 0, 0, 2, 0, 134, 255, 254, 5, 128, 218], sport: Some(135), dst: &[254, 128, 0, 0, 0, 0, 0, 0, 2, 96, 151, 255, 254, 7, 105, 234], dport: Some(136), id: "1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY=" },
        V { seed: 1, b64: true, proto: 58, src: &[254, 128, 0, 0, 0, 0, 0, 0, 2, 96, 151, 255, 254, 7, 105, 234], sport: Some(136), dst: &[254, 128, 0, 0, 0, 0, 0, 0, 2, 0, 134, 255, 254, 5, 128, 218], dport: Some(135), id: "1:kHa1FhMYIT6Ym2Vm2AOtoOARDzY=" },
        V { seed: 1, b64: true, proto: 58, src: &[254, 128, 0, 0, 0, 0, 0, 0, 2, 96, 151, 255, 254, 7, 105, 234], sport: Some(135), dst: &[254, 128, 0, 0, 0, 0, 0, 0, 2, 0, 134, 255, 254, 5, 128, 218], dport: Some(136), id: "1:2hSqmsDZ2kdcY9kbiUzOEBic0iM=" },
        V { seed: 1, b64: true, proto: 58, src: &[254, 128, 0, 0, 0, 0, 0, 0, 2, 0, 134, 255, 254, 5, 128, 218], sport: Some(136), dst: &[254, 128, 0, 0, 0, 0, 0, 0, 2, 96, 151, 255, 254, 7, 105, 234], dport: Some(135), id: "1:2hSqmsDZ2kdcY9kbiUzOEBic0iM=" },
        V { seed: 1, b64: true, proto: 58, src: &[63, 254, 5, 1, 24, 0, 35, 69, 0, 0, 0, 0, 0, 0, 0, 2], sport: Some(3), dst: &[63, 254, 5, 7, 0, 0, 0, 1, 2, 0, 134, 255, 254, 5, 128, 218], dport: Some(0), id: "1:lVEtCZpYu84Xqaa++3lXFyuu2n4=" },
        V { seed: 1, b64: true, proto: 58, src: &[63, 254, 5, 1, 4, 16, 0, 0, 2, 192, 223, 255, 254, 71, 3, 62], sport: Some(1), dst: &[63, 254, 5, 7, 0, 0, 0, 1, 2, 0, 134, 255, 254, 5, 128, 218], dport: Some(4), id: "1:W8MHwXpWzpoSTD+cGcaJr4u0ys8=" },
        V { seed: 1, b64: true, proto: 58, src: &[63, 254, 5, 7, 0, 0, 0, 1, 2, 0, 134, 255, 254, 5, 128, 218], sport: Some(128), dst: &[63, 254, 5, 1, 0, 0, 16, 1, 0, 0, 0, 0, 0, 0, 0, 2], dport: Some(129), id: "1:GfZxjAkDk2MkegpBYHV6tadtFXQ=" },
        V { seed: 1, b64: true, proto: 58, src: &[63, 254, 5, 1, 0, 0, 16, 1, 0, 0, 0, 0, 0, 0, 0, 2], sport: Some(129), dst: &[63, 254, 5, 7, 0, 0, 0, 1, 2, 0, 134, 255, 254, 5, 128, 218], dport: Some(128), id: "1:GfZxjAkDk2MkegpBYHV6tadtFXQ=" },
        V { seed: 1, b64: true, proto: 58, src: &[254, 128, 0, 0, 0, 0, 0, 0, 2, 0, 134, 255, 254, 5, 128, 218], sport: Some(133), dst: &[255, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2], dport: Some(134), id: "1:L7Ka0ZMYu+J3bL4ulW2PrqyXNo8=" },
        V { seed: 1, b64: true, proto: 58, src: &[254, 128, 0, 0, 0, 0, 0, 0, 2, 96, 151, 255, 254, 7, 105, 234], sport: Some(134), dst: &[255, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], dport: Some(133), id: "1:K/ee5UCqAMAQXDorP5nSa2CGLjc=" },
        V { seed: 1, b64: true, proto: 1, src: &[192, 168, 0, 89], sport: Some(8), dst: &[192, 168, 0, 1], dport: Some(0), id: "1:03g6IloqVBdcZlPyX8r0hgoE7kA=" },
        V { seed: 1, b64: true, proto: 1, src: &[192, 168, 0, 1], sport: Some(0), dst: &[192, 168, 0, 89], dport: Some(8), id: "1:03g6IloqVBdcZlPyX8r0hgoE7kA=" },
        V { seed: 1, b64: true, proto: 1, src: &[10, 0, 0, 1], sport: Some(11), dst: &[10, 0, 0, 2], dport: Some(0), id: "1:XjUibYHaafLQ3pxQeiMI8g25q20=" },
        V { seed: 1, b64: true, proto: 6, src: &[32, 1, 4, 112, 229, 191, 222, 173, 73, 87, 33, 116, 232, 44, 72, 135], sport: Some(63943), dst: &[38, 7, 248, 176, 64, 12, 12, 3, 0, 0, 0, 0, 0, 0, 0, 26], dport: Some(25), id: "1:eJYTW6AOzFLlSUoESovMjnu7rMw=" },
        V { seed: 1, b64: true, proto: 6, src: &[38, 7, 248, 176, 64, 12, 12, 3, 0, 0, 0, 0, 0, 0, 0, 26], sport: Some(25), dst: &[32, 1, 4, 112, 229, 191, 222, 173, 73, 87, 33, 116, 232, 44, 72, 135], dport: Some(63943), id: "1:eJYTW6AOzFLlSUoESovMjnu7rMw=" },
        V { seed: 1, b64: true, proto: 132, src: &[192, 168, 170, 8], sport: Some(7), dst: &[192, 168, 170, 56], dport: Some(7), id: "1:5w3ZRjeKBzqT3zsaEECDGjUbYeg=" },
        V { seed: 1, b64: true, proto: 132, src: &[192, 168, 170, 56], sport: Some(7), dst: &[192, 168, 170, 8], dport: Some(7), id: "1:5w3ZRjeKBzqT3zsaEECDGjUbYeg=" },
        V { seed: 1, b64: true, proto: 6, src: &[128, 232, 110, 120], sport: Some(34855), dst: &[66, 35, 250, 204], dport: Some(80), id: "1:3V71V58M3Ksw/yuFALMcW0LAHvc=" },
        V { seed: 1, b64: true, proto: 6, src: &[66, 35, 250, 204], sport: Some(80), dst: &[128, 232, 110, 120], dport: Some(34855), id: "1:3V71V58M3Ksw/yuFALMcW0LAHvc=" },
        V { seed: 1, b64: true, proto: 17, src: &[192, 168, 1, 52], sport: Some(54585), dst: &[8, 8, 8, 8], dport: Some(53), id: "1:Q9We8WO3piVF8yEQBNJF4uiSVrI=" },
        V { seed: 1, b64: true, proto: 17, src: &[8, 8, 8, 8], sport: Some(53), dst: &[192, 168, 1, 52], dport: Some(54585), id: "1:Q9We8WO3piVF8yEQBNJF4uiSVrI=" },
        V { seed: 1, b64: true, proto: 46, src: &[10, 1, 12, 1], sport: None, dst: &[10, 1, 12, 2], dport: None, id: "1:rYir8gphR31noO9iDRQmF/BteEI=" },
        V { seed: 1, b64: true, proto: 46, src: &[10, 1, 12, 2], sport: None, dst: &[10, 1, 12, 1], dport: None, id: "1:rYir8gphR31noO9iDRQmF/BteEI=" },
        V { seed: 0, b64: false, proto: 58, src: &[254, 128, 0, 0, 0, 0, 0, 0, 2, 0, 134, 255, 254, 5, 128, 218], sport: Some(135), dst: &[254, 128, 0, 0, 0, 0, 0, 0, 2, 96, 151, 255, 254, 7, 105, 234], dport: Some(136), id: "1:7461f21af8cc7e58e0e81a69c26ddb8342cef136" },
        V { seed: 0, b64: false, proto: 58, src: &[254, 128, 0, 0, 0, 0, 0, 0, 2, 96, 151, 255, 254, 7, 105, 234], sport: Some(136), dst: &[254, 128, 0, 0, 0, 0, 0, 0, 2, 0, 134, 255, 254, 5, 128, 218], dport: Some(135), id: "1:7461f21af8cc7e58e0e81a69c26ddb8342cef136" },
        V { seed: 0, b64: false, proto: 58, src: &[254, 128, 0, 0, 0, 0, 0, 0, 2, 96, 151, 255, 254, 7, 105, 234], sport: Some(135), dst: &[254, 128, 0, 0, 0, 0, 0, 0, 2, 0, 134, 255, 254, 5, 128, 218], dport: Some(136), id: "1:cdabf24ff71ecd0af57e6226602c189cc5db81c9" },
        V { seed: 0, b64: false, proto: 58, src: &[254, 128, 0, 0, 0, 0, 0, 0, 2, 0, 134, 255, 254, 5, 128, 218], sport: Some(136), dst: &[254, 128, 0, 0, 0, 0, 0, 0, 2, 96, 151, 255, 254, 7, 105, 234], dport: Some(135), id: "1:cdabf24ff71ecd0af57e6226602c189cc5db81c9" },
        V { seed: 0, b64: false, proto: 58, src: &[63, 254, 5, 1, 24, 0, 35, 69, 0, 0, 0, 0, 0, 0, 0, 2], sport: Some(3), dst: &[63, 254, 5, 7, 0, 0, 0, 1, 2, 0, 134, 255, 254, 5, 128, 218], dport: Some(0), id: "1:d8e6d5060227dbca19be26d866164c06087b59d4" },
        V { seed: 0, b64: false, proto: 58, src: &[63, 254, 5, 1, 4, 16, 0, 0, 2, 192, 223, 255, 254, 71, 3, 62], sport: Some(1), dst: &[63, 254, 5, 7, 0, 0, 0, 1, 2, 0, 134, 255, 254, 5, 128, 218], dport: Some(4), id: "1:84b65dd17196a23a33aefc6a13475607588ce91d" },
        V { seed: 0, b64: false, proto: 58, src: &[63, 254, 5, 7, 0, 0, 0, 1, 2, 0, 134, 255, 254, 5, 128, 218], sport: Some(128), dst: &[63, 254, 5, 1, 0, 0, 16, 1, 0, 0, 0, 0, 0, 0, 0, 2], dport: Some(129), id: "1:f935be1ed2c7bd5d719c6855d65bfb5e826ba908" },
        V { seed: 0, b64: false, proto: 58, src: &[63, 254, 5, 1, 0, 0, 16, 1, 0, 0, 0, 0, 0, 0, 0, 2], sport: Some(129), dst: &[63, 254, 5, 7, 0, 0, 0, 1, 2, 0, 134, 255, 254, 5, 128, 218], dport: Some(128), id: "1:f935be1ed2c7bd5d719c6855d65bfb5e826ba908" },
        V { seed: 0, b64: false, proto: 58, src: &[254, 128, 0, 0, 0, 0, 0, 0, 2, 0, 134, 255, 254, 5, 128, 218], sport: Some(133), dst: &[255, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2], dport: Some(134), id: "1:84efac3781fe306e4c63ff2122b5cfa9ce19433d" },
        V { seed: 0, b64: false, proto: 58, src: &[254, 128, 0, 0, 0, 0, 0, 0, 2, 96, 151, 255, 254, 7, 105, 234], sport: Some(134), dst: &[255, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], dport: Some(133), id: "1:a64bc7a822fcf3fb60d64e1c3e282665752d2f4d" },
        V { seed: 0, b64: false, proto: 1, src: &[192, 168, 0, 89], sport: Some(8), dst: &[192, 168, 0, 1], dport: Some(0), id: "1:5f4b27617a60c22bfd4d9b6a83ae2c833527e839" },
        V { seed: 0, b64: false, proto: 1, src: &[192, 168, 0, 1], sport: Some(0), dst: &[192, 168, 0, 89], dport: Some(8), id: "1:5f4b27617a60c22bfd4d9b6a83ae2c833527e839" },
        V { seed: 0, b64: false, proto: 1, src: &[10, 0, 0, 1], sport: Some(11), dst: &[10, 0, 0, 2], dport: Some(0), id: "1:607c6d022ac21bfff43b391c540ba4a8a40df713" },
        V { seed: 0, b64: false, proto: 6, src: &[32, 1, 4, 112, 229, 191, 222, 173, 73, 87, 33, 116, 232, 44, 72, 135], sport: Some(63943), dst: &[38, 7, 248, 176, 64, 12, 12, 3, 0, 0, 0, 0, 0, 0, 0, 26], dport: Some(25), id: "1:fea15a78047e8057b52988cccd50ec32ffb0814e" },
        V { seed: 0, b64: false, proto: 6, src: &[38, 7, 248, 176, 64, 12, 12, 3, 0, 0, 0, 0, 0, 0, 0, 26], sport: Some(25), dst: &[32, 1, 4, 112, 229, 191, 222, 173, 73, 87, 33, 116, 232, 44, 72, 135], dport: Some(63943), id: "1:fea15a78047e8057b52988cccd50ec32ffb0814e" },
        V { seed: 0, b64: false, proto: 132, src: &[192, 168, 170, 8], sport: Some(7), dst: &[192, 168, 170, 56], dport: Some(7), id: "1:30fd84b5108050866f4f0e8cc491cb57b37b243b" },
        V { seed: 0, b64: false, proto: 132, src: &[192, 168, 170, 56], sport: Some(7), dst: &[192, 168, 170, 8], dport: Some(7), id: "1:30fd84b5108050866f4f0e8cc491cb57b37b243b" },
        V { seed: 0, b64: false, proto: 6, src: &[128, 232, 110, 120], sport: Some(34855), dst: &[66, 35, 250, 204], dport: Some(80), id: "1:2d053da9994af81e45dca0e67afea6e4f3226eb8" },
        V { seed: 0, b64: false, proto: 6, src: &[66, 35, 250, 204], sport: Some(80), dst: &[128, 232, 110, 120], dport: Some(34855), id: "1:2d053da9994af81e45dca0e67afea6e4f3226eb8" },
        V { seed: 0, b64: false, proto: 17, src: &[192, 168, 1, 52], sport: Some(54585), dst: &[8, 8, 8, 8], dport: Some(53), id: "1:77f14fe445b7c22635bc29dd87095e451287a304" },
        V { seed: 0, b64: false, proto: 17, src: &[8, 8, 8, 8], sport: Some(53), dst: &[192, 168, 1, 52], dport: Some(54585), id: "1:77f14fe445b7c22635bc29dd87095e451287a304" },
        V { seed: 0, b64: false, proto: 46, src: &[10, 1, 12, 1], sport: None, dst: &[10, 1, 12, 2], dport: None, id: "1:28794b920a095bb89f513c934a0c957e4147ccac" },
        V { seed: 0, b64: false, proto: 46, src: &[10, 1, 12, 2], sport: None, dst: &[10, 1, 12, 1], dport: None, id: "1:28794b920a095bb89f513c934a0c957e4147ccac" },
    ];

    #[test]
    fn spec_table_vectors_all_pass() {
        check_all(&SPEC_TABLE);
    }

    #[test]
    fn spec_baseline_vectors_all_pass() {
        check_all(&SPEC_BASELINE);
    }

    fn tcp(
        src: &'static [u8],
        sport: u16,
        dst: &'static [u8],
        dport: u16,
    ) -> CommunityIdInput<'static> {
        CommunityIdInput {
            src,
            dst,
            proto: PROTO_TCP,
            src_port: sport,
            dst_port: dport,
            has_ports: true,
        }
    }

    #[test]
    fn both_directions_give_the_same_id() {
        let a: &[u8] = &[10, 0, 0, 1];
        let b: &[u8] = &[127, 0, 0, 1];
        let fwd = community_id_v1(0, &tcp(a, 1234, b, 80));
        let rev = community_id_v1(0, &tcp(b, 80, a, 1234));
        assert_eq!(fwd, rev);
        // Same addresses: the ports decide the order.
        let fwd = community_id_v1(0, &tcp(a, 1234, a, 80));
        let rev = community_id_v1(0, &tcp(a, 80, a, 1234));
        assert_eq!(fwd, rev);
        // The seed changes the id.
        assert_ne!(
            community_id_v1(0, &tcp(a, 1234, b, 80)),
            community_id_v1(1, &tcp(a, 1234, b, 80))
        );
    }

    #[test]
    fn hash_input_layout_matches_the_spec() {
        // 10.0.0.1:1234 <- 127.0.0.1:80, reordered to 10.0.0.1, 127.0.0.1, 1234, 80.
        let got = community_id_v1(7, &tcp(&[127, 0, 0, 1], 80, &[10, 0, 0, 1], 1234));
        let raw = [0, 7, 10, 0, 0, 1, 127, 0, 0, 1, 6, 0, 0x04, 0xd2, 0, 80];
        assert_eq!(got, sha1::sha1(&raw));
    }

    #[test]
    fn ipv6_both_directions() {
        let a: &[u8] = &[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
        let b: &[u8] = &[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
        let udp = |src, sport, dst, dport| CommunityIdInput {
            src,
            dst,
            proto: PROTO_UDP,
            src_port: sport,
            dst_port: dport,
            has_ports: true,
        };
        let fwd = community_id_v1(0, &udp(b, 53, a, 40000));
        assert_eq!(fwd, community_id_v1(0, &udp(a, 40000, b, 53)));
        let mut raw = vec![0u8, 0];
        raw.extend_from_slice(a);
        raw.extend_from_slice(b);
        raw.extend_from_slice(&[17, 0, 0x9c, 0x40, 0, 53]);
        assert_eq!(fwd, sha1::sha1(&raw));
    }

    #[test]
    fn protocol_without_ports_ignores_ports() {
        let a: &[u8] = &[1, 2, 3, 4];
        let b: &[u8] = &[5, 6, 7, 8];
        let rsvp = |src, dst, sport, dport, has_ports| CommunityIdInput {
            src,
            dst,
            proto: 46,
            src_port: sport,
            dst_port: dport,
            has_ports,
        };
        let id = community_id_v1(0, &rsvp(a, b, 0, 0, false));
        assert_eq!(format(&id, true), "1:ikv3kmf89luf73WPz1jOs49S768=");
        assert_eq!(id, community_id_v1(0, &rsvp(b, a, 0, 0, false)));
        // Ports passed for a port-less protocol are not hashed.
        assert_eq!(id, community_id_v1(0, &rsvp(b, a, 9, 3, true)));
        assert_eq!(id, sha1::sha1(&[0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 46, 0]));
    }

    #[test]
    fn port_protocol_without_ports_hashes_addresses_only() {
        let input = CommunityIdInput {
            src: &[5, 6, 7, 8],
            dst: &[1, 2, 3, 4],
            proto: PROTO_TCP,
            src_port: 99,
            dst_port: 98,
            has_ports: false,
        };
        assert_eq!(
            community_id_v1(0, &input),
            sha1::sha1(&[0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 6, 0])
        );
    }

    fn icmp(
        proto: u8,
        src: &'static [u8],
        dst: &'static [u8],
        ty: u16,
        code: u16,
    ) -> CommunityIdInput<'static> {
        CommunityIdInput {
            src,
            dst,
            proto,
            src_port: ty,
            dst_port: code,
            has_ports: true,
        }
    }

    #[test]
    fn icmp_request_and_reply_pair_up() {
        let a: &[u8] = &[1, 2, 3, 4];
        let b: &[u8] = &[5, 6, 7, 8];
        let pairs: [(u8, u16, u16); 11] = [
            (PROTO_ICMP, 8, 0),
            (PROTO_ICMP, 13, 14),
            (PROTO_ICMP, 15, 16),
            (PROTO_ICMP, 10, 9),
            (PROTO_ICMP, 17, 18),
            (PROTO_ICMPV6, 128, 129),
            (PROTO_ICMPV6, 130, 131),
            (PROTO_ICMPV6, 133, 134),
            (PROTO_ICMPV6, 135, 136),
            (PROTO_ICMPV6, 139, 140),
            (PROTO_ICMPV6, 144, 145),
        ];
        for (proto, request, reply) in pairs.iter().copied() {
            // Codes are dropped for paired types, so they may differ.
            let req = community_id_v1(0, &icmp(proto, a, b, request, 3));
            let rep = community_id_v1(0, &icmp(proto, b, a, reply, 0));
            assert_eq!(req, rep, "proto {} types {}/{}", proto, request, reply);
            // Already-mapped input gives the same id.
            assert_eq!(req, community_id_v1(0, &icmp(proto, a, b, request, reply)));
            // Hashed as (request, reply) after ordering.
            let raw = [
                0,
                0,
                1,
                2,
                3,
                4,
                5,
                6,
                7,
                8,
                proto,
                0,
                0,
                request as u8,
                0,
                reply as u8,
            ];
            assert_eq!(req, sha1::sha1(&raw));
        }
    }

    #[test]
    fn icmp_one_way_is_never_flipped() {
        let low: &[u8] = &[1, 2, 3, 4];
        let high: &[u8] = &[5, 6, 7, 8];
        // Time exceeded (11, code 1) from the higher address: hashed as given, (type, code).
        let got = community_id_v1(0, &icmp(PROTO_ICMP, high, low, 11, 1));
        assert_eq!(
            got,
            sha1::sha1(&[0, 0, 5, 6, 7, 8, 1, 2, 3, 4, 1, 0, 0, 11, 0, 1])
        );
        assert_ne!(got, community_id_v1(0, &icmp(PROTO_ICMP, low, high, 11, 1)));
        // ICMPv6 146 (mobile prefix solicitation) has no counterpart in the table.
        let got = community_id_v1(0, &icmp(PROTO_ICMPV6, high, low, 146, 0));
        assert_eq!(
            got,
            sha1::sha1(&[0, 0, 5, 6, 7, 8, 1, 2, 3, 4, 58, 0, 0, 146, 0, 0])
        );
        // An ICMPv4 echo type number means nothing for ICMPv6: one-way there.
        let got = community_id_v1(0, &icmp(PROTO_ICMPV6, high, low, 8, 0));
        assert_eq!(
            got,
            sha1::sha1(&[0, 0, 5, 6, 7, 8, 1, 2, 3, 4, 58, 0, 0, 8, 0, 0])
        );
    }

    #[test]
    fn format_renders_base64_or_hex() {
        let digest = community_id_v1(0, &tcp(&[1, 2, 3, 4], 1122, &[5, 6, 7, 8], 3344));
        assert_eq!(format(&digest, true), "1:wCb3OG7yAFWelaUydu0D+125CLM=");
        assert_eq!(
            format(&digest, false),
            "1:c026f7386ef200559e95a53276ed03fb5db908b3"
        );
    }

    #[test]
    fn odd_address_lengths_do_not_panic() {
        let long = [0xffu8; 40];
        let cases: [(&[u8], &[u8]); 4] = [
            (&[], &[]),
            (&[1], &[1, 2, 3, 4]),
            (&long, &long[..3]),
            (&long, &long),
        ];
        for (src, dst) in cases.iter() {
            for proto in [0u8, 1, 6, 46, 58, 255].iter().copied() {
                let input = CommunityIdInput {
                    src,
                    dst,
                    proto,
                    src_port: u16::MAX,
                    dst_port: 0,
                    has_ports: true,
                };
                let _ = format(&community_id_v1(u16::MAX, &input), false);
            }
        }
        // Over-long addresses are cut to 16 bytes.
        let input = CommunityIdInput {
            src: &long,
            dst: &long,
            proto: 46,
            src_port: 0,
            dst_port: 0,
            has_ports: false,
        };
        let mut raw = vec![0u8, 0];
        raw.extend_from_slice(&[0xff; 32]);
        raw.extend_from_slice(&[46, 0]);
        assert_eq!(community_id_v1(0, &input), sha1::sha1(&raw));
    }
}
