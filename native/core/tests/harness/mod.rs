//! Shared entry points of the mutation test (`tests/mutation.rs`) and the fuzz targets
//! (`fuzz/fuzz_targets/*.rs`, which include this file by path). Every function here feeds bytes
//! to a public sensor_core entry point and asserts the invariants that must hold whatever the
//! bytes are; a violated invariant is a panic, exactly like a panic inside the crate.
//!
//! std only, no crates. Keep it buildable by rustc 1.63 (the core's rust-version).
#![allow(dead_code)]

use std::collections::HashMap;

use sensor_core::batch::{self, EVIDENCE_RECORD_MAX, EVIDENCE_RECORD_MIN, FLOW_RECORD_SIZE, INDEX_ENTRY_SIZE, KIND_EVIDENCE, KIND_FLOW};
use sensor_core::capture::{CaptureParser, FileError, FileErrorKind, PacketRef, HEADER_PROBE_LEN, MAX_CAPLEN};
use sensor_core::decode::{decode, linktype, PacketMeta};
use sensor_core::engine::{EngineConfig, FlowEngine};
use sensor_core::flow::EndReason;
use sensor_core::wire::{DecodeError, Layer};

/// Link types fed to `decode`: the ones it knows (as of writing) plus USER0, which it does not.
/// A link type it does not know must still give a clean `UnsupportedLinkType`.
pub const LINKTYPES: [u32; 16] = [
    linktype::NULL,
    linktype::ETHERNET,
    9, // PPP
    linktype::RAW_ALT_12,
    linktype::RAW_ALT_14,
    linktype::RAW,
    104, // Cisco HDLC
    105, // IEEE 802.11
    linktype::LOOP,
    linktype::LINUX_SLL,
    127, // 802.11 + radiotap
    linktype::IPV4,
    linktype::IPV6,
    linktype::LINUX_SLL2,
    239, // NFLOG
    147, // USER0: never decoded
];

/// The `fuzz_decode` / `fuzz_engine` selector byte for a link type (one not in the list maps
/// to USER0, which `decode` does not support either).
pub fn linktype_selector(lt: u32) -> u8 {
    LINKTYPES.iter().position(|&x| x == lt).unwrap_or(LINKTYPES.len() - 1) as u8
}

// ---- PRNG -----------------------------------------------------------------------------------

/// xorshift64* seeded through splitmix64 (so any seed, 0 included, is fine).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        Rng(if z == 0 { 0x2545_F491_4F6C_DD1D } else { z })
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform-ish in `0..n` (0 when n == 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            ((self.next_u64() >> 11) % n as u64) as usize
        }
    }

    /// `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi.saturating_sub(lo) + 1)
    }

    /// True with probability 1/n.
    pub fn one_in(&mut self, n: usize) -> bool {
        self.below(n) == 0
    }

    pub fn byte(&mut self) -> u8 {
        (self.next_u64() >> 32) as u8
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// FNV-1a 64: names regression files and seeds per-input generators.
pub fn fnv64(data: &[u8]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for &b in data {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

// ---- decode ---------------------------------------------------------------------------------

#[derive(Debug, Default)]
pub struct DecodeStats {
    pub calls: u64,
    pub l4_ok: u64,
    pub tunnelled: u64,
    pub fragments: u64,
    pub complete: u64,
    pub stops: HashMap<(DecodeError, Layer), u64>,
}

impl DecodeStats {
    pub fn merge(&mut self, o: &DecodeStats) {
        self.calls += o.calls;
        self.l4_ok += o.l4_ok;
        self.tunnelled += o.tunnelled;
        self.fragments += o.fragments;
        self.complete += o.complete;
        for (k, v) in &o.stops {
            *self.stops.entry(*k).or_insert(0) += *v;
        }
    }

    /// `reason@layer=count` sorted by count, for the test log.
    pub fn stops_line(&self) -> String {
        let mut v: Vec<_> = self.stops.iter().collect();
        v.sort_by(|a, b| b.1.cmp(a.1).then((a.0 .0 as u8, a.0 .1 as u8).cmp(&(b.0 .0 as u8, b.0 .1 as u8))));
        v.iter().map(|((e, l), n)| format!("{}@{}={}", e.as_str(), l.as_str(), n)).collect::<Vec<_>>().join(" ")
    }
}

/// Decode `frame` as `lt` into `meta` (reused, as the engine reuses it) and check the decode
/// contract. With `check_overwrite`, also decode into a fresh meta and require the same result
/// ("meta is overwritten entirely": nothing may leak from the previous packet).
pub fn check_decode(lt: u32, frame: &[u8], meta: &mut PacketMeta, check_overwrite: bool, st: &mut DecodeStats) {
    decode(lt, frame, meta);
    st.calls += 1;
    let m = *meta;
    assert_eq!(m.caplen as usize, frame.len(), "meta.caplen must be the frame length (linktype {})", lt);
    assert!(m.ip_version == 0 || m.ip_version == 4 || m.ip_version == 6, "ip_version {} (linktype {})", m.ip_version, lt);
    if m.l4_ok {
        assert!(m.ip_version != 0, "l4_ok without an IP layer (linktype {})", lt);
        let end = m.payload_off as u64 + m.payload_len as u64;
        assert!(
            end <= m.caplen as u64,
            "l4_ok but payload {}+{} runs past caplen {} (linktype {})",
            m.payload_off,
            m.payload_len,
            m.caplen,
            lt
        );
        st.l4_ok += 1;
    }
    if m.tunnel_depth > 0 {
        st.tunnelled += 1;
    }
    if m.fragment.is_some() {
        st.fragments += 1;
    }
    match m.stop {
        Some(k) => *st.stops.entry(k).or_insert(0) += 1,
        None => st.complete += 1,
    }
    if check_overwrite {
        let mut fresh = PacketMeta::default();
        decode(lt, frame, &mut fresh);
        let (a, b) = (format!("{:?}", m), format!("{:?}", fresh));
        assert!(a == b, "decode depends on the previous packet's meta (linktype {}):\n reused {}\n fresh  {}", lt, a, b);
    }
}

// ---- flow engine ----------------------------------------------------------------------------

/// A `FlowEngine` driven like a worker drives it, checking invariants after every call.
pub struct EngineRig {
    pub engine: FlowEngine,
    pub name: &'static str,
    rng: Rng,
    meta: PacketMeta,
    ts_ns: u64,
    max_flows: usize,
    out: Vec<u8>,
    pub fed: u64,
    pub records: u64,
    pub advances: u64,
    pub peak_flows: usize,
    pub emergencies: u64,
}

impl EngineRig {
    pub fn new(name: &'static str, cfg: EngineConfig, seed: u64) -> EngineRig {
        let max_flows = cfg.max_flows();
        EngineRig {
            engine: FlowEngine::new(cfg),
            name,
            rng: Rng::new(seed),
            meta: PacketMeta::default(),
            ts_ns: 1_700_000_000_000_000_000,
            max_flows,
            out: Vec::new(),
            fed: 0,
            records: 0,
            advances: 0,
            peak_flows: 0,
            emergencies: 0,
        }
    }

    /// 64 KiB memcap (a few hundred flows) so the table fills, evicts and goes into emergency.
    pub fn tiny(seed: u64) -> EngineRig {
        let mut cfg = EngineConfig { memcap_bytes: 64 * 1024, ..EngineConfig::default() };
        // App layer on, with caps small enough to be hit (state memcap, stream depth).
        cfg.app.memcap_bytes = 16 * 1024;
        cfg.app.stream_depth = 1024;
        EngineRig::new("tiny", cfg, seed)
    }

    /// Other knobs: no VLAN tracking, SYN-only emergency, leave emergency only when empty.
    pub fn strict(seed: u64) -> EngineRig {
        let cfg = EngineConfig {
            memcap_bytes: 16 * 1024,
            vlan_tracking: false,
            emergency_syn_only: true,
            emergency_recovery_pct: 100,
            community_id_seed: 0xffff,
            hash_seed: 0,
            app: sensor_core::app::session::AppConfig { enabled: true, memcap_bytes: 2048, stream_depth: 1024 },
            ..EngineConfig::default()
        };
        EngineRig::new("strict", cfg, seed)
    }

    /// One flow at most: every new flow evicts the previous one.
    pub fn single(seed: u64) -> EngineRig {
        let cfg = EngineConfig { memcap_bytes: 1, emergency_recovery_pct: 0, ..EngineConfig::default() };
        EngineRig::new("single", cfg, seed)
    }

    /// Feed one frame at the next packet time; now and then tick the clock and drain records.
    pub fn feed(&mut self, lt: u32, frame: &[u8]) {
        let r = self.rng.below(10_000);
        self.ts_ns = if r < 2 {
            // Rare out-of-order packet (real captures have them; the engine counts them).
            self.ts_ns.saturating_sub(self.rng.below(5_000_000_000) as u64)
        } else if r < 4 {
            // Long silence: every normal timeout expires.
            self.ts_ns + 200_000_000_000 + self.rng.below(800_000_000_000) as u64
        } else if r < 10 {
            self.ts_ns + 1_000_000_000 + self.rng.below(90_000_000_000) as u64
        } else {
            self.ts_ns + self.rng.below(3_000_000) as u64
        };
        let before = self.engine.stats().packets;
        // Wire length: usually the captured length, sometimes snaplen-cut, rarely absurd.
        let wirelen = match self.rng.below(16) {
            0 => frame.len() as u32 + self.rng.below(9000) as u32,
            1 => u32::MAX - self.rng.below(2) as u32,
            2 => 0,
            _ => frame.len() as u32,
        };
        self.engine.process_packet(self.ts_ns, lt, frame, wirelen);
        self.fed += 1;
        assert_eq!(self.engine.stats().packets, before + 1, "[{}] packet not counted", self.name);
        self.check_table();
        if self.rng.one_in(64) {
            // Idle tick, at or after the last packet.
            let span = if self.rng.one_in(32) { 120_000_000_000 } else { 1_500_000_000 };
            let to = self.ts_ns + self.rng.below(span) as u64;
            self.advance(to);
        }
        if self.rng.one_in(48) || self.engine.pending_records() > 4096 {
            self.drain();
        }
        if self.rng.one_in(1024) {
            self.check_counters();
        }
        // Also run the shard function the reader runs on every frame.
        if self.rng.one_in(8) {
            let shards = self.rng.range(1, 9) as u32;
            let s = batch::shard_of(&mut self.meta, lt, frame, self.rng.next_u64(), shards, self.rng.one_in(2));
            assert!(s < shards.max(1), "shard_of gave {} of {}", s, shards);
        }
    }

    pub fn advance(&mut self, to_ns: u64) {
        if to_ns > self.ts_ns {
            self.ts_ns = to_ns;
        }
        self.engine.advance(to_ns);
        self.advances += 1;
        self.check_table();
    }

    fn check_table(&mut self) {
        let n = self.engine.active_flows();
        assert!(n <= self.max_flows, "[{}] {} active flows over the maximum {}", self.name, n, self.max_flows);
        if n > self.peak_flows {
            self.peak_flows = n;
        }
        let s = self.engine.stats();
        self.emergencies = s.emergency_entered;
        let ended: u64 = s.flows_ended.iter().sum();
        assert_eq!(
            s.flows_created,
            ended + n as u64,
            "[{}] flows created {} != ended {} + active {}",
            self.name,
            s.flows_created,
            ended,
            n
        );
    }

    fn check_counters(&mut self) {
        let active = self.engine.active_flows() as u64;
        let mut seen_active = None;
        self.engine.visit_counters(&mut |name, v| {
            if name == "flows_active" {
                seen_active = Some(v);
            }
        });
        assert_eq!(seen_active, Some(active), "[{}] flows_active gauge", self.name);
    }

    /// Drain pending records into a small buffer of a random size and check each one.
    pub fn drain(&mut self) {
        let sizes = [0, 1, 100, FLOW_RECORD_SIZE, FLOW_RECORD_SIZE + 1, 3 * FLOW_RECORD_SIZE + 17, 8 * FLOW_RECORD_SIZE, EVIDENCE_RECORD_MAX];
        let size = *self.rng.pick(&sizes);
        self.out.clear();
        self.out.resize(size, 0xAA);
        let pending = self.engine.pending_records();
        let n = batch::drain_records(&mut self.engine, &mut self.out);
        assert!(n <= size, "[{}] drained {} bytes into {}", self.name, n, size);
        // Walk the records written: flow records (fixed size) and evidence records (JSON body).
        let mut at = 0;
        let mut got = 0;
        while at < n {
            let r = &self.out[at..n];
            assert!(r.len() >= 8, "[{}] partial record header at {}", self.name, at);
            let total = le_u16(r, 2) as usize;
            assert!(total >= 8 && total <= r.len(), "[{}] record length {} at {} of {}", self.name, total, at, n);
            match le_u16(r, 0) {
                KIND_FLOW => check_record(self.name, &r[..total]),
                KIND_EVIDENCE => check_evidence(self.name, &r[..total]),
                k => panic!("[{}] unexpected record kind {}", self.name, k),
            }
            at += total;
            got += 1;
        }
        assert_eq!(self.engine.pending_records(), pending - got);
        if let Some(next) = self.engine.peek_record() {
            assert!(n + batch::record_size(next) > size, "[{}] drain stopped at {} of {} bytes with a record that fits", self.name, n, size);
        }
        self.records += got as u64;
    }

    /// End of input: flush every flow and drain everything.
    pub fn finish(&mut self) {
        self.engine.flush_all();
        assert_eq!(self.engine.active_flows(), 0, "[{}] flows left after flush_all", self.name);
        let mut guard = 0;
        while self.engine.pending_records() > 0 {
            self.drain();
            guard += 1;
            assert!(guard < 10_000_000, "[{}] drain makes no progress", self.name);
        }
        self.check_table();
        let s = self.engine.stats();
        let ended: u64 = s.flows_ended.iter().sum();
        assert!(s.flows_ended[EndReason::Shutdown as usize] <= ended);
    }
}

fn le_u16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn le_u64(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

/// One encoded evidence record: decodes, body is a bounded JSON object, flow_id in 53 bits.
fn check_evidence(name: &str, r: &[u8]) {
    assert!(r.len() >= EVIDENCE_RECORD_MIN && r.len() <= EVIDENCE_RECORD_MAX, "[{}] evidence record length {}", name, r.len());
    let e = batch::decode_evidence(r).unwrap_or_else(|| panic!("[{}] evidence record does not decode", name));
    assert!((1..=9).contains(&e.event), "[{}] evidence event type {}", name, e.event);
    assert!(e.body.starts_with('{') && e.body.ends_with('}'), "[{}] evidence body is not an object: {}", name, e.body);
    assert!(e.flow_id < 1u64 << 53, "[{}] evidence flow_id over 53 bits", name);
    assert!(e.ip_version == 4 || e.ip_version == 6, "[{}] evidence ip_version {}", name, e.ip_version);
}

/// One encoded flow record (see `batch.rs`).
fn check_record(name: &str, r: &[u8]) {
    assert_eq!(le_u16(r, 0), KIND_FLOW, "[{}] record kind", name);
    assert_eq!(le_u16(r, 2) as usize, FLOW_RECORD_SIZE, "[{}] record length", name);
    let b = &r[8..];
    assert!(b[32] == 4 || b[32] == 6, "[{}] record ip_version {}", name, b[32]);
    if b[32] == 4 {
        assert!(b[4..16].iter().all(|&x| x == 0) && b[20..32].iter().all(|&x| x == 0), "[{}] IPv4 record with address bytes past 4", name);
    }
    let pkts = le_u64(b, 48) + le_u64(b, 56);
    assert!(pkts >= 1, "[{}] flow record without packets", name);
    let (start, end) = (le_u64(b, 96), le_u64(b, 104));
    assert!(end >= start, "[{}] flow ends ({}) before it starts ({})", name, end, start);
    assert!(le_u64(b, 112) < 1u64 << 53, "[{}] flow_id over 53 bits", name);
}

/// A batch as the reader hands it to a worker: a chunk plus an index, with some entries
/// pointing outside the chunk (those must be counted, never followed).
pub fn check_batch(rig: &mut EngineRig, frames: &[(u32, Vec<u8>)], rng: &mut Rng) {
    let mut chunk = Vec::new();
    let mut refs = Vec::new();
    for (lt, f) in frames {
        let r = PacketRef { ts_ns: rig.ts_ns + refs.len() as u64, offset: chunk.len() as u32, caplen: f.len() as u32, wirelen: f.len() as u32, linktype: *lt as u16 };
        chunk.extend_from_slice(f);
        refs.push(r);
    }
    let mut bad = 0u64;
    for r in refs.iter_mut() {
        if rng.one_in(4) {
            match rng.below(3) {
                0 => r.offset = r.offset.wrapping_add(chunk.len() as u32),
                1 => r.caplen = u32::MAX - rng.below(3) as u32,
                _ => r.offset = u32::MAX,
            }
            if (r.offset as usize).saturating_add(r.caplen as usize) > chunk.len() {
                bad += 1;
            }
        }
    }
    let mut index = vec![0u8; refs.len() * INDEX_ENTRY_SIZE];
    for (i, r) in refs.iter().enumerate() {
        assert!(batch::write_index_entry(&mut index, i, r));
    }
    // Claim a few more entries than the index holds: those are bad entries too.
    let extra = rng.below(3);
    let before = rig.engine.stats().bad_index_entries;
    let pkts_before = rig.engine.stats().packets;
    batch::process_batch(&mut rig.engine, &chunk, &index, refs.len() + extra);
    let s = rig.engine.stats();
    assert_eq!(s.bad_index_entries - before, bad + extra as u64, "bad index entries");
    assert_eq!(s.packets - pkts_before, refs.len() as u64 - bad, "batch packets");
    rig.check_table();
}

// ---- capture files --------------------------------------------------------------------------

/// One packet as seen by the parser, its offset made absolute (comparable across buffers).
pub type Seen = (u64, u64, u32, u32, u16);

#[derive(Debug, Default)]
pub struct CaptureStats {
    pub files: u64,
    pub header_errors: HashMap<&'static str, u64>,
    pub file_errors: HashMap<&'static str, u64>,
    pub clean: u64,
    pub packets: u64,
    pub parse_calls: u64,
}

impl CaptureStats {
    pub fn merge(&mut self, o: &CaptureStats) {
        self.files += o.files;
        self.clean += o.clean;
        self.packets += o.packets;
        self.parse_calls += o.parse_calls;
        for (k, v) in &o.header_errors {
            *self.header_errors.entry(k).or_insert(0) += *v;
        }
        for (k, v) in &o.file_errors {
            *self.file_errors.entry(k).or_insert(0) += *v;
        }
    }
}

pub fn map_line(m: &HashMap<&'static str, u64>) -> String {
    let mut v: Vec<_> = m.iter().collect();
    v.sort();
    v.iter().map(|(k, n)| format!("{}={}", k, n)).collect::<Vec<_>>().join(" ")
}

fn check_ref(r: &PacketRef, buf_len: usize) {
    assert!(r.caplen <= MAX_CAPLEN, "packet caplen {} over MAX_CAPLEN", r.caplen);
    assert!(
        (r.offset as usize).saturating_add(r.caplen as usize) <= buf_len,
        "packet {}+{} points outside its {}-byte buffer",
        r.offset,
        r.caplen,
        buf_len
    );
}

fn check_outcome(buf_len: usize, consumed: usize, packets: u32, accepted: u32) {
    assert!(consumed <= buf_len, "consumed {} of a {}-byte buffer", consumed, buf_len);
    assert_eq!(packets, accepted, "ParseOutcome.packets vs packets accepted by emit");
}

/// The whole file in one buffer.
fn parse_whole(mut p: CaptureParser, data: &[u8], hdr: usize, st: &mut CaptureStats) -> (Vec<Seen>, Option<FileError>) {
    let buf = &data[hdr..];
    let mut got = Vec::new();
    let out = p.parse(buf, hdr as u64, true, &mut |r| {
        check_ref(&r, buf.len());
        got.push((r.ts_ns, hdr as u64 + r.offset as u64, r.caplen, r.wirelen, r.linktype));
        true
    });
    st.parse_calls += 1;
    check_outcome(buf.len(), out.consumed, out.packets, got.len() as u32);
    assert!(!out.stopped_by_emit);
    if let Some(e) = out.error {
        assert!(e.kind != FileErrorKind::RecordLargerThanChunk, "RecordLargerThanChunk at EOF");
        assert!(e.offset <= data.len() as u64, "error offset {} past the end of a {}-byte file", e.offset, data.len());
    } else {
        assert_eq!(out.consumed, buf.len(), "EOF without error must consume everything");
    }
    (got, out.error)
}

/// Re-feed from `consumed` with random buffer sizes and random emit refusals, as a reader
/// does; a record that does not fit doubles the buffer for the next call.
fn parse_chunked(mut p: CaptureParser, data: &[u8], hdr: usize, rng: &mut Rng, st: &mut CaptureStats) -> (Vec<Seen>, Option<FileError>) {
    let mut got = Vec::new();
    let mut pos = hdr;
    let style = rng.below(4);
    let refuse = if rng.one_in(2) { 0 } else { rng.range(2, 9) };
    let mut grow = 0usize;
    let limit = 16 * (data.len() + 64);
    for _ in 0..limit {
        let size = match style {
            0 => rng.range(1, 16),
            1 => rng.range(1, 300),
            2 => *rng.pick(&[1usize, 7, 64, 4096]),
            _ => rng.range(1, data.len().max(1)),
        }
        .max(grow);
        let end = pos.saturating_add(size).min(data.len());
        let at_eof = end == data.len();
        let base = pos as u64;
        let buf = &data[pos..end];
        let mut accepted = 0u32;
        let out = p.parse(buf, base, at_eof, &mut |r| {
            if refuse > 0 && rng.one_in(refuse) {
                return false;
            }
            check_ref(&r, buf.len());
            got.push((r.ts_ns, base + r.offset as u64, r.caplen, r.wirelen, r.linktype));
            accepted += 1;
            true
        });
        st.parse_calls += 1;
        check_outcome(buf.len(), out.consumed, out.packets, accepted);
        pos += out.consumed;
        match out.error {
            Some(e) if e.kind == FileErrorKind::RecordLargerThanChunk => {
                assert!(!at_eof, "RecordLargerThanChunk at EOF");
                assert_eq!(out.consumed, 0, "RecordLargerThanChunk after consuming bytes");
                grow = buf.len().max(1) * 2;
            }
            Some(e) => return (got, Some(e)),
            None => {
                grow = 0;
                if !out.stopped_by_emit && !at_eof {
                    // A reader re-reads from `consumed`: no progress here would spin forever.
                    assert!(out.consumed > 0 || buf.is_empty(), "parse made no progress and reported nothing ({} bytes at {})", buf.len(), base);
                }
                if at_eof && !out.stopped_by_emit {
                    assert_eq!(pos, data.len(), "EOF without error must consume everything");
                    return (got, None);
                }
            }
        }
    }
    panic!("chunked parse made no progress in {} calls", limit);
}

/// Parse a (possibly damaged) capture file whole and over random chunk splits: never a panic,
/// the same packets and the same error whatever the splits, every packet inside its buffer.
/// Returns the packets (with their bytes) so they can go on to decode and the engine.
pub fn check_capture(data: &[u8], rng: &mut Rng, st: &mut CaptureStats) -> Vec<(u32, u64, std::ops::Range<usize>)> {
    st.files += 1;
    let head = &data[..data.len().min(HEADER_PROBE_LEN)];
    let (p, hdr) = match CaptureParser::from_header(head) {
        Ok(x) => x,
        Err(e) => {
            *st.header_errors.entry(e.kind.as_str()).or_insert(0) += 1;
            return Vec::new();
        }
    };
    assert!(hdr <= head.len(), "header length {} over the {} bytes given", hdr, head.len());
    let reference = parse_whole(p.clone(), data, hdr, st);
    let splits = 1 + rng.below(2);
    for _ in 0..splits {
        let got = parse_chunked(p.clone(), data, hdr, rng, st);
        if got != reference {
            panic!("chunked parse differs from the whole-file parse:\n whole   {:?}\n chunked {:?}", summary(&reference), summary(&got));
        }
    }
    match reference.1 {
        Some(e) => *st.file_errors.entry(e.kind.as_str()).or_insert(0) += 1,
        None => st.clean += 1,
    }
    st.packets += reference.0.len() as u64;
    reference.0.iter().map(|s| (s.4 as u32, s.0, s.1 as usize..s.1 as usize + s.2 as usize)).collect()
}

fn summary(r: &(Vec<Seen>, Option<FileError>)) -> String {
    let first: Vec<_> = r.0.iter().take(4).collect();
    format!("{} packets, first {:?}, error {:?}", r.0.len(), first, r.1)
}

// ---- fuzz entry points (also used to replay regression files) -------------------------------

/// Byte 0 picks the link type, the rest is the frame. Decoded twice (reused and fresh meta).
pub fn fuzz_decode(data: &[u8]) {
    if data.is_empty() {
        return;
    }
    let lt = LINKTYPES[data[0] as usize % LINKTYPES.len()];
    let mut st = DecodeStats::default();
    let mut meta = PacketMeta::default();
    check_decode(lt, &data[1..], &mut meta, true, &mut st);
}

/// The input is a capture file; its packets go on through decode and a tiny engine.
pub fn fuzz_capture(data: &[u8]) {
    let mut rng = Rng::new(fnv64(data));
    let mut st = CaptureStats::default();
    let pkts = check_capture(data, &mut rng, &mut st);
    if pkts.is_empty() {
        return;
    }
    let mut rig = EngineRig::tiny(rng.next_u64());
    let mut dst = DecodeStats::default();
    let mut meta = PacketMeta::default();
    for (lt, _, range) in pkts {
        let frame = &data[range];
        check_decode(lt, frame, &mut meta, false, &mut dst);
        rig.feed(lt, frame);
    }
    rig.finish();
}

/// A packet sequence: per packet `linktype selector u8 | length u16 le | bytes`. Goes through
/// an engine with room for a handful of flows, so eviction and emergency paths run early.
pub fn fuzz_engine(data: &[u8]) {
    let seed = fnv64(data);
    let cfg = EngineConfig {
        memcap_bytes: 2 * 1024,
        vlan_tracking: seed & 1 == 0,
        emergency_syn_only: seed & 2 == 0,
        emergency_recovery_pct: (seed >> 8) as u8 % 101,
        ..EngineConfig::default()
    };
    let mut rig = EngineRig::new("fuzz", cfg, seed);
    let mut at = 0;
    while at + 3 <= data.len() {
        let lt = LINKTYPES[data[at] as usize % LINKTYPES.len()];
        let len = (u16::from_le_bytes([data[at + 1], data[at + 2]]) as usize).min(data.len() - at - 3);
        let frame = &data[at + 3..at + 3 + len];
        rig.feed(lt, frame);
        at += 3 + len;
    }
    rig.finish();
}
