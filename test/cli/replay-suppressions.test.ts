/**
 * Pulled suppressions end to end with real processes (compiled programs: `npm run build` first):
 * a collector runs, an analyst creates a suppression for one destination through the API, a
 * sensor `replay --collector` pulls it before the first packet, and the alert to that destination
 * is not raised, not sent and not stored, while the shadow counters show the match. A control
 * replay without a suppression shows the same alert is otherwise raised and delivered.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoCapture } from '../../agent/demo.js';
import { REPO } from '../helpers/corpus.js';
import { startCollectorProcess } from '../helpers/collector.js';
import { HAVE_TOOLS } from '../helpers/pcapgen.js';

const ANALYST = 'demo-analyst-token';
const SENSOR_TOKEN = 'demo-sensor-token';
const SENSOR_ID = 'exfil-sensor';

const procs: ChildProcess[] = [];
const dirs: string[] = [];
afterAll(() => {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function startCollector(dataDir: string): Promise<{ proc: ChildProcess; url: string }> {
  const c = await startCollectorProcess(dataDir);
  procs.push(c.proc);
  return c;
}

interface Run {
  code: number | null;
  stderr: string;
  logs: Record<string, unknown>[];
}

function replay(args: string[]): Promise<Run> {
  const proc = spawn(process.execPath, [path.join(REPO, 'bin', 'exfil-sensor.js'), 'replay', ...args], {
    env: { ...process.env, EXFIL_SENSOR_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  procs.push(proc);
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) =>
    proc.on('exit', (code) => {
      const logs = stderr
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      resolve({ code, stderr, logs });
    }),
  );
}

async function api(url: string, method: 'GET' | 'POST', p: string, body?: unknown): Promise<{ status: number; json: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const r = await request(`${url}${p}`, {
    method,
    headers: { authorization: `Bearer ${ANALYST}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: r.statusCode, json: await r.body.json() };
}

interface AlertLine {
  id: string;
  aggregate: { dest_ip: string };
}

describe.skipIf(!HAVE_TOOLS)('suppressions created on the collector, applied by the sensor', () => {
  let pcap = '';
  beforeAll(() => {
    pcap = demoCapture(() => undefined, 60);
  }, 300_000);

  it('an analyst suppression for one destination stops that alert at the sensor; shadow counters show the match', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'exfil-sup-e2e-'));
    dirs.push(dir);
    const cfgFile = path.join(dir, 'sensor.yaml');
    const cfgText = (spool: string): string =>
      [
        `sensor_id: ${SENSOR_ID}`,
        'home_net: [10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, "2001:db8:1000::/48"]',
        'workers: 2',
        'collector:',
        `  token: ${SENSOR_TOKEN}`,
        'transport:',
        `  spool: {path: ${JSON.stringify(spool)}}`,
        '  batch: {max_age: 100ms}',
        '  drain_timeout: 2m',
        '',
      ].join('\n');

    // Control: a collector without suppressions gets every alert.
    const control = await startCollector(path.join(dir, 'data-control'));
    writeFileSync(cfgFile, cfgText(path.join(dir, 'spool-control')));
    const base = await replay([pcap, '--config', cfgFile, '--collector', control.url, '--alerts', path.join(dir, 'control.jsonl'), '--no-progress']);
    expect(base.code, base.stderr.slice(-2000)).toBe(0);
    const baseAlerts = readFileSync(path.join(dir, 'control.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AlertLine);
    expect(baseAlerts.length).toBeGreaterThanOrEqual(2);
    const target = baseAlerts[0]!.aggregate.dest_ip;
    const others = baseAlerts.filter((a) => a.aggregate.dest_ip !== target);
    expect(others.length).toBeGreaterThan(0);
    control.proc.kill('SIGTERM');

    // The analyst suppresses that destination for this sensor (expiry: a week of wall clock; the
    // sensor compares it with packet time, and the capture is from 2024).
    const collector = await startCollector(path.join(dir, 'data'));
    const expires = new Date(Date.now() + 7 * 86_400_000).toISOString();
    const created = await api(collector.url, 'POST', '/api/v1/suppressions', {
      sensor_id: SENSOR_ID,
      scope: { dest: target },
      reason: 'sanctioned partner upload',
      expires_at: expires,
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const supId = `collector:${String(created.json.id)}`;

    writeFileSync(cfgFile, cfgText(path.join(dir, 'spool')));
    const run = await replay([pcap, '--config', cfgFile, '--collector', collector.url, '--alerts', path.join(dir, 'alerts.jsonl'), '--no-progress']);
    expect(run.code, run.stderr.slice(-2000)).toBe(0);

    // Not raised (the local alert output) ...
    const raised = readFileSync(path.join(dir, 'alerts.jsonl'), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as AlertLine);
    expect(raised.map((a) => a.aggregate.dest_ip)).not.toContain(target);
    expect(raised.map((a) => a.id).sort()).toEqual(others.map((a) => a.id).sort());
    // ... not delivered: the collector stores exactly the others.
    const stored = await api(collector.url, 'GET', '/api/v1/alerts?page=1');
    expect(stored.status).toBe(200);
    expect((stored.json.alerts as { id: string }[]).map((a) => a.id).sort()).toEqual(others.map((a) => a.id).sort());
    // ... and counted: the pulled entry's shadow counters, in the log line and in the verdict stats.
    const shadow = run.logs.find((l) => l.msg === 'suppression shadow accounting' && l.suppression === supId);
    expect(shadow, run.stderr.slice(-3000)).toMatchObject({ source: 'collector', reason: 'sanctioned partner upload', alerts_suppressed: 1 });
    expect(shadow!.groups_matched as number).toBeGreaterThanOrEqual(1);
    const finished = run.logs.find((l) => l.msg === 'replay finished') as { verdict: { alerts: number; suppressions: { entries: number; alerts_suppressed: number } } } | undefined;
    expect(finished?.verdict.suppressions).toMatchObject({ entries: 1, alerts_suppressed: 1 });
    expect(finished?.verdict.alerts).toBe(others.length);
    const delivered = run.logs.find((l) => l.msg === 'alerts delivered to the collector');
    expect(delivered).toMatchObject({ drained: true, remaining: 0, quarantined: 0 });
    collector.proc.kill('SIGTERM');
  }, 300_000);
});
