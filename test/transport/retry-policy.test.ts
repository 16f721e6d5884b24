import { describe, expect, it } from 'vitest';
import { backoffCeiling, backoffDelay, classifyStatus, parseRetryAfter, retryDelay } from '../../agent/transport/retry-policy.js';

const P = { initialMs: 500, maxMs: 60_000, maxRetryAfterMs: 600_000 };

describe('status classes', () => {
  it.each([
    [200, 'ack'],
    [202, 'ack'],
    [204, 'ack'],
    [408, 'retry'],
    [429, 'retry'],
    [500, 'retry'],
    [502, 'retry'],
    [503, 'retry'],
    [504, 'retry'],
    [501, 'quarantine'],
    [400, 'quarantine'],
    [401, 'quarantine'],
    [403, 'quarantine'],
    [413, 'quarantine'],
    [415, 'quarantine'],
    [301, 'quarantine'],
  ])('%i -> %s', (status, want) => {
    expect(classifyStatus(status)).toBe(want);
  });
});

describe('capped exponential backoff with full jitter', () => {
  it('the ceiling doubles from initial and stops at max', () => {
    expect([0, 1, 2, 3, 6, 7, 50, 5000].map((a) => backoffCeiling(a, P))).toEqual([500, 1000, 2000, 4000, 32_000, 60_000, 60_000, 60_000]);
  });

  it('spans [0, ceiling): random 0 gives 0, random just below 1 gives just below the ceiling', () => {
    for (const attempt of [0, 3, 10]) {
      const ceil = backoffCeiling(attempt, P);
      expect(backoffDelay(attempt, P, () => 0)).toBe(0);
      expect(backoffDelay(attempt, P, () => 0.999999)).toBe(Math.floor(0.999999 * ceil));
      expect(backoffDelay(attempt, P, () => 0.5)).toBe(ceil / 2);
    }
  });

  it('with real randomness every delay stays within the bounds and they are spread out', () => {
    const delays = Array.from({ length: 2000 }, () => backoffDelay(4, P));
    for (const d of delays) {
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(8000);
    }
    // Full jitter, not "equal jitter": a good share of delays fall in the lower half.
    expect(delays.filter((d) => d < 4000).length).toBeGreaterThan(600);
    expect(new Set(delays).size).toBeGreaterThan(500);
  });
});

describe('Retry-After', () => {
  const now = Date.parse('2026-03-01T12:00:00Z');

  it('reads delay-seconds', () => {
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter(' 120 ', now)).toBe(120_000);
    expect(parseRetryAfter(['3', '9'], now)).toBe(3000);
  });

  it('reads an HTTP-date, and a date in the past is now', () => {
    expect(parseRetryAfter('Sun, 01 Mar 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Sun, 01 Mar 2026 11:00:00 GMT', now)).toBe(0);
  });

  it('ignores what is neither', () => {
    for (const v of [undefined, '', 'soon', '-5', '1.5', 'Xyz, 99 Foo 2026 99:99:99 GMT']) expect(parseRetryAfter(v, now)).toBeNull();
  });

  it('replaces the backoff when given, cut to the cap; otherwise the jittered backoff', () => {
    expect(retryDelay(0, 7000, P, () => 0)).toBe(7000);
    expect(retryDelay(9, 3_600_000, P, () => 0)).toBe(600_000);
    expect(retryDelay(2, null, P, () => 0.5)).toBe(1000);
  });
});
