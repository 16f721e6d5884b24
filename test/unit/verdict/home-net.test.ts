import { describe, expect, it } from 'vitest';
import { CidrSet, homeNet, parseIp } from '../../../agent/verdict/home-net.js';
import { parseZonedIso } from '../../../agent/verdict/local-time.js';

describe('home-net', () => {
  it('defaults to RFC-1918', () => {
    const h = homeNet();
    for (const ip of ['10.0.0.1', '10.255.255.255', '172.16.0.1', '172.31.255.255', '192.168.1.1']) expect(h.contains(ip)).toBe(true);
    for (const ip of ['172.32.0.1', '11.0.0.1', '100.64.0.1', '8.8.8.8', 'fd00::1', 'garbage']) expect(h.contains(ip)).toBe(false);
  });
  it('named optional ranges: cgnat, link_local, ula, documentation', () => {
    const h = homeNet(null, ['cgnat', 'link_local', 'ula', 'documentation']);
    expect(h.contains('100.64.0.1')).toBe(true);
    expect(h.contains('100.127.255.255')).toBe(true);
    expect(h.contains('100.128.0.0')).toBe(false);
    expect(h.contains('169.254.10.1')).toBe(true);
    expect(h.contains('fe80::1')).toBe(true);
    expect(h.contains('fd12:3456::1')).toBe(true);
    expect(h.contains('fc00::')).toBe(true);
    expect(h.contains('fe00::1')).toBe(false);
    expect(h.contains('2001:db8:1::1')).toBe(true);
    expect(h.contains('198.51.100.7')).toBe(true);
    expect(h.contains('10.1.1.1')).toBe(true);
    expect(() => homeNet(null, ['nope'])).toThrow(/unknown home-net range 'nope'/);
  });
  it('configured home_net replaces the default; owned public ranges are inside', () => {
    const h = homeNet(['10.0.0.0/8', '203.0.113.0/24', '2001:db8:1000::/48']);
    expect(h.contains('192.168.1.1')).toBe(false);
    expect(h.contains('203.0.113.99')).toBe(true);
    expect(h.contains('2001:db8:1000:ffff::1')).toBe(true);
    expect(h.contains('2001:db8:1001::1')).toBe(false);
  });
  it('reads IPv4-mapped IPv6 as IPv4 and reports the most specific block', () => {
    const s = new CidrSet(['10.0.0.0/8', '10.1.0.0/16', '::/0']);
    expect(s.contains('::ffff:10.1.2.3')).toBe(true);
    expect(s.match('10.1.2.3')).toBe('10.1.0.0/16');
    expect(s.match('10.2.2.3')).toBe('10.0.0.0/8');
    expect(s.match('2a00::1')).toBe('::/0');
    expect(parseIp('::ffff:192.0.2.1')).toEqual({ family: 4, value: 0xc0000201n });
    expect(parseIp('1::2:3:4:5:6:7')?.family).toBe(6);
    expect(parseIp('1:2:3:4:5:6:7:8:9')).toBeNull();
    expect(parseIp('256.1.1.1')).toBeNull();
    expect(() => new CidrSet(['10.0.0.0/33'])).toThrow(/prefix length/);
    expect(() => new CidrSet(['10.0.0/8'])).toThrow(/bad address/);
  });
});

describe('zoned ISO times', () => {
  it('honours Z and offsets, and reads bare times in the configured zone (DST aware)', () => {
    expect(parseZonedIso('2024-03-12T02:00:00Z', 'Europe/Berlin')).toBe(Date.parse('2024-03-12T02:00:00Z'));
    expect(parseZonedIso('2024-03-12T02:00:00+05:30', 'UTC')).toBe(Date.parse('2024-03-11T20:30:00Z'));
    expect(parseZonedIso('2024-01-15T02:00', 'Europe/Berlin')).toBe(Date.parse('2024-01-15T01:00:00Z'));
    expect(parseZonedIso('2024-07-15T02:00', 'Europe/Berlin')).toBe(Date.parse('2024-07-15T00:00:00Z'));
    // 02:30 does not exist on 2024-03-31 in Berlin: moves forward to 03:30 CEST.
    expect(parseZonedIso('2024-03-31T02:30', 'Europe/Berlin')).toBe(Date.parse('2024-03-31T01:30:00Z'));
    // 02:30 happens twice on 2024-10-27: the earlier (CEST) one.
    expect(parseZonedIso('2024-10-27T02:30', 'Europe/Berlin')).toBe(Date.parse('2024-10-27T00:30:00Z'));
    expect(() => parseZonedIso('tomorrow', 'UTC')).toThrow(/ISO-8601/);
  });
});
