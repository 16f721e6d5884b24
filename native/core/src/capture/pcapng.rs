//! pcapng files: a sequence of blocks `type u32, total_length u32, body, total_length u32`.
//!
//! We read Section Header Blocks (byte order, and a new section forgets every interface),
//! Interface Description Blocks (link type, snaplen, `if_tsresol`, `if_tsoffset`) and the three
//! packet blocks: Enhanced (EPB), Simple (SPB) and the obsolete Packet Block (OPB). Every other
//! block (name resolution, statistics, decryption secrets, custom...) is checked for a sane
//! length and skipped, even when it is bigger than the caller's buffer.

use super::{
    abs_offset, incomplete_record, ByteOrder, FileError, FileErrorKind, PacketRef, ParseOutcome,
    MAX_CAPLEN,
};

/// The Section Header Block type; the same four bytes in either byte order.
pub(crate) const SHB_MAGIC_BYTES: [u8; 4] = [0x0A, 0x0D, 0x0D, 0x0A];
const BLOCK_SHB: u32 = 0x0A0D_0D0A;
const BLOCK_IDB: u32 = 1;
const BLOCK_OPB: u32 = 2;
const BLOCK_SPB: u32 = 3;
const BLOCK_EPB: u32 = 6;
const BYTE_ORDER_MAGIC: u32 = 0x1A2B_3C4D;

/// Interfaces one section may declare; more is treated as a damaged or hostile file.
pub const MAX_INTERFACES: usize = 1024;
/// Largest block we accept (Wireshark's limit is the same order); also bounds skipping.
pub const MAX_BLOCK_LEN: u32 = 16 * 1024 * 1024;
/// type + length + trailing length.
const MIN_BLOCK_LEN: u32 = 12;
/// Bytes of an EPB/OPB before the packet data (type, length, interface, timestamp, lengths).
const PACKET_HEADER_LEN: usize = 28;
/// Bytes of an SPB before the packet data (type, length, original length).
const SPB_HEADER_LEN: usize = 12;

const OPT_END: u16 = 0;
const OPT_IF_TSRESOL: u16 = 9;
const OPT_IF_TSOFFSET: u16 = 14;

/// Converts an interface's timestamp units to nanoseconds since the epoch:
/// `units * num / den + offset_ns`, in u128/i128 so no resolution can overflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct TsScale {
    num: u128,
    den: u128,
    /// `if_tsoffset` (seconds) in nanoseconds.
    offset_ns: i128,
}

impl TsScale {
    /// pcapng's default resolution is microseconds.
    const MICROS: TsScale = TsScale {
        num: 1000,
        den: 1,
        offset_ns: 0,
    };

    /// `if_tsresol`: high bit clear = 10^-v seconds per unit, set = 2^-(v & 0x7f).
    fn with_tsresol(self, v: u8) -> TsScale {
        let (num, den) = if v & 0x80 == 0 {
            let exp = u32::from(v);
            if exp <= 9 {
                (10u128.pow(9 - exp), 1)
            } else {
                // 10^39 and beyond do not fit: every timestamp then rounds to 0 ns.
                (1, 10u128.checked_pow(exp - 9).unwrap_or(u128::MAX))
            }
        } else {
            (1_000_000_000, 1u128 << (v & 0x7f))
        };
        TsScale { num, den, ..self }
    }

    fn to_ns(self, units: u64) -> u64 {
        // units < 2^64 and num <= 10^9 < 2^30, so the product fits in 94 bits.
        let ns = (u128::from(units) * self.num / self.den) as i128 + self.offset_ns;
        if ns < 0 {
            0
        } else {
            u64::try_from(ns).unwrap_or(u64::MAX)
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Interface {
    linktype: u16,
    snaplen: u32,
    scale: TsScale,
}

/// A non-packet block bigger than the caller's buffer, being skipped across calls.
#[derive(Debug, Clone, Copy)]
struct Skip {
    /// Bytes still to skip before the trailing length.
    remaining: u32,
    /// The block's total length, to check against its trailing copy.
    total_len: u32,
    /// Where the block started, for errors.
    block_offset: u64,
}

/// Parser state for a pcapng file: the current section's byte order and interfaces.
#[derive(Debug, Clone)]
pub struct PcapngParser {
    /// `None` until the first Section Header Block has been read.
    order: Option<ByteOrder>,
    /// At most [`MAX_INTERFACES`] entries.
    interfaces: Vec<Interface>,
    /// Simple Packet Blocks carry no timestamp: they get the last one seen.
    last_ts_ns: u64,
    skip: Option<Skip>,
}

/// What one block header says, once checked.
#[derive(Debug, Clone, Copy)]
struct BlockHead {
    order: ByteOrder,
    block_type: u32,
    total_len: u32,
}

/// Why the parse loop stops at a block.
enum Stop {
    Error(FileError),
    /// Not enough bytes and not an error (come back with more).
    NeedMore,
}

impl PcapngParser {
    /// Check that `head` starts a pcapng file (Section Header Block with a valid byte-order
    /// magic). The block itself is parsed later by `parse`.
    pub fn from_header(head: &[u8]) -> Result<PcapngParser, FileError> {
        if head.get(0..4) != Some(&SHB_MAGIC_BYTES[..]) {
            return Err(FileError {
                kind: FileErrorKind::BadMagic,
                offset: 0,
            });
        }
        // A wrong byte-order magic (say, a text file that starts with "\n\r\r\n") is reported
        // as such even when the file is also too short.
        if let Some(bom) = ByteOrder::Little.u32_at(head, 8) {
            if byte_order_from_magic(bom).is_none() {
                return Err(FileError {
                    kind: FileErrorKind::BadMagic,
                    offset: 8,
                });
            }
        }
        if head.len() < min_block_len(BLOCK_SHB) as usize {
            return Err(FileError {
                kind: FileErrorKind::ShortFileHeader,
                offset: 0,
            });
        }
        Ok(PcapngParser {
            order: None,
            interfaces: Vec::new(),
            last_ts_ns: 0,
            skip: None,
        })
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
        loop {
            let pos = out.consumed;
            let rest = buf.get(pos..).unwrap_or(&[]);
            if self.skip.is_some() {
                match self.continue_skip(rest, buf.len(), pos, base, at_eof) {
                    Ok(0) => break,
                    Ok(n) => {
                        out.consumed += n;
                        continue;
                    }
                    Err(e) => {
                        out.error = Some(e);
                        break;
                    }
                }
            }
            if rest.is_empty() {
                break;
            }
            let block_offset = abs_offset(base, pos);
            let head = match self.block_head(rest, block_offset) {
                Ok(h) => h,
                Err(Stop::Error(e)) => {
                    out.error = Some(e);
                    break;
                }
                Err(Stop::NeedMore) => {
                    out.error = incomplete_record(buf.len(), pos, base, at_eof);
                    break;
                }
            };
            let total = head.total_len as usize;
            let block = match rest.get(..total) {
                Some(b) => b,
                None => {
                    if !at_eof && pos == 0 && is_skippable(head.block_type) {
                        // Too big for the buffer but carries no packet: skip it piecemeal.
                        if head.block_type == BLOCK_SHB {
                            self.start_section(head.order);
                        }
                        let now = rest.len().min(total - 4);
                        self.skip = Some(Skip {
                            remaining: (total - 4 - now) as u32,
                            total_len: head.total_len,
                            block_offset,
                        });
                        out.consumed += now;
                        continue;
                    }
                    out.error = incomplete_record(buf.len(), pos, base, at_eof);
                    break;
                }
            };
            if head.order.u32_at(block, total - 4) != Some(head.total_len) {
                out.error = Some(FileError {
                    kind: FileErrorKind::BadBlock,
                    offset: block_offset,
                });
                break;
            }
            match head.block_type {
                BLOCK_SHB => self.start_section(head.order),
                BLOCK_IDB => self.add_interface(block, head.order),
                BLOCK_EPB | BLOCK_OPB | BLOCK_SPB => {
                    // PacketRef offsets are u32: past 4 GiB of buffer, leave it for the next call.
                    if u32::try_from(pos + total).is_err() {
                        break;
                    }
                    let packet = match self.packet(block, head, pos, block_offset) {
                        Ok(p) => p,
                        Err(e) => {
                            out.error = Some(e);
                            break;
                        }
                    };
                    if !emit(packet) {
                        out.stopped_by_emit = true;
                        break;
                    }
                    out.packets += 1;
                    self.last_ts_ns = packet.ts_ns;
                }
                _ => {}
            }
            out.consumed += total;
        }
        out
    }

    /// Read and check a block header. Checks everything that the first bytes can tell (length,
    /// byte order, version, interface ids, capture lengths) so errors do not depend on where
    /// the caller's buffers happen to end.
    fn block_head(&self, rest: &[u8], block_offset: u64) -> Result<BlockHead, Stop> {
        let bad_block = Stop::Error(FileError {
            kind: FileErrorKind::BadBlock,
            offset: block_offset,
        });
        let first = rest.get(0..4).ok_or(Stop::NeedMore)?;
        let order = if first == SHB_MAGIC_BYTES {
            // The section's byte order is only known from its byte-order magic.
            let bom = ByteOrder::Little.u32_at(rest, 8).ok_or(Stop::NeedMore)?;
            byte_order_from_magic(bom).ok_or(bad_block)?
        } else {
            // Only reachable if the caller skipped the file's start: no section, no byte order.
            self.order.ok_or(bad_block)?
        };
        let block_type = order.u32_at(rest, 0).ok_or(Stop::NeedMore)?;
        let total_len = order.u32_at(rest, 4).ok_or(Stop::NeedMore)?;
        let bad_block = Stop::Error(FileError {
            kind: FileErrorKind::BadBlock,
            offset: block_offset,
        });
        if total_len < min_block_len(block_type) || total_len % 4 != 0 || total_len > MAX_BLOCK_LEN
        {
            return Err(bad_block);
        }
        let head = BlockHead {
            order,
            block_type,
            total_len,
        };
        match block_type {
            BLOCK_SHB => {
                // Major version 1 is the only one there is; another could lay blocks out
                // differently. The minor version does not matter to a reader.
                let major = order.u16_at(rest, 12).ok_or(Stop::NeedMore)?;
                if major != 1 {
                    return Err(bad_block);
                }
            }
            BLOCK_IDB if self.interfaces.len() >= MAX_INTERFACES => return Err(bad_block),
            BLOCK_EPB | BLOCK_OPB | BLOCK_SPB => {
                let need = if block_type == BLOCK_SPB {
                    SPB_HEADER_LEN
                } else {
                    PACKET_HEADER_LEN
                };
                let fixed = rest.get(..need).ok_or(Stop::NeedMore)?;
                self.packet_fields(fixed, head, block_offset)
                    .map_err(Stop::Error)?;
            }
            _ => {}
        }
        Ok(head)
    }

    /// Interface, timestamp (in interface units), caplen and wirelen of a packet block, checked.
    /// `fixed` is at least the block's fixed header.
    fn packet_fields(
        &self,
        fixed: &[u8],
        head: BlockHead,
        block_offset: u64,
    ) -> Result<(Interface, Option<u64>, u32, u32), FileError> {
        let order = head.order;
        let bad_len = FileError {
            kind: FileErrorKind::BadRecordLength,
            offset: block_offset,
        };
        let unknown = FileError {
            kind: FileErrorKind::UnknownInterface,
            offset: block_offset,
        };
        let field = |at: usize| order.u32_at(fixed, at).unwrap_or(0);
        if head.block_type == BLOCK_SPB {
            // Always interface 0; the captured length is implied by the block size.
            let iface = *self.interfaces.first().ok_or(unknown)?;
            let wirelen = field(8);
            let body = head.total_len - SPB_HEADER_LEN as u32 - 4;
            let mut caplen = wirelen.min(body);
            if iface.snaplen != 0 {
                caplen = caplen.min(iface.snaplen);
            }
            if caplen > MAX_CAPLEN {
                return Err(bad_len);
            }
            return Ok((iface, None, caplen, wirelen));
        }
        let iface_id = if head.block_type == BLOCK_OPB {
            u32::from(order.u16_at(fixed, 8).unwrap_or(0))
        } else {
            field(8)
        };
        let iface = *self.interfaces.get(iface_id as usize).ok_or(unknown)?;
        let units = (u64::from(field(12)) << 32) | u64::from(field(16));
        let caplen = field(20);
        let wirelen = field(24);
        let body = head.total_len - PACKET_HEADER_LEN as u32 - 4;
        if caplen > body || caplen > MAX_CAPLEN {
            return Err(bad_len);
        }
        Ok((iface, Some(units), caplen, wirelen))
    }

    /// Build the PacketRef of a whole packet block starting at `pos` in the caller's buffer.
    fn packet(
        &self,
        block: &[u8],
        head: BlockHead,
        pos: usize,
        block_offset: u64,
    ) -> Result<PacketRef, FileError> {
        let (iface, units, caplen, wirelen) = self.packet_fields(block, head, block_offset)?;
        let header_len = if head.block_type == BLOCK_SPB {
            SPB_HEADER_LEN
        } else {
            PACKET_HEADER_LEN
        };
        // Only a buffer over 4 GiB could overflow; treat that as a damaged record, never panic.
        let offset = pos
            .checked_add(header_len)
            .and_then(|o| u32::try_from(o).ok())
            .ok_or(FileError {
                kind: FileErrorKind::BadRecordLength,
                offset: block_offset,
            })?;
        Ok(PacketRef {
            ts_ns: match units {
                Some(u) => iface.scale.to_ns(u),
                None => self.last_ts_ns,
            },
            offset,
            caplen,
            wirelen: wirelen.max(caplen),
            linktype: iface.linktype,
        })
    }

    /// A new section: new byte order, and interface ids start again from 0.
    fn start_section(&mut self, order: ByteOrder) {
        self.order = Some(order);
        self.interfaces.clear();
    }

    /// Record an Interface Description Block (count already checked by `block_head`).
    fn add_interface(&mut self, block: &[u8], order: ByteOrder) {
        let linktype = order.u16_at(block, 8).unwrap_or(0);
        let snaplen = order.u32_at(block, 12).unwrap_or(0);
        let mut scale = TsScale::MICROS;
        let options_end = block.len().saturating_sub(4);
        for_each_option(
            block,
            16,
            options_end,
            order,
            &mut |code, value| match code {
                OPT_IF_TSRESOL => {
                    if let Some(&v) = value.first() {
                        scale = scale.with_tsresol(v);
                    }
                }
                OPT_IF_TSOFFSET => {
                    if let Some(secs) = order.u64_at(value, 0) {
                        scale.offset_ns = i128::from(secs as i64) * 1_000_000_000;
                    }
                }
                _ => {}
            },
        );
        if self.interfaces.len() < MAX_INTERFACES {
            self.interfaces.push(Interface {
                linktype,
                snaplen,
                scale,
            });
        }
    }

    /// Skip more of an oversized non-packet block. Returns bytes consumed (0 = stop here).
    fn continue_skip(
        &mut self,
        rest: &[u8],
        buf_len: usize,
        pos: usize,
        base: u64,
        at_eof: bool,
    ) -> Result<usize, FileError> {
        let skip = match self.skip {
            Some(s) => s,
            None => return Ok(0),
        };
        let truncated = FileError {
            kind: FileErrorKind::TruncatedRecord,
            offset: skip.block_offset,
        };
        if skip.remaining > 0 {
            if rest.is_empty() {
                return if at_eof { Err(truncated) } else { Ok(0) };
            }
            let n = rest.len().min(skip.remaining as usize);
            self.skip = Some(Skip {
                remaining: skip.remaining - n as u32,
                ..skip
            });
            return Ok(n);
        }
        // Only the trailing length is left.
        let order = self.order.unwrap_or(ByteOrder::Little);
        match order.u32_at(rest, 0) {
            Some(trailer) if trailer == skip.total_len => {
                self.skip = None;
                Ok(4)
            }
            Some(_) => Err(FileError {
                kind: FileErrorKind::BadBlock,
                offset: skip.block_offset,
            }),
            None if at_eof => Err(truncated),
            None => match incomplete_record(buf_len, pos, base, at_eof) {
                Some(e) if !rest.is_empty() => Err(e),
                _ => Ok(0),
            },
        }
    }
}

fn byte_order_from_magic(bom_as_le: u32) -> Option<ByteOrder> {
    if bom_as_le == BYTE_ORDER_MAGIC {
        Some(ByteOrder::Little)
    } else if bom_as_le.swap_bytes() == BYTE_ORDER_MAGIC {
        Some(ByteOrder::Big)
    } else {
        None
    }
}

/// Smallest valid total length per block type (its fixed fields plus framing).
fn min_block_len(block_type: u32) -> u32 {
    match block_type {
        BLOCK_SHB => 28,
        BLOCK_IDB => 20,
        BLOCK_EPB | BLOCK_OPB => 32,
        BLOCK_SPB => 16,
        _ => MIN_BLOCK_LEN,
    }
}

/// Blocks we never need whole, so they may be skipped piecemeal.
fn is_skippable(block_type: u32) -> bool {
    !matches!(block_type, BLOCK_IDB | BLOCK_EPB | BLOCK_OPB | BLOCK_SPB)
}

/// Walk the options in `block[start..end]`, calling `f(code, value)` for each. A malformed
/// option list ends the walk quietly: options are extras, the packet data does not depend on
/// them, and Wireshark also reads such files.
fn for_each_option(
    block: &[u8],
    start: usize,
    end: usize,
    order: ByteOrder,
    f: &mut dyn FnMut(u16, &[u8]),
) {
    let area = match block.get(..end) {
        Some(a) => a,
        None => return,
    };
    let mut at = start;
    loop {
        let code = match order.u16_at(area, at) {
            Some(c) => c,
            None => return,
        };
        let len = match order.u16_at(area, at + 2) {
            Some(l) => usize::from(l),
            None => return,
        };
        if code == OPT_END {
            return;
        }
        let value_start = at + 4;
        let value = match area.get(value_start..value_start + len) {
            Some(v) => v,
            None => return,
        };
        f(code, value);
        at = value_start + (len + 3) / 4 * 4;
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::super::{CaptureParser, Format};
    use super::*;

    /// Builds pcapng files block by block, in either byte order.
    pub(crate) struct Ng {
        pub(crate) v: Vec<u8>,
        big: bool,
    }

    impl Ng {
        pub(crate) fn new() -> Ng {
            Ng {
                v: Vec::new(),
                big: false,
            }
        }

        fn u16b(&self, x: u16) -> [u8; 2] {
            if self.big {
                x.to_be_bytes()
            } else {
                x.to_le_bytes()
            }
        }

        fn u32b(&self, x: u32) -> [u8; 4] {
            if self.big {
                x.to_be_bytes()
            } else {
                x.to_le_bytes()
            }
        }

        /// Append a block, padding the body to 4 bytes; returns its offset.
        pub(crate) fn block(&mut self, block_type: u32, body: &[u8]) -> usize {
            let at = self.v.len();
            let padded = (body.len() + 3) / 4 * 4;
            let total = (12 + padded) as u32;
            let (t, l) = (self.u32b(block_type), self.u32b(total));
            self.v.extend_from_slice(&t);
            self.v.extend_from_slice(&l);
            self.v.extend_from_slice(body);
            self.v.resize(self.v.len() + padded - body.len(), 0);
            self.v.extend_from_slice(&l);
            at
        }

        pub(crate) fn shb(&mut self, big: bool) -> usize {
            self.big = big;
            let mut body = Vec::new();
            body.extend_from_slice(&self.u32b(BYTE_ORDER_MAGIC));
            body.extend_from_slice(&self.u16b(1));
            body.extend_from_slice(&self.u16b(0));
            body.extend_from_slice(&[0xFF; 8]); // section length unknown
            self.block(BLOCK_SHB, &body)
        }

        pub(crate) fn options(&self, opts: &[(u16, &[u8])]) -> Vec<u8> {
            let mut v = Vec::new();
            for (code, value) in opts {
                v.extend_from_slice(&self.u16b(*code));
                v.extend_from_slice(&self.u16b(value.len() as u16));
                v.extend_from_slice(value);
                v.resize((v.len() + 3) / 4 * 4, 0);
            }
            if !opts.is_empty() {
                v.extend_from_slice(&[0; 4]);
            }
            v
        }

        pub(crate) fn idb(&mut self, linktype: u16, snaplen: u32, opts: &[(u16, &[u8])]) -> usize {
            let mut body = Vec::new();
            body.extend_from_slice(&self.u16b(linktype));
            body.extend_from_slice(&[0, 0]);
            body.extend_from_slice(&self.u32b(snaplen));
            body.extend_from_slice(&self.options(opts));
            self.block(BLOCK_IDB, &body)
        }

        fn packet_block(
            &mut self,
            block_type: u32,
            iface: u32,
            ts: u64,
            data: &[u8],
            wirelen: u32,
        ) -> usize {
            let mut body = Vec::new();
            if block_type == BLOCK_OPB {
                body.extend_from_slice(&self.u16b(iface as u16));
                body.extend_from_slice(&self.u16b(0)); // drops
            } else {
                body.extend_from_slice(&self.u32b(iface));
            }
            body.extend_from_slice(&self.u32b((ts >> 32) as u32));
            body.extend_from_slice(&self.u32b(ts as u32));
            body.extend_from_slice(&self.u32b(data.len() as u32));
            body.extend_from_slice(&self.u32b(wirelen));
            body.extend_from_slice(data);
            body.resize((body.len() + 3) / 4 * 4, 0);
            // An option after the data, as real writers add (epb_flags).
            let opts = self.options(&[(2, &[0, 0, 0, 1])]);
            body.extend_from_slice(&opts);
            self.block(block_type, &body)
        }

        pub(crate) fn epb(&mut self, iface: u32, ts: u64, data: &[u8], wirelen: u32) -> usize {
            self.packet_block(BLOCK_EPB, iface, ts, data, wirelen)
        }

        pub(crate) fn opb(&mut self, iface: u16, ts: u64, data: &[u8], wirelen: u32) -> usize {
            self.packet_block(BLOCK_OPB, u32::from(iface), ts, data, wirelen)
        }

        pub(crate) fn spb(&mut self, wirelen: u32, data: &[u8]) -> usize {
            let mut body = Vec::new();
            body.extend_from_slice(&self.u32b(wirelen));
            body.extend_from_slice(data);
            self.block(BLOCK_SPB, &body)
        }
    }

    /// One expected packet: absolute data offset, ts_ns, caplen, wirelen, linktype.
    pub(crate) type Expected = (usize, u64, u32, u32, u16);

    /// The reference file: two sections (little- then big-endian), interfaces of three link
    /// types and three resolutions, every packet block kind, skipped blocks.
    /// Returns the bytes and the expected packets.
    pub(crate) fn reference_file() -> (Vec<u8>, Vec<Expected>) {
        let mut ng = Ng::new();
        let mut want = Vec::new();
        ng.shb(false);
        ng.idb(1, 65535, &[(2, b"eth0"), (OPT_IF_TSRESOL, &[6])]);
        ng.idb(101, 0, &[(OPT_IF_TSRESOL, &[9])]);
        let at = ng.epb(0, 1_700_000_000_123_456, &[0xE0; 60], 60);
        want.push((at + 28, 1_700_000_000_123_456_000, 60, 60, 1));
        let at = ng.epb(1, 1_700_000_000_999_999_999, &[0x45; 21], 1500);
        want.push((at + 28, 1_700_000_000_999_999_999, 21, 1500, 101));
        ng.block(
            4,
            &[1, 0, 8, 0, 10, 0, 0, 1, b'h', b'o', b's', b't', 0, 0, 0, 0],
        ); // NRB
        ng.block(5, &[0; 20]); // ISB
        ng.block(0x0BAD, &[]); // custom / unknown, empty body
                               // 2^-20 s units with a 10 s offset: 3 * 2^20 units = 3 s.
        ng.idb(
            113,
            64,
            &[
                (OPT_IF_TSRESOL, &[0x80 | 20]),
                (OPT_IF_TSOFFSET, &10u64.to_le_bytes()),
            ],
        );
        let at = ng.epb(2, 3 << 20 | 1 << 19, &[0x11; 30], 30);
        want.push((at + 28, 13_500_000_000, 30, 30, 113));
        // SPB: interface 0 (snaplen 65535), timestamp of the previous packet.
        let at = ng.spb(10, &[0x22; 10]);
        want.push((at + 12, 13_500_000_000, 10, 10, 1));
        let at = ng.opb(1, 5_000_000_000, &[0x33; 7], 7);
        want.push((at + 28, 5_000_000_000, 7, 7, 101));
        // A second section, big-endian: interfaces start again from 0.
        ng.shb(true);
        ng.idb(113, 8, &[]);
        let at = ng.epb(0, 2_000_000, &[0x44; 8], 100);
        want.push((at + 28, 2_000_000_000, 8, 100, 113));
        // SPB capped by the interface snaplen (8) though 12 bytes are in the block.
        let at = ng.spb(200, &[0x55; 12]);
        want.push((at + 12, 2_000_000_000, 8, 200, 113));
        let at = ng.spb(3, &[0x66; 3]);
        want.push((at + 12, 2_000_000_000, 3, 3, 113));
        ng.block(0x4000_0BAD, &[0; 100]); // custom block, big-endian
        (ng.v, want)
    }

    fn parse_whole(data: &[u8]) -> (Vec<PacketRef>, ParseOutcome) {
        let (mut p, hdr) = CaptureParser::from_header(data).expect("header");
        assert_eq!((p.format(), hdr), (Format::Pcapng, 0));
        let mut got = Vec::new();
        let out = p.parse(data, 0, true, &mut |r| {
            got.push(r);
            true
        });
        (got, out)
    }

    fn err(kind: FileErrorKind, offset: usize) -> Option<FileError> {
        Some(FileError {
            kind,
            offset: offset as u64,
        })
    }

    #[test]
    fn reference_file_parses_every_block_kind() {
        let (data, want) = reference_file();
        let (got, out) = parse_whole(&data);
        assert_eq!(out.error, None);
        assert_eq!(out.consumed, data.len());
        assert_eq!(out.packets as usize, want.len());
        let got: Vec<_> = got
            .iter()
            .map(|r| (r.offset as usize, r.ts_ns, r.caplen, r.wirelen, r.linktype))
            .collect();
        assert_eq!(got, want);
        assert_eq!(data[want[0].0], 0xE0);
        assert_eq!(data[want[4].0 + 6], 0x33);
    }

    #[test]
    fn timestamp_resolutions_and_offsets() {
        let micro = TsScale::MICROS;
        assert_eq!(micro.to_ns(1), 1000);
        assert_eq!(micro.with_tsresol(9).to_ns(7), 7);
        assert_eq!(micro.with_tsresol(0).to_ns(2), 2_000_000_000);
        assert_eq!(micro.with_tsresol(12).to_ns(123_456), 123);
        assert_eq!(micro.with_tsresol(127).to_ns(u64::MAX), 0);
        assert_eq!(micro.with_tsresol(0x80 | 20).to_ns(1 << 20), 1_000_000_000);
        assert_eq!(micro.with_tsresol(0x80).to_ns(3), 3_000_000_000);
        assert_eq!(micro.with_tsresol(0xFF).to_ns(u64::MAX), 0);
        // Saturates instead of overflowing.
        assert_eq!(micro.with_tsresol(0).to_ns(u64::MAX), u64::MAX);
        let neg = TsScale {
            offset_ns: -5_000_000_000,
            ..micro
        };
        assert_eq!(neg.to_ns(1_000_000), 0);
        assert_eq!(neg.to_ns(7_000_000), 2_000_000_000);
    }

    #[test]
    fn header_errors() {
        let (data, _) = reference_file();
        for n in 0..28 {
            assert_eq!(
                CaptureParser::from_header(&data[..n]).err(),
                err(FileErrorKind::ShortFileHeader, 0),
                "n={}",
                n
            );
        }
        let mut bad = data.clone();
        bad[8] = 0;
        assert_eq!(
            CaptureParser::from_header(&bad).err(),
            err(FileErrorKind::BadMagic, 8)
        );
        assert_eq!(
            CaptureParser::from_header(b"\n\r\r\nhello world\n").err(),
            err(FileErrorKind::BadMagic, 8)
        );
    }

    /// Build a file with one SHB and one IDB, then let `f` add the interesting part.
    fn with_section(f: &dyn Fn(&mut Ng) -> usize) -> (Vec<u8>, usize) {
        let mut ng = Ng::new();
        ng.shb(false);
        ng.idb(1, 0, &[]);
        ng.epb(0, 1, &[1; 4], 4);
        let at = f(&mut ng);
        (ng.v, at)
    }

    /// Overwrite a little-endian u32 at `at`.
    fn poke(v: &mut [u8], at: usize, x: u32) {
        v[at..at + 4].copy_from_slice(&x.to_le_bytes());
    }

    fn assert_error_after_one_packet(data: &[u8], want: Option<FileError>, what: &str) {
        let (got, out) = parse_whole(data);
        assert_eq!(out.error, want, "{}", what);
        assert_eq!(
            (got.len(), out.packets),
            (1, 1),
            "{}: the packet before the damage is emitted",
            what
        );
        if let Some(e) = want {
            assert!(out.consumed as u64 <= e.offset, "{}", what);
        }
    }

    #[test]
    fn bad_block_lengths() {
        // The EPB built by with_section is 52 bytes: 28 fixed, 8 data, 12 options, 4 trailer.
        let cases: [(&str, u32, Option<u32>); 5] = [
            ("not multiple of 4", 50, None),
            ("below 12", 8, None),
            ("over 16 MiB", MAX_BLOCK_LEN + 4, None),
            ("EPB below its fixed header", 28, None),
            ("trailer mismatch", 52, Some(48)),
        ];
        for (what, total, trailer) in cases {
            let (mut data, at) = with_section(&|ng| ng.epb(0, 2, &[2; 8], 8));
            assert_eq!(data.len(), at + 52);
            poke(&mut data, at + 4, total);
            if let Some(t) = trailer {
                poke(&mut data, at + 48, t);
            }
            assert_error_after_one_packet(&data, err(FileErrorKind::BadBlock, at), what);
        }
        // A skipped block with a bad trailer.
        let (mut data, at) = with_section(&|ng| ng.block(4, &[0; 8]));
        poke(&mut data, at + 16, 99);
        assert_error_after_one_packet(&data, err(FileErrorKind::BadBlock, at), "NRB trailer");
    }

    #[test]
    fn bad_section_headers() {
        let (mut data, at) = with_section(&|ng| ng.shb(false));
        data[at + 8] ^= 0xFF;
        assert_error_after_one_packet(&data, err(FileErrorKind::BadBlock, at), "byte-order magic");
        let (mut data, at) = with_section(&|ng| ng.shb(false));
        data[at + 12] = 2;
        assert_error_after_one_packet(&data, err(FileErrorKind::BadBlock, at), "version 2");
    }

    #[test]
    fn too_many_interfaces() {
        let (data, at) = with_section(&|ng| {
            for _ in 1..MAX_INTERFACES {
                ng.idb(1, 0, &[]);
            }
            ng.idb(1, 0, &[])
        });
        assert_error_after_one_packet(&data, err(FileErrorKind::BadBlock, at), "interface 1025");
        // 1024 are fine.
        let (data, _) = with_section(&|ng| {
            for _ in 2..MAX_INTERFACES {
                ng.idb(1, 0, &[]);
            }
            ng.idb(1, 0, &[]);
            ng.epb(MAX_INTERFACES as u32 - 1, 5, &[], 0)
        });
        let (got, out) = parse_whole(&data);
        assert_eq!((got.len(), out.error), (2, None));
    }

    #[test]
    fn bad_record_lengths() {
        let (mut data, at) = with_section(&|ng| ng.epb(0, 2, &[2; 8], 8));
        poke(&mut data, at + 20, 13); // the body (data + options) is 20 bytes
        let (got, out) = parse_whole(&data);
        assert_eq!(
            (got.len(), out.error),
            (2, None),
            "caplen inside the body is allowed (lenient)"
        );
        poke(&mut data, at + 20, 21);
        assert_error_after_one_packet(
            &data,
            err(FileErrorKind::BadRecordLength, at),
            "caplen past body",
        );
        let (data, at) = with_section(&|ng| ng.epb(0, 2, &vec![0; MAX_CAPLEN as usize + 1], 8));
        assert_error_after_one_packet(
            &data,
            err(FileErrorKind::BadRecordLength, at),
            "caplen over max",
        );
        let (data, at) = with_section(&|ng| ng.opb(0, 2, &vec![0; MAX_CAPLEN as usize + 4], 8));
        assert_error_after_one_packet(
            &data,
            err(FileErrorKind::BadRecordLength, at),
            "OPB caplen over max",
        );
    }

    #[test]
    fn unknown_interfaces() {
        let (data, at) = with_section(&|ng| ng.epb(1, 2, &[], 0));
        assert_error_after_one_packet(
            &data,
            err(FileErrorKind::UnknownInterface, at),
            "EPB iface 1",
        );
        let (data, at) = with_section(&|ng| ng.opb(7, 2, &[], 0));
        assert_error_after_one_packet(
            &data,
            err(FileErrorKind::UnknownInterface, at),
            "OPB iface 7",
        );
        // A new section forgets the interfaces of the previous one.
        let (data, at) = with_section(&|ng| {
            ng.shb(true);
            ng.spb(4, &[0; 4])
        });
        assert_error_after_one_packet(
            &data,
            err(FileErrorKind::UnknownInterface, at),
            "SPB without IDB",
        );
    }

    #[test]
    fn truncation_at_eof() {
        let (data, want) = reference_file();
        // Cut inside the third packet block (after its header), and inside its header.
        let third = want[2].0 - 28;
        for cut in [third + 2, third + 8, third + 29, want[2].0 + 30] {
            let (got, out) = parse_whole(&data[..cut]);
            assert_eq!(got.len(), 2, "cut {}", cut);
            assert_eq!(
                out.error,
                err(FileErrorKind::TruncatedRecord, third),
                "cut {}",
                cut
            );
            assert_eq!(out.consumed, third);
        }
    }

    #[test]
    fn packet_block_larger_than_buffer_and_skipped_block_larger_than_buffer() {
        let mut ng = Ng::new();
        ng.shb(false);
        ng.idb(1, 0, &[]);
        let nrb = ng.block(4, &[9; 200]);
        let epb = ng.epb(0, 1, &[7; 100], 100);
        let (mut p, _) = CaptureParser::from_header(&ng.v).expect("header");
        // Header blocks fit.
        let out = p.parse(&ng.v[..nrb + 50], 0, false, &mut |_| true);
        assert_eq!((out.consumed, out.error), (nrb, None));
        // The 212-byte NRB does not fit in 64 bytes but is skipped anyway, 64 bytes at a time.
        let mut pos = nrb;
        while pos < epb {
            let out = p.parse(&ng.v[pos..pos + 64], pos as u64, false, &mut |_| true);
            assert_eq!(out.error, None);
            assert!(out.consumed > 0);
            pos += out.consumed;
        }
        assert_eq!(pos, epb);
        // The EPB does not fit in 64 bytes: only a bigger buffer helps.
        let out = p.parse(&ng.v[pos..pos + 64], pos as u64, false, &mut |_| true);
        assert_eq!(
            (out.consumed, out.error),
            (0, err(FileErrorKind::RecordLargerThanChunk, epb))
        );
        let out = p.parse(&ng.v[pos..], pos as u64, true, &mut |_| true);
        assert_eq!(
            (out.packets, out.error, out.consumed),
            (1, None, ng.v.len() - epb)
        );
    }

    #[test]
    fn skipped_block_cut_by_eof_is_truncated_at_its_start() {
        let mut ng = Ng::new();
        ng.shb(false);
        ng.idb(1, 0, &[]);
        let nrb = ng.block(4, &[9; 200]);
        let (mut p, _) = CaptureParser::from_header(&ng.v).expect("header");
        let out = p.parse(&ng.v[..nrb], 0, false, &mut |_| true);
        assert_eq!(out.consumed, nrb);
        let out = p.parse(&ng.v[nrb..nrb + 100], nrb as u64, false, &mut |_| true);
        assert_eq!((out.consumed, out.error), (100, None));
        let out = p.parse(
            &ng.v[nrb + 100..nrb + 150],
            nrb as u64 + 100,
            true,
            &mut |_| true,
        );
        assert_eq!(
            (out.consumed, out.error),
            (50, err(FileErrorKind::TruncatedRecord, nrb))
        );
    }

    #[test]
    fn emit_refusal_keeps_state_unchanged() {
        let (data, want) = reference_file();
        let (mut p, _) = CaptureParser::from_header(&data).expect("header");
        // Refuse the SPB (4th packet): its timestamp must still come from the 3rd afterwards.
        let mut n = 0;
        let out = p.parse(&data, 0, true, &mut |_| {
            n += 1;
            n < 4
        });
        assert!(out.stopped_by_emit);
        assert_eq!((out.packets, out.consumed), (3, want[3].0 - 12));
        let mut got = Vec::new();
        let out = p.parse(&data[out.consumed..], out.consumed as u64, true, &mut |r| {
            got.push(r);
            true
        });
        assert_eq!(out.error, None);
        assert_eq!(got.len(), want.len() - 3);
        assert_eq!(got[0].ts_ns, want[3].1);
    }
}
