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

// pub use file::FileSource; (enabled once file.rs lands)

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
