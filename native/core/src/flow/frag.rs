//! IP fragment attribution. Policy (documented in README): fragments are not reassembled; each
//! fragment is a packet of the flow of its first fragment (which carries the ports). A later
//! fragment whose first fragment was not seen goes to a port-less flow between the two hosts.
//! The table is bounded; when full, stale entries (by packet time) are dropped, and if that is
//! not enough the new first fragment is not remembered (counted).

use std::collections::HashMap;

const CAPACITY: usize = 8192;
const STALE_NS: u64 = 60 * 1_000_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct FragId {
    src: [u8; 16],
    dst: [u8; 16],
    proto: u8,
    id: u32,
}

#[derive(Default)]
pub struct FragTracker {
    map: HashMap<FragId, (u16, u16, u64)>,
    pub table_full: u64,
    pub unmatched: u64,
}

impl FragTracker {
    pub fn remember(&mut self, src: [u8; 16], dst: [u8; 16], proto: u8, id: u32, ports: (u16, u16), ts_ns: u64) {
        let k = FragId { src, dst, proto, id };
        if self.map.len() >= CAPACITY && !self.map.contains_key(&k) {
            self.map.retain(|_, v| v.2.saturating_add(STALE_NS) >= ts_ns);
            if self.map.len() >= CAPACITY {
                self.table_full += 1;
                return;
            }
        }
        self.map.insert(k, (ports.0, ports.1, ts_ns));
    }

    pub fn lookup(&mut self, src: [u8; 16], dst: [u8; 16], proto: u8, id: u32) -> Option<(u16, u16)> {
        let r = self.map.get(&FragId { src, dst, proto, id }).map(|v| (v.0, v.1));
        if r.is_none() {
            self.unmatched += 1;
        }
        r
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_and_bounds() {
        let mut t = FragTracker::default();
        t.remember([1; 16], [2; 16], 17, 5, (1000, 53), 0);
        assert_eq!(t.lookup([1; 16], [2; 16], 17, 5), Some((1000, 53)));
        assert_eq!(t.lookup([1; 16], [2; 16], 17, 6), None);
        assert_eq!(t.unmatched, 1);
        for i in 0..(CAPACITY as u32 + 10) {
            t.remember([1; 16], [2; 16], 17, 100 + i, (1, 2), 0);
        }
        assert!(t.len() <= CAPACITY);
        assert!(t.table_full > 0);
        // Entries become stale after a minute of packet time and make room.
        t.remember([3; 16], [4; 16], 6, 1, (5, 6), 120 * 1_000_000_000);
        assert_eq!(t.lookup([3; 16], [4; 16], 6, 1), Some((5, 6)));
    }
}
