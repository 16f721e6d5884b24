import { describe, expect, it } from 'vitest';
import { formatIp, formatTs, protoName } from '../../agent/output/net-format.js';
import { parseIp } from '../helpers/corpus.js';

describe('formatIp (RFC 5952)', () => {
  const cases: [string, string][] = [
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['0000:0000:0000:0000:0000:0000:0000:0000', '::'],
    ['0000:0000:0000:0000:0000:0000:0000:0001', '::1'],
    ['2001:0db8:0000:0001:0000:0000:0000:0001', '2001:db8:0:1::1'],
    ['2001:0db8:0000:0000:0001:0000:0000:0001', '2001:db8::1:0:0:1'],
    ['2001:0db8:0001:0001:0001:0001:0001:0001', '2001:db8:1:1:1:1:1:1'],
    ['2001:0db8:0000:0001:0001:0001:0001:0001', '2001:db8:0:1:1:1:1:1'],
    ['fe80:0000:0000:0000:020c:29ff:fef3:cf38', 'fe80::20c:29ff:fef3:cf38'],
    ['0000:0000:0000:0000:0000:ffff:c000:0201', '::ffff:192.0.2.1'],
  ];
  it.each(cases)('%s -> %s', (input, want) => {
    expect(formatIp(parseIp(input)!)).toBe(want);
  });
  it('prints IPv4 dotted', () => {
    expect(formatIp(Uint8Array.from([192, 0, 2, 255]))).toBe('192.0.2.255');
  });
});

describe('formatTs and protoName', () => {
  it('prints packet time as Suricata does, microseconds, UTC offset', () => {
    expect(formatTs(1_710_234_000_123_456_789n)).toBe('2024-03-12T09:00:00.123456+0000');
    expect(formatTs(0n)).toBe('1970-01-01T00:00:00.000000+0000');
  });
  it('names protocols like EVE and falls back to the number', () => {
    expect([protoName(6), protoName(17), protoName(1), protoName(58), protoName(46)]).toEqual(['TCP', 'UDP', 'ICMP', 'IPv6-ICMP', '46']);
  });
});
