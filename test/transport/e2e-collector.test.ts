/**
 * Sensor -> collector fault test with real processes (compiled programs: `npm run build` first):
 * the collector is down when `exfil-sensor replay --collector` starts on a pcapgen capture,
 * the sensor spools and retries (connection refused), the collector comes back on the same port
 * and data folder, and every alert arrives once. A second replay of the same capture re-sends
 * every alert (at least once): the collector counts them as duplicates and stores nothing twice.
 * Figures are printed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { startCollectorProcess } from '../helpers/collector.js';
import { HAVE_TOOLS, pcapgen } from '../helpers/pcapgen.js';
import { tempDir } from './helpers.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ANALYST = 'demo-analyst-token';
const SENSOR_TOKEN = 'demo-sensor-token';

const procs: ChildProcess[] = [];
afterAll(() => {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
});

async function startCollector(dataDir: string, port: number): Promise<{ proc: ChildProcess; url: string }> {
  const c = await startCollectorProcess(dataDir, port);
  procs.push(c.proc);
  return c;
}

function stopCollector(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    proc.removeAllListeners('exit');
    proc.on('exit', () => resolve());
    proc.kill('SIGTERM');
  });
}

interface SensorRun {
  code: number | null;
  stderr: string;
  logs: Record<string, unknown>[];
}

/** Start a replay; `onLog` sees every JSON log line as it comes. */
function replay(args: string[], onLog: (l: Record<string, unknown>) => void = () => undefined): Promise<SensorRun> {
  const proc = spawn(process.execPath, [path.join(REPO, 'bin', 'exfil-sensor.js'), 'replay', ...args], {
    env: { ...process.env, EXFIL_SENSOR_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  procs.push(proc);
  let stderr = '';
  let partial = '';
  const logs: Record<string, unknown>[] = [];
  proc.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    partial += d.toString();
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const l of lines) {
      if (!l.startsWith('{')) continue;
      const j = JSON.parse(l) as Record<string, unknown>;
      logs.push(j);
      onLog(j);
    }
  });
  return new Promise((resolve) => proc.on('exit', (code) => resolve({ code, stderr, logs })));
}

async function api(url: string, p: string): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const r = await request(`${url}${p}`, { headers: { authorization: `Bearer ${ANALYST}` } });
  expect(r.statusCode).toBe(200);
  return r.body.json();
}

/** Every stored alert id (all pages). */
async function storedIds(url: string): Promise<string[]> {
  const ids: string[] = [];
  for (let page = 1; ; page++) {
    const r = await api(url, `/api/v1/alerts?page=${page}`);
    ids.push(...(r.alerts as { id: string }[]).map((a) => a.id));
    if (page * r.per_page >= r.total) return ids;
  }
}

describe.skipIf(!HAVE_TOOLS)('sensor -> collector with the collector down for a while', () => {
  it('spools while the collector is down, delivers every alert once after it restarts, and a re-send stores nothing twice', async () => {
    const cap = pcapgen(0.05, 1);
    const dir = tempDir('exfil-e2e-');
    const data = path.join(dir, 'collector-data');
    const spool = path.join(dir, 'spool');
    const alertsFile = path.join(dir, 'alerts.jsonl');
    const cfgFile = path.join(dir, 'sensor.yaml');
    writeFileSync(
      cfgFile,
      [
        'sensor_id: exfil-sensor',
        'collector:',
        `  token: ${SENSOR_TOKEN}`,
        'transport:',
        `  spool: {path: ${JSON.stringify(spool)}}`,
        '  batch: {max_alerts: 2000, max_age: 100ms}',
        '  retry: {initial_backoff: 100ms, max_backoff: 1s}',
        '  drain_timeout: 5m',
        '',
      ].join('\n'),
    );

    // Learn a port the collector can have, then take it down.
    const first = await startCollector(data, 0);
    const port = Number(new URL(first.url).port);
    await stopCollector(first.proc);

    let restarted: Promise<{ proc: ChildProcess; url: string }> | null = null;
    const run = await replay([cap.pcap, '--config', cfgFile, '--collector', first.url, '--alerts', alertsFile, '--no-progress'], (l) => {
      // The sensor found the collector down and is retrying: bring it back.
      if (!restarted && l.msg === 'collector delivery failed; will retry') restarted = startCollector(data, port);
    });
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    expect(restarted).not.toBeNull();
    const collector = await restarted!;

    const produced = readFileSync(alertsFile, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { id: string }).id);
    const retries = run.logs.filter((l) => l.msg === 'collector delivery failed; will retry');
    const done = run.logs.find((l) => l.msg === 'alerts delivered to the collector');
    const finished = run.logs.find((l) => l.msg === 'replay finished');
    expect(done, 'the replay reports delivery').toBeTruthy();
    expect(done).toMatchObject({ drained: true, remaining: 0, quarantined: 0, dropped_by_cap: 0 });
    expect(retries.length).toBeGreaterThan(0);
    expect(retries.some((l) => l.status === 'ECONNREFUSED')).toBe(true);

    const stored = await storedIds(collector.url);
    expect(produced.length).toBeGreaterThan(0);
    expect(stored.length).toBe(produced.length);
    expect(new Set(stored)).toEqual(new Set(produced));

    // Same capture again into the same collector: every alert is sent again and recognised.
    const again = await replay([cap.pcap, '--config', cfgFile, '--collector', collector.url, '--alerts', path.join(dir, 'alerts2.jsonl'), '--no-progress']);
    expect(again.code, again.stderr.slice(-2000)).toBe(0);
    const done2 = again.logs.find((l) => l.msg === 'alerts delivered to the collector');
    expect(done2).toMatchObject({ drained: true, remaining: 0 });
    const storedAfter = await storedIds(collector.url);
    expect(storedAfter.length).toBe(produced.length);
    expect(done2!.duplicates as number).toBeGreaterThanOrEqual(produced.length);

    const windows = (finished?.windows as number | undefined) ?? 0;
    const figures = {
      capture: path.basename(cap.pcap),
      alerts_produced: produced.length,
      windows_produced: windows,
      records_acked_first_run: done!.acked,
      requests_first_run: done!.requests,
      retries_while_down: retries.length,
      alerts_stored: stored.length,
      duplicate_alerts_stored: stored.length - new Set(stored).size,
      resend_duplicates_reported: done2!.duplicates,
      alerts_stored_after_resend: storedAfter.length,
    };
    process.stdout.write(`e2e sensor -> collector figures: ${JSON.stringify(figures)}\n`);
    expect(figures.duplicate_alerts_stored).toBe(0);
    // Every record the sensor produced (alerts and windows) was acknowledged by the collector.
    expect(done!.acked).toBe(produced.length + windows);
    await stopCollector(collector.proc);
  });
});
