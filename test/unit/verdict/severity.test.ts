import { describe, expect, it } from 'vitest';
import { DEFAULT_VERDICT_OPTIONS } from '../../../agent/verdict/options.js';
import {
  classify,
  displayRatio,
  lowerTier,
  pcr,
  severityRank,
  uploadRatio,
} from '../../../agent/verdict/severity.js';
import type { IocMatch } from '../../../agent/verdict/types.js';
import { MB } from './fixtures.js';

const opts = DEFAULT_VERDICT_OPTIONS;
const tier = (up: number, down: number) => classify(up, down, opts).severity;

describe('upload ratio', () => {
  it('is upload / download, capped at 999.99, also when download is 0', () => {
    expect(uploadRatio(10, 5, 999.99)).toBe(2);
    expect(uploadRatio(5_000_000, 1, 999.99)).toBe(999.99);
    expect(uploadRatio(1, 0, 999.99)).toBe(999.99);
    expect(uploadRatio(0, 0, 999.99)).toBe(0);
    expect(uploadRatio(0, 100, 999.99)).toBe(0);
  });
  it('prints two decimals rounded down, so a printed 2.00 really cleared 2', () => {
    expect(displayRatio(2)).toBe(2);
    expect(displayRatio(1.99999)).toBe(1.99);
    expect(displayRatio(26.5)).toBe(26.5);
    expect(displayRatio(999.99)).toBe(999.99);
  });
  it('pcr is in [-1, 1]', () => {
    expect(pcr(100, 0)).toBe(1);
    expect(pcr(0, 100)).toBe(-1);
    expect(pcr(0, 0)).toBe(0);
    expect(pcr(300, 100)).toBe(0.5);
  });
});

describe('severity ladder boundaries (inclusive, MB = 1,048,576)', () => {
  it('Low: upload exactly 1 MB and ratio exactly 2; one byte under either is no alert', () => {
    expect(tier(1 * MB, MB / 4)).toBe('low');
    expect(tier(1 * MB - 1, MB / 4)).toBeNull();
    expect(tier(2 * MB, 1 * MB)).toBe('low');
    expect(tier(2 * MB - 1, 1 * MB)).toBeNull();
  });
  it('Medium: upload exactly 10 MB and ratio exactly 2; one byte under drops it', () => {
    expect(tier(10 * MB, 4 * MB)).toBe('medium');
    expect(tier(10 * MB - 1, 4 * MB)).toBe('low');
    expect(tier(20 * MB, 10 * MB)).toBe('medium');
    expect(tier(20 * MB - 1, 10 * MB)).toBeNull();
  });
  it('High via ratio 5 with 10 MB: exactly 5 and exactly 10 MB; one byte under each', () => {
    expect(tier(50 * MB, 10 * MB)).toBe('high');
    expect(tier(50 * MB - 1, 10 * MB)).toBe('medium');
    expect(tier(10 * MB, 2 * MB)).toBe('high');
    expect(tier(10 * MB - 1, 1 * MB)).toBe('low');
  });
  it('High via ratio 2 with 100 MB: exactly 100 MB and exactly 2; one byte under each', () => {
    expect(tier(100 * MB, 40 * MB)).toBe('high');
    expect(tier(100 * MB - 1, 40 * MB)).toBe('medium');
    expect(tier(200 * MB, 100 * MB)).toBe('high');
    expect(tier(200 * MB - 1, 100 * MB)).toBeNull();
  });
  it('Critical: ratio exactly 10 and upload exactly 100 MB; one byte under each drops to High', () => {
    expect(tier(100 * MB, 10 * MB)).toBe('critical');
    expect(tier(100 * MB - 1, 5 * MB)).toBe('high');
    expect(tier(1000 * MB, 100 * MB)).toBe('critical');
    expect(tier(1000 * MB - 1, 100 * MB)).toBe('high');
  });
  it('download 0 gives ratio 999.99 and still a tier', () => {
    const r = classify(1 * MB, 0, opts);
    expect(r.ratio).toBe(999.99);
    expect(r.severity).toBe('low');
    expect(classify(100 * MB, 0, opts).severity).toBe('critical');
    expect(classify(1 * MB - 1, 0, opts).severity).toBeNull();
  });
  it('capping applies before the rungs (a custom cap below a rung ratio blocks it)', () => {
    const capped = { ...opts, ratio_cap: 9 };
    expect(classify(200 * MB, 0, capped).severity).toBe('high');
    expect(classify(200 * MB, 0, capped).ratio).toBe(9);
  });
});

describe('rules fired and IOC promotion', () => {
  it('names the holding rungs of the tier', () => {
    expect(classify(200 * MB, 10 * MB, opts).rules_fired).toEqual(['ratio>=10&upload>=100MB']);
    expect(classify(200 * MB, 30 * MB, opts).rules_fired).toEqual(['ratio>=5&upload>=10MB', 'ratio>=2&upload>=100MB']);
    expect(classify(20 * MB, 10 * MB, opts).rules_fired).toEqual(['ratio>=2&upload>=10MB']);
    expect(classify(0, 0, opts).rules_fired).toEqual([]);
  });
  it('any IOC match is critical at any ratio and volume', () => {
    const m: IocMatch[] = [
      { feed: 'abuse', kind: 'c2', indicator: '198.51.100.10' },
      { feed: 'abuse', kind: 'c2', indicator: 'evil.example' },
      { feed: 'rep', kind: 'repdb', indicator: 'paste.example', category: 'paste-site' },
    ];
    const r = classify(10, 1_000_000, opts, m);
    expect(r.severity).toBe('critical');
    expect(r.behavioral).toBeNull();
    expect(r.rules_fired).toEqual(['ioc:c2:abuse', 'ioc:repdb:rep']);
    expect(classify(20 * MB, 10 * MB, opts, m).rules_fired).toEqual(['ratio>=2&upload>=10MB', 'ioc:c2:abuse', 'ioc:repdb:rep']);
  });
  it('ranks and lowers tiers', () => {
    expect(severityRank('critical')).toBe(4);
    expect(severityRank(null)).toBe(0);
    expect(lowerTier('critical')).toBe('high');
    expect(lowerTier('high')).toBe('medium');
    expect(lowerTier('medium')).toBe('low');
    expect(lowerTier('low')).toBe('low');
  });
});
