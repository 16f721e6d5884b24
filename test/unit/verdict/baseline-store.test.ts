import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BaselineStore, type GroupRecord } from '../../../agent/verdict/baseline-store.js';
import { DEFAULT_VERDICT_OPTIONS } from '../../../agent/verdict/options.js';
import { DAY_NS, nsOf, WINDOW_NS } from './fixtures.js';

const D0 = nsOf('2024-03-04T12:00:00Z');

function rec(src: string, dest: string, atNs: bigint, flows: number, over: Partial<GroupRecord> = {}): GroupRecord {
  return {
    key: `${src}|${dest}|443|TCP|tls`,
    src,
    dest,
    entity: null,
    windowStartNs: atNs,
    upload: 1000,
    download: 100,
    flows,
    largestCid: null,
    ...over,
  };
}

const settings = (over: Partial<typeof DEFAULT_VERDICT_OPTIONS.baseline> = {}) => ({
  ...DEFAULT_VERDICT_OPTIONS.baseline,
  path: ':memory:',
  ...over,
});

const open: BaselineStore[] = [];
const dirs: string[] = [];
function store(over: Partial<typeof DEFAULT_VERDICT_OPTIONS.baseline> = {}): BaselineStore {
  const s = new BaselineStore(settings(over));
  open.push(s);
  return s;
}
afterEach(() => {
  for (const s of open.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('destination baseline', () => {
  it('9 flows is not established, 10 is', () => {
    const s = store();
    for (let i = 0; i < 9; i++) s.record([rec('10.0.0.1', '198.51.100.1', D0 + BigInt(i) * WINDOW_NS, 1)]);
    const at = D0 + DAY_NS;
    expect(s.established('10.0.0.1', '198.51.100.1', at)).toEqual({ flows: 9, established: false });
    s.record([rec('10.0.0.1', '198.51.100.1', D0 + 9n * WINDOW_NS, 1)]);
    expect(s.established('10.0.0.1', '198.51.100.1', at)).toEqual({ flows: 10, established: true });
    expect(s.established('10.0.0.2', '198.51.100.1', at).established).toBe(false);
    expect(s.established('10.0.0.1', '198.51.100.2', at).established).toBe(false);
  });

  it('excludes the current window', () => {
    const s = store();
    s.record([rec('10.0.0.1', '198.51.100.1', D0, 9)]);
    const cur = D0 + WINDOW_NS;
    s.record([rec('10.0.0.1', '198.51.100.1', cur, 5)]);
    expect(s.established('10.0.0.1', '198.51.100.1', cur)).toEqual({ flows: 9, established: false });
    expect(s.established('10.0.0.1', '198.51.100.1', cur + WINDOW_NS)).toEqual({ flows: 14, established: true });
  });

  it('recording the same window again does not double count', () => {
    const s = store();
    s.record([rec('10.0.0.1', '198.51.100.1', D0, 6)]);
    s.record([rec('10.0.0.1', '198.51.100.1', D0, 6)]);
    expect(s.established('10.0.0.1', '198.51.100.1', D0 + WINDOW_NS).flows).toBe(6);
  });

  it('forgets flows once their day bucket leaves the 7-day lookback, and expire() deletes them', () => {
    const s = store();
    s.record([rec('10.0.0.1', '198.51.100.1', D0, 10)]);
    // Exactly 7 days later the day bucket of D0 is still inside the lookback.
    expect(s.established('10.0.0.1', '198.51.100.1', D0 + 7n * DAY_NS).established).toBe(true);
    // On day 8 it is gone (at least 7 days, less than 8, are remembered).
    const day8 = nsOf('2024-03-12T00:00:00Z');
    expect(s.established('10.0.0.1', '198.51.100.1', day8).established).toBe(false);
    s.expire(day8);
    expect(s.pairs()).toBe(0);
    expect(s.established('10.0.0.1', '198.51.100.1', D0 + DAY_NS).flows).toBe(0);
    expect(s.groupHistory(rec('10.0.0.1', '198.51.100.1', D0, 0).key, D0 + DAY_NS)).toEqual([]);
  });

  it('survives a restart (WAL file on disk)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'exfil-baseline-'));
    dirs.push(dir);
    const path = join(dir, 'baseline.sqlite');
    const a = new BaselineStore(settings({ path }));
    a.record([rec('10.0.0.1', '198.51.100.1', D0, 10)]);
    a.recordFingerprints([{ fp: 'ja4:abc', src: '10.0.0.1', atNs: D0 }]);
    a.close();
    const b = store({ path });
    expect(b.established('10.0.0.1', '198.51.100.1', D0 + DAY_NS)).toEqual({ flows: 10, established: true });
    expect(b.pairs()).toBe(1);
    expect(b.groupHistory(rec('10.0.0.1', '198.51.100.1', D0, 0).key, D0 + DAY_NS)).toHaveLength(1);
    expect(b.fingerprintPrevalence('ja4:abc', '10.0.0.9', D0 + DAY_NS)).toEqual({ others: 1, otherHosts: 1 });
  });

  it('holds at most max_pairs pairs, dropping the least recently seen', () => {
    const s = store({ max_pairs: 3 });
    s.record([rec('10.0.0.1', '198.51.100.1', D0, 10)]);
    s.record([rec('10.0.0.2', '198.51.100.1', D0 + WINDOW_NS, 10)]);
    s.record([rec('10.0.0.3', '198.51.100.1', D0 + 2n * WINDOW_NS, 10)]);
    s.record([rec('10.0.0.1', '198.51.100.1', D0 + 3n * WINDOW_NS, 1)]); // refreshes 10.0.0.1
    s.record([rec('10.0.0.4', '198.51.100.1', D0 + 4n * WINDOW_NS, 10)]);
    expect(s.pairs()).toBe(3);
    const at = D0 + DAY_NS;
    expect(s.established('10.0.0.2', '198.51.100.1', at).flows).toBe(0); // evicted
    expect(s.established('10.0.0.1', '198.51.100.1', at).flows).toBe(11);
    expect(s.established('10.0.0.3', '198.51.100.1', at).flows).toBe(10);
    expect(s.established('10.0.0.4', '198.51.100.1', at).flows).toBe(10);
    expect(s.siteDestination('198.51.100.1', '10.0.0.9', at).sources).toBe(3);
  });

  it('keeps per-window group history for volume anomaly, excluding the current window', () => {
    const s = store();
    const key = rec('10.0.0.1', '198.51.100.1', D0, 0).key;
    for (let i = 0; i < 4; i++) s.record([rec('10.0.0.1', '198.51.100.1', D0 + BigInt(i) * WINDOW_NS, 1, { upload: (i + 1) * 100 })]);
    const h = s.groupHistory(key, D0 + 3n * WINDOW_NS);
    expect(h.map((x) => x.upload)).toEqual([100, 200, 300]);
  });

  it('per-source history by entity sums the groups of each window', () => {
    const s = store();
    s.record([
      rec('10.0.0.1', '198.51.100.1', D0, 2, { entity: 'dom:x.com', upload: 10 }),
      rec('10.0.0.1', '198.51.100.2', D0, 3, { entity: 'dom:x.com', upload: 20, key: 'k2' }),
    ]);
    expect(s.sourceHistory('10.0.0.1', { entity: 'dom:x.com' }, D0 - DAY_NS, D0 + WINDOW_NS)).toEqual([
      { windowMs: Number(D0 / 1_000_000n), upload: 30, flows: 5, largestCid: null },
    ]);
  });

  it('fingerprint prevalence across the site, bounded by max_pairs', () => {
    const s = store({ max_pairs: 2 });
    s.recordFingerprints([
      { fp: 'ja4:a', src: '10.0.0.1', atNs: D0 },
      { fp: 'ja4:b', src: '10.0.0.2', atNs: D0 + WINDOW_NS },
      { fp: 'ja4:a', src: '10.0.0.3', atNs: D0 + 2n * WINDOW_NS },
    ]);
    // 10.0.0.1's sighting (the oldest) was dropped by the bound.
    expect(s.fingerprintPrevalence('ja4:a', '10.0.0.9', D0 + DAY_NS)).toEqual({ others: 1, otherHosts: 2 });
  });
});
