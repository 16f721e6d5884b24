//! [`FileSource`]: a capture file read chunk by chunk into a caller-owned buffer.
//!
//! Reads are positional (`pread` on Unix) so the source needs no seek state of its own and a
//! chunk always starts at the first record not yet consumed: a record cut by the end of one
//! chunk is simply read again, whole, at the start of the next.

use std::fmt;
use std::fs::File;
use std::io;
use std::path::Path;

use super::{CaptureParser, FileError, FileErrorKind, PacketRef, HEADER_PROBE_LEN};

/// Why a capture file could not be opened.
#[derive(Debug)]
pub enum OpenError {
    /// The operating system refused (missing file, permissions...).
    Io(io::Error),
    /// The file is there but is not a capture we can read.
    File(FileError),
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpenError::Io(e) => write!(f, "cannot read capture file: {}", e),
            OpenError::File(e) => match e.kind {
                FileErrorKind::ShortFileHeader => {
                    write!(f, "not a capture file: shorter than a pcap/pcapng header")
                }
                FileErrorKind::BadMagic => {
                    write!(
                        f,
                        "not a pcap or pcapng file: unknown magic number (at byte offset {})",
                        e.offset
                    )
                }
                _ => write!(f, "bad capture file: {}", e),
            },
        }
    }
}

impl std::error::Error for OpenError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            OpenError::Io(e) => Some(e),
            OpenError::File(e) => Some(e),
        }
    }
}

impl From<io::Error> for OpenError {
    fn from(e: io::Error) -> OpenError {
        OpenError::Io(e)
    }
}

/// What one [`FileSource::fill`] call did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FillOutcome {
    /// Packets handed to `emit` and accepted.
    pub packets: u32,
    /// Bytes read into the chunk (packet offsets point inside `chunk[..bytes_filled]`).
    pub bytes_filled: usize,
    /// No more packets will come: end of file, or an error.
    pub finished: bool,
    /// The file error that finished the source (or, for `RecordLargerThanChunk`, paused it).
    pub error: Option<FileError>,
}

/// A capture file being replayed.
#[derive(Debug)]
pub struct FileSource {
    file: File,
    parser: CaptureParser,
    /// Absolute offset of the first byte not yet consumed.
    next_offset: u64,
    /// File length at open time; replay does not follow a file that is still growing.
    file_len: u64,
    finished: bool,
    error: Option<FileError>,
    /// Set when a record did not fit a chunk of this many bytes: only a bigger chunk resumes.
    too_small_chunk: Option<usize>,
}

impl FileSource {
    /// Open `path` and read its file header.
    pub fn open(path: &Path) -> Result<FileSource, OpenError> {
        let file = File::open(path)?;
        let file_len = file.metadata()?.len();
        let mut head = [0u8; HEADER_PROBE_LEN];
        let n = read_full_at(&file, &mut head, 0)?;
        let (parser, header_len) =
            CaptureParser::from_header(head.get(..n).unwrap_or(&[])).map_err(OpenError::File)?;
        Ok(FileSource {
            file,
            parser,
            next_offset: header_len as u64,
            file_len,
            finished: false,
            error: None,
            too_small_chunk: None,
        })
    }

    /// Which format the file is.
    pub fn format(&self) -> super::Format {
        self.parser.format()
    }

    /// Read the next stretch of the file into `chunk` (starting at the first unconsumed record)
    /// and call `emit(chunk_bytes, packet_ref)` for each whole packet in it (chunk_bytes is the
    /// filled part of chunk, so the callee can look at the packet bytes). Stops early if emit
    /// returns false; the refused packet comes first in the next call.
    ///
    /// After an error every call returns `finished` with the same error. The one exception is
    /// `RecordLargerThanChunk`: it is about the chunk, not the file, so a later call with a
    /// larger chunk carries on (a call with a chunk no larger reports it again).
    pub fn fill(
        &mut self,
        chunk: &mut [u8],
        emit: &mut dyn FnMut(&[u8], PacketRef) -> bool,
    ) -> FillOutcome {
        if let Some(small) = self.too_small_chunk {
            if chunk.len() > small {
                self.too_small_chunk = None;
                self.finished = false;
                self.error = None;
            }
        }
        if self.finished {
            return FillOutcome {
                packets: 0,
                bytes_filled: 0,
                finished: true,
                error: self.error,
            };
        }
        let left = self.file_len.saturating_sub(self.next_offset);
        let want = usize::try_from(left).map_or(chunk.len(), |l| l.min(chunk.len()));
        let area = match chunk.get_mut(..want) {
            Some(a) => a,
            None => {
                return self.fail(FileError {
                    kind: FileErrorKind::Io,
                    offset: self.next_offset,
                })
            }
        };
        let filled = match read_full_at(&self.file, area, self.next_offset) {
            Ok(n) => n,
            Err(_) => {
                return self.fail(FileError {
                    kind: FileErrorKind::Io,
                    offset: self.next_offset,
                })
            }
        };
        // A short read means the file shrank since it was opened: what we got is all there is.
        let at_eof = filled < chunk.len() || self.next_offset + filled as u64 >= self.file_len;
        let bytes = chunk.get(..filled).unwrap_or(&[]);
        let base = self.next_offset;
        let out = self
            .parser
            .parse(bytes, base, at_eof, &mut |r| emit(bytes, r));
        self.next_offset += out.consumed as u64;
        let mut result = FillOutcome {
            packets: out.packets,
            bytes_filled: filled,
            finished: false,
            error: None,
        };
        if let Some(e) = out.error {
            if e.kind == FileErrorKind::RecordLargerThanChunk {
                self.too_small_chunk = Some(chunk.len());
            }
            self.finished = true;
            self.error = Some(e);
        } else if filled == 0 && !at_eof {
            // An empty chunk can never make progress; say so instead of spinning.
            self.too_small_chunk = Some(0);
            self.finished = true;
            self.error = Some(FileError {
                kind: FileErrorKind::RecordLargerThanChunk,
                offset: self.next_offset,
            });
        } else if at_eof && self.next_offset >= base.saturating_add(filled as u64) {
            // Everything up to the end of the file was consumed.
            self.finished = true;
        }
        result.finished = self.finished;
        result.error = self.error;
        result
    }

    /// Absolute offset of the next unconsumed byte.
    pub fn position(&self) -> u64 {
        self.next_offset
    }

    /// File length in bytes (as it was when opened).
    pub fn len(&self) -> u64 {
        self.file_len
    }

    /// True for an empty file (not even a header): never the case for an opened source.
    pub fn is_empty(&self) -> bool {
        self.file_len == 0
    }

    /// No more packets will come (end of file or an error).
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// The error that finished the source, if any.
    pub fn error(&self) -> Option<FileError> {
        self.error
    }

    fn fail(&mut self, e: FileError) -> FillOutcome {
        self.finished = true;
        self.error = Some(e);
        FillOutcome {
            packets: 0,
            bytes_filled: 0,
            finished: true,
            error: Some(e),
        }
    }
}

/// Read until `buf` is full or the file ends; returns the bytes read.
fn read_full_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        let rest = match buf.get_mut(filled..) {
            Some(r) => r,
            None => break,
        };
        match read_at(file, rest, offset + filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, offset)
}

/// Without `pread`: seek then read through `&File` (the source is not shared across threads
/// while it reads, so the seek cannot race).
#[cfg(not(unix))]
fn read_at(mut file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    use std::io::{Read, Seek, SeekFrom};
    file.seek(SeekFrom::Start(offset))?;
    file.read(buf)
}

#[cfg(test)]
mod tests {
    use super::super::pcapng::tests::reference_file;
    use super::*;
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A file in the temp dir, removed when dropped.
    struct TempFile(PathBuf);

    impl TempFile {
        fn new(bytes: &[u8]) -> TempFile {
            static COUNTER: AtomicUsize = AtomicUsize::new(0);
            let name = format!(
                "sensor_core_capture_{}_{}.bin",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            );
            let path = std::env::temp_dir().join(name);
            std::fs::write(&path, bytes).expect("write temp file");
            TempFile(path)
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    /// (ts, absolute data offset, caplen, first data byte) of one packet.
    type Seen = (u64, u64, u32, u8);

    /// Read every packet with `chunk_len`-byte chunks; returns the packets and the final error.
    fn read_all(path: &Path, chunk_len: usize) -> (Vec<Seen>, Option<FileError>) {
        let mut src = FileSource::open(path).expect("open");
        let mut chunk = vec![0u8; chunk_len];
        let mut got = Vec::new();
        let mut rounds = 0;
        loop {
            let base = src.position();
            let out = src.fill(&mut chunk, &mut |bytes, r| {
                let first = bytes.get(r.offset as usize).copied().unwrap_or(0);
                got.push((r.ts_ns, base + u64::from(r.offset), r.caplen, first));
                true
            });
            if out.finished {
                assert!(src.is_finished());
                return (got, out.error);
            }
            rounds += 1;
            assert!(rounds < 1_000_000, "no progress");
        }
    }

    #[test]
    fn reads_pcapng_with_any_chunk_size() {
        let (data, want) = reference_file();
        let tmp = TempFile::new(&data);
        let (whole, err) = read_all(&tmp.0, data.len());
        assert_eq!(err, None);
        assert_eq!(whole.len(), want.len());
        for (g, w) in whole.iter().zip(&want) {
            assert_eq!((g.0, g.1, g.2, g.3), (w.1, w.0 as u64, w.2, data[w.0]));
        }
        // Every block is under 136 bytes, so these chunks never need growing.
        for chunk_len in [136, 137, 200, 333, 4096] {
            let (got, err) = read_all(&tmp.0, chunk_len);
            assert_eq!((got, err), (whole.clone(), None), "chunk {}", chunk_len);
        }
    }

    #[test]
    fn too_small_chunk_pauses_and_a_bigger_one_resumes() {
        let (data, want) = reference_file();
        let tmp = TempFile::new(&data);
        let mut src = FileSource::open(&tmp.0).expect("open");
        let mut small = vec![0u8; 40];
        let mut n = 0;
        let mut out = FillOutcome::default();
        for _ in 0..100 {
            out = src.fill(&mut small, &mut |_, _| {
                n += 1;
                true
            });
            if out.finished {
                break;
            }
        }
        assert_eq!(
            out.error.map(|e| e.kind),
            Some(FileErrorKind::RecordLargerThanChunk)
        );
        assert!(out.finished && src.is_finished());
        // Same size again: same answer.
        let again = src.fill(&mut small, &mut |_, _| true);
        assert_eq!((again.finished, again.error), (true, out.error));
        let mut big = vec![0u8; 1 << 16];
        let out = src.fill(&mut big, &mut |_, _| {
            n += 1;
            true
        });
        assert_eq!((out.error, out.finished), (None, true));
        assert_eq!(n, want.len());
        let mut empty = [0u8; 0];
        assert!(src.fill(&mut empty, &mut |_, _| true).finished);
    }

    #[test]
    fn empty_chunk_reports_instead_of_spinning() {
        let (data, _) = reference_file();
        let tmp = TempFile::new(&data);
        let mut src = FileSource::open(&tmp.0).expect("open");
        let out = src.fill(&mut [], &mut |_, _| true);
        assert_eq!(
            out.error,
            Some(FileError {
                kind: FileErrorKind::RecordLargerThanChunk,
                offset: 0
            })
        );
    }

    #[test]
    fn emit_refusal_and_position() {
        let (data, want) = reference_file();
        let tmp = TempFile::new(&data);
        let mut src = FileSource::open(&tmp.0).expect("open");
        assert_eq!(
            (src.position(), src.len(), src.format()),
            (0, data.len() as u64, super::super::Format::Pcapng)
        );
        let mut chunk = vec![0u8; 4096];
        let out = src.fill(&mut chunk, &mut |_, _| false);
        assert_eq!((out.packets, out.finished, out.error), (0, false, None));
        // The header blocks were consumed; the first packet block was not.
        assert_eq!(src.position(), want[0].0 as u64 - 28);
        let mut seen = Vec::new();
        while !src.is_finished() {
            src.fill(&mut chunk, &mut |bytes, r| {
                seen.push(bytes[r.offset as usize]);
                seen.len() % 2 == 1 // accept one, refuse the next, accept it next time
            });
        }
        let want_first: Vec<u8> = want.iter().map(|w| data[w.0]).collect();
        let mut dedup = seen.clone();
        dedup.dedup();
        assert_eq!(dedup, want_first);
    }

    #[test]
    fn open_errors_and_sticky_file_errors() {
        let missing = std::env::temp_dir().join("sensor_core_capture_definitely_missing.pcap");
        match FileSource::open(&missing) {
            Err(OpenError::Io(e)) => assert_eq!(e.kind(), io::ErrorKind::NotFound),
            other => panic!("expected Io, got {:?}", other.map(|_| ())),
        }
        let short = TempFile::new(&[0xd4, 0xc3, 0xb2, 0xa1, 2, 0]);
        let e = FileSource::open(&short.0).expect_err("short");
        assert!(matches!(
            e,
            OpenError::File(FileError {
                kind: FileErrorKind::ShortFileHeader,
                offset: 0
            })
        ));
        assert!(e.to_string().contains("shorter than"), "{}", e);
        let empty = TempFile::new(&[]);
        assert!(matches!(
            FileSource::open(&empty.0),
            Err(OpenError::File(FileError {
                kind: FileErrorKind::ShortFileHeader,
                ..
            }))
        ));
        let text = TempFile::new(b"this is not a capture file at all\n");
        let e = FileSource::open(&text.0).expect_err("text");
        assert!(matches!(
            e,
            OpenError::File(FileError {
                kind: FileErrorKind::BadMagic,
                offset: 0
            })
        ));
        assert!(e.to_string().contains("magic"), "{}", e);

        // Truncated last block: earlier packets come out, then the same error forever.
        let (data, want) = reference_file();
        let last = want[want.len() - 1].0;
        let cut = TempFile::new(&data[..last + 1]);
        let (got, err) = read_all(&cut.0, 300);
        assert_eq!(got.len(), want.len() - 1);
        let e = err.expect("truncated");
        assert_eq!(
            (e.kind, e.offset),
            (FileErrorKind::TruncatedRecord, last as u64 - 12)
        );
        let mut src = FileSource::open(&cut.0).expect("open");
        let mut chunk = vec![0u8; 300];
        while !src.fill(&mut chunk, &mut |_, _| true).finished {}
        for _ in 0..3 {
            let out = src.fill(&mut chunk, &mut |_, _| panic!("no packet after an error"));
            assert_eq!((out.finished, out.error, out.packets), (true, Some(e), 0));
        }
        // A bigger chunk does not revive a file error.
        let mut big = vec![0u8; 1 << 16];
        assert_eq!(src.fill(&mut big, &mut |_, _| true).error, Some(e));
    }

    /// Every capture in the shared corpus, read with 64 KiB chunks, gives the manifest's
    /// packet count (the manifest's counts come from the upstream projects' tools).
    #[test]
    fn corpus_packet_counts_match_manifest() {
        let root = Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/corpus"
        ));
        let manifest = match std::fs::read_to_string(root.join("MANIFEST.tsv")) {
            Ok(m) => m,
            Err(_) => {
                println!(
                    "corpus not found at {}: skipping the corpus test",
                    root.display()
                );
                return;
            }
        };
        let mut chunk = vec![0u8; 64 * 1024];
        // Allocated only if some file has a record over 64 KiB; a caller would grow the same way.
        let mut big_chunk: Vec<u8> = Vec::new();
        let (mut total, mut exact, mut grown) = (0, 0, 0);
        let mut failures = Vec::new();
        for line in manifest.lines().skip(1) {
            let cols: Vec<&str> = line.split('\t').collect();
            if cols.len() < 6 {
                continue;
            }
            let (path, want) = (cols[0], cols[5].parse::<u64>().expect("packet count"));
            total += 1;
            let mut src = match FileSource::open(&root.join(path)) {
                Ok(s) => s,
                Err(e) => {
                    failures.push(format!("{}: open: {}", path, e));
                    continue;
                }
            };
            let mut packets = 0u64;
            let mut error = None;
            let mut use_big = false;
            loop {
                let buf: &mut [u8] = if use_big { &mut big_chunk } else { &mut chunk };
                let out = src.fill(buf, &mut |_, _| true);
                packets += u64::from(out.packets);
                match out.error {
                    Some(e) if e.kind == FileErrorKind::RecordLargerThanChunk && !use_big => {
                        if big_chunk.is_empty() {
                            big_chunk = vec![0u8; 17 * 1024 * 1024];
                        }
                        grown += 1;
                        use_big = true;
                        continue;
                    }
                    Some(e) => {
                        error = Some(e);
                        break;
                    }
                    None if out.finished => break,
                    None => use_big = false,
                }
            }
            if packets == want && error.is_none() {
                exact += 1;
            } else {
                failures.push(format!(
                    "{}: {} packets (manifest {}), error {:?}",
                    path, packets, want, error
                ));
            }
        }
        for f in &failures {
            println!("corpus mismatch: {}", f);
        }
        println!(
            "corpus: {} of {} files exact ({} chunk growths)",
            exact, total, grown
        );
        assert!(total > 0, "empty manifest");
        assert!(
            failures.is_empty(),
            "{} corpus files differ",
            failures.len()
        );
    }
}
