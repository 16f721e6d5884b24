import { describe, expect, it } from 'vitest';
import { parseDuration, parseSize } from '../../agent/config/units.js';

describe('units', () => {
  it('parses sizes with binary and decimal units', () => {
    expect(parseSize('128 MiB')).toBe(134_217_728);
    expect(parseSize('1GB')).toBe(1e9);
    expect(parseSize('512')).toBe(512);
    expect(parseSize('1.5 KiB')).toBe(1536);
  });
  it('rejects sizes with unknown units, naming the accepted ones', () => {
    expect(() => parseSize('12 parsecs')).toThrow(/'12 parsecs' is not a size; use a number with B, KB/);
    expect(() => parseSize('-1 MiB')).toThrow(/is not a size/);
  });
  it('parses durations', () => {
    expect(parseDuration('15m')).toBe(900);
    expect(parseDuration('2h')).toBe(7200);
    expect(parseDuration('250ms')).toBe(0.25);
    expect(() => parseDuration('15')).toThrow(/is not a duration/);
  });
});
