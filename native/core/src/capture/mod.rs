//! Capture files (classic pcap and pcapng) read incrementally into caller-owned chunks.
//!
//! The replay path never copies a packet twice: a chunk of the file is read straight into a
//! buffer the caller owns (a JS SharedArrayBuffer in the sensor), parsed in place, and each
//! whole packet record becomes a [`PacketRef`] pointing into that chunk. A record cut by the
//! end of the chunk is left for the next chunk (the next read starts at its first byte).
//!
//! `CaptureParser` is pure (bytes in, refs out) so it is unit-testable and runs in the wasm
//! build; `FileSource` adds positional reads from a `std::fs::File`.

pub mod file;
pub mod pcap;
pub mod pcapng;

pub use file::{FileSource, FillOutcome, OpenError};

use std::fmt;

/// One packet inside a chunk. 24 bytes in the batch index layout (see `batch.rs`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PacketRef {
    /// Packet time, nanoseconds since the Unix epoch.
    pub ts_ns: u64,
    /// Offset of the first captured byte inside the chunk.
    pub offset: u32,
    /// Captured length (bytes present in the chunk).
    pub caplen: u32,
    /// Original length on the wire (>= caplen when the capture was snaplen-truncated).
    pub wirelen: u32,
    /// LINKTYPE_* of the interface the packet came from.
    pub linktype: u16,
}

/// What went wrong with the file itself (not with a packet's contents).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileErrorKind {
    /// Fewer bytes than a file header.
    ShortFileHeader,
    /// Neither a pcap magic nor a pcapng section header.
    BadMagic,
    /// The file ended inside a record or block.
    TruncatedRecord,
    /// A record claims a captured length that cannot be right (over MAX_CAPLEN, or over the block).
    BadRecordLength,
    /// A pcapng block that is malformed (bad total length, trailer mismatch, unknown interface id...).
    BadBlock,
    /// A pcapng packet references an interface that was never described.
    UnknownInterface,
    /// A record is larger than the caller's chunk, so it can never be delivered.
    RecordLargerThanChunk,
    /// The operating system failed to read the file.
    Io,
}

impl FileErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FileErrorKind::ShortFileHeader => "short_file_header",
            FileErrorKind::BadMagic => "bad_magic",
            FileErrorKind::TruncatedRecord => "truncated_record",
            FileErrorKind::BadRecordLength => "bad_record_length",
            FileErrorKind::BadBlock => "bad_block",
            FileErrorKind::UnknownInterface => "unknown_interface",
            FileErrorKind::RecordLargerThanChunk => "record_larger_than_chunk",
            FileErrorKind::Io => "io",
        }
    }
}

/// A file error with the absolute byte offset (from the start of the file) where it was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileError {
    pub kind: FileErrorKind,
    pub offset: u64,
}

/// Largest captured length we accept for one record (pcapng/pcap implementations cap at 256 KiB).
pub const MAX_CAPLEN: u32 = 262_144;

/// Which format a file is, as told by its first four bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Pcap,
    Pcapng,
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte offset {}", self.kind.as_str(), self.offset)
    }
}

impl std::error::Error for FileError {}

/// How many bytes [`CaptureParser::from_header`] wants to see: a classic pcap file header is
/// 24 bytes and the smallest pcapng Section Header Block is 28.
pub const HEADER_PROBE_LEN: usize = 28;

/// What one [`CaptureParser::parse`] call did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ParseOutcome {
    /// Bytes of `buf` fully dealt with; the next call must start at `buf[consumed..]`.
    pub consumed: usize,
    /// Packets handed to `emit` (and accepted by it).
    pub packets: u32,
    /// Why parsing stopped early, if it did because of the file (or the buffer size).
    pub error: Option<FileError>,
    /// `emit` returned false; the refused record is not consumed.
    pub stopped_by_emit: bool,
}

/// Incremental capture-file parser: bytes in, [`PacketRef`]s out, no I/O.
///
/// The caller owns the buffer and the file position: it feeds a stretch of the file, learns
/// how much was consumed, and feeds again from there. Only state that must outlive a buffer
/// (byte order, interfaces, the last timestamp, a block being skipped) lives in here.
#[derive(Debug, Clone)]
pub struct CaptureParser {
    inner: ParserInner,
}

#[derive(Debug, Clone)]
enum ParserInner {
    Pcap(pcap::PcapParser),
    Pcapng(pcapng::PcapngParser),
}

impl CaptureParser {
    /// Detect the format from the first bytes of the file and parse the classic pcap file header
    /// (24 bytes) if it is one. Returns the parser and how many bytes the header took (0 for
    /// pcapng: the Section Header Block is parsed by `parse` like any other block).
    ///
    /// Give it the first [`HEADER_PROBE_LEN`] bytes, or the whole file when it is shorter.
    pub fn from_header(head: &[u8]) -> Result<(CaptureParser, usize), FileError> {
        let magic = match head.get(0..4) {
            Some(m) => [m[0], m[1], m[2], m[3]],
            None => {
                return Err(FileError {
                    kind: FileErrorKind::ShortFileHeader,
                    offset: 0,
                })
            }
        };
        if magic == pcapng::SHB_MAGIC_BYTES {
            let parser = pcapng::PcapngParser::from_header(head)?;
            return Ok((
                CaptureParser {
                    inner: ParserInner::Pcapng(parser),
                },
                0,
            ));
        }
        let parser = pcap::PcapParser::from_header(head)?;
        Ok((
            CaptureParser {
                inner: ParserInner::Pcap(parser),
            },
            pcap::FILE_HEADER_LEN,
        ))
    }

    pub fn format(&self) -> Format {
        match self.inner {
            ParserInner::Pcap(_) => Format::Pcap,
            ParserInner::Pcapng(_) => Format::Pcapng,
        }
    }

    /// Parse as many whole records/blocks as `buf` holds. `buf` starts at absolute file offset
    /// `base` (for error offsets). `emit(packet_ref)` is called for each packet, with
    /// `PacketRef.offset` relative to `buf`; if emit returns false, parsing stops BEFORE that
    /// record (it is not consumed, so it will be re-parsed next time). `at_eof` says buf ends
    /// at end of file.
    ///
    /// A record cut by the end of `buf` is not consumed: at EOF it is a `TruncatedRecord` error
    /// at its first byte; otherwise, when nothing at all was consumed, `RecordLargerThanChunk`
    /// (the caller must offer a bigger buffer or give up). pcapng blocks that carry no packet
    /// are skipped even when larger than `buf`: the parser remembers how much is left to skip.
    pub fn parse(
        &mut self,
        buf: &[u8],
        base: u64,
        at_eof: bool,
        emit: &mut dyn FnMut(PacketRef) -> bool,
    ) -> ParseOutcome {
        match &mut self.inner {
            ParserInner::Pcap(p) => p.parse(buf, base, at_eof, emit),
            ParserInner::Pcapng(p) => p.parse(buf, base, at_eof, emit),
        }
    }
}

/// Byte order of a file (pcap) or section (pcapng), from its magic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ByteOrder {
    Little,
    Big,
}

impl ByteOrder {
    /// `None` when the field runs past the end of `buf` (never panics).
    pub(crate) fn u16_at(self, buf: &[u8], at: usize) -> Option<u16> {
        let b = buf.get(at..at.checked_add(2)?)?;
        let b = [b[0], b[1]];
        Some(match self {
            ByteOrder::Little => u16::from_le_bytes(b),
            ByteOrder::Big => u16::from_be_bytes(b),
        })
    }

    pub(crate) fn u32_at(self, buf: &[u8], at: usize) -> Option<u32> {
        let b = buf.get(at..at.checked_add(4)?)?;
        let b = [b[0], b[1], b[2], b[3]];
        Some(match self {
            ByteOrder::Little => u32::from_le_bytes(b),
            ByteOrder::Big => u32::from_be_bytes(b),
        })
    }

    pub(crate) fn u64_at(self, buf: &[u8], at: usize) -> Option<u64> {
        let b = buf.get(at..at.checked_add(8)?)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Some(match self {
            ByteOrder::Little => u64::from_le_bytes(a),
            ByteOrder::Big => u64::from_be_bytes(a),
        })
    }
}

/// Absolute offset of `pos` inside a buffer that starts at `base` (saturating: offsets are
/// only reported, never used to index).
pub(crate) fn abs_offset(base: u64, pos: usize) -> u64 {
    base.saturating_add(pos as u64)
}

/// The record at `pos` needs more bytes than `buf` holds. At EOF that is a truncated file;
/// otherwise it is only an error when nothing was consumed yet (`pos == 0`), because then a
/// bigger buffer is the only way forward. `None` means "stop here, come back with more".
pub(crate) fn incomplete_record(
    buf_len: usize,
    pos: usize,
    base: u64,
    at_eof: bool,
) -> Option<FileError> {
    let offset = abs_offset(base, pos);
    if at_eof {
        Some(FileError {
            kind: FileErrorKind::TruncatedRecord,
            offset,
        })
    } else if pos == 0 && buf_len > 0 {
        Some(FileError {
            kind: FileErrorKind::RecordLargerThanChunk,
            offset,
        })
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A packet with its data offset made absolute, so runs over different buffers compare.
    type Seen = (u64, u64, u32, u32, u16);

    fn seen(base: u64, r: PacketRef) -> Seen {
        (
            r.ts_ns,
            base + u64::from(r.offset),
            r.caplen,
            r.wirelen,
            r.linktype,
        )
    }

    /// Parse the whole file in one buffer.
    fn whole(data: &[u8]) -> (Vec<Seen>, Option<FileError>) {
        let (mut p, hdr) = CaptureParser::from_header(data).expect("header");
        let mut got = Vec::new();
        let out = p.parse(&data[hdr..], hdr as u64, true, &mut |r| {
            got.push(seen(hdr as u64, r));
            true
        });
        assert!(out.error.is_some() || out.consumed == data.len() - hdr);
        (got, out.error)
    }

    /// Parse with `chunk`-byte buffers, re-feeding from `consumed` as a file reader does and
    /// doubling the buffer for one call when a record does not fit. `refuse_every` > 0 makes
    /// emit refuse every n-th call (the refused packet must come back next time).
    fn chunked(data: &[u8], chunk: usize, refuse_every: usize) -> (Vec<Seen>, Option<FileError>) {
        let (mut p, hdr) = CaptureParser::from_header(data).expect("header");
        let mut got = Vec::new();
        let mut pos = hdr;
        let mut size = chunk;
        let mut calls = 0usize;
        for _ in 0..100_000 {
            let end = (pos + size).min(data.len());
            let at_eof = end == data.len();
            let base = pos as u64;
            let out = p.parse(&data[pos..end], base, at_eof, &mut |r| {
                calls += 1;
                if refuse_every > 0 && calls % refuse_every == 0 {
                    return false;
                }
                got.push(seen(base, r));
                true
            });
            pos += out.consumed;
            match out.error {
                Some(e) if e.kind == FileErrorKind::RecordLargerThanChunk => {
                    assert_eq!(out.consumed, 0);
                    size = size.max(1) * 2;
                    continue;
                }
                Some(e) => return (got, Some(e)),
                None => {
                    size = chunk;
                    if at_eof && !out.stopped_by_emit {
                        assert_eq!(pos, data.len(), "EOF without error consumes everything");
                        return (got, None);
                    }
                }
            }
        }
        panic!("no progress");
    }

    /// Parse `data[..cut]` (not at EOF), then the rest from `consumed` (at EOF).
    fn two_pieces(data: &[u8], cut: usize) -> (Vec<Seen>, Option<FileError>) {
        let (mut p, hdr) = CaptureParser::from_header(data).expect("header");
        let cut = cut.max(hdr);
        let mut got = Vec::new();
        let out = p.parse(&data[hdr..cut], hdr as u64, false, &mut |r| {
            got.push(seen(hdr as u64, r));
            true
        });
        match out.error {
            None => {}
            Some(e) if e.kind == FileErrorKind::RecordLargerThanChunk => {}
            Some(e) => return (got, Some(e)),
        }
        let pos = hdr + out.consumed;
        let out = p.parse(&data[pos..], pos as u64, true, &mut |r| {
            got.push(seen(pos as u64, r));
            true
        });
        (got, out.error)
    }

    fn test_files() -> Vec<(String, Vec<u8>)> {
        let mut files = Vec::new();
        for (i, var) in pcap::tests::ALL_VARIANTS.iter().enumerate() {
            files.push((format!("pcap variant {}", i), pcap::tests::sample(*var)));
        }
        let (ng, want) = pcapng::tests::reference_file();
        files.push(("pcapng reference".to_string(), ng.clone()));
        // Damaged copies: errors must be reported at the same offset whatever the buffers.
        files.push(("pcapng truncated".to_string(), ng[..want[5].0 + 3].to_vec()));
        let mut bad = ng.clone();
        let third_block = want[2].0 - 28;
        bad[third_block + 4] ^= 0x04; // total length no longer matches the trailer
        files.push(("pcapng bad length".to_string(), bad));
        let mut bad = ng.clone();
        bad[third_block + 8] = 9; // interface 9
        files.push(("pcapng unknown interface".to_string(), bad));
        let p = pcap::tests::sample(pcap::tests::ALL_VARIANTS[0]);
        files.push(("pcap truncated".to_string(), p[..p.len() - 1].to_vec()));
        files
    }

    #[test]
    fn every_buffer_boundary_gives_the_same_packets_and_errors() {
        for (name, data) in test_files() {
            let reference = whole(&data);
            assert!(!reference.0.is_empty(), "{}", name);
            for cut in 0..=data.len() {
                assert_eq!(
                    two_pieces(&data, cut),
                    reference,
                    "{}: cut at {}",
                    name,
                    cut
                );
            }
            for chunk in 1..=data.len() {
                assert_eq!(
                    chunked(&data, chunk, 0),
                    reference,
                    "{}: chunk {}",
                    name,
                    chunk
                );
                assert_eq!(
                    chunked(&data, chunk, 3),
                    reference,
                    "{}: chunk {} with refusals",
                    name,
                    chunk
                );
            }
        }
    }

    #[test]
    fn format_detection() {
        let (ng, _) = pcapng::tests::reference_file();
        let (p, hdr) = CaptureParser::from_header(&ng[..HEADER_PROBE_LEN]).expect("pcapng");
        assert_eq!((p.format(), hdr), (Format::Pcapng, 0));
        let pc = pcap::tests::sample(pcap::tests::ALL_VARIANTS[3]);
        let (p, hdr) = CaptureParser::from_header(&pc[..HEADER_PROBE_LEN]).expect("pcap");
        assert_eq!((p.format(), hdr), (Format::Pcap, 24));
        assert_eq!(
            CaptureParser::from_header(&[0xd4, 0xc3, 0xb2]).err(),
            Some(FileError {
                kind: FileErrorKind::ShortFileHeader,
                offset: 0
            })
        );
        let e = FileError {
            kind: FileErrorKind::BadBlock,
            offset: 42,
        };
        assert_eq!(e.to_string(), "bad_block at byte offset 42");
    }

    #[test]
    fn garbage_never_panics() {
        // Deterministic pseudo-random bytes behind each valid header, parsed whole and chunked.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut ng = pcapng::tests::Ng::new();
        ng.shb(false);
        ng.idb(1, 0, &[]);
        let heads = [
            pcap::tests::sample(pcap::tests::ALL_VARIANTS[0])[..24].to_vec(),
            ng.v,
        ];
        for round in 0..2000 {
            let mut data = heads[round % 2].clone();
            let len = (next() % 300) as usize;
            for _ in 0..len {
                let r = next();
                // Mostly small numbers so lengths and ids are sometimes plausible.
                data.push(if r % 3 == 0 {
                    (r >> 8) as u8
                } else {
                    (r >> 8) as u8 & 0x1F
                });
            }
            let reference = whole(&data);
            for chunk in [1, 7, 64] {
                assert_eq!(chunked(&data, chunk, 0), reference, "round {}", round);
            }
        }
    }
}
