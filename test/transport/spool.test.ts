import { existsSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RECORD_HEADER_BYTES, Spool } from '../../agent/transport/spool.js';
import { captureLog, payloadFor, tempDir } from './helpers.js';

const segs = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.spool')).sort();

function fill(spool: Spool, from: number, n: number, size: number): number[] {
  return spool.append(Array.from({ length: n }, (_, i) => payloadFor(from + i, size)));
}

describe('spool', () => {
  it('round trip: records come back in order, byte for byte, also after a reopen', () => {
    const dir = tempDir();
    const s = Spool.open({ dir, maxBytes: 1 << 20, segmentBytes: 1 << 16 });
    expect(fill(s, 1, 50, 100)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    const got = s.read(1000, 1 << 20);
    expect(got.map((r) => r.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    for (const r of got) expect(r.payload.equals(payloadFor(r.seq, 100))).toBe(true);
    expect(s.read(10, 1 << 20)).toEqual([]);
    expect(s.stats().spool_records).toBe(50);
    s.close();

    const again = Spool.open({ dir, maxBytes: 1 << 20, segmentBytes: 1 << 16 });
    expect(again.recovery).toMatchObject({ records: 50, truncated: [], next_seq: 51, acked_through: 0 });
    expect(again.read(1000, 1 << 20).map((r) => r.seq)).toEqual(got.map((r) => r.seq));
    expect(fill(again, 51, 1, 10)).toEqual([51]);
    again.close();
  });

  it('caps a read by record count and payload bytes (one record at least)', () => {
    const s = Spool.open({ dir: tempDir(), maxBytes: 1 << 20, segmentBytes: 1 << 16 });
    fill(s, 1, 10, 100);
    expect(s.read(3, 1 << 20).map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(s.read(100, 250).map((r) => r.seq)).toEqual([4, 5]);
    expect(s.read(100, 1).map((r) => r.seq)).toEqual([6]);
    s.close();
  });

  it('rolls over to a new segment named after its first seq when the next record would not fit', () => {
    const dir = tempDir();
    const rec = RECORD_HEADER_BYTES + 100;
    const s = Spool.open({ dir, maxBytes: 1 << 20, segmentBytes: rec * 4 });
    fill(s, 1, 10, 100);
    expect(segs(dir)).toEqual(['seg-0000000000000001.spool', 'seg-0000000000000005.spool', 'seg-0000000000000009.spool']);
    expect(statSync(path.join(dir, 'seg-0000000000000001.spool')).size).toBe(rec * 4);
    expect(s.stats()).toMatchObject({ segments: 3, spool_bytes: rec * 10, spool_records: 10 });
    expect(s.read(100, 1 << 20).map((r) => r.seq)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    s.close();
  });

  it('deletes a segment only once every record in it is acked (acks in any order), and the ledger survives a reopen', () => {
    const dir = tempDir();
    const rec = RECORD_HEADER_BYTES + 100;
    const s = Spool.open({ dir, maxBytes: 1 << 20, segmentBytes: rec * 4, ledgerIntervalMs: 0 });
    fill(s, 1, 10, 100);
    s.read(100, 1 << 20);
    s.ack([3, 4, 5]); // out of order: 1 and 2 still missing
    expect(segs(dir)).toHaveLength(3);
    expect(s.stats()).toMatchObject({ acked_through: 0, spool_records: 7 });
    s.ack([1, 2]);
    expect(segs(dir)).toEqual(['seg-0000000000000005.spool', 'seg-0000000000000009.spool']);
    expect(s.stats()).toMatchObject({ acked_through: 5, spool_records: 5, segments: 2 });
    expect(JSON.parse(readFileSync(path.join(dir, 'ledger.json'), 'utf8'))).toEqual({ version: 1, acked_through: 5 });
    s.close();

    const again = Spool.open({ dir, maxBytes: 1 << 20, segmentBytes: rec * 4 });
    expect(again.read(100, 1 << 20).map((r) => r.seq)).toEqual([6, 7, 8, 9, 10]);
    again.ack([6, 7, 8, 9, 10]);
    expect(segs(dir)).toEqual([]);
    expect(again.stats()).toMatchObject({ spool_records: 0, spool_bytes: 0 });
    // Sequence numbers go on after everything was delivered and deleted.
    expect(fill(again, 11, 1, 5)).toEqual([11]);
    again.close();
    expect(Spool.open({ dir, maxBytes: 1 << 20, segmentBytes: rec * 4 }).nextSeq).toBe(12);
  });

  it('at the size cap drops the oldest segments, counts their undelivered records and logs an error', () => {
    const dir = tempDir();
    const cap = captureLog();
    const rec = RECORD_HEADER_BYTES + 100;
    const s = Spool.open({ dir, maxBytes: rec * 8, segmentBytes: rec * 4, log: cap.log });
    fill(s, 1, 8, 100);
    expect(s.stats().dropped_by_cap).toBe(0);
    s.read(2, 1 << 20); // the sender holds 1 and 2
    s.ack([1]); // 1 delivered: it is not counted as dropped
    fill(s, 9, 1, 100); // 9 records > 8 allowed: segment 1..4 goes
    expect(segs(dir)).toEqual(['seg-0000000000000005.spool', 'seg-0000000000000009.spool']);
    expect(s.stats()).toMatchObject({ dropped_by_cap: 3, spool_records: 5 });
    expect(cap.messages('error').some((m) => m.startsWith('spool full: oldest segment dropped'))).toBe(true);
    expect(cap.lines.find((l) => l.dropped_records === 3)).toBeTruthy();
    // The reader skips what was dropped.
    expect(s.read(100, 1 << 20).map((r) => r.seq)).toEqual([5, 6, 7, 8, 9]);
    s.close();
  });

  it.each([
    ['the last record cut mid-payload', (file: string, size: number) => truncateSync(file, size - 37)],
    ['the last record cut mid-header', (file: string, size: number) => truncateSync(file, size - 100 - 9)],
    [
      'a CRC byte of the last record flipped',
      (file: string, size: number) => {
        const b = readFileSync(file);
        const at = size - (RECORD_HEADER_BYTES + 100) + 5;
        b[at] = (b[at] as number) ^ 0xff;
        writeFileSync(file, b);
      },
    ],
    [
      'a length of the last record set absurdly large',
      (file: string, size: number) => {
        const b = readFileSync(file);
        b.writeUInt32LE(0xfffffff0, size - (RECORD_HEADER_BYTES + 100));
        writeFileSync(file, b);
      },
    ],
  ])('on reopen detects %s, logs it, truncates to the last good record and resumes the sequence', (_name, damage) => {
    const dir = tempDir();
    const rec = RECORD_HEADER_BYTES + 100;
    const s = Spool.open({ dir, maxBytes: 1 << 20, segmentBytes: rec * 6 });
    fill(s, 1, 10, 100);
    s.close();
    const last = path.join(dir, 'seg-0000000000000007.spool');
    damage(last, statSync(last).size);

    const cap = captureLog();
    const again = Spool.open({ dir, maxBytes: 1 << 20, segmentBytes: rec * 6, log: cap.log });
    expect(again.recovery.records).toBe(9);
    expect(again.recovery.truncated).toHaveLength(1);
    expect(again.recovery.truncated[0]).toMatchObject({ file: last, offset: rec * 3 });
    expect(statSync(last).size).toBe(rec * 3);
    expect(cap.messages('warn').filter((m) => m.includes('torn or corrupt record dropped'))).toHaveLength(1);
    expect(again.stats()).toMatchObject({ corrupt_records: 1, next_seq: 10 });
    const got = again.read(100, 1 << 20);
    expect(got.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (const r of got) expect(r.payload.equals(payloadFor(r.seq, 100))).toBe(true);
    expect(fill(again, 10, 1, 100)).toEqual([10]);
    again.close();
  });

  it('a damaged record inside an older segment cuts that segment there; later segments and acks are unaffected', () => {
    const dir = tempDir();
    const rec = RECORD_HEADER_BYTES + 100;
    const s = Spool.open({ dir, maxBytes: 1 << 20, segmentBytes: rec * 4 });
    fill(s, 1, 10, 100);
    s.close();
    const first = path.join(dir, 'seg-0000000000000001.spool');
    const b = readFileSync(first);
    b[rec + RECORD_HEADER_BYTES + 3] ^= 0x01; // payload of record 2
    writeFileSync(first, b);
    const again = Spool.open({ dir, maxBytes: 1 << 20, segmentBytes: rec * 4, ledgerIntervalMs: 0 });
    expect(again.recovery.truncated).toHaveLength(1);
    expect(again.recovery.truncated[0]).toMatchObject({ offset: rec, bytes: rec * 3, reason: 'CRC mismatch' });
    const got = again.read(100, 1 << 20).map((r) => r.seq);
    expect(got).toEqual([1, 5, 6, 7, 8, 9, 10]);
    again.ack(got);
    expect(again.stats()).toMatchObject({ spool_records: 0, acked_through: 10 });
    expect(existsSync(first)).toBe(false);
    again.close();
  });
});

describe('spool lock', () => {
  it('one owner at a time: a second open fails naming the owner; a lock left by a dead process is taken over', () => {
    const dir = tempDir();
    const s = Spool.open({ dir, maxBytes: 1 << 20, segmentBytes: 1 << 16 });
    expect(() => Spool.open({ dir, maxBytes: 1 << 20, segmentBytes: 1 << 16 })).toThrow(`spool ${dir} is in use by process ${process.pid}`);
    s.close();
    expect(existsSync(path.join(dir, 'lock'))).toBe(false);
    // A pid that cannot be running (above pid_max).
    writeFileSync(path.join(dir, 'lock'), '4194305\n');
    const t = Spool.open({ dir, maxBytes: 1 << 20, segmentBytes: 1 << 16 });
    expect(readFileSync(path.join(dir, 'lock'), 'utf8')).toBe(`${process.pid}\n`);
    t.close();
  });
});
