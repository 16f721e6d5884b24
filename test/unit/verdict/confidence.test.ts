import { describe, expect, it } from 'vitest';
import { confidence } from '../../../agent/verdict/confidence.js';
import { DEFAULT_VERDICT_OPTIONS } from '../../../agent/verdict/options.js';
import { classify } from '../../../agent/verdict/severity.js';
import { MB } from './fixtures.js';

function conf(up: number, down: number, ioc = false): number {
  const r = classify(up, down, DEFAULT_VERDICT_OPTIONS);
  return confidence(r.behavioral, r.rungs, r.ratio, up, ioc);
}

describe('confidence', () => {
  it('starts each tier at its band floor exactly on the rung floors', () => {
    expect(conf(1 * MB, MB / 2)).toBe(0.4);
    expect(conf(10 * MB, 5 * MB)).toBe(0.55);
    expect(conf(100 * MB, 50 * MB)).toBe(0.7);
    expect(conf(100 * MB, 10 * MB)).toBe(0.85);
  });
  it('any IOC match sets 0.99', () => {
    expect(conf(10, 1_000_000, true)).toBe(0.99);
    expect(conf(500 * MB, 0, true)).toBe(0.99);
  });
  it('behavioral evidence alone tops out at 0.98', () => {
    expect(conf(100_000 * MB, 0)).toBe(0.98);
  });
  it('stays in [0.40, 0.99] and never decreases as upload grows (download fixed)', () => {
    for (const down of [0, 1, 100_000, 1 * MB, 7 * MB, 30 * MB, 200 * MB]) {
      let prev = 0;
      for (let up = 512 * 1024; up < 20_000 * MB; up = Math.ceil(up * 1.07)) {
        const r = classify(up, down, DEFAULT_VERDICT_OPTIONS);
        if (r.behavioral === null) continue;
        const c = confidence(r.behavioral, r.rungs, r.ratio, up, false);
        expect(c).toBeGreaterThanOrEqual(0.4);
        expect(c).toBeLessThanOrEqual(0.99);
        expect(c).toBeGreaterThanOrEqual(prev);
        prev = c;
      }
    }
  });
  it('never decreases as download shrinks (upload fixed: higher ratio)', () => {
    for (const up of [1 * MB, 15 * MB, 150 * MB, 3000 * MB]) {
      let prev = 0;
      for (let down = up; down >= 1; down = Math.floor(down / 1.13)) {
        const r = classify(up, down, DEFAULT_VERDICT_OPTIONS);
        if (r.behavioral === null) continue;
        const c = confidence(r.behavioral, r.rungs, r.ratio, up, false);
        expect(c).toBeGreaterThanOrEqual(prev);
        prev = c;
      }
    }
  });
  it('is strictly higher deeper inside a tier', () => {
    expect(conf(5 * MB, MB / 2)).toBeGreaterThan(conf(1 * MB, MB / 2));
    expect(conf(9 * MB, 0)).toBeGreaterThan(conf(9 * MB, 4 * MB));
  });
});
