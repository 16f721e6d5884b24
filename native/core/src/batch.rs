//! The byte layouts that cross the N-API boundary (mirrored in `agent/native/layout.ts`).
//! Little-endian throughout. Bump `LAYOUT_VERSION` on any change.
//!
//! **Packet index** (input to a worker): `INDEX_ENTRY_SIZE`-byte entries pointing into a chunk:
//! `ts_ns u64 | offset u32 | caplen u32 | wirelen u32 | linktype u16 | reserved u16`.
//! The reader writes one index region per shard.
//!
//! **Output records** (engine -> agent): a stream of records, each
//! `kind u16 | total_len u16 | reserved u32` followed by the body. Kind 1 is a flow record:
//! ```text
//!   0 src [16]      16 dst [16]      32 ip_version u8  33 proto u8  34 state u8  35 reason u8
//!  36 src_port u16  38 dst_port u16  40 vlan0 u16      42 vlan1 u16
//!  44 tcp_flags_ts u8  45 tcp_flags_tc u8  46 app_proto u8 (0 = none yet)  47 reserved u8
//!  48 pkts_toserver u64  56 pkts_toclient u64  64 bytes_toserver u64  72 bytes_toclient u64
//!  80 ip_bytes_toserver u64  88 ip_bytes_toclient u64  96 start_ns u64  104 end_ns u64
//! 112 flow_id u64  120 community_id [20]  140 wire_bytes_toserver u64  148 wire_bytes_toclient u64
//! 156 reserved [4]
//! ```

use crate::capture::PacketRef;
use crate::decode::{decode_outer, PacketMeta};
use crate::engine::FlowEngine;
use crate::flow::FlowRecord;
use crate::hash::shard_hash;

pub const LAYOUT_VERSION: u32 = 2;
pub const INDEX_ENTRY_SIZE: usize = 24;
pub const RECORD_HEADER_SIZE: usize = 8;
pub const KIND_FLOW: u16 = 1;
pub const FLOW_BODY_SIZE: usize = 160;
pub const FLOW_RECORD_SIZE: usize = RECORD_HEADER_SIZE + FLOW_BODY_SIZE;

pub fn write_index_entry(region: &mut [u8], i: usize, p: &PacketRef) -> bool {
    let at = i * INDEX_ENTRY_SIZE;
    let e = match region.get_mut(at..at + INDEX_ENTRY_SIZE) {
        Some(e) => e,
        None => return false,
    };
    e[0..8].copy_from_slice(&p.ts_ns.to_le_bytes());
    e[8..12].copy_from_slice(&p.offset.to_le_bytes());
    e[12..16].copy_from_slice(&p.caplen.to_le_bytes());
    e[16..20].copy_from_slice(&p.wirelen.to_le_bytes());
    e[20..22].copy_from_slice(&p.linktype.to_le_bytes());
    e[22..24].copy_from_slice(&0u16.to_le_bytes());
    true
}

pub fn read_index_entry(index: &[u8], i: usize) -> Option<PacketRef> {
    let at = i.checked_mul(INDEX_ENTRY_SIZE)?;
    let e = index.get(at..at + INDEX_ENTRY_SIZE)?;
    let u32_at = |o: usize| u32::from_le_bytes([e[o], e[o + 1], e[o + 2], e[o + 3]]);
    let mut ts = [0u8; 8];
    ts.copy_from_slice(&e[0..8]);
    Some(PacketRef {
        ts_ns: u64::from_le_bytes(ts),
        offset: u32_at(8),
        caplen: u32_at(12),
        wirelen: u32_at(16),
        linktype: u16::from_le_bytes([e[20], e[21]]),
    })
}

/// Feed `count` indexed packets of `chunk` to the engine. Entries that point outside the chunk
/// are counted (`bad_index_entries`) and skipped.
pub fn process_batch(engine: &mut FlowEngine, chunk: &[u8], index: &[u8], count: usize) {
    for i in 0..count {
        let p = match read_index_entry(index, i) {
            Some(p) => p,
            None => {
                engine.note_bad_index_entry();
                continue;
            }
        };
        let start = p.offset as usize;
        match chunk.get(start..start.saturating_add(p.caplen as usize)) {
            Some(frame) => engine.process_packet(p.ts_ns, p.linktype as u32, frame, p.wirelen),
            None => engine.note_bad_index_entry(),
        }
    }
}

/// Which of `shards` workers a frame belongs to (symmetric in direction; see `hash::shard_hash`).
pub fn shard_of(meta: &mut PacketMeta, linktype: u32, frame: &[u8], seed: u64, shards: u32, vlan_tracking: bool) -> u32 {
    if shards <= 1 {
        return 0;
    }
    // The outermost packet decides, so every packet of a tunnel's outer flow meets in one worker.
    decode_outer(linktype, frame, meta);
    let vlan = if vlan_tracking { meta.vlan } else { [0, 0] };
    // Packets without IP (ARP, garbage) all go to shard 0 to be counted there.
    if meta.ip_version == 0 {
        return 0;
    }
    (shard_hash(seed, &meta.src, &meta.dst, meta.proto, vlan) % shards as u64) as u32
}

pub fn encode_flow(rec: &FlowRecord, out: &mut [u8]) -> bool {
    let o = match out.get_mut(..FLOW_RECORD_SIZE) {
        Some(o) => o,
        None => return false,
    };
    o.fill(0);
    o[0..2].copy_from_slice(&KIND_FLOW.to_le_bytes());
    o[2..4].copy_from_slice(&(FLOW_RECORD_SIZE as u16).to_le_bytes());
    let b = &mut o[RECORD_HEADER_SIZE..];
    b[0..16].copy_from_slice(&rec.src);
    b[16..32].copy_from_slice(&rec.dst);
    b[32] = rec.ip_version;
    b[33] = rec.proto;
    b[34] = rec.state as u8;
    b[35] = rec.reason as u8;
    b[36..38].copy_from_slice(&rec.src_port.to_le_bytes());
    b[38..40].copy_from_slice(&rec.dst_port.to_le_bytes());
    b[40..42].copy_from_slice(&rec.vlan[0].to_le_bytes());
    b[42..44].copy_from_slice(&rec.vlan[1].to_le_bytes());
    b[44] = rec.tcp_flags_ts;
    b[45] = rec.tcp_flags_tc;
    let u64s = [
        rec.pkts_toserver,
        rec.pkts_toclient,
        rec.bytes_toserver,
        rec.bytes_toclient,
        rec.ip_bytes_toserver,
        rec.ip_bytes_toclient,
        rec.start_ns,
        rec.end_ns,
        rec.flow_id,
    ];
    for (i, v) in u64s.iter().enumerate() {
        b[48 + i * 8..56 + i * 8].copy_from_slice(&v.to_le_bytes());
    }
    b[120..140].copy_from_slice(&rec.community_id);
    b[140..148].copy_from_slice(&rec.wire_bytes_toserver.to_le_bytes());
    b[148..156].copy_from_slice(&rec.wire_bytes_toclient.to_le_bytes());
    true
}

/// Write as many pending records as fit into `out`; returns bytes written.
pub fn drain_records(engine: &mut FlowEngine, out: &mut [u8]) -> usize {
    let mut at = 0;
    while let Some(rec) = engine.peek_record() {
        let rec = *rec;
        let slot = match out.get_mut(at..) {
            Some(s) => s,
            None => break,
        };
        if !encode_flow(&rec, slot) {
            break;
        }
        engine.pop_record();
        at += FLOW_RECORD_SIZE;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_round_trip_and_bounds() {
        let mut region = vec![0u8; INDEX_ENTRY_SIZE * 2];
        let p = PacketRef { ts_ns: 1_710_234_000_123_456_789, offset: 40, caplen: 60, wirelen: 1514, linktype: 1 };
        assert!(write_index_entry(&mut region, 1, &p));
        assert!(!write_index_entry(&mut region, 2, &p));
        assert_eq!(read_index_entry(&region, 1), Some(p));
        assert_eq!(read_index_entry(&region, 2), None);
    }
}
