/**
 * canonicalAddress: the dotted-quad fast path gives exactly what parsing and re-formatting give,
 * for canonical quads, non-canonical spellings (leading zeros, spaces) and non-addresses.
 */
import { describe, expect, it } from 'vitest';
import { parseIp } from '../../../agent/config/cidr.js';
import { canonicalAddress } from '../../../agent/evidence/address.js';
import { formatIp } from '../../../agent/output/net-format.js';

const slow = (t: string): string | null => {
  const b = parseIp(t.trim());
  return b ? formatIp(b) : null;
};

describe('canonicalAddress', () => {
  it('agrees with parse + format on fixed and random inputs', () => {
    const fixed = ['0.0.0.0', '255.255.255.255', '1.2.3.4', '01.2.3.4', '1.2.3.04', '256.1.1.1', '1.2.3', '1.2.3.4.5', ' 1.2.3.4', '2001:DB8::1', '::ffff:1.2.3.4', 'example.com', ''];
    for (const t of fixed) expect(canonicalAddress(t), t).toBe(slow(t));
    let seed = 7;
    const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    for (let i = 0; i < 20_000; i++) {
      const t = [0, 1, 2, 3].map(() => (rnd(10) === 0 ? '0' : '') + String(rnd(300))).join('.');
      expect(canonicalAddress(t), t).toBe(slow(t));
    }
  });
});
