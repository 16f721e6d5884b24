/**
 * The quarantine file is bounded: past its cap it rotates to `.1`, the previous `.1` is deleted
 * with its records counted as dropped and an error logged; every line stays a decodable record.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Quarantine } from '../../agent/transport/quarantine.js';
import { encodeRecordPayload } from '../../agent/transport/wire-schema.js';
import { captureLog, makeAlert, tempDir } from './helpers.js';

const lines = (f: string): Record<string, unknown>[] =>
  existsSync(f)
    ? readFileSync(f, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>)
    : [];

describe('quarantine file cap', () => {
  it('rotates to .1 at the cap and counts the records of a replaced .1 as dropped', () => {
    const dir = tempDir('exfil-quarantine-');
    const file = path.join(dir, 'quarantine.jsonl');
    const cap = captureLog();
    const q = new Quarantine(file, cap.log, 4096);
    const why = { reason: 'HTTP 400', status: 400, code: 'BAD' };
    let seq = 0;
    const add = (): number => q.add([{ record: { seq: ++seq, payload: encodeRecordPayload({ type: 'alert', alert: makeAlert(`a${seq}`) }) }, why }]);
    // One record is a few hundred bytes: write until the file has rotated twice.
    while (q.rotations < 2) expect(add()).toBe(1);
    expect(statSync(file).size).toBeLessThanOrEqual(4096);
    expect(statSync(`${file}.1`).size).toBeLessThanOrEqual(4096);
    const kept = [...lines(`${file}.1`), ...lines(file)];
    // Nothing is lost silently: kept + dropped = written, and the kept ones are the newest, in order.
    expect(kept.length + q.dropped).toBe(seq);
    expect(q.dropped).toBeGreaterThan(0);
    expect(kept.map((l) => l.seq)).toEqual(Array.from({ length: kept.length }, (_, i) => seq - kept.length + 1 + i));
    expect((kept[0]?.record as { type?: string; alert?: unknown } | undefined)?.type).toBe('alert');
    const errors = cap.lines.filter((l) => l.level === 50);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ records_lost: q.dropped, max_bytes: 4096 });
    expect(String(errors[0]?.msg)).toMatch(/quarantine file full.*transport\.quarantine_max_size/);
  });
});
