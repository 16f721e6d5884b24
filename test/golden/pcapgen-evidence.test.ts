/**
 * Session evidence on a pcapgen capture (issue "Session evidence"): every TLS flow's SNI and
 * every DNS name of the truth CSV is recovered in the EVE tls / dns events of its connection,
 * and the exfiltration alerts (-s 0.05, seed 1, as in verdict-pcapgen.test.ts) carry the
 * session's SNI or HTTP host. One replay through `runReplay` (the CLI's path) gives both.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type SensorConfig } from '../../agent/config/load.js';
import type { LineWriter } from '../../agent/output/eve.js';
import { runReplay } from '../../agent/sensor.js';
import { canonicalIp } from '../helpers/corpus.js';
import { HAVE_TOOLS, pcapgen, readTruth, type TruthFlow } from '../helpers/pcapgen.js';

const HOME = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '2001:db8:1000::/48'];

interface Ev {
  event_type: string;
  src_ip: string;
  src_port: number;
  dest_ip: string;
  dest_port: number;
  dest_name?: string;
  tls?: { sni?: string };
  quic?: { sni?: string };
  http?: { hostname?: string };
  dns?: { queries?: { rrname?: string }[] };
}

/** Connection key independent of direction. */
function conn(a: string, ap: number, b: string, bp: number): string {
  const x = `${canonicalIp(a)}|${ap}`;
  const y = `${canonicalIp(b)}|${bp}`;
  return x < y ? `${x} ${y}` : `${y} ${x}`;
}

describe.skipIf(!HAVE_TOOLS)('session evidence on pcapgen captures', () => {
  it('recovers every truth TLS SNI and DNS name; exfil alerts carry the SNI / host (-s 0.05)', { timeout: 600_000 }, async () => {
    const cap = pcapgen(0.05, 1);
    const truth = readTruth(cap.truth);
    // Values seen per connection and event kind.
    const seen = new Map<string, Set<string>>();
    let labelled = 0;
    let flows = 0;
    const note = (k: string, v: unknown): void => {
      if (typeof v !== 'string' || v === '') return;
      const s = seen.get(k) ?? new Set<string>();
      s.add(v.toLowerCase());
      seen.set(k, s);
    };
    const sink = {
      write(raw: unknown): undefined {
        const e = raw as Ev;
        const c = conn(e.src_ip, e.src_port, e.dest_ip, e.dest_port);
        if (e.event_type === 'flow') {
          flows++;
          if (e.dest_name) labelled++;
        } else if (e.event_type === 'tls') note(`tls ${c}`, e.tls?.sni);
        else if (e.event_type === 'quic') note(`quic ${c}`, e.quic?.sni);
        else if (e.event_type === 'http') note(`http ${c}`, e.http?.hostname);
        else if (e.event_type === 'dns') for (const q of e.dns?.queries ?? []) note(`dns ${c}`, q.rrname);
        return undefined;
      },
    } as unknown as LineWriter;
    const cfg: SensorConfig = { ...DEFAULT_CONFIG, sensor_id: 'test-sensor', workers: 2, home_net: HOME };
    const run = await runReplay([cap.pcap], cfg, { eve: sink, eveWindows: 'none' });

    const check = (kind: string, rows: TruthFlow[]): { ok: number; bad: TruthFlow[] } => {
      const bad = rows.filter((t) => !seen.get(`${kind} ${conn(t.src_ip, t.src_port, t.dest_ip, t.dest_port)}`)?.has(t.server_name.toLowerCase()));
      return { ok: rows.length - bad.length, bad };
    };
    const tlsRows = truth.filter((t) => t.server_name !== '' && (t.kind === 'tls' || (t.kind === 'exfil' && (t.dest_port === 443 || t.dest_port === 8443))));
    const dnsRows = truth.filter((t) => t.kind === 'dns' && t.server_name !== '');
    const httpRows = truth.filter((t) => t.server_name !== '' && (t.kind === 'http' || (t.kind === 'exfil' && t.dest_port === 80)));
    const quicRows = truth.filter((t) => t.kind === 'quic' && t.server_name !== '');
    const tls = check('tls', tlsRows);
    const dns = check('dns', dnsRows);
    const http = check('http', httpRows);
    const quic = check('quic', quicRows);
    console.log(
      `pcapgen -s 0.05 evidence: TLS SNI ${tls.ok}/${tlsRows.length}, DNS names ${dns.ok}/${dnsRows.length}, ` +
        `HTTP hosts ${http.ok}/${httpRows.length}, QUIC SNI ${quic.ok}/${quicRows.length} (QUIC-like flows: printed only); ` +
        `${labelled}/${flows} flow events carry dest_name`,
    );
    for (const t of [...tls.bad, ...dns.bad, ...http.bad].slice(0, 10)) console.log(`  MISSED ${t.kind} ${t.id} ${t.src_ip}:${t.src_port} -> ${t.dest_ip}:${t.dest_port} ${t.server_name}`);
    expect(tlsRows.length).toBeGreaterThan(1000);
    expect(dnsRows.length).toBeGreaterThan(1000);
    expect(tls.bad.map((t) => t.id)).toEqual([]);
    expect(dns.bad.map((t) => t.id)).toEqual([]);
    expect(http.bad.map((t) => t.id)).toEqual([]);
    // Passive DNS labels flows: DNS precedes most connections in this traffic model.
    expect(labelled).toBeGreaterThan(0);

    // The exfil alerts carry the session's name.
    const exfil = truth.filter((t) => t.kind === 'exfil');
    expect(exfil.length).toBeGreaterThan(0);
    for (const t of exfil) {
      const alerts = run.alerts.filter((a) => canonicalIp(a.aggregate.src_ip) === canonicalIp(t.src_ip) && canonicalIp(a.aggregate.dest_ip) === canonicalIp(t.dest_ip) && a.aggregate.dest_port === t.dest_port);
      for (const a of alerts) {
        const ev = a.evidence;
        console.log(
          `  exfil ${t.id} ${t.dest_ip}:${t.dest_port} (${t.server_name}) alert ${a.severity}/${a.detection}: sni ${JSON.stringify(ev?.sni)}, http ${JSON.stringify(ev?.http_hosts)}, ` +
            `dns ${JSON.stringify(ev?.dns_names)}, ja4 ${JSON.stringify(ev?.ja4)}, ua ${JSON.stringify(ev?.http_user_agents)}, file ${JSON.stringify(ev?.file_types)}, mismatch ${ev?.sni_dns_mismatch}, ` +
            `tls ${JSON.stringify(ev?.tls_versions)}, http ${JSON.stringify(ev?.http_methods)} ${JSON.stringify(ev?.http_urls)}`,
        );
        expect(ev, `alert ${a.id} has evidence`).toBeDefined();
        const names = [...(ev?.sni ?? []), ...(ev?.http_hosts ?? [])].map((n) => n.toLowerCase());
        expect(names, `alert ${a.id} for exfil flow ${t.id}`).toContain(t.server_name.toLowerCase());
        // The names agree with what the client resolved: no mismatch raised on an honest SNI.
        expect(ev?.sni_dns_mismatch).toBe(false);
        // The session's protocol details ride along: a TLS exfil its version, an HTTP one its
        // method and URL.
        if ((ev?.sni ?? []).length > 0) expect(ev?.tls_versions?.length, `alert ${a.id} TLS version`).toBeGreaterThan(0);
        if ((ev?.http_hosts ?? []).length > 0) {
          expect(ev?.http_methods?.length, `alert ${a.id} HTTP method`).toBeGreaterThan(0);
          expect(ev?.http_urls?.length, `alert ${a.id} HTTP URL`).toBeGreaterThan(0);
        }
      }
      expect(alerts.length, `exfil flow ${t.id} alerted`).toBeGreaterThan(0);
    }
  });
});
