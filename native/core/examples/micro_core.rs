//! Native micro-benchmarks for the hot paths the N-API binding does not expose one by one:
//! frame decode, Community ID, flow engine per packet (windows off and on), TLS ClientHello
//! parse, JA3 and JA4. Timed with `std::time::Instant` (no bench harness, no crates).
//!
//! `cargo run --release -p sensor_core --example micro_core -- FILE [PACKETS] [ROUNDS]`
//!
//! FILE is a capture (e.g. pcapgen -s 0.01); its first PACKETS packets (default 200000) are
//! loaded into memory once. Every measure runs ROUNDS times (default 5); one JSON line per
//! measure goes to stdout: {"op", "ns_per_op" (median round), "min", "max", "ops" (per round)}.
//! bench/micro.ts runs this and merges the lines into its report.

use sensor_core::app::ja3::ja3;
use sensor_core::app::ja4::ja4;
use sensor_core::app::tls::{parse_client_hello, Parse};
use sensor_core::batch::drain_records;
use sensor_core::capture::FileSource;
use sensor_core::community_id::{community_id_v1, CommunityIdInput};
use sensor_core::decode::{decode, PacketMeta};
use sensor_core::engine::{EngineConfig, FlowEngine};
use std::time::Instant;

struct Pkt {
    off: usize,
    len: usize,
    ts_ns: u64,
    linktype: u32,
    wirelen: u32,
}

fn report(op: &str, ops: usize, mut ns: Vec<f64>, sink: u64) {
    ns.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let med = ns[ns.len() / 2];
    println!(
        "{{\"op\":\"{}\",\"ns_per_op\":{:.2},\"min\":{:.2},\"max\":{:.2},\"ops\":{},\"rounds\":{},\"sink\":{}}}",
        op,
        med,
        ns[0],
        ns[ns.len() - 1],
        ops,
        ns.len(),
        sink % 1000
    );
}

/// Times `f` over `rounds` rounds; `f` does `ops` operations and returns a value that depends
/// on the work (kept so the optimiser cannot drop it).
fn time_rounds(op: &str, ops: usize, rounds: usize, mut f: impl FnMut() -> u64) {
    let mut ns = Vec::with_capacity(rounds);
    let mut sink = 0u64;
    // One untimed warm-up round.
    sink = sink.wrapping_add(f());
    for _ in 0..rounds {
        let t = Instant::now();
        sink = sink.wrapping_add(f());
        ns.push(t.elapsed().as_nanos() as f64 / ops as f64);
    }
    report(op, ops, ns, sink);
}

fn u16s(out: &mut Vec<u8>, vals: &[u16]) {
    for v in vals {
        out.extend_from_slice(&v.to_be_bytes());
    }
}

fn ext(out: &mut Vec<u8>, ty: u16, body: &[u8]) {
    out.extend_from_slice(&ty.to_be_bytes());
    out.extend_from_slice(&(body.len() as u16).to_be_bytes());
    out.extend_from_slice(body);
}

/// A browser-like TLS 1.3 ClientHello record: GREASE, 16 suites, SNI, ALPN h2/http1.1, groups,
/// signature algorithms, supported_versions, key_share (about 500 bytes).
fn client_hello() -> Vec<u8> {
    let mut exts = Vec::new();
    ext(&mut exts, 0x0a0a, &[]);
    let host = b"upload.storage.example.com";
    let mut sni = Vec::new();
    sni.extend_from_slice(&((host.len() + 3) as u16).to_be_bytes());
    sni.push(0);
    sni.extend_from_slice(&(host.len() as u16).to_be_bytes());
    sni.extend_from_slice(host);
    ext(&mut exts, 0x0000, &sni);
    ext(&mut exts, 0x0017, &[]);
    ext(&mut exts, 0xff01, &[0]);
    let mut groups = Vec::new();
    u16s(&mut groups, &[0x0a0a, 0x001d, 0x0017, 0x0018]);
    let mut g = (groups.len() as u16).to_be_bytes().to_vec();
    g.extend_from_slice(&groups);
    ext(&mut exts, 0x000a, &g);
    ext(&mut exts, 0x000b, &[1, 0]);
    ext(&mut exts, 0x0023, &[]);
    let mut alpn = Vec::new();
    for p in [&b"h2"[..], &b"http/1.1"[..]] {
        alpn.push(p.len() as u8);
        alpn.extend_from_slice(p);
    }
    let mut a = (alpn.len() as u16).to_be_bytes().to_vec();
    a.extend_from_slice(&alpn);
    ext(&mut exts, 0x0010, &a);
    ext(&mut exts, 0x0005, &[1, 0, 0, 0, 0]);
    let mut sigs = Vec::new();
    u16s(&mut sigs, &[0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601]);
    let mut s = (sigs.len() as u16).to_be_bytes().to_vec();
    s.extend_from_slice(&sigs);
    ext(&mut exts, 0x000d, &s);
    ext(&mut exts, 0x0012, &[]);
    let mut ks = Vec::new();
    ks.extend_from_slice(&[0x0a, 0x0a, 0, 1, 0]);
    ks.extend_from_slice(&[0x00, 0x1d, 0, 32]);
    ks.extend_from_slice(&[0x42; 32]);
    let mut k = (ks.len() as u16).to_be_bytes().to_vec();
    k.extend_from_slice(&ks);
    ext(&mut exts, 0x0033, &k);
    ext(&mut exts, 0x002d, &[1, 1]);
    let mut sv = vec![6];
    u16s(&mut sv, &[0x1a1a, 0x0304, 0x0303]);
    ext(&mut exts, 0x002b, &sv);
    ext(&mut exts, 0x001b, &[2, 0, 2]);
    ext(&mut exts, 0x1a1a, &[0]);

    let mut body = Vec::new();
    body.extend_from_slice(&[0x03, 0x03]);
    body.extend_from_slice(&[0x11; 32]);
    body.push(32);
    body.extend_from_slice(&[0x22; 32]);
    let suites: [u16; 16] = [
        0x2a2a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d,
        0x002f, 0x0035,
    ];
    body.extend_from_slice(&((suites.len() * 2) as u16).to_be_bytes());
    u16s(&mut body, &suites);
    body.extend_from_slice(&[1, 0]);
    body.extend_from_slice(&(exts.len() as u16).to_be_bytes());
    body.extend_from_slice(&exts);

    let mut hs = vec![1, 0, 0, 0];
    let n = body.len() as u32;
    hs[1] = (n >> 16) as u8;
    hs[2] = (n >> 8) as u8;
    hs[3] = n as u8;
    hs.extend_from_slice(&body);
    let mut rec = vec![0x16, 0x03, 0x01];
    rec.extend_from_slice(&(hs.len() as u16).to_be_bytes());
    rec.extend_from_slice(&hs);
    rec
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path = match args.get(1) {
        Some(p) => p.clone(),
        None => {
            eprintln!("usage: micro_core FILE [PACKETS] [ROUNDS]");
            std::process::exit(2);
        }
    };
    let want: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(200_000);
    let rounds: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(5).max(1);

    // Load the first `want` packets into one buffer.
    let mut src = FileSource::open(std::path::Path::new(&path)).unwrap_or_else(|e| {
        eprintln!("{}: {}", path, e);
        std::process::exit(1)
    });
    let mut chunk = vec![0u8; 8 << 20];
    let mut data: Vec<u8> = Vec::new();
    let mut pkts: Vec<Pkt> = Vec::with_capacity(want);
    while pkts.len() < want {
        let mut refs = Vec::new();
        let res = src.fill(&mut chunk, &mut |_, p| {
            refs.push(p);
            true
        });
        for p in refs {
            if pkts.len() >= want {
                break;
            }
            let f = &chunk[p.offset as usize..(p.offset + p.caplen) as usize];
            pkts.push(Pkt { off: data.len(), len: f.len(), ts_ns: p.ts_ns, linktype: p.linktype as u32, wirelen: p.wirelen });
            data.extend_from_slice(f);
        }
        if res.finished {
            break;
        }
    }
    if pkts.is_empty() {
        eprintln!("{}: no packets", path);
        std::process::exit(1);
    }
    let n = pkts.len();
    eprintln!("micro_core: {} packets, {} bytes loaded, {} rounds", n, data.len(), rounds);
    let frame = |p: &Pkt| &data[p.off..p.off + p.len];

    // decode
    let mut meta = PacketMeta::default();
    time_rounds("decode", n, rounds, || {
        let mut acc = 0u64;
        for p in &pkts {
            decode(p.linktype, frame(p), &mut meta);
            acc = acc.wrapping_add(meta.src_port as u64 + meta.payload_len as u64);
        }
        acc
    });

    // community_id on every decoded packet with an IP layer
    let mut tuples: Vec<([u8; 16], [u8; 16], u8, u16, u16, u8, bool)> = Vec::with_capacity(n);
    for p in &pkts {
        decode(p.linktype, frame(p), &mut meta);
        if meta.ip_version != 0 {
            tuples.push((meta.src, meta.dst, meta.proto, meta.src_port, meta.dst_port, meta.ip_version, meta.l4_ok));
        }
    }
    if !tuples.is_empty() {
        time_rounds("community_id_v1", tuples.len(), rounds, || {
            let mut acc = 0u64;
            for t in &tuples {
                let alen = if t.5 == 4 { 4 } else { 16 };
                let input = CommunityIdInput { src: &t.0[..alen], dst: &t.1[..alen], proto: t.2, src_port: t.3, dst_port: t.4, has_ports: t.6 };
                acc = acc.wrapping_add(community_id_v1(0, &input)[0] as u64);
            }
            acc
        });
    }

    // Flow engine: decode + hash + lookup/insert + update, then records drained; a fresh engine
    // per round so every round does the same work (flow creation included).
    let mut out = vec![0u8; 4 << 20];
    for (op, cfg_text) in [("engine_packet_windows_off", ""), ("engine_packet_windows_on", "emit_windows=true")] {
        let cfg = EngineConfig::parse(cfg_text).unwrap_or_else(|e| {
            eprintln!("engine config: {}", e);
            std::process::exit(1)
        });
        time_rounds(op, n, rounds, || {
            let mut engine = FlowEngine::new(cfg.clone());
            let mut acc = 0u64;
            for (i, p) in pkts.iter().enumerate() {
                engine.process_packet(p.ts_ns, p.linktype, frame(p), p.wirelen);
                if i % 4096 == 4095 {
                    while drain_records(&mut engine, &mut out) > 0 {}
                }
            }
            engine.flush_all();
            loop {
                let k = drain_records(&mut engine, &mut out);
                if k == 0 {
                    break;
                }
                acc = acc.wrapping_add(k as u64);
            }
            acc
        });
    }

    // TLS ClientHello, JA3, JA4
    let rec = client_hello();
    let ch = match parse_client_hello(&rec) {
        Parse::Done(ch) => ch,
        _ => {
            eprintln!("micro_core: the synthetic ClientHello did not parse");
            std::process::exit(1)
        }
    };
    let iters = 100_000;
    time_rounds("tls_client_hello_parse", iters, rounds, || {
        let mut acc = 0u64;
        for _ in 0..iters {
            if let Parse::Done(c) = parse_client_hello(&rec) {
                acc = acc.wrapping_add(c.cipher_suites.len() as u64);
            }
        }
        acc
    });
    time_rounds("ja3", iters, rounds, || {
        let mut acc = 0u64;
        for _ in 0..iters {
            acc = acc.wrapping_add(ja3(&ch).1.len() as u64);
        }
        acc
    });
    time_rounds("ja4", iters, rounds, || {
        let mut acc = 0u64;
        for _ in 0..iters {
            acc = acc.wrapping_add(ja4(&ch, false).len() as u64);
        }
        acc
    });
    eprintln!("micro_core: ja3 {} ja4 {}", ja3(&ch).1, ja4(&ch, false));
}
