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

use super::key::FlowKey;
use super::timeout::{FlowState, ProtoClass, Timeouts};

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
    pub syn: bool,
    pub synack: bool,
    pub fin: [bool; 2],
    pub rst: bool,
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
            prev: NONE,
            next: NONE,
            list: 0,
        }
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
    fn flow_cost_is_bounded() {
        assert!(BYTES_PER_FLOW <= 200, "BYTES_PER_FLOW = {}", BYTES_PER_FLOW);
    }
}
