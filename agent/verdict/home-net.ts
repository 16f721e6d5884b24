/**
 * Home-net: sets of IPv4/IPv6 CIDRs and the membership test the verdict uses to tell an
 * internal source from an external destination (SPEC section 4). RFC-1918 is the default;
 * the named optional ranges are the ones the runbook (`000_…` step 3) says organizations
 * extend their internal network into.
 */
import type { Cidr } from './options.js';

/** An address as a family and an unsigned integer (32 bits for IPv4, 128 for IPv6). */
export interface ParsedIp {
  family: 4 | 6;
  value: bigint;
}

/** The RFC-1918 private IPv4 ranges: home-net when the configuration names none. */
export const RFC1918: readonly Cidr[] = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'];

/** Ranges an operator can add to home-net by name. */
export const NAMED_RANGES: Readonly<Record<string, readonly Cidr[]>> = {
  rfc1918: RFC1918,
  cgnat: ['100.64.0.0/10'],
  link_local: ['169.254.0.0/16', 'fe80::/10'],
  ula: ['fc00::/7'],
  documentation: ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24', '2001:db8::/32', '3fff::/20'],
};

function parseIpv4(text: string): bigint | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let v = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

function parseIpv6(text: string): bigint | null {
  let t = text;
  const zone = t.indexOf('%');
  if (zone >= 0) t = t.slice(0, zone);
  // A dotted IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
  const lastColon = t.lastIndexOf(':');
  if (lastColon >= 0 && t.indexOf('.', lastColon) > 0) {
    const v4 = parseIpv4(t.slice(lastColon + 1));
    if (v4 === null) return null;
    t = `${t.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = t.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] === '' ? [] : (halves[0] ?? '').split(':');
  const tail = halves.length === 2 ? (halves[1] === '' ? [] : (halves[1] ?? '').split(':')) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  let v = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    v = (v << 16n) | BigInt(parseInt(g, 16));
  }
  return v;
}

/** Parses an IPv4 or IPv6 address; IPv4-mapped IPv6 (`::ffff:a.b.c.d`) is read as IPv4. Null if malformed. */
export function parseIp(text: string): ParsedIp | null {
  if (text.includes(':')) {
    const v = parseIpv6(text);
    if (v === null) return null;
    if (v >> 32n === 0xffffn) return { family: 4, value: v & 0xffffffffn };
    return { family: 6, value: v };
  }
  const v = parseIpv4(text);
  return v === null ? null : { family: 4, value: v };
}

interface Block {
  family: 4 | 6;
  network: bigint;
  mask: bigint;
  prefix: number;
  text: string;
}

/** Parses `addr/len` (or a bare address as a host route). Throws naming the bad text. */
export function parseCidr(text: string): Block {
  const trimmed = text.trim();
  const slash = trimmed.indexOf('/');
  const addrText = slash >= 0 ? trimmed.slice(0, slash) : trimmed;
  const ip = parseIp(addrText);
  if (ip === null) throw new Error(`'${text}' is not a CIDR: bad address '${addrText}'`);
  // A mapped IPv6 prefix (::ffff:0:0/96 and longer) is an IPv4 prefix.
  const mappedShift = addrText.includes(':') && ip.family === 4 ? 96 : 0;
  const bits = ip.family === 4 ? 32 : 128;
  let prefix = bits;
  if (slash >= 0) {
    const lenText = trimmed.slice(slash + 1);
    if (!/^\d{1,3}$/.test(lenText)) throw new Error(`'${text}' is not a CIDR: bad prefix length '${lenText}'`);
    prefix = Number(lenText) - mappedShift;
    if (prefix < 0 || prefix > bits) throw new Error(`'${text}' is not a CIDR: prefix length out of range`);
  }
  const all = (1n << BigInt(bits)) - 1n;
  const mask = prefix === 0 ? 0n : (all << BigInt(bits - prefix)) & all;
  return { family: ip.family, network: ip.value & mask, mask, prefix, text: trimmed };
}

/** An immutable set of CIDR blocks of both families. */
export class CidrSet {
  private readonly v4: Block[];
  private readonly v6: Block[];
  readonly size: number;

  constructor(cidrs: Iterable<Cidr>) {
    const blocks = [...cidrs].map(parseCidr);
    // Longest prefix first: `match()` reports the most specific block.
    blocks.sort((a, b) => b.prefix - a.prefix || (a.network < b.network ? -1 : a.network > b.network ? 1 : 0));
    this.v4 = blocks.filter((b) => b.family === 4);
    this.v6 = blocks.filter((b) => b.family === 6);
    this.size = blocks.length;
  }

  /** True when the address falls in any block. Malformed addresses are never contained. */
  contains(ip: string): boolean {
    return this.match(ip) !== null;
  }

  /** The most specific block containing the address, as configured, or null. */
  match(ip: string): string | null {
    const p = parseIp(ip);
    if (p === null) return null;
    for (const b of p.family === 4 ? this.v4 : this.v6) {
      if ((p.value & b.mask) === b.network) return b.text;
    }
    return null;
  }
}

/**
 * Home-net as the SPEC defines it: `cidrs` replaces the RFC-1918 default when given (the fixed
 * `home_net` key), and `named` adds ranges from {@link NAMED_RANGES} (`cgnat`, `link_local`,
 * `ula`, `documentation`). Throws on an unknown name or a malformed CIDR.
 */
export function homeNet(cidrs?: readonly Cidr[] | null, named: readonly string[] = []): CidrSet {
  const all: Cidr[] = [...(cidrs && cidrs.length > 0 ? cidrs : RFC1918)];
  for (const name of named) {
    const ranges = NAMED_RANGES[name];
    if (!ranges) throw new Error(`unknown home-net range '${name}'; known: ${Object.keys(NAMED_RANGES).join(', ')}`);
    all.push(...ranges);
  }
  return new CidrSet(all);
}
