/**
 * The two baseline backends (SQLite for a file, JS maps for ":memory:") must answer alike: the
 * same random sequence of recordings, fingerprint sightings, expiries, bound changes and
 * re-recorded windows goes to both, and every query is compared after every step.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBaseline } from '../../../agent/verdict/baseline-memory.js';
import { SqliteBaselineStore, type GroupRecord } from '../../../agent/verdict/baseline-store.js';
import { DEFAULT_VERDICT_OPTIONS } from '../../../agent/verdict/options.js';
import { DAY_NS, nsOf, WINDOW_NS } from './fixtures.js';

/** mulberry32: a small seeded generator (all bits usable). */
function rng(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) % n;
  };
}

const SRCS = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.10'];
const DESTS = ['198.51.100.1', '198.51.100.2', '198.51.100.3', '203.0.113.9', '2001:db8::1'];
const open: SqliteBaselineStore[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

function run(seed: number): number {
  const rnd = rng(seed);
  const settings = {
    ...DEFAULT_VERDICT_OPTIONS.baseline,
    path: ':memory:',
    max_pairs: 1 + rnd(15),
    lookback_days: 1 + rnd(3),
    established_min_flows: 1 + rnd(6),
  };
  const sql = new SqliteBaselineStore(settings);
  open.push(sql);
  const mem = new MemoryBaseline();
  const lookbackMs = Math.round(settings.lookback_days * 86_400_000);
  mem.configure(lookbackMs, settings.established_min_flows, settings.max_pairs);
  let t = nsOf('2024-03-04T12:00:00Z');
  let checks = 0;
  for (let step = 0; step < 40; step++) {
    if (rnd(10) < 3) t += WINDOW_NS * BigInt(1 + rnd(300));
    const batch: GroupRecord[] = [];
    for (let i = rnd(8); i > 0; i--) {
      const src = SRCS[rnd(SRCS.length)]!;
      const dest = DESTS[rnd(DESTS.length)]!;
      batch.push({
        key: `${src}|${dest}|${rnd(2) ? 443 : 80}|TCP|`,
        src,
        dest,
        entity: rnd(2) ? null : `dom:x${rnd(3)}.com`,
        // Some groups re-record an earlier window.
        windowStartNs: rnd(4) === 0 ? t - WINDOW_NS * BigInt(rnd(5)) : t,
        upload: rnd(1_000_000),
        download: rnd(10_000),
        flows: rnd(2) ? 0 : rnd(4),
        largestCid: rnd(2) ? null : `1:abc${rnd(9)}`,
      });
    }
    sql.record(batch);
    mem.record(batch);
    if (rnd(3) === 0) {
      const fps = Array.from({ length: rnd(4) }, () => ({ fp: `ja4:${rnd(4)}`, src: SRCS[rnd(SRCS.length)]!, atNs: t - WINDOW_NS * BigInt(rnd(3)) }));
      sql.recordFingerprints(fps);
      mem.recordFingerprints(fps);
    }
    if (rnd(4) === 0) {
      sql.expire(t);
      mem.expire(t);
    }
    if (rnd(20) === 0) {
      const maxPairs = 1 + rnd(15);
      sql.configure({ ...settings, max_pairs: maxPairs });
      mem.configure(lookbackMs, settings.established_min_flows, maxPairs);
      mem.enforceBound();
    }
    for (const at of [t, t + WINDOW_NS, t + DAY_NS, t - 3n * WINDOW_NS]) {
      const answers = (s: SqliteBaselineStore | MemoryBaseline): unknown[] => {
        const out: unknown[] = [s.pairs()];
        for (const src of SRCS) {
          for (const dest of DESTS) {
            out.push(
              s.established(src, dest, at),
              s.groupHistory(`${src}|${dest}|443|TCP|`, at),
              s.groupHistory(`${src}|${dest}|80|TCP|`, at),
              s.sourceHistory(src, { dest }, at - 2n * DAY_NS, at),
              s.siteDestination(dest, src, at),
            );
          }
          for (let e = 0; e < 3; e++) out.push(s.sourceHistory(src, { entity: `dom:x${e}.com` }, at - 2n * DAY_NS, at));
          for (let f = 0; f < 4; f++) out.push(s.fingerprintPrevalence(`ja4:${f}`, src, at));
        }
        return out;
      };
      expect(answers(mem), `seed ${seed} step ${step}`).toEqual(answers(sql));
      checks++;
    }
  }
  return checks;
}

describe('baseline backends', () => {
  it('the in-memory backend answers exactly like SQLite on random histories', () => {
    let checks = 0;
    for (let seed = 1; seed <= 25; seed++) checks += run(seed);
    expect(checks).toBe(25 * 40 * 4);
  });
});
