import { describe, expect, it } from 'vitest';
import { PassiveDns } from '../../../agent/evidence/passive-dns.js';
import type { EvidenceEvent } from '../../../agent/evidence/types.js';

const S = 1_000_000_000n;

function dns(ts: bigint, q: string, answers: { rrname: string; rrtype: string; rdata: string; ttl: number }[]): EvidenceEvent {
  return {
    event_type: 'dns', ts_ns: ts, flow_id: 1n, community_id: '1:x', src_ip: '8.8.8.8', src_port: 53, dest_ip: '10.0.0.1', dest_port: 5000, proto: 'UDP', app_proto: 'dns',
    body: { type: 'response', queries: [{ rrname: q, rrtype: 'A' }], answers, rcode: 'NOERROR' },
  };
}

describe('passive DNS', () => {
  it('maps A/AAAA answers to the queried name through a CNAME chain, in canonical address form', () => {
    const p = new PassiveDns();
    p.onEvent(dns(100n * S, 'www.example.com', [
      { rrname: 'www.example.com', rrtype: 'CNAME', rdata: 'edge.cdn.example.net', ttl: 300 },
      { rrname: 'edge.cdn.example.net', rrtype: 'CNAME', rdata: 'e1.cdn.example.net', ttl: 300 },
      { rrname: 'e1.cdn.example.net', rrtype: 'A', rdata: '93.184.216.34', ttl: 300 },
      { rrname: 'e1.cdn.example.net', rrtype: 'AAAA', rdata: '2606:2800:0220:0001:0248:1893:25c8:1946', ttl: 300 },
    ]));
    expect(p.lookup('93.184.216.34', 101n * S).sort()).toEqual(['e1.cdn.example.net', 'edge.cdn.example.net', 'www.example.com']);
    expect(p.lookup('2606:2800:220:1:248:1893:25c8:1946', 101n * S)).toContain('www.example.com');
    expect(p.lookup('1.2.3.4', 101n * S)).toEqual([]);
  });

  it('expires by TTL in packet time, with the floor and ceiling', () => {
    const p = new PassiveDns({ ttl_floor_seconds: 60, ttl_ceiling_seconds: 3600 });
    p.onEvent(dns(0n, 'a.test', [{ rrname: 'a.test', rrtype: 'A', rdata: '192.0.2.1', ttl: 0 }]));
    p.onEvent(dns(0n, 'b.test', [{ rrname: 'b.test', rrtype: 'A', rdata: '192.0.2.2', ttl: 999_999 }]));
    expect(p.lookup('192.0.2.1', 59n * S)).toEqual(['a.test']); // floor 60 s
    expect(p.lookup('192.0.2.1', 61n * S)).toEqual([]);
    expect(p.lookup('192.0.2.2', 3600n * S)).toEqual(['b.test']); // ceiling 1 h
    expect(p.lookup('192.0.2.2', 3601n * S)).toEqual([]);
  });

  it('is bounded: LRU eviction, live evictions counted and logged', () => {
    const warned: unknown[] = [];
    const p = new PassiveDns({ max_entries: 3 }, { warn: (o) => warned.push(o) });
    for (let i = 1; i <= 5; i++) p.onEvent(dns(BigInt(i) * S, `h${i}.test`, [{ rrname: `h${i}.test`, rrtype: 'A', rdata: `198.51.100.${i}`, ttl: 300 }]));
    expect(p.size).toBe(3);
    expect(p.stats.evicted).toBe(2);
    expect(p.stats.evicted_live).toBe(2);
    expect(warned.length).toBeGreaterThan(0);
    expect(p.lookup('198.51.100.1', 6n * S)).toEqual([]);
    expect(p.lookup('198.51.100.5', 6n * S)).toEqual(['h5.test']);
  });

  it('ignores requests and non-address answers', () => {
    const p = new PassiveDns();
    p.onEvent({ ...dns(0n, 'x.test', []), body: { type: 'request', queries: [{ rrname: 'x.test', rrtype: 'A' }] } });
    p.onEvent(dns(0n, 'x.test', [{ rrname: 'x.test', rrtype: 'TXT', rdata: 'v=spf1', ttl: 60 }]));
    expect(p.size).toBe(0);
  });
});
