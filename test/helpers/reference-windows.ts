/**
 * An independent, deliberately plain reference for window accounting (issue: exfiltration
 * verdict, "oracle test"): read a classic little-endian pcap (what pcapgen writes), decode
 * Ethernet / 802.1Q / IPv4 / IPv6 / TCP / UDP / ICMP, track flows with the documented rules
 * (client = SYN sender, SYN/ACK first swaps, else first sender; Suricata's default timeouts per
 * protocol and state; a pure SYN on a closed TCP session starts a new flow), and add every
 * packet's bytes to the window of its own timestamp for groups whose client is inside home-net
 * and whose server is outside. No code is shared with the engine.
 */
import { readFileSync } from 'node:fs';

export interface RefAggregate {
  key: string;
  src: string;
  dst: string;
  dport: number;
  proto: number;
  windowStartS: number;
  flowCount: number;
  uniqueFlows: number;
  up: number;
  down: number;
  upPkts: number;
  downPkts: number;
  largestUp: number;
}

type Cidr = { v6: boolean; bytes: number[]; len: number };

export function parseCidr(text: string): Cidr {
  const [addr = '', len = ''] = text.split('/');
  if (addr.includes(':')) {
    const halves = addr.split('::');
    const g = (s: string): number[] => (s ? s.split(':').map((x) => parseInt(x, 16)) : []);
    const l = g(halves[0] ?? '');
    const r = halves.length > 1 ? g(halves[1] ?? '') : [];
    const groups = [...l, ...new Array<number>(8 - l.length - r.length).fill(0), ...r];
    return { v6: true, bytes: groups.flatMap((x) => [x >> 8, x & 255]), len: Number(len) };
  }
  return { v6: false, bytes: addr.split('.').map(Number), len: Number(len) };
}

function inCidr(addr: number[], c: Cidr): boolean {
  if ((addr.length === 16) !== c.v6) return false;
  for (let bit = 0; bit < c.len; bit++) {
    const byte = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    if (((addr[byte] ?? 0) & mask) !== ((c.bytes[byte] ?? 0) & mask)) return false;
  }
  return true;
}

function ipText(a: number[]): string {
  if (a.length === 4) return a.join('.');
  const g: string[] = [];
  for (let i = 0; i < 16; i += 2) g.push((((a[i] ?? 0) << 8) | (a[i + 1] ?? 0)).toString(16));
  return g.join(':');
}

interface RefFlow {
  client: string;
  server: string;
  proto: number;
  dport: number;
  tuple: string;
  state: 'new' | 'established' | 'closed';
  syn: boolean;
  synack: boolean;
  fin: [boolean, boolean];
  seen: [boolean, boolean];
  last: number;
  grouped: boolean;
  /** window start -> upload bytes of this flow in that window */
  winUp: Map<number, number>;
  windows: Set<number>;
}

const TIMEOUTS: Record<string, Record<string, number>> = {
  tcp: { new: 60, established: 600, closed: 60 },
  udp: { new: 30, established: 300, closed: 0 },
  icmp: { new: 30, established: 300, closed: 0 },
  other: { new: 30, established: 300, closed: 0 },
};

export function referenceWindows(pcapFile: string, homeNet: string[], windowS = 900): Map<string, RefAggregate> {
  const nets = homeNet.map(parseCidr);
  const internal = (a: number[]): boolean => nets.some((c) => inCidr(a, c));
  const buf = readFileSync(pcapFile);
  if (buf.readUInt32LE(0) !== 0xa1b2c3d4) throw new Error('reference reads little-endian microsecond pcap only');
  const flows = new Map<string, RefFlow>();
  const aggs = new Map<string, RefAggregate & { tuples: Set<string>; flowsSeen: Set<RefFlow> }>();
  const finish = (f: RefFlow): void => {
    flows.delete(f.tuple);
  };
  let off = 24;
  while (off + 16 <= buf.length) {
    const ts = buf.readUInt32LE(off) + buf.readUInt32LE(off + 4) / 1e6;
    const caplen = buf.readUInt32LE(off + 8);
    const p = buf.subarray(off + 16, off + 16 + caplen);
    off += 16 + caplen;
    let o = 12;
    let et = p.readUInt16BE(o);
    while (et === 0x8100 || et === 0x88a8) {
      o += 4;
      et = p.readUInt16BE(o);
    }
    o += 2;
    let src: number[];
    let dst: number[];
    let proto: number;
    let l4: number;
    if (et === 0x0800) {
      const ihl = (p[o]! & 15) * 4;
      proto = p[o + 9]!;
      src = [...p.subarray(o + 12, o + 16)];
      dst = [...p.subarray(o + 16, o + 20)];
      l4 = o + ihl;
    } else if (et === 0x86dd) {
      proto = p[o + 6]!;
      src = [...p.subarray(o + 8, o + 24)];
      dst = [...p.subarray(o + 24, o + 40)];
      l4 = o + 40;
    } else continue;
    let sp = 0;
    let dp = 0;
    let flags = 0;
    if (proto === 6 || proto === 17) {
      sp = p.readUInt16BE(l4);
      dp = p.readUInt16BE(l4 + 2);
      if (proto === 6) flags = p[l4 + 13]!;
    }
    // ICMP: pcapgen sends echo request/reply pairs; one flow per host pair, as the engine keys them.
    const a = `${ipText(src)}|${sp}`;
    const b = `${ipText(dst)}|${dp}`;
    const tuple = `${proto} ${[a, b].sort().join(' ')}`;
    let f = flows.get(tuple);
    const cls = proto === 6 ? 'tcp' : proto === 17 ? 'udp' : proto === 1 || proto === 58 ? 'icmp' : 'other';
    if (f && f.last + (TIMEOUTS[cls]![f.state] ?? 0) < ts) {
      finish(f);
      f = undefined;
    }
    const pureSyn = proto === 6 && (flags & 0x17) === 0x02;
    if (f && pureSyn && f.state === 'closed') {
      finish(f);
      f = undefined;
    }
    if (!f) {
      const synack = proto === 6 && (flags & 0x12) === 0x12;
      const clientIsSrc = !synack;
      const client = clientIsSrc ? a : b;
      const server = clientIsSrc ? b : a;
      const cAddr = clientIsSrc ? src : dst;
      const sAddr = clientIsSrc ? dst : src;
      f = {
        client,
        server,
        proto,
        dport: clientIsSrc ? dp : sp,
        tuple,
        state: 'new',
        syn: false,
        synack: false,
        fin: [false, false],
        seen: [false, false],
        last: ts,
        grouped: internal(cAddr) && !internal(sAddr),
        winUp: new Map(),
        windows: new Set(),
      };
      flows.set(tuple, f);
    }
    const toServer = a === f.client ? 0 : 1;
    f.seen[toServer] = true;
    if (ts > f.last) f.last = ts;
    if (proto === 6) {
      if (flags & 0x04) f.state = 'closed';
      else {
        if (flags & 0x02) {
          if (flags & 0x10) f.synack = true;
          else f.syn = true;
        }
        if (flags & 0x01) f.fin[toServer] = true;
        if (f.state === 'new') {
          const done = f.syn && f.synack && toServer === 0 && (flags & 0x10) !== 0 && (flags & 0x02) === 0;
          const mid = !f.syn && !f.synack && f.seen[0] && f.seen[1];
          if (done || mid) f.state = 'established';
        }
        if (f.fin[0] && f.fin[1]) f.state = 'closed';
      }
    } else if (f.state === 'new' && f.seen[0] && f.seen[1]) f.state = 'established';
    if (!f.grouped) continue;
    const w = Math.floor(ts / windowS) * windowS;
    const [cIp] = f.client.split('|');
    const [sIp] = f.server.split('|');
    const key = `${cIp} ${sIp} ${f.dport} ${f.proto} ${w}`;
    let g = aggs.get(key);
    if (!g) {
      g = { key, src: cIp!, dst: sIp!, dport: f.dport, proto: f.proto, windowStartS: w, flowCount: 0, uniqueFlows: 0, up: 0, down: 0, upPkts: 0, downPkts: 0, largestUp: 0, tuples: new Set(), flowsSeen: new Set() };
      aggs.set(key, g);
    }
    if (!g.flowsSeen.has(f)) {
      g.flowsSeen.add(f);
      g.flowCount++;
      g.tuples.add(tuple);
      g.uniqueFlows = g.tuples.size;
    }
    if (toServer === 0) {
      g.up += caplen;
      g.upPkts++;
      const u = (f.winUp.get(w) ?? 0) + caplen;
      f.winUp.set(w, u);
      if (u > g.largestUp) g.largestUp = u;
    } else {
      g.down += caplen;
      g.downPkts++;
    }
  }
  const out = new Map<string, RefAggregate>();
  for (const [k, g] of aggs) {
    const { tuples: _t, flowsSeen: _f, ...rest } = g;
    out.set(k, rest);
  }
  return out;
}
