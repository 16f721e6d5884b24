//! Exact per-window byte accounting (SPEC section 4): tumbling windows aligned to the epoch,
//! one aggregate per (group, window), emitted as a window record when the window closes.
//!
//! - **Group**: (client address, server address, server port, IP protocol, app_proto) of a flow
//!   whose client is inside home-net and whose server is outside it. Decided once per flow at
//!   creation (`Flow::grouped`); inbound and internal-to-internal flows have no group. Ports
//!   are those the flow record prints; protocols without ports use 0 as the group's port.
//! - **Every packet's bytes go to the window of that packet's own timestamp.** A flow keeps its
//!   current window segment (`Flow::seg`: window id, bytes and packets each way). A packet of a
//!   later window flushes the segment into its (group, window) aggregate first; a packet of an
//!   earlier window that is still open goes straight into that window's aggregate; a packet of
//!   a closed window is counted late (`window_late_packets` / `window_late_bytes`) and never
//!   reopens it. A flow that ends (timeout, FIN/RST, memcap eviction, shutdown) flushes first.
//!   The group key reads the flow's `app_proto` when the segment is flushed.
//! - **Closing**: window `w` covers `[w * len, (w + 1) * len)` and closes when the engine clock
//!   (packet time; also moved by `advance`) passes its end plus the grace period. Closing
//!   flushes every active flow's segment of a window `<=` the closing one (one pass over the
//!   table per close, in a canonical flow order so results do not depend on table layout) and
//!   emits one record per group of each closed window, in (window, group) order. `close_all`
//!   (shutdown / end of replay) closes every open window.
//! - **Per aggregate**: `flow_count` (flow segments active in the window), `unique_flows`
//!   (distinct 5-tuples: within a group only the client port varies, kept in an exact sorted
//!   `Vec<u16>` that becomes an 8 KiB bitmap past 512 ports), upload/download bytes and packets,
//!   the largest contributing flow by upload bytes in the window (its ports, flow id, Community
//!   ID), the distinct Community IDs of contributing flows (first 64 kept, all counted), and the
//!   number of IP packets the engine could not attribute in that window (untracked packets with
//!   one end inside home-net, or segments whose aggregate could not be created): when non-zero
//!   the record's sums are lower bounds.
//! - **Bounds**: at most `max_groups` aggregates and about `memcap_bytes` of them (entries plus
//!   their port sets and ID lists). A segment whose aggregate cannot be created is counted
//!   (`window_groups_dropped`, `window_dropped_packets`, `window_dropped_bytes`) and marks its
//!   window as a lower bound; growth refused by the byte budget is counted (`window_memcap_hits`)
//!   and leaves either a shorter ID list or (ports) a `unique_flows` lower bound.
//!
//! Known approximations (documented, not silent): a late packet for an open older window of a
//! flow whose 5-tuple is already in that aggregate is not a new flow segment, so `flow_count` can
//! miss an out-of-order packet of a *restarted* flow; the largest flow's upload only includes
//! such late packets when it is the same flow.

use std::collections::BTreeMap;

use crate::decode::PacketMeta;
use crate::flow::key::{PROTO_SCTP, PROTO_TCP, PROTO_UDP};
use crate::flow::{Flow, FlowTable, WindowSegment, TO_CLIENT, TO_SERVER};
use crate::net::HomeNet;

pub const NS: u64 = 1_000_000_000;
/// Windows are at least this long, so a window id fits the flow's 32-bit segment field for any
/// 64-bit nanosecond timestamp (`u64::MAX / 5e9 < u32::MAX`).
pub const MIN_WINDOW_SECONDS: u64 = 5;
pub const MAX_WINDOW_SECONDS: u64 = 7 * 86_400;
pub const MAX_GRACE_SECONDS: u64 = 7 * 86_400;
/// Community IDs kept per aggregate (all are counted).
pub const MAX_COMMUNITY_IDS: usize = 64;
/// Client ports kept as a sorted list up to this many, then as a 65536-bit bitmap.
const SMALL_PORTS_MAX: usize = 512;
const BITMAP_WORDS: usize = 65_536 / 64;
/// Estimated cost of one aggregate entry besides its heap parts (B-tree node share included).
pub const AGG_ENTRY_BYTES: usize = std::mem::size_of::<(u64, GroupKey)>() + std::mem::size_of::<Agg>() + 32;

/// The group of a flow. Field order is the emission order within a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct GroupKey {
    /// Client (internal) and server (external) address; IPv4 in the first 4 bytes.
    pub src: [u8; 16],
    pub dst: [u8; 16],
    /// Server port for TCP/UDP/SCTP, else 0.
    pub dest_port: u16,
    pub proto: u8,
    /// Application protocol code at flush time (0 = not known).
    pub app_proto: u8,
    pub ip_version: u8,
}

impl GroupKey {
    pub fn of(f: &Flow) -> GroupKey {
        let has_ports = matches!(f.key.proto, PROTO_TCP | PROTO_UDP | PROTO_SCTP);
        GroupKey {
            src: f.client().0,
            dst: f.server().0,
            dest_port: if has_ports { f.rec_dport } else { 0 },
            proto: f.key.proto,
            app_proto: f.app_proto,
            ip_version: f.key.ip_version,
        }
    }
}

/// The flow that uploaded the most in a window (ties: the first flushed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LargestFlow {
    /// Ports as the flow record prints them (ICMP: type and code).
    pub src_port: u16,
    pub dst_port: u16,
    /// Its upload (client -> server) bytes in this window.
    pub upload_bytes: u64,
    /// The `flow_id` of its flow record.
    pub flow_id: u64,
    pub community_id: [u8; 20],
}

/// One (group, window) aggregate as it leaves the engine.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WindowRecord {
    pub group: GroupKey,
    pub window_start_ns: u64,
    /// Exclusive end (`start + window length`).
    pub window_end_ns: u64,
    pub flow_count: u64,
    pub unique_flows: u64,
    pub upload_bytes: u64,
    pub download_bytes: u64,
    pub upload_packets: u64,
    pub download_packets: u64,
    pub largest: LargestFlow,
    /// Distinct Community IDs of contributing flows, the first `MAX_COMMUNITY_IDS` in flush order.
    pub community_ids: Vec<[u8; 20]>,
    /// How many distinct Community IDs there were in all.
    pub community_ids_total: u64,
    /// IP packets of this window the engine could not attribute (non-zero: sums are lower bounds).
    pub unattributed_packets: u64,
    /// The port set could not grow within the byte budget: `unique_flows` is a lower bound.
    pub unique_flows_inexact: bool,
}

impl WindowRecord {
    pub fn lower_bound(&self) -> bool {
        self.unattributed_packets > 0
    }
}

/// Window counters (exported by `Stats::visit` under `window_*`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WindowCounters {
    pub records: u64,
    pub late_packets: u64,
    pub late_bytes: u64,
    pub groups_dropped: u64,
    pub dropped_packets: u64,
    pub dropped_bytes: u64,
    pub unattributed_packets: u64,
    pub memcap_hits: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowParams {
    pub enabled: bool,
    pub window_seconds: u64,
    pub grace_seconds: u64,
    pub home_net: HomeNet,
    pub max_groups: usize,
    pub memcap_bytes: u64,
    pub community_id_seed: u16,
}

#[derive(Debug, Clone)]
enum PortSet {
    Small(Vec<u16>),
    Bitmap { bits: Vec<u64>, count: u32 },
}

impl PortSet {
    fn len(&self) -> u64 {
        match self {
            PortSet::Small(v) => v.len() as u64,
            PortSet::Bitmap { count, .. } => *count as u64,
        }
    }

    fn heap_bytes(&self) -> usize {
        match self {
            PortSet::Small(v) => v.capacity() * 2,
            PortSet::Bitmap { bits, .. } => bits.capacity() * 8,
        }
    }

    /// Insert `p`: `Some(true)` new, `Some(false)` already there, `None` when growing would
    /// need more than `room` bytes.
    fn insert(&mut self, p: u16, room: usize) -> Option<bool> {
        let (word, bit) = ((p >> 6) as usize, 1u64 << (p & 63));
        let upgraded = match self {
            PortSet::Bitmap { bits, count } => {
                return match bits.get_mut(word) {
                    Some(w) if *w & bit != 0 => Some(false),
                    Some(w) => {
                        *w |= bit;
                        *count += 1;
                        Some(true)
                    }
                    None => None,
                };
            }
            PortSet::Small(v) => {
                let pos = match v.binary_search(&p) {
                    Ok(_) => return Some(false),
                    Err(pos) => pos,
                };
                if v.len() < SMALL_PORTS_MAX {
                    if v.len() == v.capacity() {
                        let want = (v.capacity() * 2).clamp(4, SMALL_PORTS_MAX);
                        if (want - v.capacity()) * 2 > room {
                            return None;
                        }
                        v.reserve_exact(want - v.len());
                    }
                    v.insert(pos, p);
                    return Some(true);
                }
                if BITMAP_WORDS * 8 > room.saturating_add(v.capacity() * 2) {
                    return None;
                }
                let mut bits = vec![0u64; BITMAP_WORDS];
                for &q in v.iter().chain(std::iter::once(&p)) {
                    if let Some(w) = bits.get_mut((q >> 6) as usize) {
                        *w |= 1u64 << (q & 63);
                    }
                }
                PortSet::Bitmap { bits, count: v.len() as u32 + 1 }
            }
        };
        *self = upgraded;
        Some(true)
    }
}

#[derive(Debug, Clone)]
struct Agg {
    flow_count: u64,
    up_bytes: u64,
    down_bytes: u64,
    up_pkts: u64,
    down_pkts: u64,
    ports: PortSet,
    unique_inexact: bool,
    has_largest: bool,
    largest: LargestFlow,
    cids: Vec<[u8; 20]>,
    cids_total: u64,
}

/// How a piece of a flow's traffic enters an aggregate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Piece {
    /// The flow's segment for the window: a flow segment of the group.
    Segment,
    /// One out-of-order packet for an older window that is still open.
    LatePacket,
    /// Packets moved over early so the segment's 32-bit counts never wrap (bytes stay).
    PacketsOnly,
}

impl Agg {
    fn new() -> Agg {
        Agg {
            flow_count: 0,
            up_bytes: 0,
            down_bytes: 0,
            up_pkts: 0,
            down_pkts: 0,
            ports: PortSet::Small(Vec::new()),
            unique_inexact: false,
            has_largest: false,
            largest: LargestFlow::default(),
            cids: Vec::new(),
            cids_total: 0,
        }
    }

    fn heap_bytes(&self) -> usize {
        self.ports.heap_bytes() + self.cids.capacity() * 20
    }

    /// Add `seg` of flow `f`. `room` is what the byte budget still allows; returns whether the
    /// budget refused some growth.
    fn absorb(&mut self, f: &Flow, seg: &WindowSegment, piece: Piece, room: usize, cid_seed: u16) -> bool {
        self.up_pkts += seg.pkts[TO_SERVER] as u64;
        self.down_pkts += seg.pkts[TO_CLIENT] as u64;
        if piece == Piece::PacketsOnly {
            return false;
        }
        self.up_bytes += seg.bytes(TO_SERVER);
        self.down_bytes += seg.bytes(TO_CLIENT);
        let mut refused = false;
        let new_tuple = match self.ports.insert(f.rec_sport, room) {
            Some(n) => n,
            None => {
                self.unique_inexact = true;
                refused = true;
                false
            }
        };
        if piece == Piece::LatePacket && !new_tuple {
            // The flow (or an earlier one with its 5-tuple) is already counted here.
            if self.has_largest && self.largest.flow_id == f.flow_id() {
                self.largest.upload_bytes += seg.bytes(TO_SERVER);
            }
            return refused;
        }
        self.flow_count += 1;
        let up = seg.bytes(TO_SERVER);
        let becomes_largest = !self.has_largest || up > self.largest.upload_bytes;
        let wants_cid = new_tuple && self.cids.len() < MAX_COMMUNITY_IDS;
        if becomes_largest || wants_cid {
            let cid = f.community_id(cid_seed);
            if becomes_largest {
                self.has_largest = true;
                self.largest = LargestFlow { src_port: f.rec_sport, dst_port: f.rec_dport, upload_bytes: up, flow_id: f.flow_id(), community_id: cid };
            }
            if wants_cid {
                let room = room.saturating_sub(self.ports.heap_bytes());
                if self.cids.len() == self.cids.capacity() {
                    let want = (self.cids.capacity() * 2).clamp(4, MAX_COMMUNITY_IDS);
                    if (want - self.cids.capacity()) * 20 > room {
                        refused = true;
                    } else {
                        self.cids.reserve_exact(want - self.cids.len());
                    }
                }
                if self.cids.len() < self.cids.capacity() {
                    self.cids.push(cid);
                }
            }
        }
        if new_tuple {
            self.cids_total += 1;
        }
        refused
    }

    fn into_record(self, window: u64, group: GroupKey, len_ns: u64, unattributed: u64) -> WindowRecord {
        let start = window.saturating_mul(len_ns);
        WindowRecord {
            group,
            window_start_ns: start,
            window_end_ns: start.saturating_add(len_ns),
            flow_count: self.flow_count,
            unique_flows: self.ports.len(),
            upload_bytes: self.up_bytes,
            download_bytes: self.down_bytes,
            upload_packets: self.up_pkts,
            download_packets: self.down_pkts,
            largest: self.largest,
            community_ids: self.cids,
            community_ids_total: self.cids_total,
            unattributed_packets: unattributed,
            unique_flows_inexact: self.unique_inexact,
        }
    }
}

/// Canonical flow order for the close pass: by start time, then hash, then key.
fn flow_order(a: &Flow, b: &Flow) -> std::cmp::Ordering {
    let (x, y) = (&a.key, &b.key);
    (a.start_ns, a.hash)
        .cmp(&(b.start_ns, b.hash))
        .then_with(|| (x.lo_addr, x.hi_addr, x.lo_port, x.hi_port).cmp(&(y.lo_addr, y.hi_addr, y.lo_port, y.hi_port)))
        .then_with(|| (x.proto, x.ip_version, x.vlan, x.recursion).cmp(&(y.proto, y.ip_version, y.vlan, y.recursion)))
}

pub struct WindowState {
    enabled: bool,
    len_ns: u64,
    grace_ns: u64,
    home: HomeNet,
    cid_seed: u16,
    max_groups: usize,
    memcap_bytes: usize,
    aggs: BTreeMap<(u64, GroupKey), Agg>,
    /// Unattributed IP packets per open window (lower-bound marks).
    lossy: BTreeMap<u64, u64>,
    /// Windows below this id are closed.
    open_from: u64,
    /// The clock must pass this for window `open_from` to close (`u64::MAX` when disabled).
    next_close_ns: u64,
    /// The last window looked up, `[cur_start, cur_start + len)` (saves a division per packet).
    cur_id: u64,
    cur_start: u64,
    /// Estimated bytes held by `aggs`.
    bytes: usize,
    pub counters: WindowCounters,
}

impl WindowState {
    pub fn new(p: WindowParams) -> WindowState {
        let len_ns = p.window_seconds.clamp(MIN_WINDOW_SECONDS, MAX_WINDOW_SECONDS) * NS;
        let grace_ns = p.grace_seconds.min(MAX_GRACE_SECONDS) * NS;
        WindowState {
            enabled: p.enabled,
            len_ns,
            grace_ns,
            home: p.home_net,
            cid_seed: p.community_id_seed,
            max_groups: p.max_groups.max(1),
            memcap_bytes: usize::try_from(p.memcap_bytes).unwrap_or(usize::MAX),
            aggs: BTreeMap::new(),
            lossy: BTreeMap::new(),
            open_from: 0,
            next_close_ns: if p.enabled { len_ns + grace_ns } else { u64::MAX },
            cur_id: 0,
            cur_start: 0,
            bytes: 0,
            counters: WindowCounters::default(),
        }
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    pub fn window_ns(&self) -> u64 {
        self.len_ns
    }

    /// Aggregates held (open windows).
    pub fn groups_active(&self) -> usize {
        self.aggs.len()
    }

    /// Estimated bytes held by the aggregates.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Windows below this id are closed.
    pub fn open_from(&self) -> u64 {
        self.open_from
    }

    /// Does this (new) flow have a group: client inside home-net, server outside it?
    pub fn classify(&self, f: &Flow) -> bool {
        let v = f.key.ip_version;
        self.enabled && self.home.contains(v, &f.client().0) && !self.home.contains(v, &f.server().0)
    }

    fn window_of(&self, ts_ns: u64) -> u64 {
        ts_ns / self.len_ns
    }

    /// `window_of` for the per-packet path: most packets fall in the window of the one before.
    #[inline]
    fn window_of_cached(&mut self, ts_ns: u64) -> u64 {
        if ts_ns.wrapping_sub(self.cur_start) < self.len_ns {
            return self.cur_id;
        }
        let w = ts_ns / self.len_ns;
        self.cur_id = w;
        self.cur_start = w * self.len_ns;
        w
    }

    /// Has the clock passed the close time of the oldest open window?
    #[inline]
    pub fn close_is_due(&self, now_ns: u64) -> bool {
        now_ns > self.next_close_ns
    }

    fn room(&self) -> usize {
        self.memcap_bytes.saturating_sub(self.bytes)
    }

    /// Account one packet (already counted to grouped flow `f`) to its own timestamp's window.
    pub fn packet(&mut self, f: &mut Flow, ts_ns: u64, dir: usize, bytes: u32) {
        let dir = dir & 1;
        let w = self.window_of_cached(ts_ns);
        if w < self.open_from {
            self.counters.late_packets += 1;
            self.counters.late_bytes += bytes as u64;
            return;
        }
        // Cannot truncate: window lengths of at least 5 s keep ids below 2^32 (see MIN_WINDOW_SECONDS).
        let w32 = u32::try_from(w).unwrap_or(u32::MAX);
        if f.seg.is_empty() {
            f.seg = WindowSegment::of(w32);
        } else if w32 > f.seg.window {
            self.flush(f);
            f.seg.window = w32;
        } else if w32 < f.seg.window {
            let mut one = WindowSegment::of(w32);
            one.pkts[dir] = 1;
            one.set_bytes(dir, bytes as u64);
            self.put(f, &one, Piece::LatePacket);
            return;
        }
        if f.seg.pkts[dir] == u32::MAX {
            let mut spill = WindowSegment::of(f.seg.window);
            spill.pkts[dir] = u32::MAX;
            self.put(f, &spill, Piece::PacketsOnly);
            f.seg.pkts[dir] = 0;
        }
        f.seg.pkts[dir] += 1;
        f.seg.add_bytes(dir, bytes as u64);
    }

    /// Flush the flow's segment into its (group, window) aggregate (window change, flow end,
    /// window close). No-op for an empty segment.
    pub fn flush(&mut self, f: &mut Flow) {
        if !f.grouped || f.seg.is_empty() {
            return;
        }
        let seg = f.seg;
        f.seg = WindowSegment::default();
        self.put(f, &seg, Piece::Segment);
    }

    fn put(&mut self, f: &Flow, seg: &WindowSegment, piece: Piece) {
        let w = seg.window as u64;
        let pkts = seg.pkts[0] as u64 + seg.pkts[1] as u64;
        if w < self.open_from {
            // Not reachable (closing flushes every segment of the windows it closes); counted
            // rather than reopening a window.
            self.counters.late_packets += pkts;
            self.counters.late_bytes += seg.bytes(0) + seg.bytes(1);
            return;
        }
        let key = (w, GroupKey::of(f));
        let room = self.room();
        let full = self.aggs.len() >= self.max_groups || AGG_ENTRY_BYTES > room;
        let (agg, created) = match self.aggs.entry(key) {
            std::collections::btree_map::Entry::Occupied(e) => (e.into_mut(), false),
            std::collections::btree_map::Entry::Vacant(e) => {
                if full {
                    self.counters.groups_dropped += 1;
                    self.counters.dropped_packets += pkts;
                    if piece != Piece::PacketsOnly {
                        self.counters.dropped_bytes += seg.bytes(0) + seg.bytes(1);
                    }
                    *self.lossy.entry(w).or_insert(0) += pkts;
                    return;
                }
                (e.insert(Agg::new()), true)
            }
        };
        let before = if created { 0 } else { agg.heap_bytes() };
        let room = if created { room - AGG_ENTRY_BYTES } else { room };
        let refused = agg.absorb(f, seg, piece, room, self.cid_seed);
        let after = agg.heap_bytes();
        self.bytes = (self.bytes + after + if created { AGG_ENTRY_BYTES } else { 0 }).saturating_sub(before);
        if refused {
            self.counters.memcap_hits += 1;
        }
    }

    /// An IP packet the flow layer could not attribute (untracked). If exactly one end is inside
    /// home-net it may belong to a group: its window's records become lower bounds.
    pub fn note_unattributed(&mut self, ts_ns: u64, meta: &PacketMeta) {
        if !self.enabled || meta.ip_version == 0 {
            return;
        }
        let v = meta.ip_version;
        if self.home.contains(v, &meta.src) == self.home.contains(v, &meta.dst) {
            return;
        }
        let w = self.window_of(ts_ns);
        if w < self.open_from {
            return;
        }
        self.counters.unattributed_packets += 1;
        *self.lossy.entry(w).or_insert(0) += 1;
    }

    /// Close every window whose end plus grace the clock `now_ns` has passed.
    pub fn close_due(&mut self, now_ns: u64, table: &mut FlowTable, out: &mut Vec<WindowRecord>) {
        if !self.enabled || now_ns <= self.next_close_ns {
            return;
        }
        // Highest w with (w + 1) * len + grace < now. now > next_close_ns >= (open_from + 1) * len + grace,
        // so q >= open_from + 1 >= 1.
        let q = (now_ns - self.grace_ns - 1) / self.len_ns;
        if q == 0 {
            return;
        }
        self.close_through(q - 1, table, out);
    }

    /// Close every open window (shutdown / end of replay); flows keep living, their segments
    /// are flushed. Later packets of these windows count as late.
    pub fn close_all(&mut self, now_ns: u64, table: &mut FlowTable, out: &mut Vec<WindowRecord>) {
        if !self.enabled {
            return;
        }
        let mut t = self.window_of(now_ns);
        if let Some((&(w, _), _)) = self.aggs.iter().next_back() {
            t = t.max(w);
        }
        if let Some((&w, _)) = self.lossy.iter().next_back() {
            t = t.max(w);
        }
        self.close_through(t, table, out);
    }

    fn close_through(&mut self, t: u64, table: &mut FlowTable, out: &mut Vec<WindowRecord>) {
        let mut due = Vec::new();
        table.active_indices(&mut due);
        due.retain(|&i| {
            let f = table.get(i);
            f.grouped && !f.seg.is_empty() && (f.seg.window as u64) <= t
        });
        due.sort_unstable_by(|&a, &b| flow_order(table.get(a), table.get(b)));
        for &i in &due {
            self.flush(table.get_mut(i));
        }
        drop(due);
        let next = t.saturating_add(1);
        let rest = self.aggs.split_off(&(next, GroupKey::default()));
        let closing = std::mem::replace(&mut self.aggs, rest);
        let rest = self.lossy.split_off(&next);
        let lossy = std::mem::replace(&mut self.lossy, rest);
        out.reserve(closing.len());
        for ((w, key), agg) in closing {
            self.bytes = self.bytes.saturating_sub(AGG_ENTRY_BYTES + agg.heap_bytes());
            let unattributed = lossy.get(&w).copied().unwrap_or(0);
            out.push(agg.into_record(w, key, self.len_ns, unattributed));
            self.counters.records += 1;
        }
        if next > self.open_from {
            self.open_from = next;
        }
        self.next_close_ns = self.open_from.saturating_add(1).saturating_mul(self.len_ns).saturating_add(self.grace_ns);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_set_is_exact_across_the_upgrade() {
        let mut s = PortSet::Small(Vec::new());
        for p in (0..2000u16).rev() {
            assert_eq!(s.insert(p * 7, usize::MAX), Some(true));
            assert_eq!(s.insert(p * 7, usize::MAX), Some(false));
        }
        assert!(matches!(s, PortSet::Bitmap { .. }));
        assert_eq!(s.len(), 2000);
        assert_eq!(s.insert(65535, usize::MAX), Some(true));
        assert_eq!(s.insert(0, usize::MAX), Some(false));
        assert_eq!(s.len(), 2001);
        assert_eq!(s.heap_bytes(), 8192);

        // Without room: growth is refused, nothing else changes.
        let mut t = PortSet::Small(Vec::new());
        assert_eq!(t.insert(1, 0), None);
        assert_eq!(t.len(), 0);
        assert_eq!(t.insert(1, 8), Some(true));
        for p in 2..=4 {
            assert_eq!(t.insert(p, 0), Some(true), "within capacity");
        }
        assert_eq!(t.insert(5, 0), None);
    }

    #[test]
    fn agg_entry_cost_is_small() {
        assert!(AGG_ENTRY_BYTES <= 320, "AGG_ENTRY_BYTES = {}", AGG_ENTRY_BYTES);
    }

    // ---- through the engine ------------------------------------------------------------

    use crate::batch::{decode_window, drain_records, FLOW_RECORD_SIZE, KIND_FLOW, KIND_WINDOW};
    use crate::decode::linktype;
    use crate::engine::{EngineConfig, FlowEngine};
    use crate::flow::FlowKey;

    /// 2024-03-12T09:00:00Z, a multiple of 900 s.
    const T0: u64 = 1_710_234_000 * NS;
    const MIN: u64 = 60 * NS;
    const SYN: u8 = 0x02;
    const ACK: u8 = 0x10;

    /// A raw IPv4 packet (linktype RAW): TCP (flags) or UDP, `payload` zero bytes.
    fn v4(proto: u8, src: [u8; 4], sport: u16, dst: [u8; 4], dport: u16, flags: u8, payload: usize) -> Vec<u8> {
        let l4 = if proto == 6 { 20 } else { 8 };
        let total = 20 + l4 + payload;
        let mut p = vec![0u8; total];
        p[0] = 0x45;
        p[2..4].copy_from_slice(&(total as u16).to_be_bytes());
        p[8] = 64;
        p[9] = proto;
        p[12..16].copy_from_slice(&src);
        p[16..20].copy_from_slice(&dst);
        p[20..22].copy_from_slice(&sport.to_be_bytes());
        p[22..24].copy_from_slice(&dport.to_be_bytes());
        if proto == 6 {
            p[32] = 0x50;
            p[33] = flags;
        } else {
            p[24..26].copy_from_slice(&((8 + payload) as u16).to_be_bytes());
        }
        p
    }

    /// A raw IPv6 UDP packet.
    fn v6_udp(src: &str, sport: u16, dst: &str, dport: u16, payload: usize) -> Vec<u8> {
        let mut p = vec![0u8; 40 + 8 + payload];
        p[0] = 0x60;
        p[4..6].copy_from_slice(&((8 + payload) as u16).to_be_bytes());
        p[6] = 17;
        p[7] = 64;
        p[8..24].copy_from_slice(&src.parse::<std::net::Ipv6Addr>().unwrap().octets());
        p[24..40].copy_from_slice(&dst.parse::<std::net::Ipv6Addr>().unwrap().octets());
        p[40..42].copy_from_slice(&sport.to_be_bytes());
        p[42..44].copy_from_slice(&dport.to_be_bytes());
        p[44..46].copy_from_slice(&((8 + payload) as u16).to_be_bytes());
        p
    }

    const IN: [u8; 4] = [10, 0, 0, 5];
    const OUT: [u8; 4] = [203, 0, 113, 9];

    fn up(sport: u16, payload: usize) -> Vec<u8> {
        v4(17, IN, sport, OUT, 443, 0, payload)
    }

    fn down(sport: u16, payload: usize) -> Vec<u8> {
        v4(17, OUT, 443, IN, sport, 0, payload)
    }

    /// An engine without the app layer: these tests pin byte accounting; their zero-filled UDP
    /// payloads would otherwise be `failed` (app_proto 1) and split groups by app_proto, as the
    /// SPEC key does (see `same_tuple_flows_with_other_app_proto_are_other_groups`).
    fn engine(extra: &str) -> FlowEngine {
        FlowEngine::new(EngineConfig::parse(&format!("emit_windows=true\napp_layer=false\n{}", extra)).unwrap())
    }

    fn feed(e: &mut FlowEngine, ts: u64, frame: &[u8]) {
        e.process_packet(ts, linktype::RAW, frame, frame.len() as u32);
    }

    #[derive(Default)]
    struct Out {
        flows: usize,
        /// Bytes of flow records whose client is in 10/8 and server is not (grouped flows here).
        grouped_flow_bytes: u64,
        windows: Vec<WindowRecord>,
        /// Record kinds in stream order.
        kinds: Vec<u16>,
    }

    fn drain(e: &mut FlowEngine) -> Out {
        let mut buf = vec![0u8; e.pending_bytes()];
        let n = drain_records(e, &mut buf);
        assert_eq!(n, buf.len(), "pending_bytes is exactly what the drain writes");
        assert_eq!(e.pending_records(), 0);
        assert_eq!(e.pending_bytes(), 0);
        let mut out = Out::default();
        let mut at = 0;
        while at < n {
            let kind = u16::from_le_bytes([buf[at], buf[at + 1]]);
            let len = u16::from_le_bytes([buf[at + 2], buf[at + 3]]) as usize;
            out.kinds.push(kind);
            match kind {
                KIND_FLOW => {
                    assert_eq!(len, FLOW_RECORD_SIZE);
                    out.flows += 1;
                    let b = &buf[at + 8..at + len];
                    if b[32] == 4 && b[0] == 10 && b[16] != 10 {
                        let u = |o: usize| u64::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3], b[o + 4], b[o + 5], b[o + 6], b[o + 7]]);
                        out.grouped_flow_bytes += u(64) + u(72);
                    }
                }
                KIND_WINDOW => out.windows.push(decode_window(&buf[at..at + len]).expect("window record decodes")),
                k => panic!("unknown record kind {}", k),
            }
            at += len;
        }
        out
    }

    fn counter(e: &FlowEngine, name: &str) -> u64 {
        let mut v = None;
        e.visit_counters(&mut |n, x| {
            if n == name {
                v = Some(x);
            }
        });
        v.unwrap_or_else(|| panic!("no counter {}", name))
    }

    #[test]
    fn windows_are_epoch_aligned() {
        let mut e = engine("");
        let last_us_of_first = T0 + 15 * MIN - 1_000; // 09:14:59.999999
        feed(&mut e, last_us_of_first, &up(40000, 100));
        feed(&mut e, T0 + 15 * MIN, &up(40000, 200)); // 09:15:00.000000
        e.flush_all();
        let out = drain(&mut e);
        assert_eq!(out.windows.len(), 2);
        let (a, b) = (&out.windows[0], &out.windows[1]);
        assert_eq!((a.window_start_ns, a.window_end_ns), (T0, T0 + 15 * MIN));
        assert_eq!((b.window_start_ns, b.window_end_ns), (T0 + 15 * MIN, T0 + 30 * MIN));
        assert_eq!((a.upload_bytes, a.upload_packets), (128, 1));
        assert_eq!((b.upload_bytes, b.upload_packets), (228, 1));
        // A 600 s window: 09:00 is aligned too; 09:09:59 and 09:10:00 split.
        let mut e = engine("window_seconds=600");
        feed(&mut e, T0 + 10 * MIN - NS, &up(1, 0));
        feed(&mut e, T0 + 10 * MIN, &up(1, 0));
        e.flush_all();
        let w = drain(&mut e).windows;
        assert_eq!(w.iter().map(|r| r.window_start_ns).collect::<Vec<_>>(), vec![T0, T0 + 10 * MIN]);
    }

    #[test]
    fn one_flow_across_boundaries_splits_bytes_exactly() {
        let mut e = engine("");
        // A long upload: a packet every 20 s for 50 minutes, a reply every 100 s.
        let mut want = std::collections::BTreeMap::new();
        let mut t = T0 + 5 * MIN;
        let (mut total_up, mut total_down) = (0u64, 0u64);
        while t < T0 + 55 * MIN {
            let f = up(40000, 1000 + (t / NS % 7) as usize);
            feed(&mut e, t, &f);
            let w = want.entry(t / (15 * MIN)).or_insert((0u64, 0u64, 0u64, 0u64));
            w.0 += f.len() as u64;
            w.2 += 1;
            total_up += f.len() as u64;
            if (t / NS) % 100 == 0 {
                let d = down(40000, 60);
                feed(&mut e, t, &d);
                w.1 += d.len() as u64;
                w.3 += 1;
                total_down += d.len() as u64;
            }
            t += 20 * NS;
        }
        e.flush_all();
        let out = drain(&mut e);
        assert_eq!(out.flows, 1);
        assert_eq!(out.windows.len(), 4, "09:05-09:55 touches 4 windows");
        for r in &out.windows {
            let w = want[&(r.window_start_ns / (15 * MIN))];
            assert_eq!((r.upload_bytes, r.download_bytes, r.upload_packets, r.download_packets), w);
            assert_eq!((r.flow_count, r.unique_flows), (1, 1));
            assert_eq!(r.largest.upload_bytes, r.upload_bytes);
            assert_eq!(r.community_ids_total, 1);
            assert_eq!(r.community_ids, vec![r.largest.community_id]);
            assert!(!r.lower_bound());
        }
        assert_eq!(out.windows.iter().map(|r| r.upload_bytes).sum::<u64>(), total_up);
        assert_eq!(out.windows.iter().map(|r| r.download_bytes).sum::<u64>(), total_down);
        // The group key: client, server, server port, protocol.
        let g = &out.windows[0].group;
        assert_eq!((&g.src[..4], &g.dst[..4], g.dest_port, g.proto, g.app_proto, g.ip_version), (&IN[..], &OUT[..], 443, 17, 0, 4));
        assert_eq!((out.windows[0].largest.src_port, out.windows[0].largest.dst_port), (40000, 443));
    }

    #[test]
    fn window_closes_only_after_end_plus_grace() {
        let mut e = engine("window_grace_seconds=60\ntimeout.tcp.established=3600");
        let end = T0 + 15 * MIN;
        feed(&mut e, end - 2 * NS, &v4(6, IN, 40000, OUT, 443, ACK, 10));
        feed(&mut e, end - 2 * NS, &v4(6, OUT, 443, IN, 40000, ACK, 0));
        e.advance(end + MIN);
        assert_eq!(drain(&mut e).windows.len(), 0, "still open at end + grace exactly");
        // A packet inside the grace period still counts to the old window.
        feed(&mut e, end - NS, &v4(6, IN, 40000, OUT, 443, ACK, 10));
        e.advance(end + MIN + 1);
        let out = drain(&mut e);
        assert_eq!(out.windows.len(), 1);
        assert_eq!(out.windows[0].upload_packets, 2);
        assert_eq!(out.flows, 0, "the flow lives on; only its segment was flushed");
        assert_eq!(counter(&e, "window_records"), 1);
        assert_eq!(e.active_flows(), 1);
        // Grace 0: closes one nanosecond after its end.
        let mut e = engine("window_grace_seconds=0");
        feed(&mut e, T0, &up(1, 0));
        e.advance(T0 + 15 * MIN);
        assert_eq!(drain(&mut e).windows.len(), 0);
        e.advance(T0 + 15 * MIN + 1);
        assert_eq!(drain(&mut e).windows.len(), 1);
    }

    #[test]
    fn out_of_order_packet_goes_to_its_own_open_window() {
        let mut e = engine("");
        feed(&mut e, T0 + 15 * MIN - 10 * NS, &up(40000, 100)); // window A
        feed(&mut e, T0 + 15 * MIN + NS, &up(40000, 200)); // window B: A's segment flushed
        feed(&mut e, T0 + 15 * MIN - NS, &up(40000, 300)); // late, but A is open (grace)
        e.flush_all();
        let w = drain(&mut e).windows;
        assert_eq!(w.len(), 2);
        assert_eq!((w[0].upload_packets, w[0].upload_bytes, w[0].flow_count), (2, 128 + 328, 1));
        assert_eq!(w[0].largest.upload_bytes, 128 + 328, "the same flow's late packet adds to it");
        assert_eq!((w[1].upload_packets, w[1].upload_bytes), (1, 228));
        assert_eq!(counter(&e, "window_late_packets"), 0);
    }

    #[test]
    fn late_packets_are_counted_and_do_not_reopen() {
        let mut e = engine("");
        feed(&mut e, T0 + NS, &up(40000, 10));
        feed(&mut e, T0 + 17 * MIN, &up(40000, 10)); // closes window A
        let first = drain(&mut e);
        assert_eq!(first.windows.len(), 1);
        let late = up(40000, 500);
        feed(&mut e, T0 + 2 * NS, &late); // A is closed
        feed(&mut e, T0 + 3 * NS, &up(50000, 500)); // a new flow whose only packet is late
        assert_eq!(counter(&e, "window_late_packets"), 2);
        assert_eq!(counter(&e, "window_late_bytes"), 2 * late.len() as u64);
        e.flush_all();
        let out = drain(&mut e);
        assert_eq!(out.windows.len(), 1, "only window B; A is not reopened");
        assert_eq!(out.windows[0].window_start_ns, T0 + 15 * MIN);
        assert_eq!(out.windows[0].upload_packets, 1);
        assert_eq!(out.flows, 2, "late packets still count to their flows");
    }

    #[test]
    fn restarted_five_tuple_is_two_flows_one_unique() {
        let mut e = engine("");
        feed(&mut e, T0 + NS, &up(40000, 10));
        // UDP "new" times out after 30 s: the same 5-tuple 31 s later is a new flow.
        feed(&mut e, T0 + 32 * NS, &up(40000, 20));
        feed(&mut e, T0 + 33 * NS, &up(40001, 30));
        e.flush_all();
        let out = drain(&mut e);
        assert_eq!(out.flows, 3);
        assert_eq!(out.windows.len(), 1);
        let r = &out.windows[0];
        assert_eq!((r.flow_count, r.unique_flows, r.community_ids_total, r.community_ids.len()), (3, 2, 2, 2));
        assert_eq!(r.largest.src_port, 40001, "largest by upload bytes");
        assert_eq!(r.upload_bytes, 38 + 48 + 58);
    }

    #[test]
    fn home_net_decides_groups() {
        // IPv6 /48 inside, the rest outside.
        let mut e = engine("home_net=2001:db8:1000::/48");
        feed(&mut e, T0, &v6_udp("2001:db8:1000::5", 5000, "2001:db8:2000::9", 53, 10));
        feed(&mut e, T0, &v6_udp("2001:db8:2000::9", 6000, "2001:db8:1000::5", 53, 10)); // inbound
        feed(&mut e, T0, &v6_udp("2001:db8:1000::5", 5001, "2001:db8:1000:ffff::1", 53, 10)); // internal
        feed(&mut e, T0, &up(1, 1)); // IPv4: no IPv4 prefix, so outside
        e.flush_all();
        let w = drain(&mut e).windows;
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].group.ip_version, 6);
        assert_eq!(w[0].group.src, "2001:db8:1000::5".parse::<std::net::Ipv6Addr>().unwrap().octets());
        assert_eq!((w[0].group.dest_port, w[0].largest.src_port), (53, 5000));

        // ::/0: every IPv6 address is inside, so no IPv6 flow has an outside server.
        let mut e = engine("home_net=::/0,10.0.0.0/8");
        feed(&mut e, T0, &v6_udp("2a00::1", 5000, "2a01::1", 53, 10));
        feed(&mut e, T0, &up(1, 1));
        e.flush_all();
        let w = drain(&mut e).windows;
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].group.ip_version, 4);

        // An owned public range added to home_net: a destination in it is internal.
        let mut e = engine("home_net=10.0.0.0/8,203.0.113.0/24");
        feed(&mut e, T0, &up(1, 1));
        // Inbound (client outside) never forms a group, whatever the server.
        feed(&mut e, T0, &v4(6, [198, 51, 100, 7], 5555, IN, 22, SYN, 0));
        feed(&mut e, T0, &v4(6, IN, 22, [198, 51, 100, 7], 5555, SYN | ACK, 0));
        e.flush_all();
        let out = drain(&mut e);
        assert_eq!((out.flows, out.windows.len()), (2, 0));

        // A SYN/ACK seen first makes its receiver the client: outbound after all.
        let mut e = engine("");
        feed(&mut e, T0, &v4(6, OUT, 443, IN, 40000, SYN | ACK, 0));
        e.flush_all();
        let w = drain(&mut e).windows;
        assert_eq!(w.len(), 1);
        assert_eq!((&w[0].group.src[..4], w[0].group.dest_port, w[0].download_packets), (&IN[..], 443, 1));

        // Default off: no window accounting at all.
        let mut e = FlowEngine::new(EngineConfig::default());
        feed(&mut e, T0, &up(1, 1));
        e.flush_all();
        assert_eq!(drain(&mut e).windows.len(), 0);
    }

    #[test]
    fn aggregate_table_is_bounded_and_marks_lower_bound() {
        let mut e = engine("window_max_groups=2");
        for i in 0..3u8 {
            feed(&mut e, T0 + i as u64 * NS, &v4(17, IN, 1000, [198, 51, 100, i], 53, 0, 10));
        }
        e.flush_all();
        let w = drain(&mut e).windows;
        assert_eq!(w.len(), 2);
        assert_eq!(counter(&e, "window_groups_dropped"), 1);
        assert_eq!(counter(&e, "window_dropped_packets"), 1);
        assert_eq!(counter(&e, "window_dropped_bytes"), 38);
        assert!(w.iter().all(|r| r.lower_bound() && r.unattributed_packets == 1), "the window lost a group: every record says so");
        assert_eq!(e.windows().groups_active(), 0);
        assert_eq!(e.windows().bytes(), 0, "closing returns every byte");

        // The byte budget bounds it too.
        let mut e = engine("window_memcap_bytes=1");
        feed(&mut e, T0, &up(1, 1));
        e.flush_all();
        assert_eq!(drain(&mut e).windows.len(), 0);
        assert_eq!(counter(&e, "window_groups_dropped"), 1);
    }

    #[test]
    fn unattributed_packets_make_lower_bounds() {
        let mut e = engine("");
        feed(&mut e, T0, &up(1, 1));
        // A TCP packet with IP but a cut transport header, internal -> external.
        let mut bad = v4(6, IN, 1, OUT, 443, ACK, 0);
        bad.truncate(30);
        bad[2..4].copy_from_slice(&30u16.to_be_bytes());
        feed(&mut e, T0 + NS, &bad);
        // Internal to internal: cannot belong to a group, not counted.
        let mut bad2 = v4(6, IN, 1, [10, 9, 9, 9], 443, ACK, 0);
        bad2.truncate(30);
        bad2[2..4].copy_from_slice(&30u16.to_be_bytes());
        feed(&mut e, T0 + NS, &bad2);
        feed(&mut e, T0 + 15 * MIN, &up(1, 1));
        e.flush_all();
        let w = drain(&mut e).windows;
        assert_eq!(w.len(), 2);
        assert_eq!((w[0].lower_bound(), w[0].unattributed_packets), (true, 1));
        assert!(!w[1].lower_bound(), "only the window it happened in");
        assert_eq!(counter(&e, "window_unattributed_packets"), 1);
    }

    #[test]
    fn flush_all_closes_everything_and_orders_records() {
        let mut e = engine("window_grace_seconds=600");
        feed(&mut e, T0 + NS, &up(1, 1)); // window A, flow 1
        feed(&mut e, T0 + 15 * MIN + NS, &up(2, 1)); // window B (A still in grace), flow 2
        feed(&mut e, T0 + 15 * MIN + 2 * NS, &down(2, 1)); // flow 2's reply
        assert_eq!(drain(&mut e).windows.len(), 0, "A is still in its grace period");
        e.flush_all();
        let out = drain(&mut e);
        assert_eq!(out.kinds, vec![KIND_FLOW, KIND_WINDOW, KIND_WINDOW], "flows end first, then windows");
        let w = &out.windows;
        assert_eq!(w[0].window_start_ns, T0);
        assert_eq!((w[1].window_start_ns, w[1].upload_packets, w[1].download_packets), (T0 + 15 * MIN, 1, 1));
        assert_eq!(e.windows().groups_active(), 0);
        assert_eq!(e.windows().open_from(), (T0 + 15 * MIN) / (15 * MIN) + 1);
        // After shutdown, a packet of a closed window is late.
        feed(&mut e, T0 + 15 * MIN + 3 * NS, &up(1, 1));
        assert_eq!(counter(&e, "window_late_packets"), 1);
        e.flush_all();
        assert_eq!(drain(&mut e).windows.len(), 0);
    }

    #[test]
    fn drain_never_splits_and_keeps_order() {
        let mut e = engine("window_grace_seconds=0");
        for i in 0..40u16 {
            feed(&mut e, T0 + i as u64 * NS, &up(1000 + i, 10));
            feed(&mut e, T0 + i as u64 * NS, &v4(17, IN, 1000, [198, 51, 100, i as u8], 53, 0, 10));
        }
        e.flush_all();
        let total = e.pending_bytes();
        let records = e.pending_records();
        let mut all = Vec::new();
        let mut buf = vec![0u8; 1000];
        let mut guard = 0;
        while e.pending_records() > 0 {
            let n = drain_records(&mut e, &mut buf);
            assert!(n > 0, "a 1000-byte buffer fits any record here");
            all.extend_from_slice(&buf[..n]);
            guard += 1;
            assert!(guard < 1000);
        }
        assert_eq!(all.len(), total);
        let (mut at, mut count, mut windows) = (0, 0, 0);
        while at < all.len() {
            let len = u16::from_le_bytes([all[at + 2], all[at + 3]]) as usize;
            if u16::from_le_bytes([all[at], all[at + 1]]) == KIND_WINDOW {
                let r = decode_window(&all[at..at + len]).unwrap();
                windows += 1;
                if r.group.dest_port == 443 {
                    assert_eq!((r.flow_count, r.unique_flows, r.community_ids.len()), (40, 40, MAX_COMMUNITY_IDS.min(40)));
                }
            }
            at += len;
            count += 1;
        }
        assert_eq!((count, windows), (records, 41));
        // Too small for the next record: nothing is written.
        let mut e = engine("");
        feed(&mut e, T0, &up(1, 1));
        e.flush_all();
        assert_eq!(drain_records(&mut e, &mut [0u8; 100]), 0);
        assert_eq!(e.pending_records(), 2);
    }

    #[test]
    fn community_ids_are_capped_but_counted() {
        let mut e = engine("");
        for i in 0..100u16 {
            feed(&mut e, T0 + i as u64 * 1000, &up(2000 + i, i as usize));
        }
        e.flush_all();
        let w = drain(&mut e).windows;
        assert_eq!(w.len(), 1);
        let r = &w[0];
        assert_eq!((r.flow_count, r.unique_flows, r.community_ids_total, r.community_ids.len()), (100, 100, 100, MAX_COMMUNITY_IDS));
        assert_eq!(r.largest.src_port, 2099);
        assert_eq!(r.largest.upload_bytes, 28 + 99);
        assert!(r.community_ids.contains(&r.largest.community_id) || r.community_ids.len() == MAX_COMMUNITY_IDS);
    }

    #[test]
    fn same_tuple_flows_with_other_app_proto_are_other_groups() {
        // pcapgen -s 0.01: an SSH session idles past the 600 s TCP timeout and resumes
        // midstream; the new flow (same 5-tuple) has no banner, so it is `failed`, not `ssh`.
        // SPEC keys groups by app_proto: two aggregates in one window, each with its own flow.
        let mut ws = state();
        let mut a = outbound_flow(&ws);
        a.app_proto = 7;
        ws.packet(&mut a, T0, TO_SERVER, 100);
        ws.flush(&mut a);
        let mut b = outbound_flow(&ws);
        b.app_proto = 1;
        ws.packet(&mut b, T0 + 5 * NS, TO_SERVER, 30);
        ws.flush(&mut b);
        let mut table = FlowTable::new(4);
        let mut out = Vec::new();
        ws.close_all(T0 + 5 * NS, &mut table, &mut out);
        let mut got: Vec<(u8, u64, u64)> = out.iter().map(|r| (r.group.app_proto, r.flow_count as u64, r.upload_bytes)).collect();
        got.sort();
        assert_eq!(got, vec![(1, 1, 30), (7, 1, 100)]);
    }

    #[test]
    fn app_proto_is_read_at_flush_time() {
        let mut ws = state();
        let mut f = outbound_flow(&ws);
        ws.packet(&mut f, T0, TO_SERVER, 100);
        f.app_proto = 7; // detected later in the window
        ws.packet(&mut f, T0 + NS, TO_SERVER, 100);
        ws.flush(&mut f);
        let mut table = FlowTable::new(4);
        let mut out = Vec::new();
        ws.close_all(T0 + NS, &mut table, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!((out[0].group.app_proto, out[0].upload_bytes), (7, 200));
    }

    #[test]
    fn bytes_are_conserved_under_churn() {
        let e = churn("");
        assert!(counter(&e, "window_late_packets") > 0, "the test should exercise late packets");
        assert!(counter(&e, "flows_ended.memcap") > 0, "and evictions");
        let e = churn("window_max_groups=20");
        assert!(counter(&e, "window_groups_dropped") > 0, "and a full aggregate table");
    }

    /// Random traffic with timeouts, evictions (tiny memcap), out-of-order packets: every byte of
    /// every grouped flow's record is in exactly one window record or in the late/dropped counters.
    fn churn(extra: &str) -> FlowEngine {
        let mut e = engine(&format!("memcap_bytes=20000\nwindow_seconds=60\nwindow_grace_seconds=5\n{}", extra));
        let mut x: u64 = 0x1234_5678;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut ts = T0;
        let (mut flow_bytes, mut window_bytes, mut windows) = (0u64, 0u64, 0usize);
        let mut take = |e: &mut FlowEngine| {
            let out = drain(e);
            flow_bytes += out.grouped_flow_bytes;
            windows += out.windows.len();
            window_bytes += out.windows.iter().map(|r| r.upload_bytes + r.download_bytes).sum::<u64>();
        };
        for _ in 0..20_000 {
            let r = next();
            ts = if r % 50 == 0 { ts.saturating_sub(r % (8 * NS)) } else { ts + r % (NS / 5) };
            let host = (r >> 8) as u8 % 40;
            let sport = 1000 + (r >> 16) as u16 % 50;
            let len = (r >> 24) as usize % 300;
            let f = match (r >> 40) % 4 {
                0 => v4(17, [203, 0, 113, host], 443, IN, sport, 0, len),
                1 => v4(17, [198, 51, 100, host], sport, IN, 443, 0, len), // inbound
                _ => v4(17, IN, sport, [203, 0, 113, host], 443, 0, len),
            };
            feed(&mut e, ts, &f);
            if r % 997 == 0 {
                e.advance(ts + 30 * NS);
            }
            if r % 13 == 0 {
                take(&mut e);
            }
        }
        e.flush_all();
        take(&mut e);
        let lost = counter(&e, "window_late_bytes") + counter(&e, "window_dropped_bytes");
        assert!(windows > 50, "{} windows", windows);
        assert_eq!(flow_bytes, window_bytes + lost, "every grouped byte is in a window record or counted");
        assert_eq!(e.windows().bytes(), 0);
        assert_eq!(e.windows().groups_active(), 0);
        e
    }

    fn state() -> WindowState {
        WindowState::new(WindowParams {
            enabled: true,
            window_seconds: 900,
            grace_seconds: 60,
            home_net: HomeNet::default(),
            max_groups: 10,
            memcap_bytes: 1 << 20,
            community_id_seed: 0,
        })
    }

    fn outbound_flow(ws: &WindowState) -> Flow {
        let mut a = [0u8; 16];
        a[..4].copy_from_slice(&IN);
        let mut b = [0u8; 16];
        b[..4].copy_from_slice(&OUT);
        let (k, lo) = FlowKey::new(4, 6, a, 40000, b, 443, [0, 0]);
        let mut f = Flow::new(k, k.hash(1), lo, T0);
        f.rec_sport = 40000;
        f.rec_dport = 443;
        f.grouped = ws.classify(&f);
        assert!(f.grouped);
        f
    }

    #[test]
    fn segment_packet_counts_never_wrap() {
        let mut ws = state();
        let mut f = outbound_flow(&ws);
        ws.packet(&mut f, T0, TO_SERVER, 100);
        f.seg.pkts[TO_SERVER] = u32::MAX - 1; // as if 2^32 - 2 packets had been seen
        ws.packet(&mut f, T0 + 1, TO_SERVER, 100);
        ws.packet(&mut f, T0 + 2, TO_SERVER, 100); // would wrap: the count moves over first
        assert_eq!(f.seg.pkts[TO_SERVER], 1);
        assert_eq!(f.seg.bytes(TO_SERVER), 300, "bytes stay in the segment");
        let mut out = Vec::new();
        ws.close_all(T0 + 2, &mut FlowTable::new(4), &mut out);
        assert!(out.is_empty() || out[0].flow_count == 0, "not counted as a flow segment by the spill");
        ws.flush(&mut f);
        let mut ws2 = state();
        let mut g = outbound_flow(&ws2);
        ws2.packet(&mut g, T0, TO_SERVER, 100);
        g.seg.pkts[TO_SERVER] = u32::MAX - 1;
        ws2.packet(&mut g, T0 + 1, TO_SERVER, 100);
        ws2.packet(&mut g, T0 + 2, TO_SERVER, 100);
        ws2.flush(&mut g);
        let mut out = Vec::new();
        ws2.close_all(T0 + 2, &mut FlowTable::new(4), &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!((out[0].upload_packets, out[0].upload_bytes, out[0].flow_count, out[0].largest.upload_bytes), (u32::MAX as u64 + 1, 300, 1, 300));
    }
}
