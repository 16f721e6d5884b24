//! Engine counters. Every packet that is not fully accounted for is counted with a reason, so a
//! loss is never silent. Counters are exported by name (a stable, flat list) so the agent can
//! publish them as metrics without mirroring a struct layout.

use crate::flow::{EndReason, Untracked};
use crate::window::WindowCounters;
use crate::wire::{DecodeError, Layer};

const DECODE_ERRORS: [DecodeError; DecodeError::COUNT] = [
    DecodeError::Truncated,
    DecodeError::UnsupportedLinkType,
    DecodeError::NotIp,
    DecodeError::BadIpVersion,
    DecodeError::BadHeaderLength,
    DecodeError::BadTotalLength,
    DecodeError::BadExtensionHeader,
    DecodeError::Fragment,
    DecodeError::TooDeep,
];

const LAYERS: [Layer; Layer::COUNT] = [
    Layer::Link,
    Layer::Vlan,
    Layer::Ipv4,
    Layer::Ipv6,
    Layer::Ipv6Ext,
    Layer::Tcp,
    Layer::Udp,
    Layer::Icmp,
    Layer::Icmpv6,
    Layer::Sctp,
];

const UNTRACKED: [Untracked; Untracked::COUNT] = [
    Untracked::NoIp,
    Untracked::BadTransport,
    Untracked::IcmpError,
    Untracked::IcmpErrorNoFlow,
    Untracked::EmergencyNoSyn,
];

#[derive(Debug, Clone, Default)]
pub struct Stats {
    pub packets: u64,
    pub bytes: u64,
    /// Where decoding stopped early, by (reason, layer).
    pub decode_stop: [[u64; Layer::COUNT]; DecodeError::COUNT],
    pub untracked: [u64; Untracked::COUNT],
    pub flows_created: u64,
    pub flows_ended: [u64; EndReason::COUNT],
    pub emergency_entered: u64,
    pub emergency_exited: u64,
    pub tcp_reuse: u64,
    /// Packets older than the engine's clock by more than a second (out-of-order capture).
    pub ts_regressions: u64,
    /// Batch index entries that pointed outside their chunk (a caller bug, never data).
    pub bad_index_entries: u64,
    pub frag_unmatched: u64,
    pub frag_table_full: u64,
    /// Window accounting (kept by the window state, copied in for export).
    pub windows: WindowCounters,
}

impl Stats {
    pub fn record_stop(&mut self, e: DecodeError, l: Layer) {
        self.decode_stop[e as usize][l as usize] += 1;
    }

    /// Visit every counter in a fixed order: `(name, value)`. Gauges are passed in by the engine.
    pub fn visit(&self, gauges: &[(&str, u64)], f: &mut dyn FnMut(&str, u64)) {
        f("packets", self.packets);
        f("bytes", self.bytes);
        for e in DECODE_ERRORS {
            for l in LAYERS {
                f(&format!("decode_stop.{}.{}", e.as_str(), l.as_str()), self.decode_stop[e as usize][l as usize]);
            }
        }
        for u in UNTRACKED {
            f(&format!("untracked.{}", u.as_str()), self.untracked[u as usize]);
        }
        f("flows_created", self.flows_created);
        for r in EndReason::ALL {
            f(&format!("flows_ended.{}", r.as_str()), self.flows_ended[r as usize]);
        }
        f("emergency_entered", self.emergency_entered);
        f("emergency_exited", self.emergency_exited);
        f("tcp_reuse", self.tcp_reuse);
        f("ts_regressions", self.ts_regressions);
        f("bad_index_entries", self.bad_index_entries);
        f("frag_unmatched", self.frag_unmatched);
        f("frag_table_full", self.frag_table_full);
        let w = &self.windows;
        f("window_records", w.records);
        f("window_late_packets", w.late_packets);
        f("window_late_bytes", w.late_bytes);
        f("window_groups_dropped", w.groups_dropped);
        f("window_dropped_packets", w.dropped_packets);
        f("window_dropped_bytes", w.dropped_bytes);
        f("window_unattributed_packets", w.unattributed_packets);
        f("window_memcap_hits", w.memcap_hits);
        for (n, v) in gauges {
            f(n, *v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_has_a_counter_name() {
        // If a variant is added to one of these enums, its list here must grow too.
        let mut names = std::collections::HashSet::new();
        Stats::default().visit(&[], &mut |n, _| {
            assert!(names.insert(n.to_string()), "duplicate counter {}", n);
        });
        assert_eq!(names.len(), 2 + DecodeError::COUNT * Layer::COUNT + Untracked::COUNT + 1 + EndReason::COUNT + 7 + 8);
        for (i, e) in DECODE_ERRORS.iter().enumerate() {
            assert_eq!(*e as usize, i);
        }
        for (i, l) in LAYERS.iter().enumerate() {
            assert_eq!(*l as usize, i);
        }
    }
}
