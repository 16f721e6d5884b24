/**
 * pcapgen ground truth: every generated flow's packets and bytes (L2, Suricata's convention,
 * and L3, Zeek's ip_bytes) in both directions equal what the engine reports, and the result
 * does not depend on the number of workers.
 *
 * Accounting unit: the (5-tuple, VLAN) and the endpoint that sent the packets. pcapgen's
 * long SSH sessions idle for up to 15 minutes, longer than Suricata's 10-minute TCP
 * established timeout, so the engine ends them and picks them up again as new flows (and the
 * truth file reuses no tuple at -s 0.01): summing our flows per tuple and sender compares the
 * same packets. How many tuples were split that way is printed.
 */
import { describe, expect, it } from 'vitest';
import { canonicalIp, replayToEve, type EveFlow } from '../helpers/corpus.js';
import { HAVE_TOOLS, pcapgen, readTruth } from '../helpers/pcapgen.js';

interface Sums {
  flows: number;
  pkts: Map<string, number>;
  l2: Map<string, number>;
  l3: Map<string, number>;
}

function tupleKey(proto: number, a: string, ap: number, b: string, bp: number, vlan: number): string {
  const x = `${canonicalIp(a)}|${ap}`;
  const y = `${canonicalIp(b)}|${bp}`;
  return [proto, vlan, ...[x, y].sort()].join(' ');
}

function add(m: Map<string, number>, k: string, v: number): void {
  m.set(k, (m.get(k) ?? 0) + v);
}

function sumOurs(flows: EveFlow[]): Map<string, Sums> {
  const out = new Map<string, Sums>();
  const protoNum: Record<string, number> = { TCP: 6, UDP: 17, ICMP: 1, 'IPv6-ICMP': 58 };
  for (const f of flows) {
    const proto = protoNum[f.proto] ?? Number(f.proto);
    const sp = f.src_port ?? 0;
    const dp = f.dest_port ?? 0;
    const vlan = ((f as Record<string, unknown>).vlan as number[] | undefined)?.[0] ?? 0;
    const key = tupleKey(proto, f.src_ip, sp, f.dest_ip, dp, vlan);
    const s = out.get(key) ?? { flows: 0, pkts: new Map(), l2: new Map(), l3: new Map() };
    out.set(key, s);
    s.flows++;
    const client = `${f.src_ip}|${sp}`;
    const server = `${f.dest_ip}|${dp}`;
    add(s.pkts, client, Number(f.flow.pkts_toserver));
    add(s.pkts, server, Number(f.flow.pkts_toclient));
    add(s.l2, client, Number(f.flow.bytes_toserver));
    add(s.l2, server, Number(f.flow.bytes_toclient));
    add(s.l3, client, Number(f.flow.ip_bytes_toserver));
    add(s.l3, server, Number(f.flow.ip_bytes_toclient));
  }
  return out;
}

function canonicalFlows(flows: EveFlow[]): string[] {
  return flows.map((f) => JSON.stringify({ ...f, flow_id: 0, _wire: f._wire })).sort();
}

describe.skipIf(!HAVE_TOOLS)('pcapgen truth (-s 0.01, seed 1)', () => {
  it('every generated flow matches packets and L2/L3 bytes both ways; 1 and 2 workers agree', async () => {
    const cap = pcapgen(0.01, 1);
    const truth = readTruth(cap.truth);
    const two = await replayToEve([cap.pcap], { workers: 2 });
    const ours = sumOurs(two.flows);
    let matched = 0;
    let split = 0;
    const bad: string[] = [];
    for (const t of truth) {
      if (t.proto === 1 || t.proto === 58) continue; // ICMP: checked below by address pair
      const key = tupleKey(t.proto, t.src_ip, t.src_port, t.dest_ip, t.dest_port, t.vlan);
      const s = ours.get(key);
      const client = `${canonicalIp(t.src_ip)}|${t.src_port}`;
      const server = `${canonicalIp(t.dest_ip)}|${t.dest_port}`;
      const got = s && [s.pkts.get(client) ?? 0, s.l2.get(client) ?? 0, s.l3.get(client) ?? 0, s.pkts.get(server) ?? 0, s.l2.get(server) ?? 0, s.l3.get(server) ?? 0];
      const want = [t.pkts_toserver, t.bytes_toserver_l2, t.bytes_toserver_l3, t.pkts_toclient, t.bytes_toclient_l2, t.bytes_toclient_l3];
      if (got && got.every((v, i) => v === want[i])) {
        matched++;
        if ((s?.flows ?? 0) > 1) split++;
      } else {
        bad.push(`${t.id} ${t.kind} ${key}: want ${want.join('/')} got ${got ? got.join('/') : 'no flow'}`);
      }
    }
    const icmp = truth.filter((t) => t.proto === 1 || t.proto === 58);
    for (const t of icmp) {
      const f = two.flows.find((x) => (x.proto === 'ICMP' || x.proto === 'IPv6-ICMP') && canonicalIp(x.src_ip) === canonicalIp(t.src_ip) && canonicalIp(x.dest_ip) === canonicalIp(t.dest_ip));
      const ok = f && Number(f.flow.pkts_toserver) === t.pkts_toserver && Number(f.flow.pkts_toclient) === t.pkts_toclient && Number(f.flow.bytes_toserver) === t.bytes_toserver_l2 && Number(f.flow.bytes_toclient) === t.bytes_toclient_l2;
      if (ok) matched++;
      else bad.push(`${t.id} icmp ${t.src_ip} -> ${t.dest_ip}: ${f ? JSON.stringify(f.flow) : 'no flow'}`);
    }
    console.log(
      `pcapgen -s 0.01: ${matched}/${truth.length} truth flows match (packets, L2 and L3 bytes, both directions); ` +
        `${split} of them ended by the TCP established timeout during an idle gap and resumed; ` +
        `${two.flows.length} flow records from ${two.summary.packets} packets`,
    );
    for (const b of bad.slice(0, 20)) console.log(`  MISMATCH ${b}`);
    expect(bad).toEqual([]);
    expect(two.summary.counters.ts_regressions ?? 0).toBe(0);

    const one = await replayToEve([cap.pcap], { workers: 1 });
    expect(canonicalFlows(one.flows)).toEqual(canonicalFlows(two.flows));
  });
});
