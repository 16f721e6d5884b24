import { describe, expect, it } from 'vitest';
import { alertId, groupKey } from '../../../agent/verdict/alert-id.js';
import type { IocMatcher, WindowAggregate } from '../../../agent/verdict/types.js';
import { Verdict, type VerdictDeps } from '../../../agent/verdict/verdict.js';
import { agg, MB, nsOf, options, T0, WINDOW_NS } from './fixtures.js';

const c2: IocMatcher = {
  lookup: (ip, names) => {
    const matches = [];
    if (ip === '192.0.2.66') matches.push({ feed: 'c2-feed', kind: 'c2' as const, indicator: ip, actor: 'FIN7' });
    if (names.some((n) => n.endsWith('paste.example'))) {
      matches.push({ feed: 'rep', kind: 'repdb' as const, indicator: 'paste.example', category: 'paste-site' });
    }
    return { matches, checked: 1 + names.length };
  },
};

function verdict(deps: Partial<VerdictDeps> = {}, over = {}): Verdict {
  return new Verdict(options(over), { sensorId: 'sensor-a', ...deps });
}

describe('alert ids', () => {
  it('are hex SHA-256, stable for (sensor, kind, group, window) and distinct otherwise', () => {
    const a = agg({ up: 5 * MB });
    const id = alertId('s', 'window', groupKey(a), a.window_start_ns);
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(alertId('s', 'window', groupKey(a), a.window_start_ns)).toBe(id);
    expect(alertId('s', 'window', groupKey(a), a.window_start_ns + WINDOW_NS)).not.toBe(id);
    expect(alertId('t', 'window', groupKey(a), a.window_start_ns)).not.toBe(id);
    expect(alertId('s', 'consolidated', groupKey(a), a.window_start_ns)).not.toBe(id);
    expect(alertId('s', 'window', groupKey({ ...a, dest_port: 8443 }), a.window_start_ns)).not.toBe(id);
  });

  it('replays give the same ids; the next window gives new ones', () => {
    const w0 = [agg({ up: 5 * MB, cid: 'x' })];
    const w1 = [agg({ up: 5 * MB, cid: 'x', start: T0 + WINDOW_NS })];
    const v1 = verdict();
    const v2 = verdict();
    const a0 = v1.onWindowClosed(w0);
    const b0 = v2.onWindowClosed(w0);
    expect(a0.map((a) => a.id)).toEqual(b0.map((a) => a.id));
    const a1 = v1.onWindowClosed(w1);
    expect(a1[0]?.id).not.toBe(a0[0]?.id);
    v1.close();
    v2.close();
  });
});

describe('Verdict', () => {
  it('returns nothing below the Low floor and scores every field of an alert', () => {
    const v = verdict({ geo: () => ({ country: 'RO', asn: 200325, org: 'XYZ-Reseller' }) });
    const alerts = v.onWindowClosed([
      agg({ src_ip: '10.0.0.1', up: 1 * MB - 1, down: 0 }),
      agg({ src_ip: '10.0.0.2', up: 212 * MB, down: 8 * MB, flow_count: 45, unique_flows: 45, dest_port: 4444 }),
    ]);
    expect(alerts).toHaveLength(1);
    const a = alerts[0];
    expect(a?.severity).toBe('critical');
    expect(a?.sensor_id).toBe('sensor-a');
    expect(a?.detection).toBe('window');
    expect(a?.aggregate).toMatchObject({
      upload_mb: 212,
      download_mb: 8,
      upload_ratio: 26.5,
      dest_country: 'RO',
      dest_asn: 200325,
      dest_org: 'XYZ-Reseller',
      malicious_iocs: 0,
      iocs_checked: 0,
    });
    expect(a?.aggregate.pcr).toBeCloseTo((212 - 8) / 220, 4);
    expect(a?.confidence).toBeGreaterThan(0.85);
    expect(a?.confidence).toBeLessThan(0.99);
    expect(a?.destination_established).toBe(false);
    expect(a?.risk.score_breakdown.map((f) => f.name)).toEqual([
      'destination_novelty',
      'volume_anomaly',
      'process_rarity',
      'off_hours',
      'asset_criticality',
      'connection_pattern',
    ]);
    const factor = (n: string) => a?.risk.score_breakdown.find((f) => f.name === n);
    expect(factor('destination_novelty')?.score).toBe(1);
    expect(factor('volume_anomaly')?.score).toBe(0.5);
    expect(factor('process_rarity')?.explanation).toMatch(/sees no process/);
    expect(factor('off_hours')?.score).toBe(0); // Tuesday 10:00 UTC
    expect(factor('connection_pattern')?.explanation).toMatch(/unusual port 4444/);
    // 0.25*1 + 0.25*0.5 + 0.15*0.5 + 0 + 0.10*(1/3) + 0.15*0.6
    expect(a?.risk.composite_score).toBeCloseTo(0.25 + 0.125 + 0.075 + 0.1 / 3 + 0.09, 4);
    expect(a?.risk.risk_level).toBe('medium');
    v.close();
  });

  it('IOC match: critical with confidence 0.99 at any volume, matches carried', () => {
    const v = verdict({ iocs: c2, names: (ip) => (ip === '198.51.100.50' ? ['x.paste.example'] : []) });
    const alerts = v.onWindowClosed([
      agg({ dest_ip: '192.0.2.66', up: 1000, down: 50_000 }),
      agg({ src_ip: '10.0.0.9', dest_ip: '198.51.100.50', up: 10, down: 0 }),
      agg({ src_ip: '10.0.0.8', dest_ip: '198.51.100.51', up: 10, down: 0 }),
    ]);
    expect(alerts).toHaveLength(2);
    for (const a of alerts) {
      expect(a.severity).toBe('critical');
      expect(a.confidence).toBe(0.99);
      expect(a.aggregate.malicious_iocs).toBe(1);
    }
    const c2Alert = alerts.find((a) => a.aggregate.dest_ip === '192.0.2.66');
    expect(c2Alert?.rules_fired).toEqual(['ioc:c2:c2-feed']);
    expect(c2Alert?.ioc_matches[0]?.actor).toBe('FIN7');
    expect(c2Alert?.aggregate.iocs_checked).toBe(1);
    const rep = alerts.find((a) => a.aggregate.dest_ip === '198.51.100.50');
    expect(rep?.rules_fired).toEqual(['ioc:repdb:rep']);
    expect(rep?.aggregate.iocs_checked).toBe(2);
    v.close();
  });

  it('established destination: a tier keeps its severity with a note; no tier means no alert', () => {
    const v = verdict();
    const dest = '198.51.100.20';
    // A day of ordinary traffic: 10 flows, sub-floor.
    v.onWindowClosed([agg({ dest_ip: dest, up: 1000, down: 5000, unique_flows: 10, flow_count: 10, start: T0 - 4n * WINDOW_NS })]);
    const quiet = v.onWindowClosed([agg({ dest_ip: dest, up: 1000, down: 5000, start: T0 })]);
    expect(quiet).toEqual([]);
    const alerts = v.onWindowClosed([
      agg({ dest_ip: dest, up: 20 * MB, down: 1 * MB, start: T0 + WINDOW_NS }),
      agg({ dest_ip: '198.51.100.21', up: 20 * MB, down: 1 * MB, start: T0 + WINDOW_NS }),
    ]);
    const est = alerts.find((a) => a.aggregate.dest_ip === dest);
    const fresh = alerts.find((a) => a.aggregate.dest_ip === '198.51.100.21');
    expect(est?.severity).toBe('high');
    expect(fresh?.severity).toBe('high');
    expect(est?.destination_established).toBe(true);
    expect(est?.notes).toContain('destination established: 11 flows from this host in the prior 7 days (>= 10); severity kept');
    expect(est?.risk.score_breakdown[0]?.score).toBe(0);
    expect(est?.risk.score_breakdown[0]?.explanation).toMatch(/informational/);
    expect(fresh?.destination_established).toBe(false);
    expect(fresh?.risk.score_breakdown[0]?.score).toBe(1);
    // Volume anomaly now has history for the established group: 20 MB vs a mean of 1000 bytes.
    expect(est?.risk.score_breakdown[1]?.score).toBe(1);
    v.close();
  });

  it('a 9-flow history is not established', () => {
    const v = verdict();
    v.onWindowClosed([agg({ up: 1000, down: 5000, unique_flows: 9, start: T0 - WINDOW_NS })]);
    const [a] = v.onWindowClosed([agg({ up: 5 * MB, down: 0 })]);
    expect(a?.destination_established).toBe(false);
    expect(a?.risk.score_breakdown[0]?.score).toBeCloseTo(0.1, 4);
    v.close();
  });

  it('notes a capture loss: figures are lower bounds', () => {
    const v = verdict();
    const [a] = v.onWindowClosed([agg({ up: 5 * MB, lower_bound: true })]);
    expect(a?.notes).toContain('the capture lost packets in this window: upload and download figures are lower bounds');
    v.close();
  });

  it('off-hours, asset tier, fingerprint rarity and sustained sessions reach the score', () => {
    const night = nsOf('2024-03-16T01:00:00Z'); // Saturday
    const fp = (a: WindowAggregate) => (a.src_ip === '10.0.0.99' ? { ja4: 't13d_rare', sni: 'x.filedrop.example' } : { ja4: 't13d_common' });
    const v = verdict({ evidence: fp }, { assets: [{ cidr: '10.0.0.99/32', tier: 1, name: 'finance-db' }] });
    // Forty hosts presenting the common fingerprint, earlier.
    v.onWindowClosed(
      Array.from({ length: 40 }, (_, i) => agg({ src_ip: `10.0.1.${i}`, up: 100, down: 100, start: night - 8n * WINDOW_NS })),
    );
    // The same connection was the largest in the two previous windows (>= 900 s proven).
    for (const k of [2n, 1n]) v.onWindowClosed([agg({ src_ip: '10.0.0.99', dest_ip: '198.51.100.5', up: 800 * 1024, down: 0, cid: 'long', start: night - k * WINDOW_NS })]);
    const alerts = v.onWindowClosed([agg({ src_ip: '10.0.0.99', dest_ip: '198.51.100.5', up: 200 * MB, down: 1 * MB, cid: 'long', start: night })]);
    const a = alerts.find((x) => x.detection === 'window');
    const f = (n: string) => a?.risk.score_breakdown.find((x) => x.name === n);
    expect(f('off_hours')?.score).toBe(1);
    expect(f('asset_criticality')?.score).toBe(1);
    expect(f('asset_criticality')?.explanation).toMatch(/finance-db/);
    expect(f('process_rarity')?.score).toBe(1);
    expect(f('process_rarity')?.explanation).toMatch(/JA4 t13d_rare seen on 0 of 40 other fingerprinted hosts/);
    expect(f('connection_pattern')?.score).toBe(0.4);
    expect(f('connection_pattern')?.explanation).toMatch(/sustained session: the same connection \(long\)/);
    expect(a?.risk.risk_level).toMatch(/high|critical/);
    v.close();
  });

  it('is deterministic: same input twice gives identical output, in any input order', () => {
    const deps: Partial<VerdictDeps> = {
      iocs: c2,
      names: (ip) => (ip.startsWith('52.216.') ? ['b.s3.amazonaws.com'] : []),
      geo: (ip) => ({ country: 'US', asn: 16509, org: ip.startsWith('52.') ? 'Amazon.com' : 'Other' }),
    };
    const windows = [0n, 1n, 2n, 3n].map((k) => [
      agg({ src_ip: '10.0.0.1', dest_ip: '52.216.0.1', up: 6 * MB, down: 1 * MB, start: T0 + k * WINDOW_NS, cid: `a${k}` }),
      agg({ src_ip: '10.0.0.1', dest_ip: '52.216.0.2', up: 6 * MB, down: 1 * MB, start: T0 + k * WINDOW_NS, cid: `b${k}` }),
      agg({ src_ip: '10.0.0.2', dest_ip: '192.0.2.66', up: 10, down: 10, start: T0 + k * WINDOW_NS, cid: `c${k}` }),
      agg({ src_ip: '10.0.0.3', dest_ip: '198.51.100.7', up: 300 * 1024, down: 0, start: T0 + k * WINDOW_NS, cid: `d${k}` }),
      agg({ src_ip: '10.0.0.4', dest_ip: '198.51.100.8', up: 150 * MB, down: 1 * MB, start: T0 + k * WINDOW_NS, cid: `e${k}` }),
    ]);
    const run = (reverse: boolean) => {
      const v = verdict(deps);
      const out = windows.map((w) => v.onWindowClosed(reverse ? [...w].reverse() : w));
      v.close();
      return out;
    };
    const a = run(false);
    const b = run(true);
    expect(b).toEqual(a);
    expect(JSON.stringify(a, (_k, x) => (typeof x === 'bigint' ? x.toString() : x))).toBe(
      JSON.stringify(b, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)),
    );
    const kinds = a.flat().map((x) => x.detection);
    expect(kinds).toContain('consolidated');
    expect(kinds).toContain('low_and_slow');
    // Sorted by window, then severity (critical first), then id.
    for (const w of a) {
      const ranks = w.map((x) => ['low', 'medium', 'high', 'critical'].indexOf(x.severity));
      expect([...ranks].sort((p, q) => q - p)).toEqual(ranks);
    }
    // Ids are unique across all windows.
    const ids = a.flat().map((x) => x.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('replaying a window on the same instance gives the same alerts', () => {
    const v = verdict();
    const w = [agg({ up: 5 * MB, down: 0, unique_flows: 3 })];
    v.onWindowClosed([agg({ up: 1 * MB, down: 0, start: T0 - WINDOW_NS })]);
    const first = v.onWindowClosed(w);
    const again = v.onWindowClosed(w);
    expect(again).toEqual(first);
    v.close();
  });

  it('judges several windows in one call in window order', () => {
    const v = verdict();
    const alerts = v.onWindowClosed([
      agg({ up: 5 * MB, start: T0 + WINDOW_NS }),
      agg({ up: 200 * MB, start: T0 }),
      agg({ src_ip: '10.0.0.6', up: 200 * MB, start: T0 + WINDOW_NS }),
    ]);
    expect(alerts.map((a) => [a.aggregate.window_start_ns - T0, a.severity])).toEqual([
      [0n, 'critical'],
      [WINDOW_NS, 'critical'],
      [WINDOW_NS, 'low'],
    ]);
    expect(v.stats.windows).toBe(2);
    // The second window saw the first in its history.
    expect(alerts[2]?.risk.score_breakdown[1]?.score).toBe(0);
    v.close();
  });

  it('reconfigure applies new thresholds from the next window and refuses a new baseline path', () => {
    const v = verdict();
    expect(v.onWindowClosed([agg({ up: 1.5 * MB, down: 0 })])).toHaveLength(1);
    const o = options();
    v.reconfigure({ ...o, ladder: { ...o.ladder, low: [{ min_ratio: 2, min_upload_bytes: 2 * MB }] } });
    expect(v.onWindowClosed([agg({ up: 1.5 * MB, down: 0, start: T0 + WINDOW_NS })])).toEqual([]);
    expect(() => v.reconfigure({ ...o, baseline: { ...o.baseline, path: '/tmp/other.sqlite' } })).toThrow(/restart/);
    expect(() => v.reconfigure({ ...o, business_hours: { ...o.business_hours, timezone: 'Nowhere/Land' } })).toThrow(/time zone/);
    // A refused reload leaves the running options in place: no window alert, but the two 1.5 MB
    // windows now below the 2 MB floor add up to a low-and-slow finding.
    const third = v.onWindowClosed([agg({ up: 1.5 * MB, down: 0, start: T0 + 2n * WINDOW_NS })]);
    expect(third.map((a) => [a.detection, a.severity, a.aggregate.total_upload_bytes])).toEqual([['low_and_slow', 'low', 3 * MB]]);
    v.close();
  });
});
