/**
 * Scoped suppressions in the verdict (agent/verdict/suppressions.ts): every scope kind, CIDRs of
 * both families, the domain regex on SNI / passive-DNS / session-evidence names, expiry in packet
 * time (never wall clock), shadow accounting, and pulled lists (refused entries, replacement).
 */
import type { Logger } from 'pino';
import { describe, expect, it } from 'vitest';
import type { AllowlistEntry } from '../../../agent/config/types.js';
import { Suppressions, type PulledSuppression } from '../../../agent/verdict/suppressions.js';
import type { ExfilAlert, WindowAggregate } from '../../../agent/verdict/types.js';
import { Verdict, type VerdictDeps } from '../../../agent/verdict/verdict.js';
import { agg, MB, nsOf, options, T0, WINDOW_NS } from './fixtures.js';

interface LogLine {
  level: 'warn' | 'info';
  obj: Record<string, unknown>;
  msg: string;
}

function recorder(): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const log = {
    warn: (obj: Record<string, unknown>, msg: string) => lines.push({ level: 'warn', obj, msg }),
    info: (obj: Record<string, unknown>, msg: string) => lines.push({ level: 'info', obj, msg }),
  } as unknown as Logger;
  return { log, lines };
}

function entry(name: string, scope: Partial<AllowlistEntry>, expires_at?: string): AllowlistEntry {
  return { name, reason: `reason ${name}`, owner: 'ops@example.com', ...(expires_at ? { expires_at } : {}), ...scope };
}

/** An uploading group that raises an alert on its own (12 MB up, 1 MB down). */
function loud(spec: Parameters<typeof agg>[0] = {}): WindowAggregate {
  return agg({ up: 12 * MB, down: 1 * MB, ...spec });
}

function run(sup: Suppressions, windows: WindowAggregate[][], deps: Partial<VerdictDeps> = {}): { alerts: ExfilAlert[]; v: Verdict } {
  const v = new Verdict(options(), { sensorId: 'sensor-a', suppressions: sup, ...deps });
  const alerts = windows.flatMap((w) => v.onWindowClosed(w));
  return { alerts, v };
}

const dests = (alerts: ExfilAlert[]): string[] => alerts.map((a) => `${a.aggregate.src_ip}>${a.aggregate.dest_ip}:${a.aggregate.dest_port}`).sort();

describe('scope kinds', () => {
  const window = [
    loud({ src_ip: '10.0.0.5', dest_ip: '198.51.100.10' }),
    loud({ src_ip: '10.0.1.7', dest_ip: '198.51.100.11' }),
    loud({ src_ip: '10.0.0.9', dest_ip: '203.0.113.20', dest_port: 22, app_proto: 'ssh' }),
    loud({ src_ip: '2001:db8:1000::5', dest_ip: '2001:db8:ffff::1' }),
  ];

  it('without entries every group alerts (the baseline the other cases compare with)', () => {
    const { alerts, v } = run(new Suppressions({ log: null }), [window]);
    expect(dests(alerts)).toHaveLength(4);
    expect(v.stats.suppressions).toMatchObject({ entries: 0, groups_suppressed: 0, alerts_suppressed: 0 });
  });

  it.each([
    ['src IPv4 CIDR', { src: ['10.0.0.0/24'] }, ['10.0.0.5>198.51.100.10:443', '10.0.0.9>203.0.113.20:22']],
    ['src IPv6 CIDR', { src: ['2001:db8:1000::/48'] }, ['2001:db8:1000::5>2001:db8:ffff::1:443']],
    ['dest host (bare address)', { dest: ['198.51.100.11'] }, ['10.0.1.7>198.51.100.11:443']],
    ['dest IPv6 CIDR', { dest: ['2001:db8:ff00::/40'] }, ['2001:db8:1000::5>2001:db8:ffff::1:443']],
    ['port', { port: [22, 8443] }, ['10.0.0.9>203.0.113.20:22']],
    ['app_proto', { app_proto: 'ssh' as const }, ['10.0.0.9>203.0.113.20:22']],
    ['src and port together (all given keys must match)', { src: ['10.0.0.0/24'], port: [443] }, ['10.0.0.5>198.51.100.10:443']],
  ])('%s suppresses exactly the groups in scope', (_name, scope, suppressed) => {
    const sup = new Suppressions({ config: [entry('e', scope)], log: null });
    const { alerts, v } = run(sup, [window]);
    const all = dests(run(new Suppressions({ log: null }), [window]).alerts);
    expect(dests(alerts)).toEqual(all.filter((d) => !suppressed.includes(d)));
    const s = v.stats.suppressions!;
    expect(s.alerts_suppressed).toBe(suppressed.length);
    expect(s.by_id).toEqual([expect.objectContaining({ id: 'config:e', source: 'config', groups_matched: suppressed.length, alerts_suppressed: suppressed.length, listed: true })]);
  });

  it('domain regex matches SNI and passive-DNS names, case-insensitive, and session-evidence names (HTTP host)', () => {
    const names: Record<string, string[]> = { '198.51.100.10': ['Backup.Example.COM'], '198.51.100.11': ['www.example.org'] };
    const deps: Partial<VerdictDeps> = {
      names: (ip) => names[ip] ?? [],
      evidence: (a) => (a.dest_ip === '203.0.113.20' ? { sni: 'eu.backup.example.com' } : null),
    };
    const sup = new Suppressions({ config: [entry('backup', { dest_domain_regex: '(^|\\.)backup\\.example\\.com$' })], log: null });
    const { alerts } = run(sup, [window], deps);
    expect(dests(alerts)).toEqual(['10.0.1.7>198.51.100.11:443', '2001:db8:1000::5>2001:db8:ffff::1:443']);

    // A name only the alert's session evidence knows (an HTTP Host header).
    const sup2 = new Suppressions({ config: [entry('host', { dest_domain_regex: '^upload\\.partner\\.net$' })], log: null });
    sup2.alertNames = (a) => (a.aggregate.dest_ip === '198.51.100.11' ? ['UPLOAD.partner.net'] : []);
    const { alerts: kept, v } = run(sup2, [window], deps);
    expect(dests(kept)).not.toContain('10.0.1.7>198.51.100.11:443');
    expect(kept).toHaveLength(3);
    expect(v.stats.suppressions!.by_id[0]).toMatchObject({ id: 'config:host', alerts_suppressed: 1, groups_matched: 0 });
  });

  it('a consolidated alert over several destination IPs is suppressed by a dest scope only when every IP is in it', () => {
    // Four 3 MB uploads from one host to one named entity on rotating IPs: no single group alerts.
    const ips = ['198.51.100.1', '198.51.100.2', '198.51.100.3', '198.51.100.4'];
    const rotating = ips.map((ip) => agg({ src_ip: '10.0.0.5', dest_ip: ip, up: 3 * MB, down: 0.1 * MB }));
    const deps: Partial<VerdictDeps> = { names: () => ['drop.example.net'] };
    const base = run(new Suppressions({ log: null }), [rotating], deps).alerts;
    expect(base.map((a) => a.detection)).toContain('consolidated');
    const partial = run(new Suppressions({ config: [entry('p', { dest: ['198.51.100.0/31'] })], log: null }), [rotating], deps).alerts;
    expect(partial.map((a) => a.detection)).toContain('consolidated');
    const whole = run(new Suppressions({ config: [entry('w', { dest: ['198.51.100.0/29'] })], log: null }), [rotating], deps);
    expect(whole.alerts.map((a) => a.detection)).not.toContain('consolidated');
    expect(whole.v.stats.suppressions!.by_id[0]).toMatchObject({ groups_matched: 4, alerts_suppressed: base.length });
  });
});

describe('expiry in packet time', () => {
  // Windows at T0 (2024-03-12 10:00Z), T0+15m, T0+30m; the entry expires at 10:20Z.
  const expires = '2024-03-12T10:20:00Z';
  const w = (k: number): WindowAggregate[] => [loud({ start: T0 + BigInt(k) * WINDOW_NS, dest_ip: '198.51.100.10' })];

  it('suppresses windows ending at or before expires_at, lets later windows alert, even though the wall clock is long past', () => {
    expect(Date.now()).toBeGreaterThan(Date.parse(expires));
    const { log, lines } = recorder();
    const sup = new Suppressions({ config: [entry('temp', { dest: ['198.51.100.10'] }, expires)], expiryWarningSeconds: 3600, log });
    const v = new Verdict(options(), { sensorId: 'sensor-a', suppressions: sup });
    // Window 10:00-10:15 ends before 10:20: suppressed; the warning fires (20 min left < 1 h).
    expect(v.onWindowClosed(w(0))).toEqual([]);
    expect(lines.filter((l) => l.level === 'warn').map((l) => l.obj.suppression)).toEqual(['config:temp']);
    expect(lines[0]!.obj).toMatchObject({ expires_at: '2024-03-12T10:20:00.000Z', packet_time: '2024-03-12T10:15:00.000Z', hours_left: 0.1 });
    // Window 10:15-10:30 ends after the expiry: it alerts, and the lapse is logged once.
    const late = v.onWindowClosed(w(1));
    expect(late).toHaveLength(1);
    expect(v.onWindowClosed(w(2))).toHaveLength(1);
    expect(lines.filter((l) => l.msg.includes('lapsed'))).toHaveLength(1);
    expect(lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    expect(v.stats.suppressions).toMatchObject({ expiry_warnings: 1, alerts_suppressed: 1, groups_suppressed: 1 });
    expect(v.stats.suppressions!.by_id[0]).toMatchObject({ lapsed: true, groups_matched: 1, alerts_suppressed: 1, last_match: '2024-03-12T10:00:00.000Z' });
  });

  it('warns only inside the warning period', () => {
    const { log, lines } = recorder();
    const sup = new Suppressions({ config: [entry('far', { port: [1] }, '2024-03-20T00:00:00Z')], expiryWarningSeconds: 86_400, log });
    sup.observeGroups([], nsOf('2024-03-18T00:00:00Z'));
    expect(lines).toEqual([]);
    sup.observeGroups([], nsOf('2024-03-19T06:00:00Z'));
    expect(lines.map((l) => [l.level, l.obj.hours_left])).toEqual([['warn', 18]]);
  });
});

describe('shadow accounting', () => {
  it('counts groups in scope that raise no alert, and shows an entry that matches nothing', () => {
    const quiet = agg({ src_ip: '10.0.0.5', dest_ip: '198.51.100.10', up: 1000, down: 1000 });
    const sup = new Suppressions({
      config: [entry('wide', { src: ['10.0.0.0/8'] }), entry('never', { dest: ['192.0.2.0/24'] })],
      log: null,
    });
    const { alerts, v } = run(sup, [[quiet, loud({ src_ip: '10.0.0.6' })], [agg({ start: T0 + WINDOW_NS, up: 10, down: 10 })]]);
    expect(alerts).toEqual([]);
    const s = v.stats.suppressions!;
    expect(s).toMatchObject({ entries: 2, groups_suppressed: 3, alerts_suppressed: 1 });
    expect(s.by_id.find((e) => e.id === 'config:wide')).toMatchObject({ groups_matched: 3, alerts_suppressed: 1 });
    expect(s.by_id.find((e) => e.id === 'config:never')).toMatchObject({ groups_matched: 0, alerts_suppressed: 0, last_match: null });
    // Suppressed groups are still recorded in the baseline (the window is judged as usual).
    expect(v.stats.groups).toBe(3);
  });
});

describe('pulled lists', () => {
  const good: PulledSuppression = { id: 7, scope: { dest: '198.51.100.10', port: 443 }, reason: 'vendor', owner: 'analyst', expires_at: null };

  it('refuses bad entries one by one (logged, counted) and applies the rest', () => {
    const { log, lines } = recorder();
    const sup = new Suppressions({ log });
    sup.setRemote([
      good,
      { id: 8, scope: {}, reason: 'r', owner: 'o', expires_at: null },
      { id: 9, scope: { src: '10.0.0.300/8' }, reason: 'r', owner: 'o', expires_at: null },
      { id: 10, scope: { domain_regex: 'a'.repeat(201) }, reason: 'r', owner: 'o', expires_at: null },
      { id: 11, scope: { host: 'x' } as never, reason: 'r', owner: 'o', expires_at: null },
      { id: 12, scope: { domain_regex: '(' }, reason: 'r', owner: 'o', expires_at: null },
    ]);
    const s = sup.stats();
    expect(s).toMatchObject({ entries: 1, rejected: 5 });
    expect(lines.filter((l) => l.level === 'warn').map((l) => l.obj.suppression)).toEqual(['collector:8', 'collector:9', 'collector:10', 'collector:11', 'collector:12']);
    const { alerts } = run(sup, [[loud({ dest_ip: '198.51.100.10' }), loud({ dest_ip: '198.51.100.11' })]]);
    expect(alerts.map((a) => a.aggregate.dest_ip)).toEqual(['198.51.100.11']);
    expect(sup.stats().by_id).toEqual([expect.objectContaining({ id: 'collector:7', source: 'collector', reason: 'vendor', alerts_suppressed: 1 })]);
  });

  it('a new pull replaces the previous one; config entries stay; counters of a removed entry stay visible', () => {
    const sup = new Suppressions({ config: [entry('cfg', { port: [22] })], log: null });
    sup.setRemote([good]);
    run(sup, [[loud({ dest_ip: '198.51.100.10' })]]);
    sup.setRemote([]);
    const { alerts } = run(sup, [[loud({ dest_ip: '198.51.100.10' }), loud({ dest_ip: '198.51.100.12', dest_port: 22 })]]);
    expect(alerts.map((a) => a.aggregate.dest_ip)).toEqual(['198.51.100.10']);
    const s = sup.stats();
    expect(s.entries).toBe(1);
    expect(s.by_id.find((e) => e.id === 'collector:7')).toMatchObject({ listed: false, alerts_suppressed: 1 });
    expect(s.by_id.find((e) => e.id === 'config:cfg')).toMatchObject({ listed: true, alerts_suppressed: 1 });
  });
});
