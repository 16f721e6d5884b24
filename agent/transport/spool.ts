/**
 * Segmented disk spool between the in-memory queue and the sender (SPEC section 8).
 *
 * Layout of `dir`:
 * - `seg-<first seq, 16 hex digits>.spool`: records appended back to back, each
 *   `length u32 LE | crc32c u32 LE | seq u64 LE | payload (length bytes)`; the CRC covers the
 *   8 seq bytes and the payload. A segment is closed (fsync'ed) once the next record would take
 *   it past `segmentBytes`; the next one is named after that record's seq.
 * - `ledger.json`: `{"version": 1, "acked_through": N}`: every record with seq <= N was
 *   delivered. Written as a temp file, fsync'ed, renamed over the old one, then the directory
 *   fsync'ed, so a crash leaves the old or the new ledger, never a mix. Written when the acked
 *   watermark moves, at most once per `ledgerIntervalMs` (and on close): a stale ledger only
 *   means some delivered records are sent again, which the collector dedups by alert id.
 *
 * Durability: appends are synchronous write(2)s at explicit offsets and reach the page cache
 * before `append` returns, so a killed process (SIGKILL, crash) loses nothing that was appended;
 * data is fsync'ed when a segment closes and on `close()` (power loss can cost the records of
 * the open segment since then; `fsyncEachAppend` trades throughput for that).
 *
 * Acks may arrive out of order (several requests in flight): ranges above the watermark wait in
 * memory until they join it. A segment whose records are all acked is deleted whole.
 *
 * Cap: when the segments add up to more than `maxBytes`, the oldest segments are deleted, their
 * undelivered records counted in `dropped_by_cap` and logged as an error.
 *
 * One process per spool: `lock` holds the owner's pid (created with O_EXCL; a lock whose pid is
 * gone, e.g. after a SIGKILL, is taken over). Removed on close.
 *
 * Open: every segment is read back and checked (length, CRC, seq order). The first bad record
 * ends its segment: the file is truncated to the last good record and a log line says what was
 * dropped (the torn last record of a killed writer is the usual case). Sequence numbers resume
 * after the last good record (or the ledger's watermark, whichever is higher).
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { ErrorCodes, SensorError } from '../errors.js';
import { crc32c } from './crc32c.js';

export const RECORD_HEADER_BYTES = 16;
/** Largest payload a record may carry (a length above this is corruption). */
export const MAX_RECORD_PAYLOAD = 64 * 1024 * 1024;
const LEDGER = 'ledger.json';
const LOCK = 'lock';
const SEGMENT_RE = /^seg-([0-9a-f]{16})\.spool$/;

export interface SpoolOptions {
  dir: string;
  /** Cap on all segments together; the oldest segments are dropped above it. */
  maxBytes: number;
  /** A segment closes once the next record would take it past this. */
  segmentBytes: number;
  log?: Logger | null;
  /** Largest single write(2); a larger append is written in several calls (default 1 MiB). */
  writeChunkBytes?: number;
  /** fsync segment data after every append (default false: on segment close and on close()). */
  fsyncEachAppend?: boolean;
  /** Least time between two ledger writes (default 1000 ms). */
  ledgerIntervalMs?: number;
}

export interface SpoolRecord {
  seq: number;
  payload: Buffer;
}

export interface SpoolStats {
  /** Bytes of all segment files. */
  spool_bytes: number;
  /** Records not yet acknowledged. */
  spool_records: number;
  segments: number;
  /** Records appended / acknowledged (delivered or quarantined) since open. */
  spool_appended: number;
  spool_acked: number;
  /** Undelivered records deleted because the spool hit its size cap. */
  dropped_by_cap: number;
  /** Records found damaged on open or on read (the torn tail of a killed writer among them). */
  corrupt_records: number;
  /** Bytes cut off damaged segments. */
  corrupt_bytes: number;
  acked_through: number;
  next_seq: number;
}

/** What reopening found: for logs and the crash tests. */
export interface RecoveryReport {
  segments: number;
  records: number;
  /** Segments cut at a bad record: file, offset of the cut, bytes cut, why. */
  truncated: { file: string; offset: number; bytes: number; reason: string }[];
  acked_through: number;
  next_seq: number;
}

interface Segment {
  file: string;
  firstSeq: number;
  /** firstSeq - 1 while empty. */
  lastSeq: number;
  records: number;
  /** Committed bytes: readers never look past this. */
  bytes: number;
}

function segmentName(firstSeq: number): string {
  return `seg-${firstSeq.toString(16).padStart(16, '0')}.spool`;
}

function spoolError(message: string, cause?: unknown): SensorError {
  return new SensorError(ErrorCodes.TRANSPORT_SPOOL, message, cause === undefined ? undefined : { cause });
}

function recordCrc(seqBytes: Uint8Array, payload: Uint8Array): number {
  return crc32c(payload, crc32c(seqBytes));
}

/** Encode one record (header + payload). */
export function encodeRecord(seq: number, payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(RECORD_HEADER_BYTES + payload.length);
  out.writeUInt32LE(payload.length, 0);
  out.writeBigUInt64LE(BigInt(seq), 8);
  out.set(payload, RECORD_HEADER_BYTES);
  out.writeUInt32LE(recordCrc(out.subarray(8, 16), payload), 4);
  return out;
}

type ReadResult = { ok: true; seq: number; payload: Buffer; next: number } | { ok: false; reason: string };

/** Read and check the record at `offset` of an open segment whose valid bytes end at `end`. */
function readRecordAt(fd: number, offset: number, end: number, header: Buffer): ReadResult {
  if (end - offset < RECORD_HEADER_BYTES) return { ok: false, reason: `short header (${end - offset} of ${RECORD_HEADER_BYTES} bytes)` };
  if (readSync(fd, header, 0, RECORD_HEADER_BYTES, offset) !== RECORD_HEADER_BYTES) return { ok: false, reason: 'short read of header' };
  const len = header.readUInt32LE(0);
  if (len > MAX_RECORD_PAYLOAD) return { ok: false, reason: `bad length ${len}` };
  if (end - offset - RECORD_HEADER_BYTES < len) return { ok: false, reason: `short payload (${end - offset - RECORD_HEADER_BYTES} of ${len} bytes)` };
  const payload = Buffer.allocUnsafe(len);
  if (len > 0 && readSync(fd, payload, 0, len, offset + RECORD_HEADER_BYTES) !== len) return { ok: false, reason: 'short read of payload' };
  const crc = header.readUInt32LE(4);
  if (recordCrc(header.subarray(8, 16), payload) !== crc) return { ok: false, reason: 'CRC mismatch' };
  const seq = Number(header.readBigUInt64LE(8));
  return { ok: true, seq, payload, next: offset + RECORD_HEADER_BYTES + len };
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Take the spool's lock file, or fail naming the process that holds it. */
function lockSpool(dir: string): void {
  const file = path.join(dir, LOCK);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw spoolError(`cannot lock spool ${dir}: ${(e as Error).message}`, e);
    }
    let pid = NaN;
    try {
      pid = Number(readFileSync(file, 'utf8').trim());
    } catch {
      // vanished meanwhile: try again
    }
    if (Number.isInteger(pid) && pid > 0 && pidAlive(pid)) throw spoolError(`spool ${dir} is in use by process ${pid} (${file})`);
    try {
      unlinkSync(file); // stale: its owner is gone
    } catch {
      // someone else took it over first; the next openSync decides
    }
  }
  throw spoolError(`cannot lock spool ${dir}: ${file} keeps coming back`);
}

function unlockSpool(dir: string): void {
  try {
    unlinkSync(path.join(dir, LOCK));
  } catch {
    // already gone
  }
}

export class Spool {
  readonly dir: string;
  readonly #opts: Required<Omit<SpoolOptions, 'log'>>;
  readonly #log: Logger | null;
  #segments: Segment[] = [];
  /** Open segment being appended to (the last of #segments), or null until the next append. */
  #active: { seg: Segment; fd: number } | null = null;
  #nextSeq = 1;
  #ackedThrough = 0;
  /** Acked ranges above the watermark, sorted, disjoint: [first, last]. */
  #pendingAcks: [number, number][] = [];
  /** Reader position: next record to hand out. */
  #cursor: { firstSeq: number; offset: number } | null = null;
  #readThrough = 0;
  #ledgerWritten = 0;
  #ledgerDirty = false;
  #ledgerTimer: NodeJS.Timeout | null = null;
  #lastLedgerWrite = 0;
  #closed = false;
  #header = Buffer.allocUnsafe(RECORD_HEADER_BYTES);
  readonly recovery: RecoveryReport;
  #stats = { appended: 0, acked: 0, dropped_by_cap: 0, corrupt_records: 0, corrupt_bytes: 0 };

  private constructor(opts: SpoolOptions) {
    this.dir = opts.dir;
    this.#log = opts.log ?? null;
    this.#opts = {
      dir: opts.dir,
      maxBytes: opts.maxBytes,
      segmentBytes: opts.segmentBytes,
      writeChunkBytes: opts.writeChunkBytes ?? 1024 * 1024,
      fsyncEachAppend: opts.fsyncEachAppend ?? false,
      ledgerIntervalMs: opts.ledgerIntervalMs ?? 1000,
    };
    this.recovery = this.#recover();
  }

  /** Open (create) the spool in `opts.dir` and read back what is there. */
  static open(opts: SpoolOptions): Spool {
    try {
      mkdirSync(opts.dir, { recursive: true });
    } catch (e) {
      throw spoolError(`cannot create spool directory ${opts.dir}: ${(e as Error).message}`, e);
    }
    lockSpool(opts.dir);
    try {
      return new Spool(opts);
    } catch (e) {
      unlockSpool(opts.dir);
      throw e;
    }
  }

  #path(file: string): string {
    return path.join(this.dir, file);
  }

  #recover(): RecoveryReport {
    const report: RecoveryReport = { segments: 0, records: 0, truncated: [], acked_through: 0, next_seq: 1 };
    const ledgerPath = this.#path(LEDGER);
    if (existsSync(ledgerPath)) {
      try {
        const l = JSON.parse(readFileSync(ledgerPath, 'utf8')) as { acked_through?: unknown };
        if (typeof l.acked_through === 'number' && Number.isSafeInteger(l.acked_through) && l.acked_through >= 0) this.#ackedThrough = l.acked_through;
        else throw new Error('acked_through is not a non-negative integer');
      } catch (e) {
        // The ledger is only an optimisation: without it every spooled record is sent again.
        this.#log?.error({ code: ErrorCodes.TRANSPORT_SPOOL, file: ledgerPath, err: (e as Error).message }, 'spool ledger unreadable; resending everything spooled');
      }
    }
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch (e) {
      throw spoolError(`cannot read spool directory ${this.dir}: ${(e as Error).message}`, e);
    }
    for (const name of names) if (name.endsWith('.tmp')) unlinkSync(this.#path(name));
    const segs = names
      .map((n) => SEGMENT_RE.exec(n))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ file: m[0], firstSeq: parseInt(m[1] ?? '0', 16) }))
      .sort((a, b) => a.firstSeq - b.firstSeq);
    let expect = 0; // the seq the next record must exceed
    for (const s of segs) {
      const seg = this.#scan(s.file, s.firstSeq, expect, report);
      if (seg.records === 0) {
        unlinkSync(this.#path(s.file));
        continue;
      }
      this.#segments.push(seg);
      expect = seg.lastSeq;
    }
    const first = this.#segments[0];
    // Records before the first segment are gone (deleted after an ack the ledger did not see yet).
    if (first && first.firstSeq - 1 > this.#ackedThrough) this.#ackedThrough = first.firstSeq - 1;
    // Gaps between segments (a cut segment) hold nothing to deliver.
    for (let i = 1; i < this.#segments.length; i++) {
      const a = this.#segments[i - 1];
      const b = this.#segments[i];
      if (a && b && b.firstSeq > a.lastSeq + 1) this.#addAckRange(a.lastSeq + 1, b.firstSeq - 1);
    }
    const last = this.#segments.at(-1);
    this.#nextSeq = Math.max(last ? last.lastSeq + 1 : 1, this.#ackedThrough + 1);
    this.#readThrough = this.#ackedThrough;
    if (first) this.#cursor = { firstSeq: first.firstSeq, offset: 0 };
    this.#deleteAckedSegments();
    report.segments = this.#segments.length;
    report.records = this.#segments.reduce((n, s) => n + s.records, 0);
    report.acked_through = this.#ackedThrough;
    report.next_seq = this.#nextSeq;
    return report;
  }

  /** Check one segment on open; cut it at the first bad record. */
  #scan(file: string, firstSeq: number, after: number, report: RecoveryReport): Segment {
    const full = this.#path(file);
    const seg: Segment = { file, firstSeq, lastSeq: firstSeq - 1, records: 0, bytes: 0 };
    let fd: number;
    try {
      fd = openSync(full, 'r+');
    } catch (e) {
      throw spoolError(`cannot open spool segment ${full}: ${(e as Error).message}`, e);
    }
    try {
      const size = statSync(full).size;
      let offset = 0;
      let prev = Math.max(after, firstSeq - 1);
      let reason: string | null = null;
      while (offset < size) {
        const r = readRecordAt(fd, offset, size, this.#header);
        if (!r.ok) {
          reason = r.reason;
          break;
        }
        if (r.seq <= prev || (seg.records === 0 && r.seq !== firstSeq)) {
          reason = `sequence ${r.seq} out of order after ${prev}`;
          break;
        }
        prev = r.seq;
        seg.lastSeq = r.seq;
        seg.records++;
        offset = r.next;
      }
      seg.bytes = offset;
      if (reason !== null) {
        const cut = size - offset;
        ftruncateSync(fd, offset);
        fsyncSync(fd);
        this.#stats.corrupt_records++;
        this.#stats.corrupt_bytes += cut;
        report.truncated.push({ file: full, offset, bytes: cut, reason });
        this.#log?.warn(
          { code: ErrorCodes.TRANSPORT_SPOOL, file: full, offset, dropped_bytes: cut, reason, last_good_seq: seg.records > 0 ? seg.lastSeq : null },
          'spool: torn or corrupt record dropped on open; segment truncated to the last good record',
        );
      }
    } finally {
      closeSync(fd);
    }
    return seg;
  }

  get nextSeq(): number {
    return this.#nextSeq;
  }

  #openActive(firstSeq: number): { seg: Segment; fd: number } {
    const file = segmentName(firstSeq);
    let fd: number;
    try {
      fd = openSync(this.#path(file), 'w');
    } catch (e) {
      throw spoolError(`cannot create spool segment ${this.#path(file)}: ${(e as Error).message}`, e);
    }
    const seg: Segment = { file, firstSeq, lastSeq: firstSeq - 1, records: 0, bytes: 0 };
    this.#segments.push(seg);
    this.#cursor ??= { firstSeq, offset: 0 };
    return { seg, fd };
  }

  #closeActive(sync: boolean): void {
    const a = this.#active;
    if (!a) return;
    this.#active = null;
    try {
      if (sync) fsyncSync(a.fd);
    } finally {
      closeSync(a.fd);
    }
  }

  #writeAll(fd: number, buf: Buffer, position: number, file: string): void {
    let done = 0;
    while (done < buf.length) {
      const n = Math.min(this.#opts.writeChunkBytes, buf.length - done);
      let written: number;
      try {
        written = writeSync(fd, buf, done, n, position + done);
      } catch (e) {
        throw spoolError(`cannot write spool segment ${this.#path(file)} at offset ${position + done}: ${(e as Error).message}`, e);
      }
      done += written;
    }
  }

  /**
   * Append records (synchronously: they are in the segment files when this returns); returns
   * their seqs. A write error throws (SENSOR_ERR_TRANSPORT_SPOOL, naming the file and offset);
   * records not written are not counted, and the next append overwrites any partial bytes.
   */
  append(payloads: readonly Uint8Array[]): number[] {
    if (this.#closed) throw spoolError(`spool ${this.dir} is closed`);
    const seqs: number[] = [];
    let i = 0;
    while (i < payloads.length) {
      // Records for the current segment: at least one, then as many as fit.
      if (this.#active && this.#active.seg.bytes > 0 && this.#active.seg.bytes + RECORD_HEADER_BYTES + (payloads[i]?.length ?? 0) > this.#opts.segmentBytes) {
        this.#closeActive(true);
      }
      if (!this.#active) {
        // A segment left over from the last run is never reopened for appends: start a new one.
        this.#active = this.#openActive(this.#nextSeq);
      }
      const { seg, fd } = this.#active;
      const parts: Buffer[] = [];
      let bytes = seg.bytes;
      const firstSeq = this.#nextSeq;
      let seq = firstSeq;
      while (i < payloads.length) {
        const p = payloads[i] as Uint8Array;
        if (p.length > MAX_RECORD_PAYLOAD) throw spoolError(`spool record of ${p.length} bytes is larger than the ${MAX_RECORD_PAYLOAD}-byte limit`);
        const len = RECORD_HEADER_BYTES + p.length;
        if (parts.length > 0 && bytes + len > this.#opts.segmentBytes) break;
        parts.push(encodeRecord(seq, p));
        bytes += len;
        seq++;
        i++;
      }
      const buf = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
      this.#writeAll(fd, buf, seg.bytes, seg.file);
      if (this.#opts.fsyncEachAppend) fsyncSync(fd);
      // Committed: readers may see these records now.
      seg.bytes = bytes;
      seg.records += parts.length;
      seg.lastSeq = seq - 1;
      this.#nextSeq = seq;
      this.#stats.appended += parts.length;
      for (let s = firstSeq; s < seq; s++) seqs.push(s);
    }
    this.#enforceCap();
    return seqs;
  }

  #totalBytes(): number {
    let n = 0;
    for (const s of this.#segments) n += s.bytes;
    return n;
  }

  #enforceCap(): void {
    while (this.#segments.length > 1 && this.#totalBytes() > this.#opts.maxBytes) {
      const seg = this.#segments[0] as Segment;
      const undelivered = this.#unackedIn(seg);
      this.#stats.dropped_by_cap += undelivered;
      this.#log?.error(
        { code: ErrorCodes.TRANSPORT_SPOOL, file: this.#path(seg.file), dropped_records: undelivered, first_seq: seg.firstSeq, last_seq: seg.lastSeq, max_bytes: this.#opts.maxBytes, dropped_by_cap_total: this.#stats.dropped_by_cap },
        'spool full: oldest segment dropped with undelivered records (collector unreachable or too slow)',
      );
      this.#addAckRange(seg.firstSeq, seg.lastSeq, false);
      if (this.#cursor && this.#cursor.firstSeq === seg.firstSeq) {
        const next = this.#segments[1];
        this.#cursor = next ? { firstSeq: next.firstSeq, offset: 0 } : null;
      }
      this.#readThrough = Math.max(this.#readThrough, seg.lastSeq);
      this.#deleteAckedSegments();
    }
  }

  /** Records of `seg` not yet acked. */
  #unackedIn(seg: Segment): number {
    let acked = Math.max(0, Math.min(seg.lastSeq, this.#ackedThrough) - seg.firstSeq + 1);
    for (const [a, b] of this.#pendingAcks) {
      const lo = Math.max(a, seg.firstSeq, this.#ackedThrough + 1);
      const hi = Math.min(b, seg.lastSeq);
      if (hi >= lo) acked += hi - lo + 1;
    }
    return seg.records - Math.min(seg.records, acked);
  }

  /** Mark [first, last] delivered (or gone). */
  #addAckRange(first: number, last: number, count = true): void {
    if (last < first || last <= this.#ackedThrough) return;
    first = Math.max(first, this.#ackedThrough + 1);
    if (count) this.#stats.acked += last - first + 1;
    const ranges = [...this.#pendingAcks, [first, last] as [number, number]].sort((x, y) => x[0] - y[0]);
    const merged: [number, number][] = [];
    for (const r of ranges) {
      const top = merged.at(-1);
      if (top && r[0] <= top[1] + 1) top[1] = Math.max(top[1], r[1]);
      else merged.push([r[0], r[1]]);
    }
    while (merged.length > 0 && (merged[0] as [number, number])[0] <= this.#ackedThrough + 1) {
      const r = merged.shift() as [number, number];
      this.#ackedThrough = Math.max(this.#ackedThrough, r[1]);
      this.#ledgerDirty = true;
    }
    this.#pendingAcks = merged;
  }

  /** Acknowledge delivered records (any order; duplicates are ignored). */
  ack(seqs: readonly number[]): void {
    const sorted = [...seqs].sort((a, b) => a - b);
    let start: number | null = null;
    let prev = 0;
    for (const s of sorted) {
      if (start !== null && s === prev + 1) {
        prev = s;
        continue;
      }
      if (start !== null) this.#addAckRange(start, prev);
      start = s;
      prev = s;
    }
    if (start !== null) this.#addAckRange(start, prev);
    this.#deleteAckedSegments();
    this.#scheduleLedger();
  }

  #deleteAckedSegments(): void {
    while (this.#segments.length > 0) {
      const seg = this.#segments[0] as Segment;
      if (seg.lastSeq > this.#ackedThrough) break;
      // The open segment fully delivered: close it; the next append starts a new one.
      if (this.#active?.seg === seg) this.#closeActive(false);
      this.#segments.shift();
      try {
        unlinkSync(this.#path(seg.file));
      } catch (e) {
        this.#log?.error({ code: ErrorCodes.TRANSPORT_SPOOL, file: this.#path(seg.file), err: (e as Error).message }, 'spool: cannot delete a delivered segment');
      }
      if (this.#cursor?.firstSeq === seg.firstSeq) {
        const next = this.#segments[0];
        this.#cursor = next ? { firstSeq: next.firstSeq, offset: 0 } : null;
      }
    }
  }

  #scheduleLedger(): void {
    if (!this.#ledgerDirty || this.#ledgerTimer || this.#closed) return;
    const wait = this.#lastLedgerWrite + this.#opts.ledgerIntervalMs - Date.now();
    if (wait <= 0) {
      this.#writeLedger();
      return;
    }
    this.#ledgerTimer = setTimeout(() => {
      this.#ledgerTimer = null;
      this.#writeLedger();
    }, wait);
    this.#ledgerTimer.unref();
  }

  /** Atomic ledger update: temp file, fsync, rename, fsync of the directory. */
  #writeLedger(): void {
    if (!this.#ledgerDirty) return;
    const final = this.#path(LEDGER);
    const tmp = `${final}.tmp`;
    try {
      const fd = openSync(tmp, 'w');
      try {
        writeFileSync(fd, `${JSON.stringify({ version: 1, acked_through: this.#ackedThrough })}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, final);
      const dfd = openSync(this.dir, 'r');
      try {
        fsyncSync(dfd);
      } finally {
        closeSync(dfd);
      }
      this.#ledgerDirty = false;
      this.#ledgerWritten++;
      this.#lastLedgerWrite = Date.now();
    } catch (e) {
      this.#log?.error({ code: ErrorCodes.TRANSPORT_SPOOL, file: final, err: (e as Error).message }, 'spool: cannot write the ack ledger (delivered records may be sent again)');
    }
  }

  /** Records appended but not yet handed out by `read`. */
  get unread(): number {
    return Math.max(0, this.#nextSeq - 1 - this.#readThrough);
  }

  /**
   * Hand out the next unacked records, oldest first: at most `maxRecords`, and no more than
   * `maxBytes` of payload (at least one record, whatever its size). Each record is handed out
   * once per run; the caller keeps it until it acks it (a restart hands out again what was not
   * acked).
   */
  read(maxRecords: number, maxBytes: number): SpoolRecord[] {
    const out: SpoolRecord[] = [];
    let bytes = 0;
    while (this.#cursor && out.length < maxRecords) {
      const cur = this.#cursor;
      let idx = this.#segments.findIndex((s) => s.firstSeq === cur.firstSeq);
      if (idx < 0) {
        // Its segment is gone (dropped or delivered): go on with the next one.
        idx = this.#segments.findIndex((s) => s.firstSeq > cur.firstSeq);
        const next = this.#segments[idx];
        this.#cursor = next ? { firstSeq: next.firstSeq, offset: 0 } : null;
        continue;
      }
      const seg = this.#segments[idx] as Segment;
      if (cur.offset >= seg.bytes) {
        const next = this.#segments[idx + 1];
        if (!next) break; // caught up with the writer
        this.#cursor = { firstSeq: next.firstSeq, offset: 0 };
        continue;
      }
      const full = this.#path(seg.file);
      let fd: number;
      try {
        fd = openSync(full, 'r');
      } catch (e) {
        throw spoolError(`cannot read spool segment ${full}: ${(e as Error).message}`, e);
      }
      try {
        while (cur.offset < seg.bytes && out.length < maxRecords) {
          const r = readRecordAt(fd, cur.offset, seg.bytes, this.#header);
          if (!r.ok) {
            // Damaged after it was written (disk): skip the rest of this segment.
            const lost = seg.lastSeq - this.#readThrough;
            this.#stats.corrupt_records += Math.max(1, lost);
            this.#stats.corrupt_bytes += seg.bytes - cur.offset;
            this.#log?.error({ code: ErrorCodes.TRANSPORT_SPOOL, file: full, offset: cur.offset, reason: r.reason, skipped_records: lost }, 'spool: damaged record while reading; rest of the segment skipped');
            this.#addAckRange(this.#readThrough + 1, seg.lastSeq, false);
            this.#readThrough = Math.max(this.#readThrough, seg.lastSeq);
            cur.offset = seg.bytes;
            break;
          }
          if (out.length > 0 && bytes + r.payload.length > maxBytes) return out;
          cur.offset = r.next;
          if (r.seq <= this.#readThrough || this.#isAcked(r.seq)) continue;
          this.#readThrough = r.seq;
          out.push({ seq: r.seq, payload: r.payload });
          bytes += r.payload.length;
        }
      } finally {
        closeSync(fd);
      }
    }
    return out;
  }

  #isAcked(seq: number): boolean {
    if (seq <= this.#ackedThrough) return true;
    return this.#pendingAcks.some(([a, b]) => seq >= a && seq <= b);
  }

  stats(): SpoolStats {
    let pending = 0;
    for (const [a, b] of this.#pendingAcks) pending += Math.max(0, Math.min(b, this.#nextSeq - 1) - a + 1);
    return {
      spool_bytes: this.#totalBytes(),
      spool_records: Math.max(0, this.#nextSeq - 1 - this.#ackedThrough - pending),
      segments: this.#segments.length,
      spool_appended: this.#stats.appended,
      spool_acked: this.#stats.acked,
      dropped_by_cap: this.#stats.dropped_by_cap,
      corrupt_records: this.#stats.corrupt_records,
      corrupt_bytes: this.#stats.corrupt_bytes,
      acked_through: this.#ackedThrough,
      next_seq: this.#nextSeq,
    };
  }

  /** fsync the open segment, write the ledger. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ledgerTimer) clearTimeout(this.#ledgerTimer);
    this.#ledgerTimer = null;
    this.#writeLedger();
    this.#closeActive(true);
    unlockSpool(this.dir);
  }
}
