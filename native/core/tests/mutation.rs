//! Mutation test over real packets: frames sampled from the corpus captures (`shared/corpus`),
//! mutated by a deterministic xorshift generator (bit flips, byte sets, truncation at every
//! header boundary, extension, length-field smashing, header splicing between frames), fed to
//! `decode` under several link types and to small flow engines; and whole capture files,
//! mutated in their headers, record lengths and block lengths, fed to `CaptureParser` over
//! random chunk splits. No input may panic; the invariants are in `harness/mod.rs`.
//!
//! Budget: `EXFIL_MUTATION_INPUTS` packet inputs (default 400,000, about 2 s in release; capture files get an eighth
//! of that), seed offset `EXFIL_MUTATION_SEED` (decimal or 0x-hex, default fixed so CI is
//! deterministic). An input that panics is written to `tests/regressions/<target>-<hash>.bin`
//! and `replay_regressions` replays every file there on every run.

mod harness;

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Once;
use std::time::Instant;

use harness::{check_batch, check_capture, check_decode, fnv64, map_line, CaptureStats, DecodeStats, EngineRig, Rng, LINKTYPES};
use sensor_core::capture::FileSource;
use sensor_core::decode::{decode, linktype, PacketMeta};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus");
const REGRESSIONS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/regressions");
const DEFAULT_INPUTS: usize = 400_000;
const DEFAULT_SEED: u64 = 0x6578_6669_6c5f_6d75; // "exfil_mu"
/// Frames sampled per capture file, and the largest frame sampled.
const FRAMES_PER_FILE: usize = 6;
const MAX_SAMPLE_FRAME: usize = 9216;
/// Capture files at most this big are mutated whole.
const MAX_SEED_FILE: u64 = 8 * 1024;

fn env_u64(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    let v = v.trim().replace('_', "");
    let parsed = match v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => v.parse::<u64>(),
    };
    match parsed {
        Ok(n) => Some(n),
        Err(_) => panic!("{}={:?} is not a number", name, v),
    }
}

fn budget() -> usize {
    env_u64("EXFIL_MUTATION_INPUTS").map(|n| n as usize).unwrap_or(DEFAULT_INPUTS)
}

fn seed() -> u64 {
    DEFAULT_SEED ^ env_u64("EXFIL_MUTATION_SEED").unwrap_or(0)
}

// ---- panics -----------------------------------------------------------------------------------

static QUIET: Once = Once::new();
static PANICS_PRINTED: AtomicUsize = AtomicUsize::new(0);

/// (target, file written, panic message).
type Failure = (String, String, String);

thread_local! {
    /// Inside `guarded` (a panic there is an expected find, printed only the first few times).
    static GUARDED: Cell<bool> = const { Cell::new(false) };
    /// This test's failures: (target, file written, message).
    static FAILURES: RefCell<Vec<Failure>> = const { RefCell::new(Vec::new()) };
}

/// Print only the first few panic messages of guarded inputs (a systematic bug would print one
/// per input); every other panic prints as usual.
fn quiet_panics() {
    QUIET.call_once(|| {
        let prev = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !GUARDED.with(|g| g.get()) || PANICS_PRINTED.fetch_add(1, Ordering::Relaxed) < 5 {
                prev(info);
            }
        }));
    });
}

fn panic_message(e: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = e.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = e.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic".to_string()
    }
}

/// Write a panicking input to the regressions folder (at most 32 files per run).
fn save_regression(target: &str, data: &[u8]) -> String {
    static SAVED: AtomicUsize = AtomicUsize::new(0);
    let path = Path::new(REGRESSIONS).join(format!("{}-{:016x}.bin", target, fnv64(data)));
    if path.exists() {
        return path.display().to_string();
    }
    if SAVED.fetch_add(1, Ordering::Relaxed) >= 32 {
        return "(not saved: 32 files written already)".to_string();
    }
    let _ = std::fs::create_dir_all(REGRESSIONS);
    match std::fs::write(&path, data) {
        Ok(()) => path.display().to_string(),
        Err(e) => format!("(could not write {}: {})", path.display(), e),
    }
}

/// Run `f` on `data`; a panic is recorded with the input saved. Returns false on a panic.
fn guarded<F: FnOnce()>(target: &str, data: &[u8], f: F) -> bool {
    GUARDED.with(|g| g.set(true));
    let r = panic::catch_unwind(AssertUnwindSafe(f));
    GUARDED.with(|g| g.set(false));
    match r {
        Ok(()) => true,
        Err(e) => {
            let msg = panic_message(&*e);
            let file = save_regression(target, data);
            FAILURES.with(|f| {
                let mut f = f.borrow_mut();
                if f.len() < 100_000 {
                    f.push((target.to_string(), file, msg));
                }
            });
            false
        }
    }
}

fn failure_count() -> usize {
    FAILURES.with(|f| f.borrow().len())
}

/// Fail the test if any guarded input of this test panicked: one line per distinct message,
/// with the count and one saved input.
fn assert_no_failures() {
    let fails = FAILURES.with(|f| f.borrow().clone());
    if fails.is_empty() {
        return;
    }
    let mut by_msg: BTreeMap<(String, String), (usize, String)> = BTreeMap::new();
    for (t, file, msg) in &fails {
        let e = by_msg.entry((t.clone(), msg.clone())).or_insert((0, file.clone()));
        e.0 += 1;
    }
    let mut text = format!("{} inputs panicked:\n", fails.len());
    for ((t, msg), (n, file)) in by_msg {
        text.push_str(&format!("  [{}] x{}: {}\n    input: {}\n", t, n, msg, file));
    }
    panic!("{}", text);
}

// ---- corpus -----------------------------------------------------------------------------------

struct Corpus {
    /// (linktype, frame), a deterministic sample of every readable capture.
    frames: Vec<(u32, Vec<u8>)>,
    /// Small capture files, whole.
    files: Vec<Vec<u8>>,
    captures: usize,
    unreadable: usize,
}

/// Every packet of a capture file (as (linktype, bytes)), or None if it cannot be opened.
fn read_capture(path: &Path) -> Option<Vec<(u32, Vec<u8>)>> {
    let mut src = FileSource::open(path).ok()?;
    let mut chunk = vec![0u8; 1 << 20];
    let mut out = Vec::new();
    for _ in 0..100_000 {
        let o = src.fill(&mut chunk, &mut |bytes, r| {
            let s = r.offset as usize;
            if let Some(f) = bytes.get(s..s + r.caplen as usize) {
                out.push((r.linktype as u32, f.to_vec()));
            }
            true
        });
        if o.finished {
            if let Some(e) = o.error {
                if e.kind == sensor_core::capture::FileErrorKind::RecordLargerThanChunk && chunk.len() < 64 << 20 {
                    let n = chunk.len() * 4;
                    chunk.resize(n, 0);
                    continue;
                }
            }
            break;
        }
    }
    Some(out)
}

fn load_corpus() -> Option<Corpus> {
    let dir = Path::new(CORPUS);
    let manifest = std::fs::read_to_string(dir.join("MANIFEST.tsv")).ok()?;
    let mut c = Corpus { frames: Vec::new(), files: Vec::new(), captures: 0, unreadable: 0 };
    let mut small: Vec<PathBuf> = Vec::new();
    for line in manifest.lines().skip(1) {
        let rel = match line.split('\t').next() {
            Some(r) if !r.is_empty() => r,
            _ => continue,
        };
        let path = dir.join(rel);
        let pkts = match read_capture(&path) {
            Some(p) => p,
            None => {
                c.unreadable += 1;
                continue;
            }
        };
        c.captures += 1;
        if std::fs::metadata(&path).map(|m| m.len() <= MAX_SEED_FILE).unwrap_or(false) {
            small.push(path.clone());
        }
        let usable: Vec<&(u32, Vec<u8>)> = pkts.iter().filter(|p| p.1.len() <= MAX_SAMPLE_FRAME).collect();
        let k = FRAMES_PER_FILE.min(usable.len());
        for i in 0..k {
            // Evenly spread: the first packet, then the middle and the end of the capture.
            let f = usable[i * usable.len() / k];
            c.frames.push(f.clone());
        }
    }
    // Small files evenly spread over the (sorted) manifest, at most 64.
    let k = small.len().min(64);
    for i in 0..k {
        if let Ok(b) = std::fs::read(&small[i * small.len() / k]) {
            c.files.push(b);
        }
    }
    Some(c)
}

fn corpus_or_note(what: &str) -> Option<Corpus> {
    match load_corpus() {
        Some(c) if !c.frames.is_empty() => Some(c),
        _ => {
            println!("NOTE: {}: corpus not found at {} (MANIFEST.tsv); skipped", what, CORPUS);
            None
        }
    }
}

// ---- packet mutation --------------------------------------------------------------------------

/// A sampled frame with what the mutators aim at.
struct Seed {
    lt: u32,
    bytes: Vec<u8>,
    /// Truncation points: every prefix length where the decode result changes (a header
    /// boundary), one byte either side, the payload start and the end.
    cuts: Vec<usize>,
    /// Offsets of 2-byte fields worth smashing (EtherType, IP lengths and ids, ports, UDP length).
    sites16: Vec<usize>,
    /// Offsets of 1-byte fields (version/IHL, protocol/next header, TCP data offset).
    sites8: Vec<usize>,
}

type Signature = (Option<(u8, u8)>, u8, bool, u8, u8, bool);

fn signature(m: &PacketMeta) -> Signature {
    (m.stop.map(|(e, l)| (e as u8, l as u8)), m.ip_version, m.l4_ok, m.proto, m.tunnel_depth, m.fragment.is_some())
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

fn make_seed(lt: u32, bytes: Vec<u8>, meta: &mut PacketMeta, st: &mut DecodeStats) -> Seed {
    let mut cuts = vec![0, bytes.len()];
    let mut prev: Option<Signature> = None;
    for k in 0..=bytes.len().min(256) {
        check_decode(lt, &bytes[..k], meta, false, st);
        let s = signature(meta);
        if prev != Some(s) {
            cuts.extend_from_slice(&[k.saturating_sub(1), k, k + 1]);
        }
        prev = Some(s);
    }
    check_decode(lt, &bytes, meta, false, st);
    let m = *meta;
    if m.l4_ok {
        cuts.extend_from_slice(&[m.payload_off as usize, m.payload_off as usize + 1]);
    }
    cuts.retain(|&c| c <= bytes.len());
    cuts.sort_unstable();
    cuts.dedup();

    let mut sites16 = Vec::new();
    let mut sites8 = Vec::new();
    if lt == linktype::ETHERNET {
        sites16.extend_from_slice(&[12, 16]);
    }
    // The (innermost) IP header: find its addresses in the frame.
    let ip_off = match m.ip_version {
        4 => {
            let mut pat = m.src[..4].to_vec();
            pat.extend_from_slice(&m.dst[..4]);
            find(&bytes, &pat).and_then(|p| p.checked_sub(12))
        }
        6 => {
            let mut pat = m.src.to_vec();
            pat.extend_from_slice(&m.dst);
            find(&bytes, &pat).and_then(|p| p.checked_sub(8))
        }
        _ => None,
    };
    if let Some(ip) = ip_off {
        let l4 = if m.ip_version == 4 {
            sites8.extend_from_slice(&[ip, ip + 9]);
            sites16.extend_from_slice(&[ip + 2, ip + 4, ip + 6]);
            Some(ip + (bytes.get(ip).map_or(5, |b| b & 0x0f) as usize) * 4)
        } else {
            sites8.extend_from_slice(&[ip, ip + 6]);
            sites16.push(ip + 4);
            if bytes.get(ip + 6) == Some(&m.proto) {
                Some(ip + 40)
            } else {
                None
            }
        };
        if let Some(l4) = l4 {
            sites16.extend_from_slice(&[l4, l4 + 2]);
            match m.proto {
                6 => sites8.push(l4 + 12),
                17 => sites16.push(l4 + 4),
                _ => {}
            }
        }
    }
    sites16.retain(|&s| s + 2 <= bytes.len());
    sites8.retain(|&s| s < bytes.len());
    Seed { lt, bytes, cuts, sites16, sites8 }
}

/// A position, three times out of four inside the first 96 bytes (the headers).
fn pos(rng: &mut Rng, len: usize) -> usize {
    if rng.below(4) < 3 {
        rng.below(len.min(96))
    } else {
        rng.below(len)
    }
}

fn interesting16(rng: &mut Rng, orig: u16, len: usize) -> u16 {
    match rng.below(16) {
        0 => 0,
        1 => 1,
        2 => 0xffff,
        3 => 0x7fff,
        4 => 0x8000,
        5 => orig.wrapping_add(1),
        6 => orig.wrapping_sub(1),
        7 => orig.wrapping_add(4),
        8 => orig.wrapping_sub(8),
        9 => len as u16,
        10 => (len as u16).wrapping_add(1),
        // Tunnel and service ports, EtherTypes: they open other decoding paths.
        11 => *rng.pick(&[4789u16, 3544, 53, 0x0800, 0x86dd, 0x8100, 0x88a8, 0x8847, 0x8864, 0x88be, 0x6558]),
        12 => 20,
        13 => 40,
        14 => (len as u16).wrapping_sub(14),
        _ => rng.next_u64() as u16,
    }
}

fn interesting8(rng: &mut Rng, orig: u8) -> u8 {
    match rng.below(6) {
        // IP protocol numbers / next headers that lead somewhere.
        0 | 1 => *rng.pick(&[0u8, 1, 4, 6, 17, 41, 43, 44, 47, 50, 51, 58, 59, 60, 132, 135, 255]),
        // Version / header-length nibbles.
        2 => (orig & 0xf0) | rng.below(16) as u8,
        3 => ((rng.below(16) as u8) << 4) | (orig & 0x0f),
        4 => orig ^ (1 << rng.below(8)),
        _ => rng.byte(),
    }
}

/// Apply 1..=4 random mutations to a copy of `seeds[i]`.
fn mutate(rng: &mut Rng, seeds: &[Seed], i: usize, out: &mut Vec<u8>) {
    let s = &seeds[i];
    out.clear();
    out.extend_from_slice(&s.bytes);
    let ops = if rng.one_in(2) { 1 } else { rng.range(2, 4) };
    for _ in 0..ops {
        let len = out.len();
        match rng.below(11) {
            0 | 1 if len > 0 => {
                // Bit flips.
                for _ in 0..rng.range(1, 4) {
                    let p = pos(rng, len);
                    out[p] ^= 1 << rng.below(8);
                }
            }
            2 if len > 0 => {
                // Byte sets.
                for _ in 0..rng.range(1, 6) {
                    let p = pos(rng, len);
                    out[p] = match rng.below(4) {
                        0 => 0x00,
                        1 => 0xff,
                        2 => out[p].wrapping_add(if rng.one_in(2) { 1 } else { 0xff }),
                        _ => rng.byte(),
                    };
                }
            }
            3 => {
                // Truncate at a header boundary of the seed (or anywhere).
                let c = if rng.below(4) < 3 { *rng.pick(&s.cuts) } else { rng.below(len + 1) };
                out.truncate(c);
            }
            4 => {
                // Extend with random bytes, or with another frame's bytes.
                let n = if rng.one_in(8) { rng.range(1, 2000) } else { rng.range(1, 40) };
                if rng.one_in(3) {
                    let o = &seeds[rng.below(seeds.len())].bytes;
                    out.extend(o.iter().take(n));
                } else {
                    for _ in 0..n {
                        out.push(rng.byte());
                    }
                }
            }
            5 | 6 if len >= 2 => {
                // Length-field smashing: a known field, or any 2 bytes of the headers.
                let p = if !s.sites16.is_empty() && rng.below(4) < 3 { *rng.pick(&s.sites16) } else { pos(rng, len - 1) };
                if p + 2 <= len {
                    let orig = u16::from_be_bytes([out[p], out[p + 1]]);
                    let v = interesting16(rng, orig, len);
                    out[p..p + 2].copy_from_slice(&v.to_be_bytes());
                }
            }
            7 if len > 0 => {
                let p = if !s.sites8.is_empty() && rng.below(4) < 3 { *rng.pick(&s.sites8) } else { pos(rng, len) };
                if p < len {
                    out[p] = interesting8(rng, out[p]);
                }
            }
            8 => {
                // Header splicing: this frame's headers on another frame's body, or the reverse.
                let o = &seeds[rng.below(seeds.len())];
                let a = rng.pick(&s.cuts).min(&len).to_owned();
                let b = *rng.pick(&o.cuts);
                if rng.one_in(2) {
                    out.truncate(a);
                    out.extend_from_slice(&o.bytes[b.min(o.bytes.len())..]);
                } else {
                    let tail = out[a..].to_vec();
                    out.clear();
                    out.extend_from_slice(&o.bytes[..b.min(o.bytes.len())]);
                    out.extend_from_slice(&tail);
                }
            }
            9 if len > 0 => {
                // Insert or delete a few bytes inside the headers (everything after shifts).
                let p = pos(rng, len);
                let n = rng.range(1, 8);
                if rng.one_in(2) {
                    let end = (p + n).min(len);
                    out.drain(p..end);
                } else {
                    for _ in 0..n {
                        out.insert(p, rng.byte());
                    }
                }
            }
            10 if len > 4 => {
                // Copy a run of bytes over another place (repeats headers, e.g. a second VLAN tag).
                let n = rng.range(2, 16).min(len / 2);
                let from = rng.below(len - n + 1);
                let to = pos(rng, len - n + 1);
                let run = out[from..from + n].to_vec();
                out[to..to + n].copy_from_slice(&run);
            }
            _ => {
                if len > 0 {
                    let p = rng.below(len);
                    out[p] = rng.byte();
                }
            }
        }
    }
}

/// Everything one packet input goes through: decode under its own link type (with the
/// overwrite check) and two others, then the engines.
struct PacketRun {
    meta: PacketMeta,
    st: DecodeStats,
    rigs: Vec<EngineRig>,
}

impl PacketRun {
    fn new(seed: u64) -> PacketRun {
        PacketRun {
            meta: PacketMeta::default(),
            st: DecodeStats::default(),
            rigs: vec![EngineRig::tiny(seed ^ 1), EngineRig::strict(seed ^ 2), EngineRig::single(seed ^ 3)],
        }
    }

    fn input(&mut self, rng: &mut Rng, lt: u32, frame: &[u8]) {
        let mut meta = self.meta;
        let st = &mut self.st;
        let others = [*rng.pick(&LINKTYPES), *rng.pick(&LINKTYPES)];
        let ok = guarded("decode", frame, || {
            check_decode(lt, frame, &mut meta, true, st);
            for o in others {
                check_decode(o, frame, &mut meta, false, st);
            }
        });
        if !ok {
            meta = PacketMeta::default();
        }
        self.meta = meta;
        // Engine 0 sees every input, engine 1 a quarter, engine 2 an eighth.
        for (i, every) in [1usize, 4, 8].iter().enumerate() {
            if *every > 1 && !rng.one_in(*every) {
                continue;
            }
            let rig = &mut self.rigs[i];
            if !guarded("engine", frame, || rig.feed(lt, frame)) {
                let name = self.rigs[i].name;
                let s = rng.next_u64();
                self.rigs[i] = match name {
                    "strict" => EngineRig::strict(s),
                    "single" => EngineRig::single(s),
                    _ => EngineRig::tiny(s),
                };
            }
        }
    }
}

#[test]
fn mutate_packets() {
    quiet_panics();
    let corpus = match corpus_or_note("mutate_packets") {
        Some(c) => c,
        None => return,
    };
    let budget = budget();
    let seed = seed();
    let mut rng = Rng::new(seed);
    let t0 = Instant::now();
    let mut run = PacketRun::new(seed);

    // Seeds, and the per-seed header-boundary sweep (itself thousands of decodes).
    let mut seeds = Vec::with_capacity(corpus.frames.len());
    for (lt, f) in corpus.frames {
        let mut meta = PacketMeta::default();
        let mut st = DecodeStats::default();
        let bytes = f.clone();
        let mut made = None;
        if guarded("decode", &f, || made = Some(make_seed(lt, bytes, &mut meta, &mut st))) {
            if let Some(s) = made {
                seeds.push(s);
            }
        }
        run.st.merge(&st);
    }
    let mut per_lt: BTreeMap<u32, usize> = BTreeMap::new();
    for s in &seeds {
        *per_lt.entry(s.lt).or_insert(0) += 1;
    }
    assert!(!seeds.is_empty());

    // 1. Truncation at every interesting offset of every seed, under its own link type.
    let mut inputs = 0usize;
    let mut truncations = 0usize;
    for s in &seeds {
        for &c in &s.cuts {
            run.input(&mut rng, s.lt, &s.bytes[..c]);
            truncations += 1;
        }
    }
    inputs += truncations;

    // 2. Random mutations until the budget is spent.
    let mut buf = Vec::new();
    let mut recent: Vec<(u32, Vec<u8>)> = Vec::new();
    let mut batches = 0usize;
    while inputs < budget.max(truncations + 1) {
        let i = rng.below(seeds.len());
        mutate(&mut rng, &seeds, i, &mut buf);
        let lt = if rng.below(8) == 0 { *rng.pick(&LINKTYPES) } else { seeds[i].lt };
        run.input(&mut rng, lt, &buf);
        inputs += 1;
        if recent.len() < 8 {
            recent.push((lt, buf.clone()));
        } else if rng.one_in(64) {
            let frames = std::mem::take(&mut recent);
            let mut blob = Vec::new();
            for (_, f) in &frames {
                blob.extend_from_slice(f);
            }
            let rig = &mut run.rigs[0];
            let mut brng = rng.clone();
            if !guarded("engine", &blob, || check_batch(rig, &frames, &mut brng)) {
                run.rigs[0] = EngineRig::tiny(rng.next_u64());
            }
            rng.next_u64();
            batches += 1;
        }
    }
    for i in 0..run.rigs.len() {
        let rig = &mut run.rigs[i];
        guarded("engine", b"finish", || rig.finish());
    }
    let secs = t0.elapsed().as_secs_f64();

    println!(
        "mutate_packets: seed {:#x}: {} captures read ({} unreadable), {} seed frames by linktype {:?}",
        seed, corpus.captures, corpus.unreadable, seeds.len(), per_lt
    );
    println!(
        "mutate_packets: {} inputs ({} header-boundary truncations + {} random mutations, {} batches) in {:.2}s = {:.0} inputs/s; {} decode calls",
        inputs,
        truncations,
        inputs - truncations,
        batches,
        secs,
        inputs as f64 / secs,
        run.st.calls
    );
    println!(
        "mutate_packets: decode: {} complete, {} l4_ok, {} tunnelled, {} fragments; {} distinct stop reasons: {}",
        run.st.complete,
        run.st.l4_ok,
        run.st.tunnelled,
        run.st.fragments,
        run.st.stops.len(),
        run.st.stops_line()
    );
    for r in &run.rigs {
        let s = r.engine.stats();
        println!(
            "mutate_packets: engine {}: {} packets, {} flows created, peak {} of {} active, {} records drained, emergency entered {}x, ended by memcap {}",
            r.name,
            r.fed,
            s.flows_created,
            r.peak_flows,
            r.engine.config().max_flows(),
            r.records,
            s.emergency_entered,
            s.flows_ended[sensor_core::flow::EndReason::Memcap as usize]
        );
    }
    println!("mutate_packets: {} inputs panicked", failure_count());
    assert_no_failures();
    // The sample must cover every link type the corpus has (ether, null, raw, sll, ppp...).
    assert!(per_lt.len() >= 4, "too few link types sampled: {:?}", per_lt);
}

// ---- capture-file mutation ----------------------------------------------------------------

/// A field of a capture file worth smashing: offset, width (2, 4 or 8), big-endian.
#[derive(Clone, Copy, Debug)]
struct Site {
    off: usize,
    width: usize,
    big: bool,
}

struct FileSeed {
    bytes: Vec<u8>,
    sites: Vec<Site>,
    /// Record/block start offsets (and the end), for block-level edits.
    bounds: Vec<usize>,
}

fn rd32(b: &[u8], at: usize, big: bool) -> Option<u32> {
    let s = b.get(at..at + 4)?;
    let a = [s[0], s[1], s[2], s[3]];
    Some(if big { u32::from_be_bytes(a) } else { u32::from_le_bytes(a) })
}

fn rd16(b: &[u8], at: usize, big: bool) -> Option<u16> {
    let s = b.get(at..at + 2)?;
    Some(if big { u16::from_be_bytes([s[0], s[1]]) } else { u16::from_le_bytes([s[0], s[1]]) })
}

/// Walk a pcap or pcapng file (leniently) and list its header, record and block fields.
fn file_seed(bytes: Vec<u8>) -> FileSeed {
    let mut sites = Vec::new();
    let mut bounds = Vec::new();
    let b = &bytes;
    let site = |sites: &mut Vec<Site>, off: usize, width: usize, big: bool| {
        if off + width <= b.len() {
            sites.push(Site { off, width, big });
        }
    };
    if b.get(0..4) == Some(&[0x0a, 0x0d, 0x0d, 0x0a][..]) {
        let mut big = false;
        let mut p = 0usize;
        let mut guard = 0;
        while p + 12 <= b.len() && guard < 10_000 {
            guard += 1;
            bounds.push(p);
            let ty = rd32(b, p, big).unwrap_or(0);
            if ty == 0x0A0D_0D0A {
                big = b.get(p + 8..p + 12) == Some(&[0x1a, 0x2b, 0x3c, 0x4d][..]);
                site(&mut sites, p + 8, 4, big);
                site(&mut sites, p + 12, 2, big);
                site(&mut sites, p + 14, 2, big);
                site(&mut sites, p + 16, 8, big);
            }
            let len = rd32(b, p, big).and(rd32(b, p + 4, big)).unwrap_or(0) as usize;
            site(&mut sites, p, 4, big);
            site(&mut sites, p + 4, 4, big);
            if len >= 12 && p + len <= b.len() {
                site(&mut sites, p + len - 4, 4, big);
            }
            match ty {
                1 => {
                    site(&mut sites, p + 8, 2, big);
                    site(&mut sites, p + 12, 4, big);
                    // Options: code u16, length u16, value padded to 4.
                    let mut o = p + 16;
                    while len >= 12 && o + 4 <= p + len - 4 && o + 4 <= b.len() {
                        site(&mut sites, o, 2, big);
                        site(&mut sites, o + 2, 2, big);
                        let l = rd16(b, o + 2, big).unwrap_or(0) as usize;
                        let w = if l >= 8 { 8 } else if l >= 4 { 4 } else if l >= 2 { 2 } else { 0 };
                        if w > 0 {
                            site(&mut sites, o + 4, w, big);
                        }
                        o += 4 + (l + 3) / 4 * 4;
                    }
                }
                2 | 6 => {
                    for (off, w) in [(8, 4), (12, 4), (16, 4), (20, 4), (24, 4)] {
                        site(&mut sites, p + off, w, big);
                    }
                    if ty == 2 {
                        site(&mut sites, p + 8, 2, big);
                        site(&mut sites, p + 10, 2, big);
                    }
                }
                3 => site(&mut sites, p + 8, 4, big),
                _ => {}
            }
            if len < 12 {
                break;
            }
            p += len;
        }
        bounds.push(p.min(b.len()));
    } else if b.len() >= 24 {
        let big = matches!(b.get(0..4), Some(&[0xa1, 0xb2, _, _]));
        let modified = rd32(b, 0, big) == Some(0xa1b2_cd34);
        for (off, w) in [(0, 4), (4, 2), (6, 2), (8, 4), (12, 4), (16, 4), (20, 4)] {
            site(&mut sites, off, w, big);
        }
        let rec_hdr = if modified { 24 } else { 16 };
        let mut p = 24usize;
        let mut guard = 0;
        while p + rec_hdr <= b.len() && guard < 10_000 {
            guard += 1;
            bounds.push(p);
            for off in [0, 4, 8, 12] {
                site(&mut sites, p + off, 4, big);
            }
            p += rec_hdr + rd32(b, p + 8, big).unwrap_or(0) as usize;
        }
        bounds.push(p.min(b.len()));
    }
    if bounds.is_empty() {
        bounds.push(0);
    }
    bounds.retain(|&x| x <= b.len());
    FileSeed { bytes, sites, bounds }
}

// Small synthetic files: every pcap flavour and pcapng block kind, built from sampled frames.

fn put16(v: &mut Vec<u8>, big: bool, x: u16) {
    v.extend_from_slice(&if big { x.to_be_bytes() } else { x.to_le_bytes() });
}

fn put32(v: &mut Vec<u8>, big: bool, x: u32) {
    v.extend_from_slice(&if big { x.to_be_bytes() } else { x.to_le_bytes() });
}

fn pcap_file(magic: u32, big: bool, lt: u32, frames: &[&[u8]]) -> Vec<u8> {
    let mut v = Vec::new();
    put32(&mut v, big, magic);
    put16(&mut v, big, 2);
    put16(&mut v, big, 4);
    put32(&mut v, big, 0);
    put32(&mut v, big, 0);
    put32(&mut v, big, 65535);
    put32(&mut v, big, lt);
    for (i, f) in frames.iter().enumerate() {
        put32(&mut v, big, 1_700_000_000 + i as u32);
        put32(&mut v, big, 1000 * i as u32);
        put32(&mut v, big, f.len() as u32);
        put32(&mut v, big, f.len() as u32 + (i as u32 % 2) * 10);
        if magic == 0xa1b2_cd34 {
            put32(&mut v, big, 1);
            put16(&mut v, big, 2);
            v.push(0);
            v.push(0);
        }
        v.extend_from_slice(f);
    }
    v
}

fn block(v: &mut Vec<u8>, big: bool, ty: u32, body: &[u8]) {
    let len = 12 + (body.len() + 3) / 4 * 4;
    put32(v, big, ty);
    put32(v, big, len as u32);
    v.extend_from_slice(body);
    while v.len() % 4 != 0 {
        v.push(0);
    }
    put32(v, big, len as u32);
}

fn pcapng_file(big: bool, lts: &[u32], frames: &[(usize, &[u8])]) -> Vec<u8> {
    let mut v = Vec::new();
    let mut shb = Vec::new();
    put32(&mut shb, big, 0x1A2B_3C4D);
    put16(&mut shb, big, 1);
    put16(&mut shb, big, 0);
    shb.extend_from_slice(&if big { u64::MAX.to_be_bytes() } else { u64::MAX.to_le_bytes() });
    block(&mut v, big, 0x0A0D_0D0A, &shb);
    for (i, &lt) in lts.iter().enumerate() {
        let mut idb = Vec::new();
        put16(&mut idb, big, lt as u16);
        put16(&mut idb, big, 0);
        put32(&mut idb, big, 262_144);
        // if_tsresol: micro, nano, 2^-20; then if_tsoffset on the second interface.
        put16(&mut idb, big, 9);
        put16(&mut idb, big, 1);
        idb.push([6u8, 9, 0x94][i % 3]);
        idb.extend_from_slice(&[0, 0, 0]);
        if i == 1 {
            put16(&mut idb, big, 14);
            put16(&mut idb, big, 8);
            idb.extend_from_slice(&if big { 3600u64.to_be_bytes() } else { 3600u64.to_le_bytes() });
        }
        put16(&mut idb, big, 0);
        put16(&mut idb, big, 0);
        block(&mut v, big, 1, &idb);
    }
    for (n, (iface, f)) in frames.iter().enumerate() {
        let mut body = Vec::new();
        match n % 5 {
            3 => {
                // Simple Packet Block (interface 0).
                put32(&mut body, big, f.len() as u32);
                body.extend_from_slice(f);
                block(&mut v, big, 3, &body);
            }
            4 => {
                // Obsolete Packet Block.
                put16(&mut body, big, *iface as u16);
                put16(&mut body, big, 0);
                put32(&mut body, big, 0x0005_f000);
                put32(&mut body, big, n as u32);
                put32(&mut body, big, f.len() as u32);
                put32(&mut body, big, f.len() as u32);
                body.extend_from_slice(f);
                block(&mut v, big, 2, &body);
            }
            _ => {
                put32(&mut body, big, *iface as u32);
                put32(&mut body, big, 0x0005_f000);
                put32(&mut body, big, n as u32 * 1000);
                put32(&mut body, big, f.len() as u32);
                put32(&mut body, big, f.len() as u32);
                body.extend_from_slice(f);
                while body.len() % 4 != 0 {
                    body.push(0);
                }
                // epb_flags option, then the end of options.
                put16(&mut body, big, 2);
                put16(&mut body, big, 4);
                put32(&mut body, big, 1);
                put16(&mut body, big, 0);
                put16(&mut body, big, 0);
                block(&mut v, big, 6, &body);
            }
        }
        if n == 1 {
            // Blocks that carry no packet: Name Resolution, Interface Statistics, custom.
            block(&mut v, big, 4, &[0, 0, 0, 0]);
            let mut isb = Vec::new();
            put32(&mut isb, big, 0);
            put32(&mut isb, big, 0);
            put32(&mut isb, big, 0);
            block(&mut v, big, 5, &isb);
            block(&mut v, big, 0x0000_0BAD, &[1, 2, 3, 4, 5, 6, 7, 8]);
        }
    }
    v
}

fn synthetic_files(frames: &[(u32, Vec<u8>)]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut by_lt: BTreeMap<u32, Vec<&[u8]>> = BTreeMap::new();
    for (lt, f) in frames {
        let v = by_lt.entry(*lt).or_default();
        if v.len() < 4 && f.len() <= 600 {
            v.push(f);
        }
    }
    let lts: Vec<u32> = by_lt.keys().copied().collect();
    let magics = [0xa1b2_c3d4u32, 0xa1b2_3c4d, 0xa1b2_cd34];
    for (i, (lt, fs)) in by_lt.iter().enumerate() {
        if fs.is_empty() {
            continue;
        }
        out.push(pcap_file(magics[i % 3], i % 2 == 1, *lt, fs));
        let other = lts[(i + 1) % lts.len()];
        let other_frames = &by_lt[&other];
        let mut mixed: Vec<(usize, &[u8])> = Vec::new();
        for k in 0..6 {
            if k % 2 == 0 || other_frames.is_empty() {
                mixed.push((0, fs[k % fs.len()]));
            } else {
                mixed.push((1, other_frames[k % other_frames.len()]));
            }
        }
        out.push(pcapng_file(i % 2 == 0, &[*lt, other], &mixed));
    }
    // Two sections in one file, the second in the other byte order.
    if out.len() >= 2 {
        let a = out.iter().find(|f| f.starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]) && f[8] == 0x4d).cloned();
        let b = out.iter().find(|f| f.starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]) && f[8] == 0x1a).cloned();
        if let (Some(mut a), Some(b)) = (a, b) {
            a.extend_from_slice(&b);
            out.push(a);
        }
    }
    out
}

fn interesting32(rng: &mut Rng, orig: u32, file_len: usize) -> u32 {
    match rng.below(20) {
        0 => 0,
        1 => 1,
        2 => 0xffff_ffff,
        3 => 0x7fff_ffff,
        4 => 0x8000_0000,
        5 => orig.wrapping_add(1),
        6 => orig.wrapping_sub(1),
        7 => orig.wrapping_add(4),
        8 => orig.wrapping_sub(4),
        9 => orig.wrapping_add(8),
        10 => *rng.pick(&[262_143u32, 262_144, 262_145, 16 * 1024 * 1024, 16 * 1024 * 1024 + 4]),
        11 => *rng.pick(&[8u32, 11, 12, 16, 20, 24, 27, 28, 32]),
        12 => file_len as u32,
        13 => orig.swap_bytes(),
        14 => *rng.pick(&[0x0A0D_0D0Au32, 0x1A2B_3C4D, 0xa1b2_c3d4, 0xa1b2_3c4d, 0xa1b2_cd34, 1, 2, 3, 6]),
        15 => orig ^ (1 << rng.below(32)),
        _ => rng.next_u64() as u32,
    }
}

fn mutate_file(rng: &mut Rng, seeds: &[FileSeed], i: usize, out: &mut Vec<u8>) {
    let s = &seeds[i];
    out.clear();
    out.extend_from_slice(&s.bytes);
    let ops = if rng.one_in(2) { 1 } else { rng.range(2, 3) };
    for _ in 0..ops {
        let len = out.len();
        match rng.below(10) {
            0..=3 if !s.sites.is_empty() => {
                // Header, record and block length fields.
                let site = *rng.pick(&s.sites);
                let big = if rng.one_in(5) { !site.big } else { site.big };
                if site.off + site.width > len {
                    continue;
                }
                match site.width {
                    2 => {
                        let o = rd16(out, site.off, big).unwrap_or(0);
                        let v = if rng.one_in(2) { interesting32(rng, o as u32, len) as u16 } else { rng.pick(&[0u16, 1, 0xffff, 9, 14, 0x94, 0xff]).to_owned() };
                        let b = if big { v.to_be_bytes() } else { v.to_le_bytes() };
                        out[site.off..site.off + 2].copy_from_slice(&b);
                    }
                    4 => {
                        let o = rd32(out, site.off, big).unwrap_or(0);
                        let v = interesting32(rng, o, len);
                        let b = if big { v.to_be_bytes() } else { v.to_le_bytes() };
                        out[site.off..site.off + 4].copy_from_slice(&b);
                    }
                    _ => {
                        for k in 0..site.width {
                            out[site.off + k] = *rng.pick(&[0u8, 0xff, 0x7f, 0x80]);
                        }
                    }
                }
            }
            4 if len > 0 => {
                for _ in 0..rng.range(1, 4) {
                    let p = rng.below(len);
                    if rng.one_in(2) {
                        out[p] ^= 1 << rng.below(8);
                    } else {
                        out[p] = rng.byte();
                    }
                }
            }
            5 => {
                // Truncate: at a record/block boundary give or take a few bytes, or anywhere.
                let c = if rng.one_in(2) {
                    let b = *rng.pick(&s.bounds) as i64 + rng.range(0, 8) as i64 - 4;
                    b.max(0) as usize
                } else {
                    rng.below(len + 1)
                };
                out.truncate(c.min(len));
            }
            6 if s.bounds.len() >= 2 => {
                // Block-level edits: delete, duplicate or move one record/block.
                let k = rng.below(s.bounds.len() - 1);
                let (a, b) = (s.bounds[k].min(len), s.bounds[k + 1].min(len));
                if a >= b {
                    continue;
                }
                let blk = out[a..b].to_vec();
                match rng.below(3) {
                    0 => {
                        out.drain(a..b);
                    }
                    1 => {
                        let at = s.bounds[rng.below(s.bounds.len())].min(out.len());
                        let tail = out.split_off(at);
                        out.extend_from_slice(&blk);
                        out.extend_from_slice(&tail);
                    }
                    _ => out.extend_from_slice(&blk),
                }
            }
            7 => {
                // Splice: our prefix up to a boundary, another file's suffix from one of its.
                let o = &seeds[rng.below(seeds.len())];
                let a = rng.pick(&s.bounds).to_owned().min(len);
                let b = rng.pick(&o.bounds).to_owned().min(o.bytes.len());
                out.truncate(a);
                out.extend_from_slice(&o.bytes[b..]);
            }
            8 => {
                let n = if rng.one_in(4) { rng.range(1, 600) } else { rng.range(1, 16) };
                let p = if rng.one_in(2) { len } else { rng.below(len + 1) };
                let ins: Vec<u8> = (0..n).map(|_| if rng.one_in(2) { 0 } else { rng.byte() }).collect();
                let tail = out.split_off(p);
                out.extend_from_slice(&ins);
                out.extend_from_slice(&tail);
            }
            _ if len > 0 => {
                let p = rng.below(len);
                let n = rng.range(1, 8).min(len - p);
                out.drain(p..p + n);
            }
            _ => {}
        }
    }
}

/// Temporary file for the `FileSource` round trip.
fn temp_path(tag: usize) -> PathBuf {
    std::env::temp_dir().join(format!("sensor_core_mutation_{}_{}.bin", std::process::id(), tag))
}

/// The same file through `FileSource` with random chunk sizes: the same packets, no panic.
fn check_file_source(data: &[u8], rng: &mut Rng, tag: usize) {
    let path = temp_path(tag);
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let mut st = CaptureStats::default();
    let mut prng = rng.clone();
    let want = check_capture(data, &mut prng, &mut st);
    let mut src = match FileSource::open(&path) {
        Ok(s) => s,
        Err(_) => {
            let _ = std::fs::remove_file(&path);
            assert!(want.is_empty(), "FileSource refused a file the parser reads");
            return;
        }
    };
    let mut got = Vec::new();
    let mut size = rng.range(1, 512);
    for _ in 0..(16 * (data.len() + 64)) {
        let mut chunk = vec![0u8; size];
        let base = src.position();
        let o = src.fill(&mut chunk, &mut |bytes, r| {
            assert!(r.offset as usize + r.caplen as usize <= bytes.len(), "FileSource packet outside its chunk");
            got.push((r.linktype as u32, r.ts_ns, (base + r.offset as u64) as usize..(base + r.offset as u64) as usize + r.caplen as usize));
            true
        });
        assert!(o.bytes_filled <= size);
        if o.finished {
            match o.error {
                Some(e) if e.kind == sensor_core::capture::FileErrorKind::RecordLargerThanChunk => size = size * 2 + 1,
                _ => break,
            }
        } else {
            size = rng.range(1, 512);
        }
    }
    let _ = std::fs::remove_file(&path);
    assert!(got == want, "FileSource gave {} packets, the parser {}", got.len(), want.len());
}

#[test]
fn mutate_capture_files() {
    quiet_panics();
    let corpus = match corpus_or_note("mutate_capture_files") {
        Some(c) => c,
        None => return,
    };
    let budget = (budget() / 8).max(1);
    let seed = seed() ^ 0xca97;
    let mut rng = Rng::new(seed);
    let t0 = Instant::now();
    let mut files = corpus.files.clone();
    let n_corpus = files.len();
    files.extend(synthetic_files(&corpus.frames));
    let seeds: Vec<FileSeed> = files.into_iter().map(file_seed).collect();
    let mut st = CaptureStats::default();
    let mut dst = DecodeStats::default();
    let mut rig = EngineRig::tiny(seed);
    let mut meta = PacketMeta::default();
    let mut buf = Vec::new();
    let mut source_checks = 0usize;
    let mut inputs = 0usize;
    // Every seed as it is first (they must all parse cleanly), then mutants.
    while inputs < budget + seeds.len() {
        let i = rng.below(seeds.len());
        if inputs < seeds.len() {
            buf.clear();
            buf.extend_from_slice(&seeds[inputs].bytes);
        } else {
            mutate_file(&mut rng, &seeds, i, &mut buf);
        }
        inputs += 1;
        let mut frng = Rng::new(rng.next_u64());
        let data = &buf;
        let mut pkts = Vec::new();
        let stp = &mut st;
        if !guarded("capture", data, || pkts = check_capture(data, &mut frng, stp)) {
            continue;
        }
        // Packets of the damaged file go on like any packet (a few per file).
        for (lt, _, range) in pkts.into_iter().take(4) {
            let frame = &data[range];
            let (m, d, r) = (&mut meta, &mut dst, &mut rig);
            if !guarded("decode", frame, || {
                check_decode(lt, frame, m, false, d);
                r.feed(lt, frame);
            }) {
                rig = EngineRig::tiny(rng.next_u64());
            }
        }
        if rng.one_in(64) {
            source_checks += 1;
            let mut srng = Rng::new(rng.next_u64());
            guarded("capture", data, || check_file_source(data, &mut srng, inputs));
        }
    }
    guarded("engine", b"finish", || rig.finish());
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "mutate_capture_files: seed {:#x}: {} seed files ({} corpus, {} synthetic), {} inputs in {:.2}s = {:.0} files/s, {} parse calls, {} FileSource round trips",
        seed,
        seeds.len(),
        n_corpus,
        seeds.len() - n_corpus,
        inputs,
        secs,
        inputs as f64 / secs,
        st.parse_calls,
        source_checks
    );
    println!(
        "mutate_capture_files: {} parsed clean, {} packets; header errors: {}; file errors: {}",
        st.clean,
        st.packets,
        map_line(&st.header_errors),
        map_line(&st.file_errors)
    );
    println!("mutate_capture_files: {} inputs panicked; decode stops seen in their packets: {}", failure_count(), dst.stops.len());
    assert_no_failures();
}

// ---- regressions ------------------------------------------------------------------------------

/// Replay every `tests/regressions/<target>-<hash>.bin`: `decode-` and `engine-` files are one
/// frame, decoded under every link type and fed to fresh engines; `capture-` files are capture
/// files, parsed whole and over chunk splits. Any other `.bin` goes through all three.
#[test]
fn replay_regressions() {
    let dir = Path::new(REGRESSIONS);
    let mut entries: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.extension().map_or(false, |x| x == "bin")).collect(),
        Err(_) => Vec::new(),
    };
    entries.sort();
    for path in &entries {
        let data = std::fs::read(path).expect("read regression file");
        let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        let frame_targets = name.starts_with("decode-") || name.starts_with("engine-");
        let capture_target = name.starts_with("capture-");
        if frame_targets || !capture_target {
            let mut st = DecodeStats::default();
            let mut meta = PacketMeta::default();
            for lt in LINKTYPES {
                check_decode(lt, &data, &mut meta, true, &mut st);
                for mut rig in [EngineRig::tiny(1), EngineRig::strict(2), EngineRig::single(3)] {
                    for _ in 0..3 {
                        rig.feed(lt, &data);
                    }
                    rig.finish();
                }
            }
        }
        if capture_target || !frame_targets {
            for s in 0..8 {
                let mut rng = Rng::new(s);
                let mut st = CaptureStats::default();
                check_capture(&data, &mut rng, &mut st);
            }
            harness::fuzz_capture(&data);
        }
        harness::fuzz_decode(&data);
        harness::fuzz_engine(&data);
    }
    // Sanity: decoding works at all here (the replay above is empty on a clean tree).
    let mut meta = PacketMeta::default();
    decode(linktype::ETHERNET, &[0u8; 14], &mut meta);
    println!("replay_regressions: {} files replayed", entries.len());
}
