//! The byte layouts that cross the N-API boundary (mirrored in `agent/native/layout.ts`).
//! Little-endian throughout. Bump `LAYOUT_VERSION` on any change.
//!
//! **Packet index** (input to a worker): `INDEX_ENTRY_SIZE`-byte entries pointing into a chunk:
//! `ts_ns u64 | offset u32 | caplen u32 | wirelen u32 | linktype u16 | reserved u16`.
//! The reader writes one index region per shard.
//!
//! **Output records** (engine -> agent): a stream of records in the order the engine produced
//! them, each `kind u16 | total_len u16 | reserved u32` followed by the body; `total_len`
//! includes the 8-byte header, and a reader skips unknown kinds by it. `drain_records` never
//! splits a record. Kind 1 is a flow record (fixed `FLOW_RECORD_SIZE` bytes):
//! ```text
//!   0 src [16]      16 dst [16]      32 ip_version u8  33 proto u8  34 state u8  35 reason u8
//!  36 src_port u16  38 dst_port u16  40 vlan0 u16      42 vlan1 u16
//!  44 tcp_flags_ts u8  45 tcp_flags_tc u8  46 app_proto u8 (0 = none yet)  47 reserved u8
//!  48 pkts_toserver u64  56 pkts_toclient u64  64 bytes_toserver u64  72 bytes_toclient u64
//!  80 ip_bytes_toserver u64  88 ip_bytes_toclient u64  96 start_ns u64  104 end_ns u64
//! 112 flow_id u64  120 community_id [20]  140 wire_bytes_toserver u64  148 wire_bytes_toclient u64
//! 156 reserved [4]
//! ```
//! Kind 2 is a window record: one (group, window) aggregate when its window closes (see
//! `window.rs`), `WINDOW_RECORD_MIN` bytes plus 20 per listed Community ID:
//! ```text
//!   0 src [16] (group client, inside home-net)    16 dst [16] (group server, outside it)
//!  32 ip_version u8  33 proto u8  34 app_proto u8 (0 = none yet)
//!  35 flags u8: bit 0 lower_bound (unattributed_packets > 0), bit 1 unique_flows is a lower bound
//!  36 dest_port u16 (0 for protocols without ports)  38 largest_src_port u16  40 largest_dest_port u16
//!  42 community_id_count u16 (n <= 64)  44 reserved [4]
//!  48 window_start_ns u64  56 window_end_ns u64 (exclusive: start + window length)
//!  64 flow_count u64  72 unique_flows u64
//!  80 upload_bytes u64  88 download_bytes u64  96 upload_packets u64  104 download_packets u64
//! 112 largest_upload_bytes u64  120 largest_flow_id u64 (the flow record's flow_id)
//! 128 largest_community_id [20]  148 reserved [4]
//! 152 community_ids_total u64 (distinct IDs, all counted)  160 unattributed_packets u64
//! 168 community_ids [20 * n] (raw SHA-1 digests, first n in flush order)
//! ```
//! Upload = client to server. Bytes are captured frame bytes, like the flow record's `bytes_*`.
//!
//! Kind 3 is an evidence record: one app-layer fact of a flow (see `app/evidence.rs` and
//! `docs/eve-evidence.md`), `EVIDENCE_RECORD_MIN` bytes plus a UTF-8 JSON body:
//! ```text
//!   0 src [16]      16 dst [16]  (as Suricata logs this event type: flow or packet direction)
//!  32 ip_version u8  33 proto u8  34 event_type u8 (1 tls 2 http 3 dns 4 ssh 5 quic 6 fileinfo
//!                                    7 smb 8 ftp 9 smtp)  35 app_proto u8 (the flow's, at emit time)
//!  36 src_port u16  38 dst_port u16  40 body_len u16 (<= 32768)
//!  42 flags u8 (bit 0 EVIDENCE_FLAG_PARTIAL: an early copy of a transaction in progress, e.g.
//!     HTTP request headers before the response, a ClientHello before the ServerHello; session
//!     evidence only, not an EVE event: the complete record still follows)  43 reserved [5]
//!  48 ts_ns u64 (packet time)  56 flow_id u64 (the flow record's)  64 community_id [20]
//!  84 reserved [4]  88 body [body_len]: a JSON object, Suricata 8 EVE field names
//! ```
//! Evidence records of a flow precede its flow record in the stream.

use crate::app::evidence::EvidenceRecord;
use crate::app::json::MAX_BODY;
use crate::capture::PacketRef;
use crate::decode::{decode_outer, PacketMeta};
use crate::engine::{FlowEngine, Record};
use crate::flow::FlowRecord;
use crate::hash::shard_hash;
use crate::window::{GroupKey, LargestFlow, WindowRecord, MAX_COMMUNITY_IDS};

pub const LAYOUT_VERSION: u32 = 5;
pub const INDEX_ENTRY_SIZE: usize = 24;
pub const RECORD_HEADER_SIZE: usize = 8;
pub const KIND_FLOW: u16 = 1;
pub const KIND_WINDOW: u16 = 2;
pub const KIND_EVIDENCE: u16 = 3;
/// Evidence record flag (byte 42 of the body): partial (see the layout above).
pub const EVIDENCE_FLAG_PARTIAL: u8 = 1;
/// Fixed part of an evidence record's body; the JSON follows it.
pub const EVIDENCE_BODY_FIXED: usize = 88;
pub const EVIDENCE_RECORD_MIN: usize = RECORD_HEADER_SIZE + EVIDENCE_BODY_FIXED;
pub const EVIDENCE_RECORD_MAX: usize = EVIDENCE_RECORD_MIN + MAX_BODY;
pub const FLOW_BODY_SIZE: usize = 160;
pub const FLOW_RECORD_SIZE: usize = RECORD_HEADER_SIZE + FLOW_BODY_SIZE;
/// Fixed part of a window record's body; 20 bytes per Community ID follow it.
pub const WINDOW_BODY_FIXED: usize = 168;
pub const WINDOW_RECORD_MIN: usize = RECORD_HEADER_SIZE + WINDOW_BODY_FIXED;
pub const WINDOW_RECORD_MAX: usize = WINDOW_RECORD_MIN + 20 * MAX_COMMUNITY_IDS;
pub const WINDOW_FLAG_LOWER_BOUND: u8 = 1;
pub const WINDOW_FLAG_UNIQUE_INEXACT: u8 = 2;

/// Community IDs a window record lists (the rest are only counted).
fn listed_ids(w: &WindowRecord) -> usize {
    w.community_ids.len().min(MAX_COMMUNITY_IDS)
}

/// Encoded size of a record, header included.
pub fn record_size(r: &Record) -> usize {
    match r {
        Record::Flow(_) => FLOW_RECORD_SIZE,
        Record::Window(w) => WINDOW_RECORD_MIN + 20 * listed_ids(w),
        Record::Evidence(e) => EVIDENCE_RECORD_MIN + evidence_body(e).len(),
    }
}

/// The body as written: a body over the cap (never produced by the JSON writer) is replaced.
fn evidence_body(e: &EvidenceRecord) -> &[u8] {
    if e.body.len() <= MAX_BODY {
        e.body.as_bytes()
    } else {
        b"{\"truncated\":true}"
    }
}

/// Encode an evidence record at the start of `out`; false (nothing written) if it does not fit.
pub fn encode_evidence(e: &EvidenceRecord, out: &mut [u8]) -> bool {
    let body = evidence_body(e);
    let size = EVIDENCE_RECORD_MIN + body.len();
    let o = match out.get_mut(..size) {
        Some(o) => o,
        None => return false,
    };
    o.fill(0);
    o[0..2].copy_from_slice(&KIND_EVIDENCE.to_le_bytes());
    o[2..4].copy_from_slice(&(size as u16).to_le_bytes());
    let b = &mut o[RECORD_HEADER_SIZE..];
    b[0..16].copy_from_slice(&e.src);
    b[16..32].copy_from_slice(&e.dst);
    b[32] = e.ip_version;
    b[33] = e.proto;
    b[34] = e.event;
    b[35] = e.app_proto;
    b[36..38].copy_from_slice(&e.src_port.to_le_bytes());
    b[38..40].copy_from_slice(&e.dst_port.to_le_bytes());
    b[40..42].copy_from_slice(&(body.len() as u16).to_le_bytes());
    b[42] = if e.partial { EVIDENCE_FLAG_PARTIAL } else { 0 };
    put_u64(b, 48, e.ts_ns);
    put_u64(b, 56, e.flow_id);
    b[64..84].copy_from_slice(&e.community_id);
    b[EVIDENCE_BODY_FIXED..EVIDENCE_BODY_FIXED + body.len()].copy_from_slice(body);
    true
}

/// Decode one evidence record (header included); for tests and tools.
pub fn decode_evidence(r: &[u8]) -> Option<EvidenceRecord> {
    if r.len() < EVIDENCE_RECORD_MIN || get_u16(r, 0) != KIND_EVIDENCE {
        return None;
    }
    let total = get_u16(r, 2) as usize;
    let b = r.get(RECORD_HEADER_SIZE..total)?;
    let n = get_u16(b, 40) as usize;
    if total != EVIDENCE_RECORD_MIN + n {
        return None;
    }
    let mut src = [0u8; 16];
    let mut dst = [0u8; 16];
    let mut cid = [0u8; 20];
    src.copy_from_slice(&b[0..16]);
    dst.copy_from_slice(&b[16..32]);
    cid.copy_from_slice(&b[64..84]);
    Some(EvidenceRecord {
        ts_ns: get_u64(b, 48),
        flow_id: get_u64(b, 56),
        community_id: cid,
        src,
        dst,
        src_port: get_u16(b, 36),
        dst_port: get_u16(b, 38),
        ip_version: b[32],
        proto: b[33],
        event: b[34],
        app_proto: b[35],
        body: String::from_utf8(b[EVIDENCE_BODY_FIXED..].to_vec()).ok()?,
        partial: b[42] & EVIDENCE_FLAG_PARTIAL != 0,
    })
}

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
    b[46] = rec.app_proto;
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

fn put_u64(b: &mut [u8], at: usize, v: u64) {
    b[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

fn get_u64(b: &[u8], at: usize) -> u64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(x)
}

fn get_u16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

/// Encode a window record at the start of `out`; false (nothing written) if it does not fit.
pub fn encode_window(w: &WindowRecord, out: &mut [u8]) -> bool {
    let n = listed_ids(w);
    let size = WINDOW_RECORD_MIN + 20 * n;
    let o = match out.get_mut(..size) {
        Some(o) => o,
        None => return false,
    };
    o.fill(0);
    o[0..2].copy_from_slice(&KIND_WINDOW.to_le_bytes());
    o[2..4].copy_from_slice(&(size as u16).to_le_bytes());
    let b = &mut o[RECORD_HEADER_SIZE..];
    let g = &w.group;
    b[0..16].copy_from_slice(&g.src);
    b[16..32].copy_from_slice(&g.dst);
    b[32] = g.ip_version;
    b[33] = g.proto;
    b[34] = g.app_proto;
    b[35] = if w.lower_bound() { WINDOW_FLAG_LOWER_BOUND } else { 0 } | if w.unique_flows_inexact { WINDOW_FLAG_UNIQUE_INEXACT } else { 0 };
    b[36..38].copy_from_slice(&g.dest_port.to_le_bytes());
    b[38..40].copy_from_slice(&w.largest.src_port.to_le_bytes());
    b[40..42].copy_from_slice(&w.largest.dst_port.to_le_bytes());
    b[42..44].copy_from_slice(&(n as u16).to_le_bytes());
    let u64s = [
        w.window_start_ns,
        w.window_end_ns,
        w.flow_count,
        w.unique_flows,
        w.upload_bytes,
        w.download_bytes,
        w.upload_packets,
        w.download_packets,
        w.largest.upload_bytes,
        w.largest.flow_id,
    ];
    for (i, v) in u64s.iter().enumerate() {
        put_u64(b, 48 + i * 8, *v);
    }
    b[128..148].copy_from_slice(&w.largest.community_id);
    put_u64(b, 152, w.community_ids_total);
    put_u64(b, 160, w.unattributed_packets);
    for (i, cid) in w.community_ids.iter().take(n).enumerate() {
        let at = WINDOW_BODY_FIXED + 20 * i;
        b[at..at + 20].copy_from_slice(cid);
    }
    true
}

/// Decode one window record (header included) as `encode_window` wrote it. The agent has its
/// own decoder (`agent/native/layout.ts`); this one is for tests and tools.
pub fn decode_window(r: &[u8]) -> Option<WindowRecord> {
    if r.len() < WINDOW_RECORD_MIN || get_u16(r, 0) != KIND_WINDOW {
        return None;
    }
    let total = get_u16(r, 2) as usize;
    let b = r.get(RECORD_HEADER_SIZE..total)?;
    let n = get_u16(b, 42) as usize;
    if total != WINDOW_RECORD_MIN + 20 * n {
        return None;
    }
    let mut src = [0u8; 16];
    let mut dst = [0u8; 16];
    src.copy_from_slice(&b[0..16]);
    dst.copy_from_slice(&b[16..32]);
    let mut largest_cid = [0u8; 20];
    largest_cid.copy_from_slice(&b[128..148]);
    let community_ids = (0..n)
        .map(|i| {
            let mut c = [0u8; 20];
            c.copy_from_slice(&b[WINDOW_BODY_FIXED + 20 * i..WINDOW_BODY_FIXED + 20 * i + 20]);
            c
        })
        .collect();
    Some(WindowRecord {
        group: GroupKey { src, dst, dest_port: get_u16(b, 36), proto: b[33], app_proto: b[34], ip_version: b[32] },
        window_start_ns: get_u64(b, 48),
        window_end_ns: get_u64(b, 56),
        flow_count: get_u64(b, 64),
        unique_flows: get_u64(b, 72),
        upload_bytes: get_u64(b, 80),
        download_bytes: get_u64(b, 88),
        upload_packets: get_u64(b, 96),
        download_packets: get_u64(b, 104),
        largest: LargestFlow {
            src_port: get_u16(b, 38),
            dst_port: get_u16(b, 40),
            upload_bytes: get_u64(b, 112),
            flow_id: get_u64(b, 120),
            community_id: largest_cid,
        },
        community_ids,
        community_ids_total: get_u64(b, 152),
        unattributed_packets: get_u64(b, 160),
        unique_flows_inexact: b[35] & WINDOW_FLAG_UNIQUE_INEXACT != 0,
    })
}

/// Write as many pending records as fit into `out`, flow and window records interleaved in the
/// order the engine produced them; never a partial record. Returns bytes written.
/// `engine.pending_bytes()` is the size that takes everything.
pub fn drain_records(engine: &mut FlowEngine, out: &mut [u8]) -> usize {
    let mut at = 0;
    while let Some(rec) = engine.peek_record() {
        let size = record_size(rec);
        let slot = match out.get_mut(at..) {
            Some(s) if s.len() >= size => s,
            _ => break,
        };
        let written = match rec {
            Record::Flow(f) => encode_flow(f, slot),
            Record::Window(w) => encode_window(w, slot),
            Record::Evidence(e) => encode_evidence(e, slot),
        };
        if !written {
            break;
        }
        engine.pop_record();
        at += size;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_record_round_trip() {
        let mut w = WindowRecord {
            group: GroupKey { src: [0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5], dst: [9; 16], dest_port: 443, proto: 6, app_proto: 3, ip_version: 6 },
            window_start_ns: 1_710_234_000_000_000_000,
            window_end_ns: 1_710_234_900_000_000_000,
            flow_count: 7,
            unique_flows: 5,
            upload_bytes: u64::MAX - 1,
            download_bytes: 12345,
            upload_packets: 1 << 40,
            download_packets: 3,
            largest: LargestFlow { src_port: 40000, dst_port: 443, upload_bytes: 999, flow_id: (1 << 53) - 1, community_id: [0xab; 20] },
            community_ids: (0..5u8).map(|i| [i; 20]).collect(),
            community_ids_total: 5,
            unattributed_packets: 2,
            unique_flows_inexact: true,
        };
        let mut buf = vec![0xeeu8; WINDOW_RECORD_MAX];
        assert!(encode_window(&w, &mut buf));
        let size = WINDOW_RECORD_MIN + 5 * 20;
        assert_eq!(u16::from_le_bytes([buf[2], buf[3]]) as usize, size);
        assert_eq!(buf[RECORD_HEADER_SIZE + 35], WINDOW_FLAG_LOWER_BOUND | WINDOW_FLAG_UNIQUE_INEXACT);
        assert_eq!(decode_window(&buf[..size]), Some(w.clone()));
        assert!(!encode_window(&w, &mut buf[..size - 1]), "does not fit: nothing written");
        // Empty list, flags clear.
        w.community_ids.clear();
        w.unattributed_packets = 0;
        w.unique_flows_inexact = false;
        assert!(encode_window(&w, &mut buf));
        assert_eq!(buf[RECORD_HEADER_SIZE + 35], 0);
        assert_eq!(decode_window(&buf[..WINDOW_RECORD_MIN]), Some(w.clone()));
        assert_eq!(record_size(&Record::Window(w)), WINDOW_RECORD_MIN);
        // A corrupt length is refused, not misread.
        buf[2] = 0xff;
        assert_eq!(decode_window(&buf[..WINDOW_RECORD_MIN]), None);
        assert!(WINDOW_RECORD_MAX <= u16::MAX as usize);
    }

    #[test]
    fn evidence_record_round_trip() {
        let e = EvidenceRecord {
            ts_ns: 1_710_234_000_123_456_789,
            flow_id: (1 << 53) - 3,
            community_id: [7; 20],
            src: [10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            dst: [1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            src_port: 51000,
            dst_port: 443,
            ip_version: 4,
            proto: 6,
            event: 1,
            app_proto: 3,
            body: "{\"sni\":\"é.example\"}".to_string(),
            partial: true,
        };
        let size = record_size(&Record::Evidence(e.clone()));
        assert_eq!(size, EVIDENCE_RECORD_MIN + e.body.len());
        let mut buf = vec![0u8; size];
        assert!(encode_evidence(&e, &mut buf));
        assert_eq!(decode_evidence(&buf), Some(e.clone()));
        assert!(!encode_evidence(&e, &mut buf[..size - 1]));
        assert!(EVIDENCE_RECORD_MAX <= u16::MAX as usize);
        let mut big = e;
        big.body = "x".repeat(MAX_BODY + 1);
        assert_eq!(record_size(&Record::Evidence(big)), EVIDENCE_RECORD_MIN + b"{\"truncated\":true}".len());
    }

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
