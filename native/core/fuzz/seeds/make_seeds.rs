//! Writes starting corpora for the three fuzz targets from the real captures in
//! `shared/corpus` (the same captures tests/mutation.rs samples):
//!   corpus/decode/          selector byte + one frame, a few frames per capture
//!   corpus/capture_parser/  capture files of at most 16 KiB, whole
//!   corpus/flow_engine/     the first 48 packets of a capture as `selector | len u16 le | bytes`
//! Usage: make_seeds [CORPUS_DIR] [OUT_DIR]  (defaults: ../../../../shared/corpus, ./corpus)
#[path = "../../tests/harness/mod.rs"]
mod harness;

use std::path::{Path, PathBuf};

use sensor_core::capture::FileSource;

fn packets(path: &Path) -> Vec<(u32, Vec<u8>)> {
    let mut out = Vec::new();
    let mut src = match FileSource::open(path) {
        Ok(s) => s,
        Err(_) => return out,
    };
    let mut chunk = vec![0u8; 4 << 20];
    for _ in 0..10_000 {
        let o = src.fill(&mut chunk, &mut |bytes, r| {
            let s = r.offset as usize;
            if let Some(f) = bytes.get(s..s + r.caplen as usize) {
                out.push((r.linktype as u32, f.to_vec()));
            }
            true
        });
        if o.finished {
            break;
        }
    }
    out
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let corpus = PathBuf::from(args.get(1).cloned().unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/../../../../shared/corpus").to_string()));
    let out = PathBuf::from(args.get(2).cloned().unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/corpus").to_string()));
    let manifest = match std::fs::read_to_string(corpus.join("MANIFEST.tsv")) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("no corpus at {}: {}", corpus.display(), e);
            std::process::exit(1);
        }
    };
    for t in ["decode", "capture_parser", "flow_engine"] {
        std::fs::create_dir_all(out.join(t)).expect("create corpus dir");
    }
    let mut n = [0usize; 3];
    for (i, line) in manifest.lines().skip(1).enumerate() {
        let rel = match line.split('\t').next() {
            Some(r) if !r.is_empty() => r,
            _ => continue,
        };
        let path = corpus.join(rel);
        let bytes = std::fs::read(&path).unwrap_or_default();
        if !bytes.is_empty() && bytes.len() <= 16 * 1024 {
            std::fs::write(out.join("capture_parser").join(format!("{:03}.cap", i)), &bytes).expect("write");
            n[1] += 1;
        }
        let pkts = packets(&path);
        let k = pkts.len().min(4);
        for j in 0..k {
            let (lt, f) = &pkts[j * pkts.len() / k];
            let mut seed = vec![harness::linktype_selector(*lt)];
            seed.extend_from_slice(f);
            std::fs::write(out.join("decode").join(format!("{:03}-{}.bin", i, j)), &seed).expect("write");
            n[0] += 1;
        }
        let mut seq = Vec::new();
        for (lt, f) in pkts.iter().take(48) {
            let len = f.len().min(u16::MAX as usize);
            seq.push(harness::linktype_selector(*lt));
            seq.extend_from_slice(&(len as u16).to_le_bytes());
            seq.extend_from_slice(&f[..len]);
        }
        if !seq.is_empty() {
            std::fs::write(out.join("flow_engine").join(format!("{:03}.seq", i)), &seq).expect("write");
            n[2] += 1;
        }
    }
    println!("seeds written to {}: decode {}, capture_parser {}, flow_engine {}", out.display(), n[0], n[1], n[2]);
}
