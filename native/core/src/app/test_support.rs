//! Test helpers shared by the parsers' tests: walking the packets of a shared-corpus capture.

use crate::capture::FileSource;
use crate::decode::{decode, PacketMeta};
use std::path::PathBuf;

/// `../shared/corpus` beside the checkout (as CI lays it out), found from this crate's folder.
pub(crate) fn corpus_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus"))
}

/// Call `f` with the decoded meta and the frame of every packet of corpus capture `rel`.
/// Returns false (after printing why) when the capture is absent, so a test can skip.
pub(crate) fn for_each_corpus_packet(rel: &str, mut f: impl FnMut(&PacketMeta, &[u8])) -> bool {
    let path = corpus_dir().join(rel);
    if !path.exists() {
        eprintln!("corpus file {} absent; skipping", path.display());
        return false;
    }
    let mut src = match FileSource::open(&path) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("corpus file {}: {}; skipping", path.display(), e);
            return false;
        }
    };
    let mut chunk = vec![0u8; 1 << 20];
    for _ in 0..10_000 {
        let fill = src.fill(&mut chunk, &mut |bytes, r| {
            let start = r.offset as usize;
            if let Some(frame) = bytes.get(start..start + r.caplen as usize) {
                let mut meta = PacketMeta::default();
                decode(u32::from(r.linktype), frame, &mut meta);
                f(&meta, frame);
            }
            true
        });
        if fill.finished {
            break;
        }
    }
    true
}
