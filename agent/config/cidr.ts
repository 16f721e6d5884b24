/**
 * IP addresses and CIDR blocks as the config writes them (`10.0.0.0/8`, `2001:db8::/32`, or a
 * bare address meaning one host). Validation gives messages an operator can act on: the family,
 * the allowed prefix lengths, and the network to write when host bits are set.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { formatIp } from '../output/net-format.js';

export interface ParsedCidr {
  family: 4 | 6;
  /** Network address bytes (4 or 16), host bits zero. */
  network: Uint8Array;
  prefix: number;
  /** Canonical text: dotted quad or RFC 5952, always with the prefix (`10.0.0.0/8`, `2001:db8::/32`). */
  text: string;
}

/** Address bytes (4 or 16), or null when `text` is not an IPv4 or IPv6 address (zone ids refused). */
export function parseIp(text: string): Uint8Array | null {
  if (isIPv4(text)) return Uint8Array.from(text.split('.').map(Number));
  if (!isIPv6(text) || text.includes('%')) return null;
  let head = text;
  let v4tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    v4tail = text.slice(lastColon + 1).split('.').map(Number);
    head = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const [left = '', right] = head.split('::');
  const groupsOf = (s: string): number[] => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const l = groupsOf(left);
  const r = right === undefined ? [] : groupsOf(right);
  const groups = [...l, ...new Array<number>(8 - l.length - r.length).fill(0), ...r];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  if (v4tail.length === 4) out.set(v4tail, 12);
  return out;
}

/**
 * `"10.0.0.0/8"` -> parsed block. A bare address is a host (/32 or /128). Throws a message
 * naming what is wrong: not an address, prefix out of range for the family, host bits set.
 */
export function parseCidr(text: string): ParsedCidr {
  const slash = text.indexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const bytes = parseIp(addrText);
  if (!bytes) {
    throw new Error(`'${text}' is not an IPv4 or IPv6 address or CIDR block (e.g. "10.0.0.0/8", "fd00::/8")`);
  }
  const family = bytes.length === 4 ? 4 : 6;
  const max = family === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > max) {
      throw new Error(`'${text}': prefix length '${p}' is out of range for IPv${family} (0-${max})`);
    }
    prefix = Number(p);
  }
  const network = Uint8Array.from(bytes);
  for (let bit = prefix; bit < max; bit++) {
    network[bit >> 3]! &= ~(0x80 >> (bit & 7));
  }
  const canonical = `${formatIp(network)}/${prefix}`;
  if (!network.every((b, i) => b === bytes[i])) {
    throw new Error(`'${text}' has host bits set past /${prefix}; write the network, "${canonical}"`);
  }
  return { family, network, prefix, text: canonical };
}

/** True when `addr` (4 or 16 bytes) lies inside `cidr` (same family only). */
export function cidrContains(cidr: ParsedCidr, addr: Uint8Array): boolean {
  if (addr.length !== cidr.network.length) return false;
  for (let bit = 0; bit < cidr.prefix; bit += 8) {
    const n = Math.min(8, cidr.prefix - bit);
    const mask = (0xff << (8 - n)) & 0xff;
    if (((addr[bit >> 3] ?? 0) & mask) !== cidr.network[bit >> 3]) return false;
  }
  return true;
}
