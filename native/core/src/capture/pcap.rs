//! Classic libpcap files: a 24-byte file header, then records of a 16-byte header plus the
//! captured bytes.
//!
//! Variants recognised by the magic number (read in either byte order, which also tells the
//! byte order of every other field):
//! - `a1b2c3d4`: microsecond timestamps;
//! - `a1b23c4d`: nanosecond timestamps;
//! - `a1b2cd34`: Alexey Kuznetsov's "modified" format (microseconds, 8 more bytes per record
//!   header: ifindex, protocol, packet type) written by old patched Linux tcpdumps.

use super::{
    abs_offset, incomplete_record, ByteOrder, FileError, FileErrorKind, PacketRef, ParseOutcome,
    MAX_CAPLEN,
};

/// Size of the file header every variant starts with.
pub const FILE_HEADER_LEN: usize = 24;
/// Size of a standard record header (ts_sec, ts_frac, caplen, wirelen).
const RECORD_HEADER_LEN: usize = 16;
/// Size of a record header in the Kuznetsov "modified" format.
const MODIFIED_RECORD_HEADER_LEN: usize = 24;

const MAGIC_USEC: u32 = 0xa1b2_c3d4;
const MAGIC_NSEC: u32 = 0xa1b2_3c4d;
const MAGIC_MODIFIED: u32 = 0xa1b2_cd34;

/// libpcap keeps the FCS length in the upper bits of the link-type field; the link type is below.
const LINKTYPE_MASK: u32 = 0x0FFF_FFFF;

/// Parser state for one classic pcap file: all of it comes from the file header.
#[derive(Debug, Clone)]
pub struct PcapParser {
    order: ByteOrder,
    /// Multiplier from the fractional timestamp field to nanoseconds (1000 or 1).
    frac_to_ns: u64,
    record_header_len: usize,
    linktype: u16,
    snaplen: u32,
}

impl PcapParser {
    /// Parse the 24-byte file header. `head` may be longer (the rest is ignored).
    pub fn from_header(head: &[u8]) -> Result<PcapParser, FileError> {
        let short = FileError {
            kind: FileErrorKind::ShortFileHeader,
            offset: 0,
        };
        let bad_magic = FileError {
            kind: FileErrorKind::BadMagic,
            offset: 0,
        };
        let raw = ByteOrder::Little.u32_at(head, 0).ok_or(short)?;
        // The magic read as little-endian is either a known value (a little-endian file) or a
        // known value byte-swapped (a big-endian file).
        let (order, magic) = if is_known_magic(raw) {
            (ByteOrder::Little, raw)
        } else if is_known_magic(raw.swap_bytes()) {
            (ByteOrder::Big, raw.swap_bytes())
        } else {
            return Err(bad_magic);
        };
        if head.len() < FILE_HEADER_LEN {
            return Err(short);
        }
        let snaplen = order.u32_at(head, 16).ok_or(short)?;
        let network = order.u32_at(head, 20).ok_or(short)? & LINKTYPE_MASK;
        Ok(PcapParser {
            order,
            frac_to_ns: if magic == MAGIC_NSEC { 1 } else { 1000 },
            record_header_len: if magic == MAGIC_MODIFIED {
                MODIFIED_RECORD_HEADER_LEN
            } else {
                RECORD_HEADER_LEN
            },
            // No real link type is above 16 bits; an absurd one becomes 0xFFFF so the decoder
            // counts it as an unknown link type instead of misreading a truncated number.
            linktype: u16::try_from(network).unwrap_or(u16::MAX),
            snaplen,
        })
    }

    /// Snapshot length from the file header (informational; records are checked against
    /// [`MAX_CAPLEN`]).
    pub fn snaplen(&self) -> u32 {
        self.snaplen
    }

    /// See [`super::CaptureParser::parse`].
    pub fn parse(
        &mut self,
        buf: &[u8],
        base: u64,
        at_eof: bool,
        emit: &mut dyn FnMut(PacketRef) -> bool,
    ) -> ParseOutcome {
        let mut out = ParseOutcome::default();
        let hdr_len = self.record_header_len;
        loop {
            let pos = out.consumed;
            let rest = buf.get(pos..).unwrap_or(&[]);
            if rest.is_empty() {
                break;
            }
            if rest.len() < hdr_len {
                out.error = incomplete_record(buf.len(), pos, base, at_eof);
                break;
            }
            // Four u32 fields, present because rest.len() >= hdr_len >= 16.
            let field = |i: usize| self.order.u32_at(rest, i * 4).unwrap_or(0);
            let (ts_sec, ts_frac, caplen, wirelen) = (field(0), field(1), field(2), field(3));
            // libpcap refuses a record over its per-link-type maximum (256 KiB for nearly all):
            // such a length means a damaged file and nothing after it can be trusted.
            if caplen > MAX_CAPLEN {
                out.error = Some(FileError {
                    kind: FileErrorKind::BadRecordLength,
                    offset: abs_offset(base, pos),
                });
                break;
            }
            let record_len = hdr_len + caplen as usize;
            if rest.len() < record_len {
                out.error = incomplete_record(buf.len(), pos, base, at_eof);
                break;
            }
            let data_offset = match u32::try_from(pos + hdr_len) {
                Ok(o) => o,
                // Only reachable with a buffer over 4 GiB: leave the rest for the next call.
                Err(_) => break,
            };
            // u32 seconds * 1e9 plus u32 * 1000 stays below u64::MAX.
            let ts_ns = u64::from(ts_sec) * 1_000_000_000 + u64::from(ts_frac) * self.frac_to_ns;
            let packet = PacketRef {
                ts_ns,
                offset: data_offset,
                caplen,
                // A wire length shorter than what was captured is nonsense; trust the bytes.
                wirelen: wirelen.max(caplen),
                linktype: self.linktype,
            };
            if !emit(packet) {
                out.stopped_by_emit = true;
                break;
            }
            out.packets += 1;
            out.consumed = pos + record_len;
        }
        out
    }
}

fn is_known_magic(m: u32) -> bool {
    m == MAGIC_USEC || m == MAGIC_NSEC || m == MAGIC_MODIFIED
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::{CaptureParser, Format};
    use super::*;

    /// Which pcap variant a test file is written in.
    #[derive(Clone, Copy)]
    pub(crate) struct Variant {
        big_endian: bool,
        magic: u32,
    }

    fn put32(v: &mut Vec<u8>, big: bool, x: u32) {
        if big {
            v.extend_from_slice(&x.to_be_bytes());
        } else {
            v.extend_from_slice(&x.to_le_bytes());
        }
    }

    fn put16(v: &mut Vec<u8>, big: bool, x: u16) {
        if big {
            v.extend_from_slice(&x.to_be_bytes());
        } else {
            v.extend_from_slice(&x.to_le_bytes());
        }
    }

    fn header(var: Variant, snaplen: u32, network: u32) -> Vec<u8> {
        let mut v = Vec::new();
        put32(&mut v, var.big_endian, var.magic);
        put16(&mut v, var.big_endian, 2);
        put16(&mut v, var.big_endian, 4);
        put32(&mut v, var.big_endian, 0);
        put32(&mut v, var.big_endian, 0);
        put32(&mut v, var.big_endian, snaplen);
        put32(&mut v, var.big_endian, network);
        v
    }

    fn record(v: &mut Vec<u8>, var: Variant, sec: u32, frac: u32, data: &[u8], wirelen: u32) {
        put32(v, var.big_endian, sec);
        put32(v, var.big_endian, frac);
        put32(v, var.big_endian, data.len() as u32);
        put32(v, var.big_endian, wirelen);
        if var.magic == MAGIC_MODIFIED {
            put32(v, var.big_endian, 3); // ifindex
            put16(v, var.big_endian, 0x0800); // protocol
            v.push(0); // packet type
            v.push(0); // pad
        }
        v.extend_from_slice(data);
    }

    /// Three packets: 60 bytes, 1 byte (wirelen below caplen), 0 bytes.
    pub(crate) fn sample(var: Variant) -> Vec<u8> {
        let mut v = header(var, 65535, 1);
        record(&mut v, var, 1_700_000_000, 123_456, &[0xAB; 60], 60);
        record(&mut v, var, 1_700_000_001, 999_999, &[0x01], 0);
        record(&mut v, var, 0, 0, &[], 1500);
        v
    }

    fn parse_all(data: &[u8]) -> (Vec<PacketRef>, ParseOutcome, usize) {
        let (mut p, hdr) = CaptureParser::from_header(data).expect("header");
        assert_eq!(p.format(), Format::Pcap);
        let mut got = Vec::new();
        let out = p.parse(&data[hdr..], hdr as u64, true, &mut |r| {
            got.push(r);
            true
        });
        (got, out, hdr)
    }

    pub(crate) const ALL_VARIANTS: [Variant; 6] = [
        Variant {
            big_endian: false,
            magic: MAGIC_USEC,
        },
        Variant {
            big_endian: true,
            magic: MAGIC_USEC,
        },
        Variant {
            big_endian: false,
            magic: MAGIC_NSEC,
        },
        Variant {
            big_endian: true,
            magic: MAGIC_NSEC,
        },
        Variant {
            big_endian: false,
            magic: MAGIC_MODIFIED,
        },
        Variant {
            big_endian: true,
            magic: MAGIC_MODIFIED,
        },
    ];

    #[test]
    fn every_variant_parses_the_same_packets() {
        for var in ALL_VARIANTS {
            let data = sample(var);
            let (got, out, hdr) = parse_all(&data);
            assert_eq!(hdr, 24);
            assert_eq!(out.error, None);
            assert_eq!(out.packets, 3);
            assert_eq!(out.consumed, data.len() - 24);
            let hl = if var.magic == MAGIC_MODIFIED { 24 } else { 16 };
            let mult = if var.magic == MAGIC_NSEC { 1 } else { 1000 };
            assert_eq!(got.len(), 3);
            assert_eq!(got[0].ts_ns, 1_700_000_000 * 1_000_000_000 + 123_456 * mult);
            assert_eq!(got[0].offset as usize, hl);
            assert_eq!(
                (got[0].caplen, got[0].wirelen, got[0].linktype),
                (60, 60, 1)
            );
            assert_eq!(&data[24 + got[0].offset as usize..][..60], &[0xAB; 60][..]);
            assert_eq!(got[1].ts_ns, 1_700_000_001 * 1_000_000_000 + 999_999 * mult);
            assert_eq!(got[1].offset as usize, hl + 60 + hl);
            assert_eq!(
                (got[1].caplen, got[1].wirelen),
                (1, 1),
                "wirelen raised to caplen"
            );
            assert_eq!(data[24 + got[1].offset as usize], 0x01);
            assert_eq!((got[2].ts_ns, got[2].caplen, got[2].wirelen), (0, 0, 1500));
        }
    }

    #[test]
    fn linktype_fcs_bits_are_masked_and_absurd_linktypes_saturate() {
        let var = ALL_VARIANTS[0];
        let mut data = header(var, 65535, 0x1000_0000 | 0x0400_0000 | 113);
        record(&mut data, var, 1, 0, &[1, 2, 3], 3);
        let (got, _, _) = parse_all(&data);
        // 0x0400_0000 is below the mask, so it stays: only the top nibble (FCS) is removed.
        assert_eq!(got[0].linktype, u16::MAX);
        let mut data = header(var, 65535, 0xF000_0000 | 276);
        record(&mut data, var, 1, 0, &[1, 2, 3], 3);
        let (got, _, _) = parse_all(&data);
        assert_eq!(got[0].linktype, 276);
    }

    #[test]
    fn largest_timestamp_does_not_overflow() {
        let var = ALL_VARIANTS[0];
        let mut data = header(var, 65535, 1);
        record(&mut data, var, u32::MAX, u32::MAX, &[], 0);
        let (got, out, _) = parse_all(&data);
        assert_eq!(out.error, None);
        assert_eq!(
            got[0].ts_ns,
            u64::from(u32::MAX) * 1_000_000_000 + u64::from(u32::MAX) * 1000
        );
    }

    #[test]
    fn header_errors() {
        let full = sample(ALL_VARIANTS[1]);
        for n in 0..24 {
            let err = CaptureParser::from_header(&full[..n]).expect_err("short header must fail");
            assert_eq!(
                err,
                FileError {
                    kind: FileErrorKind::ShortFileHeader,
                    offset: 0
                },
                "n={}",
                n
            );
        }
        let mut bad = full.clone();
        bad[0] ^= 0xFF;
        assert_eq!(
            CaptureParser::from_header(&bad).err(),
            Some(FileError {
                kind: FileErrorKind::BadMagic,
                offset: 0
            })
        );
        // An unknown magic is reported as such even when the file is short.
        assert_eq!(
            CaptureParser::from_header(b"GIF89a").err(),
            Some(FileError {
                kind: FileErrorKind::BadMagic,
                offset: 0
            })
        );
        // A header-only file is a valid empty capture.
        let (mut p, hdr) = CaptureParser::from_header(&full[..24]).expect("header only");
        let out = p.parse(&[], 24, true, &mut |_| panic!("no packets"));
        assert_eq!((hdr, out), (24, ParseOutcome::default()));
    }

    #[test]
    fn caplen_over_max_is_bad_record_length_after_earlier_packets() {
        let var = ALL_VARIANTS[0];
        let mut data = header(var, 65535, 1);
        record(&mut data, var, 1, 0, &[7; 10], 10);
        let bad_at = data.len();
        put32(&mut data, false, 2);
        put32(&mut data, false, 0);
        put32(&mut data, false, MAX_CAPLEN + 1);
        put32(&mut data, false, MAX_CAPLEN + 1);
        data.extend_from_slice(&[0; 64]);
        let (got, out, _) = parse_all(&data);
        assert_eq!(got.len(), 1);
        assert_eq!(out.packets, 1);
        assert_eq!(out.consumed, bad_at - 24);
        assert_eq!(
            out.error,
            Some(FileError {
                kind: FileErrorKind::BadRecordLength,
                offset: bad_at as u64
            })
        );
        // Exactly MAX_CAPLEN is fine.
        let mut data = header(var, 65535, 1);
        record(
            &mut data,
            var,
            1,
            0,
            &vec![0; MAX_CAPLEN as usize],
            MAX_CAPLEN,
        );
        let (got, out, _) = parse_all(&data);
        assert_eq!((got.len(), out.error), (1, None));
    }

    #[test]
    fn truncated_last_record_keeps_earlier_packets() {
        let data = sample(ALL_VARIANTS[0]);
        // Cut inside the third record's header, then inside the second record's data.
        let third = 24 + 16 + 60 + 16 + 1;
        for (cut, want_packets, err_at) in [
            (data.len() - 1, 2, third),
            (third - 1, 1, 24 + 76),
            (third + 3, 2, third),
        ] {
            let (got, out, _) = parse_all(&data[..cut]);
            assert_eq!(got.len(), want_packets, "cut {}", cut);
            assert_eq!(
                out.error,
                Some(FileError {
                    kind: FileErrorKind::TruncatedRecord,
                    offset: err_at as u64
                })
            );
            assert_eq!(out.consumed + 24, err_at);
        }
    }

    #[test]
    fn record_larger_than_chunk_only_when_nothing_was_consumed() {
        let data = sample(ALL_VARIANTS[0]);
        let (mut p, _) = CaptureParser::from_header(&data).expect("header");
        // Buffer holds only part of the first record: nothing can be consumed.
        let out = p.parse(&data[24..24 + 40], 24, false, &mut |_| true);
        assert_eq!(
            out.error,
            Some(FileError {
                kind: FileErrorKind::RecordLargerThanChunk,
                offset: 24
            })
        );
        assert_eq!(out.consumed, 0);
        // Buffer holds the first record and part of the second: just stop after the first.
        let out = p.parse(&data[24..24 + 80], 24, false, &mut |_| true);
        assert_eq!((out.consumed, out.packets, out.error), (76, 1, None));
    }

    #[test]
    fn emit_refusal_leaves_the_record_unconsumed() {
        let data = sample(ALL_VARIANTS[2]);
        let (mut p, _) = CaptureParser::from_header(&data).expect("header");
        let mut seen = 0;
        let out = p.parse(&data[24..], 24, true, &mut |_| {
            seen += 1;
            seen < 2
        });
        assert!(out.stopped_by_emit);
        assert_eq!((out.packets, out.consumed, out.error), (1, 76, None));
        let mut got = Vec::new();
        let out = p.parse(&data[24 + 76..], 24 + 76, true, &mut |r| {
            got.push(r);
            true
        });
        assert_eq!((out.packets, got.len(), out.error), (2, 2, None));
        assert_eq!(got[0].caplen, 1);
    }
}
