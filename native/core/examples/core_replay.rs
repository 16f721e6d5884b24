//! Core-alone throughput: read a capture with `FileSource` and run every packet through one
//! `FlowEngine`, no N-API, no workers. `cargo run --release --example core_replay -- FILE`.
//! Prints packets/s so the cost of the engine can be told apart from the pipeline around it.
//! An optional second argument is engine config, `;`-separated `key=value` pairs
//! (`EngineConfig::parse`), e.g. `app_layer=false` to measure the engine without the app layer.

use sensor_core::batch::drain_records;
use sensor_core::capture::FileSource;
use sensor_core::engine::{EngineConfig, FlowEngine};
use std::time::Instant;

fn main() {
    let path = match std::env::args().nth(1) {
        Some(p) => p,
        None => {
            eprintln!("usage: core_replay FILE");
            std::process::exit(2);
        }
    };
    let mut src = FileSource::open(std::path::Path::new(&path)).unwrap_or_else(|e| {
        eprintln!("{}: {}", path, e);
        std::process::exit(1)
    });
    let cfg = match std::env::args().nth(2) {
        Some(text) => EngineConfig::parse(&text.replace(';', "\n")).unwrap_or_else(|e| {
            eprintln!("config: {}", e);
            std::process::exit(2)
        }),
        None => EngineConfig::default(),
    };
    let mut engine = FlowEngine::new(cfg);
    let mut chunk = vec![0u8; 8 << 20];
    let mut out = vec![0u8; 1 << 20];
    let (mut packets, mut bytes, mut read_s) = (0u64, 0u64, 0f64);
    let start = Instant::now();
    let mut refs = Vec::with_capacity(200_000);
    loop {
        refs.clear();
        let t = Instant::now();
        let res = src.fill(&mut chunk, &mut |_, p| {
            refs.push(p);
            true
        });
        read_s += t.elapsed().as_secs_f64();
        for p in &refs {
            let f = &chunk[p.offset as usize..(p.offset + p.caplen) as usize];
            engine.process_packet(p.ts_ns, p.linktype as u32, f, p.wirelen);
            packets += 1;
            bytes += p.caplen as u64;
        }
        while drain_records(&mut engine, &mut out) > 0 {}
        if res.finished {
            break;
        }
    }
    engine.flush_all();
    while drain_records(&mut engine, &mut out) > 0 {}
    let s = start.elapsed().as_secs_f64();
    if std::env::var_os("CORE_REPLAY_COUNTERS").is_some() {
        engine.visit_counters(&mut |n, v| {
            if v != 0 {
                eprintln!("{} {}", n, v);
            }
        });
    }
    println!(
        "{} packets, {:.1} MB in {:.3} s ({:.3} s reading): {:.2} M packets/s, {:.0} ns/packet engine",
        packets,
        bytes as f64 / 1e6,
        s,
        read_s,
        packets as f64 / s / 1e6,
        (s - read_s) / packets as f64 * 1e9
    );
}
