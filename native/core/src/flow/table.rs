//! The flow table: a slab of flows, an open-addressing index over it, and per-(protocol class,
//! state) LRU lists ordered by last packet time.
//!
//! Why this shape:
//! - The slab plus a `u64`-per-slot index costs ~`size_of::<Flow>() + 16` bytes a flow, so the
//!   memcap translates into a hard flow count, checked before every insert (never unbounded).
//! - Each LRU list holds flows with the same timeout, so the expired ones are always at the
//!   heads: expiry is O(expired), never a scan of the table (Suricata scans hash rows instead),
//!   and the oldest flow for memcap eviction is the oldest of 12 heads.
//! - Packet time only; a packet older than a flow's last one does not move it back.

use super::key::{FlowKey, PROTO_ICMP, PROTO_ICMPV6, PROTO_SCTP, PROTO_TCP, PROTO_UDP};
use super::timeout::{FlowState, ProtoClass, Timeouts};
use crate::community_id::{community_id_v1, CommunityIdCache, CommunityIdInput};
use crate::hash::mix64;

const NONE: u32 = u32::MAX;
const EMPTY_SLOT: u64 = u64::MAX;
const LISTS: usize = ProtoClass::COUNT * FlowState::COUNT;

/// Per-direction index: 0 = to server (client -> server), 1 = to client.
pub const TO_SERVER: usize = 0;
pub const TO_CLIENT: usize = 1;

#[derive(Debug, Clone, Copy, Default)]
pub struct TcpTrack {
    /// OR of every TCP flags byte seen, per direction.
    pub flags: [u8; 2],
    /// SYN, SYN/ACK, FIN per direction and RST seen, as bits (keeps `Flow` small).
    bits: u8,
}

const TCP_SYN_SEEN: u8 = 1;
const TCP_SYNACK_SEEN: u8 = 2;
const TCP_FIN_SEEN: u8 = 4; // << direction
const TCP_RST_SEEN: u8 = 16;

impl TcpTrack {
    pub fn syn(&self) -> bool {
        self.bits & TCP_SYN_SEEN != 0
    }
    pub fn synack(&self) -> bool {
        self.bits & TCP_SYNACK_SEEN != 0
    }
    /// A FIN was seen in direction `dir` (`TO_SERVER` / `TO_CLIENT`).
    pub fn fin(&self, dir: usize) -> bool {
        self.bits & (TCP_FIN_SEEN << (dir & 1)) != 0
    }
    pub fn rst(&self) -> bool {
        self.bits & TCP_RST_SEEN != 0
    }
    pub fn set_syn(&mut self) {
        self.bits |= TCP_SYN_SEEN;
    }
    pub fn set_synack(&mut self) {
        self.bits |= TCP_SYNACK_SEEN;
    }
    pub fn set_fin(&mut self, dir: usize) {
        self.bits |= TCP_FIN_SEEN << (dir & 1);
    }
    pub fn set_rst(&mut self) {
        self.bits |= TCP_RST_SEEN;
    }
    /// Client and server trade places: per-direction flags and FIN bits swap.
    pub fn swap_directions(&mut self) {
        self.flags.swap(0, 1);
        let fin = (self.bits >> 2) & 3;
        let fin = ((fin & 1) << 1) | ((fin >> 1) & 1);
        self.bits = (self.bits & !(3 << 2)) | (fin << 2);
    }
}

/// The flow's share of one tumbling window not yet added to its (group, window) aggregate
/// (see `window.rs`). Empty when both packet counts are zero. 28 bytes, 4-aligned: the byte
/// sums are kept as 32-bit halves so the struct adds no padding to `Flow`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WindowSegment {
    /// Window id (`ts / window length`); fits 32 bits because windows are at least 5 s long.
    pub window: u32,
    /// Packets per direction in this segment (`TO_SERVER` = upload). The engine moves a count
    /// into the aggregate before it would wrap, so these never overflow.
    pub pkts: [u32; 2],
    /// Captured bytes per direction (the same `bytes` the flow counts): low and high halves.
    bytes_lo: [u32; 2],
    bytes_hi: [u32; 2],
}

impl WindowSegment {
    /// An empty segment of window `window`.
    pub fn of(window: u32) -> WindowSegment {
        WindowSegment { window, ..WindowSegment::default() }
    }

    pub fn is_empty(&self) -> bool {
        self.pkts[0] == 0 && self.pkts[1] == 0
    }

    /// Captured bytes in direction `dir` (`TO_SERVER` / `TO_CLIENT`).
    pub fn bytes(&self, dir: usize) -> u64 {
        let d = dir & 1;
        ((self.bytes_hi[d] as u64) << 32) | self.bytes_lo[d] as u64
    }

    pub fn set_bytes(&mut self, dir: usize, v: u64) {
        let d = dir & 1;
        self.bytes_lo[d] = v as u32;
        self.bytes_hi[d] = (v >> 32) as u32;
    }

    pub fn add_bytes(&mut self, dir: usize, n: u64) {
        let v = self.bytes(dir).wrapping_add(n);
        self.set_bytes(dir, v);
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Flow {
    pub key: FlowKey,
    pub hash: u64,
    /// The client endpoint is the key's `lo` endpoint.
    pub client_is_lo: bool,
    /// Ports as the record prints them, client first (ICMP: type and code of the first packet).
    pub rec_sport: u16,
    pub rec_dport: u16,
    pub state: FlowState,
    pub class: ProtoClass,
    pub tcp: TcpTrack,
    /// Bit 0: a packet to the server was seen; bit 1: to the client.
    pub seen: u8,
    pub pkts: [u64; 2],
    pub bytes: [u64; 2],
    pub ip_bytes: [u64; 2],
    /// Original (wire) length sums; differ from `bytes` only for snaplen-truncated packets.
    pub wire_bytes: [u64; 2],
    pub start_ns: u64,
    pub last_ns: u64,
    /// Window accounting: the current segment (meaningful only when `grouped`).
    pub seg: WindowSegment,
    /// Client inside home-net and server outside it (decided once, at creation): the flow's
    /// bytes are accounted per window.
    pub grouped: bool,
    /// Application protocol code (0 = not known yet); read when a segment is flushed.
    pub app_proto: u8,
    /// App-layer bookkeeping owned by `app::session` (bit 0: nothing more to parse, skip the
    /// app layer for this flow's packets; bit 1: the side table holds state for this flow).
    pub app_flags: u8,
    prev: u32,
    next: u32,
    list: u8,
}

impl Flow {
    pub fn new(key: FlowKey, hash: u64, client_is_lo: bool, ts_ns: u64) -> Flow {
        Flow {
            key,
            hash,
            client_is_lo,
            rec_sport: 0,
            rec_dport: 0,
            state: FlowState::New,
            class: ProtoClass::of(key.proto),
            tcp: TcpTrack::default(),
            seen: 0,
            pkts: [0; 2],
            bytes: [0; 2],
            ip_bytes: [0; 2],
            wire_bytes: [0; 2],
            start_ns: ts_ns,
            last_ns: ts_ns,
            seg: WindowSegment::default(),
            grouped: false,
            app_proto: 0,
            app_flags: 0,
            prev: NONE,
            next: NONE,
            list: 0,
        }
    }

    /// Reverse the flow's direction (Suricata's `FlowSwap`, done when app-layer detection shows
    /// the first packet's sender is the server): client and server, record ports and every
    /// per-direction counter trade places. The caller flushes the window segment first and
    /// re-classifies `grouped` after.
    pub fn swap_direction(&mut self) {
        self.client_is_lo = !self.client_is_lo;
        std::mem::swap(&mut self.rec_sport, &mut self.rec_dport);
        self.pkts.swap(0, 1);
        self.bytes.swap(0, 1);
        self.ip_bytes.swap(0, 1);
        self.wire_bytes.swap(0, 1);
        self.tcp.swap_directions();
        self.seen = ((self.seen & 1) << 1) | ((self.seen >> 1) & 1);
    }

    /// The client's address and port (port in key terms).
    pub fn client(&self) -> ([u8; 16], u16) {
        if self.client_is_lo {
            (self.key.lo_addr, self.key.lo_port)
        } else {
            (self.key.hi_addr, self.key.hi_port)
        }
    }

    pub fn server(&self) -> ([u8; 16], u16) {
        if self.client_is_lo {
            (self.key.hi_addr, self.key.hi_port)
        } else {
            (self.key.lo_addr, self.key.lo_port)
        }
    }

    /// The 53-bit id of the flow record (exact in JSON), stable for the same key and start time.
    pub fn flow_id(&self) -> u64 {
        mix64(self.hash ^ self.start_ns) & ((1u64 << 53) - 1)
    }

    /// Community ID v1 digest of the flow as its record prints it (client first).
    pub fn community_id(&self, seed: u16) -> [u8; 20] {
        self.with_community_id_input(|input| community_id_v1(seed, input))
    }

    /// `community_id` through `cache` (hashed once per tuple while it stays cached).
    pub fn community_id_cached(&self, cache: &mut CommunityIdCache) -> [u8; 20] {
        let hint = self.flow_id();
        self.with_community_id_input(|input| cache.get(hint, input))
    }

    /// `community_id(cache.seed())`, read from `cache` when there, without inserting.
    pub fn community_id_peek(&self, cache: &CommunityIdCache) -> [u8; 20] {
        let hint = self.flow_id();
        self.with_community_id_input(|input| cache.peek(hint, input).unwrap_or_else(|| community_id_v1(cache.seed(), input)))
    }

    fn with_community_id_input<R>(&self, g: impl FnOnce(&CommunityIdInput) -> R) -> R {
        let (src, _) = self.client();
        let (dst, _) = self.server();
        let alen = if self.key.ip_version == 6 { 16 } else { 4 };
        let has_ports = matches!(self.key.proto, PROTO_TCP | PROTO_UDP | PROTO_SCTP | PROTO_ICMP | PROTO_ICMPV6);
        g(&CommunityIdInput { src: &src[..alen], dst: &dst[..alen], proto: self.key.proto, src_port: self.rec_sport, dst_port: self.rec_dport, has_ports })
    }

    fn list_id(&self) -> u8 {
        (self.class as u8) * (FlowState::COUNT as u8) + self.state as u8
    }
}

/// Bytes one tracked flow costs in this table (slab entry + two index slots at max load).
pub const BYTES_PER_FLOW: usize = std::mem::size_of::<Flow>() + 2 * std::mem::size_of::<u64>();

pub struct FlowTable {
    flows: Vec<Flow>,
    free: Vec<u32>,
    /// Open addressing, linear probing: (hash high 32 bits << 32) | slab index, or EMPTY_SLOT.
    slots: Vec<u64>,
    mask: usize,
    heads: [u32; LISTS],
    tails: [u32; LISTS],
    active: usize,
    max_flows: usize,
}

impl FlowTable {
    /// A table that never holds more than `max_flows` flows (at least 1).
    pub fn new(max_flows: usize) -> FlowTable {
        let max_flows = max_flows.max(1);
        let initial = 1024usize.min((max_flows * 2).next_power_of_two()).max(16);
        FlowTable {
            flows: Vec::new(),
            free: Vec::new(),
            slots: vec![EMPTY_SLOT; initial],
            mask: initial - 1,
            heads: [NONE; LISTS],
            tails: [NONE; LISTS],
            active: 0,
            max_flows,
        }
    }

    pub fn len(&self) -> usize {
        self.active
    }

    pub fn is_empty(&self) -> bool {
        self.active == 0
    }

    pub fn max_flows(&self) -> usize {
        self.max_flows
    }

    pub fn is_full(&self) -> bool {
        self.active >= self.max_flows
    }

    pub fn get(&self, idx: u32) -> &Flow {
        &self.flows[idx as usize]
    }

    pub fn get_mut(&mut self, idx: u32) -> &mut Flow {
        &mut self.flows[idx as usize]
    }

    #[inline]
    fn slot_of(&self, hash: u64) -> usize {
        (hash as usize) & self.mask
    }

    pub fn lookup(&self, key: &FlowKey, hash: u64) -> Option<u32> {
        let tag = hash >> 32;
        let mut i = self.slot_of(hash);
        loop {
            let s = self.slots[i];
            if s == EMPTY_SLOT {
                return None;
            }
            if s >> 32 == tag {
                let idx = (s & 0xffff_ffff) as u32;
                if self.flows[idx as usize].key == *key {
                    return Some(idx);
                }
            }
            i = (i + 1) & self.mask;
        }
    }

    /// Insert a new flow. The caller must have made room (`!is_full()`); returns its index.
    pub fn insert(&mut self, flow: Flow) -> u32 {
        debug_assert!(!self.is_full());
        if (self.active + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let hash = flow.hash;
        let idx = match self.free.pop() {
            Some(i) => {
                self.flows[i as usize] = flow;
                i
            }
            None => {
                self.flows.push(flow);
                (self.flows.len() - 1) as u32
            }
        };
        self.index_put(hash, idx);
        self.active += 1;
        self.link_tail(idx);
        idx
    }

    fn index_put(&mut self, hash: u64, idx: u32) {
        let mut i = self.slot_of(hash);
        while self.slots[i] != EMPTY_SLOT {
            i = (i + 1) & self.mask;
        }
        self.slots[i] = ((hash >> 32) << 32) | idx as u64;
    }

    fn grow(&mut self) {
        let new_len = self.slots.len() * 2;
        let old = std::mem::replace(&mut self.slots, vec![EMPTY_SLOT; new_len]);
        self.mask = new_len - 1;
        for s in old {
            if s != EMPTY_SLOT {
                let idx = (s & 0xffff_ffff) as u32;
                let hash = self.flows[idx as usize].hash;
                self.index_put(hash, idx);
            }
        }
    }

    /// Remove a flow from the table and return it.
    pub fn remove(&mut self, idx: u32) -> Flow {
        self.unlink(idx);
        let flow = self.flows[idx as usize];
        // Find its slot, then backward-shift deletion keeps probe chains intact without tombstones.
        let mut i = self.slot_of(flow.hash);
        while self.slots[i] & 0xffff_ffff != idx as u64 {
            i = (i + 1) & self.mask;
        }
        let mut hole = i;
        let mut j = (i + 1) & self.mask;
        loop {
            let s = self.slots[j];
            if s == EMPTY_SLOT {
                break;
            }
            let home = self.slot_of(self.flows[(s & 0xffff_ffff) as usize].hash);
            // Move s into the hole if its home is not in the cyclic range (hole, j].
            let in_range = if hole <= j { home > hole && home <= j } else { home > hole || home <= j };
            if !in_range {
                self.slots[hole] = s;
                hole = j;
            }
            j = (j + 1) & self.mask;
        }
        self.slots[hole] = EMPTY_SLOT;
        self.free.push(idx);
        self.active -= 1;
        flow
    }

    /// Move a flow to the tail of its (possibly new) list after a packet or a state change.
    pub fn touch(&mut self, idx: u32) {
        self.unlink(idx);
        self.link_tail(idx);
    }

    fn link_tail(&mut self, idx: u32) {
        let l = self.flows[idx as usize].list_id();
        let tail = self.tails[l as usize];
        {
            let f = &mut self.flows[idx as usize];
            f.list = l;
            f.prev = tail;
            f.next = NONE;
        }
        if tail == NONE {
            self.heads[l as usize] = idx;
        } else {
            self.flows[tail as usize].next = idx;
        }
        self.tails[l as usize] = idx;
    }

    fn unlink(&mut self, idx: u32) {
        let (prev, next, l) = {
            let f = &self.flows[idx as usize];
            (f.prev, f.next, f.list as usize)
        };
        if prev == NONE {
            self.heads[l] = next;
        } else {
            self.flows[prev as usize].next = next;
        }
        if next == NONE {
            self.tails[l] = prev;
        } else {
            self.flows[next as usize].prev = prev;
        }
        let f = &mut self.flows[idx as usize];
        f.prev = NONE;
        f.next = NONE;
    }

    /// One flow whose timeout has passed at `now_ns`, if any (oldest first within each list).
    pub fn next_expired(&self, now_ns: u64, timeouts: &Timeouts, emergency: bool) -> Option<u32> {
        for l in 0..LISTS {
            let h = self.heads[l];
            if h == NONE {
                continue;
            }
            let f = &self.flows[h as usize];
            let t = timeouts.get(f.class, f.state, emergency) as u64 * 1_000_000_000;
            if f.last_ns.saturating_add(t) < now_ns {
                return Some(h);
            }
        }
        None
    }

    /// The least recently active flow (for memcap eviction).
    pub fn oldest(&self) -> Option<u32> {
        let mut best: Option<u32> = None;
        for l in 0..LISTS {
            let h = self.heads[l];
            if h == NONE {
                continue;
            }
            best = match best {
                Some(b) if self.flows[b as usize].last_ns <= self.flows[h as usize].last_ns => Some(b),
                _ => Some(h),
            };
        }
        best
    }

    /// Indices of every active flow, in slot order (a full pass: once per closing window).
    pub fn active_indices(&self, out: &mut Vec<u32>) {
        out.clear();
        out.extend(self.slots.iter().filter(|&&s| s != EMPTY_SLOT).map(|&s| (s & 0xffff_ffff) as u32));
    }

    /// Any flow at all (used to drain the table at shutdown).
    pub fn any(&self) -> Option<u32> {
        self.heads.iter().copied().find(|&h| h != NONE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u32) -> FlowKey {
        let mut a = [0u8; 16];
        a[..4].copy_from_slice(&n.to_be_bytes());
        FlowKey::new(4, 17, a, 1000, [8, 8, 8, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 53, [0, 0]).0
    }

    #[test]
    fn insert_lookup_remove_many() {
        let mut t = FlowTable::new(10_000);
        let mut ids = Vec::new();
        for n in 0..5000 {
            let k = key(n);
            let h = k.hash(7);
            ids.push(t.insert(Flow::new(k, h, true, n as u64)));
        }
        assert_eq!(t.len(), 5000);
        for n in (0..5000).step_by(2) {
            let k = key(n);
            let idx = t.lookup(&k, k.hash(7)).unwrap();
            t.remove(idx);
        }
        for n in 0..5000 {
            let k = key(n);
            assert_eq!(t.lookup(&k, k.hash(7)).is_some(), n % 2 == 1, "flow {}", n);
        }
        assert_eq!(t.len(), 2500);
    }

    #[test]
    fn collisions_survive_deletion() {
        // Force every key into one probe chain with a constant hash.
        let mut t = FlowTable::new(100);
        for n in 0..40 {
            t.insert(Flow::new(key(n), 0x1234_0000_0000_0005, true, 0));
        }
        for n in (0..40).step_by(3) {
            let idx = t.lookup(&key(n), 0x1234_0000_0000_0005).unwrap();
            t.remove(idx);
        }
        for n in 0..40 {
            assert_eq!(t.lookup(&key(n), 0x1234_0000_0000_0005).is_some(), n % 3 != 0);
        }
    }

    #[test]
    fn expiry_follows_lists_and_oldest_is_global() {
        let timeouts = Timeouts::default();
        let mut t = FlowTable::new(10);
        let a = t.insert(Flow::new(key(1), key(1).hash(0), true, 1_000_000_000));
        let b = t.insert(Flow::new(key(2), key(2).hash(0), true, 5_000_000_000));
        assert_eq!(t.oldest(), Some(a));
        // UDP new timeout is 30 s.
        assert_eq!(t.next_expired(31_000_000_000, &timeouts, false), None);
        assert_eq!(t.next_expired(31_000_000_001, &timeouts, false), Some(a));
        t.get_mut(a).last_ns = 6_000_000_000;
        t.touch(a);
        assert_eq!(t.oldest(), Some(b));
        // Emergency UDP new timeout is 10 s.
        assert_eq!(t.next_expired(15_000_000_001, &timeouts, true), Some(b));
    }

    #[test]
    fn swap_direction_trades_every_per_direction_field() {
        let (key, lo) = FlowKey::new(4, PROTO_TCP, [10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 40000, [192, 0, 2, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], 80, [0, 0]);
        let mut f = Flow::new(key, 1, lo, 5);
        f.rec_sport = 40000;
        f.rec_dport = 80;
        f.pkts = [3, 1];
        f.bytes = [300, 100];
        f.ip_bytes = [250, 80];
        f.wire_bytes = [310, 110];
        f.tcp.flags = [0x02, 0x12];
        f.tcp.set_fin(TO_SERVER);
        f.seen = 1;
        let (c, s) = (f.client(), f.server());
        f.swap_direction();
        assert_eq!((f.client(), f.server()), (s, c));
        assert_eq!((f.rec_sport, f.rec_dport), (80, 40000));
        assert_eq!((f.pkts, f.bytes, f.ip_bytes, f.wire_bytes), ([1, 3], [100, 300], [80, 250], [110, 310]));
        assert_eq!(f.tcp.flags, [0x12, 0x02]);
        assert!(f.tcp.fin(TO_CLIENT) && !f.tcp.fin(TO_SERVER));
        assert_eq!(f.seen, 2);
        f.swap_direction();
        assert_eq!((f.client(), f.pkts, f.seen), (c, [3, 1], 1));
        assert!(f.tcp.fin(TO_SERVER) && !f.tcp.fin(TO_CLIENT));
    }

    #[test]
    fn tcp_bits_are_independent() {
        let mut t = TcpTrack::default();
        assert!(!t.syn() && !t.synack() && !t.fin(0) && !t.fin(1) && !t.rst());
        t.set_fin(TO_CLIENT);
        assert!(t.fin(TO_CLIENT) && !t.fin(TO_SERVER) && !t.syn());
        t.set_syn();
        t.set_rst();
        assert!(t.syn() && t.rst() && !t.synack() && !t.fin(TO_SERVER));
    }

    #[test]
    fn active_indices_lists_each_flow_once() {
        let mut t = FlowTable::new(100);
        let ids: Vec<u32> = (0..50).map(|n| t.insert(Flow::new(key(n), key(n).hash(3), true, 0))).collect();
        t.remove(ids[7]);
        let mut got = Vec::new();
        t.active_indices(&mut got);
        got.sort_unstable();
        let mut want: Vec<u32> = ids.iter().copied().filter(|&i| i != ids[7]).collect();
        want.sort_unstable();
        assert_eq!(got, want);
    }

    #[test]
    fn segment_bytes_use_the_full_64_bits() {
        let mut g = WindowSegment::default();
        g.add_bytes(TO_CLIENT, u32::MAX as u64);
        g.add_bytes(TO_CLIENT, 2);
        assert_eq!((g.bytes(TO_CLIENT), g.bytes(TO_SERVER)), ((1u64 << 32) + 1, 0));
        g.set_bytes(TO_SERVER, u64::MAX - 5);
        assert_eq!(g.bytes(TO_SERVER), u64::MAX - 5);
        assert_eq!(std::mem::size_of::<WindowSegment>(), 28);
    }

    #[test]
    fn flow_cost_is_bounded() {
        assert!(BYTES_PER_FLOW <= 200, "BYTES_PER_FLOW = {}", BYTES_PER_FLOW);
    }
}
