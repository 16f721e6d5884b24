/**
 * Sensor metrics (SPEC section 7): after a real replay through `runReplay` the Prometheus text
 * agrees with the replay's summary (packets, bytes, flows by end reason, windows, evidence,
 * engine counters); the HTTP endpoint serves it on GET /metrics and nothing else; a bad or busy
 * address is a clear error; `exfil-sensor replay --metrics` serves while it runs.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type SensorConfig } from '../../agent/config/load.js';
import { ErrorCodes } from '../../agent/errors.js';
import { SensorMetrics, parseListen, serveMetrics } from '../../agent/obs/metrics.js';
import { runReplay } from '../../agent/sensor.js';
import { runCli } from '../helpers/cli.js';
import { REPO } from '../helpers/corpus.js';
import { HAVE_TOOLS, pcapgen } from '../helpers/pcapgen.js';

/** `name{labels} value` lines of the exposition as a map. */
function samples(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    m.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return m;
}

const sum = (m: Map<string, number>, prefix: string): number => [...m].filter(([k]) => k.startsWith(prefix)).reduce((a, [, v]) => a + v, 0);

describe.skipIf(!HAVE_TOOLS)('sensor metrics after a replay', () => {
  it('agree with the replay summary', { timeout: 120_000 }, async () => {
    const cap = pcapgen(0.01);
    const cfg: SensorConfig = { ...DEFAULT_CONFIG, workers: 2 };
    const metrics = new SensorMetrics();
    const live: number[] = [];
    const orig = metrics.onCounters.bind(metrics);
    metrics.onCounters = (c) => {
      live.push(c.packets ?? 0);
      orig(c);
    };
    const run = await runReplay([cap.pcap], cfg, { metrics });
    const m = samples(await metrics.text());
    expect(m.get('exfil_sensor_packets_total')).toBe(run.summary.packets);
    expect(m.get('exfil_sensor_capture_bytes_total')).toBe(run.summary.fileBytes);
    expect(sum(m, 'exfil_sensor_flows_total{')).toBe(run.summary.flows);
    expect(m.get('exfil_sensor_flows_total{reason="shutdown"}')).toBeGreaterThan(0);
    expect(m.get('exfil_sensor_windows_total')).toBe(run.summary.windows);
    expect(sum(m, 'exfil_sensor_evidence_records_total{')).toBe(run.summary.evidence);
    expect(m.get('exfil_sensor_evidence_records_total{event_type="tls"}')).toBeGreaterThan(0);
    expect(sum(m, 'exfil_sensor_alerts_total{')).toBe(run.alerts.length);
    expect(m.get('exfil_sensor_engine_total{counter="flows_created"}')).toBe(run.summary.counters.flows_created);
    expect(m.get('exfil_sensor_engine_total{counter="packets"}')).toBe(run.summary.counters.packets);
    // After the end-of-replay flush no flow is tracked.
    expect(m.get('exfil_sensor_flows_active')).toBe(0);
    expect(m.get('exfil_sensor_engine{gauge="bytes_per_flow"}')).toBe(run.summary.counters.bytes_per_flow);
    for (const reason of ['kernel', 'batch_full', 'memcap', 'frag_table_full', 'worker_lost']) expect(m.has(`exfil_sensor_drops_total{reason="${reason}"}`), reason).toBe(true);
    expect(m.get('exfil_sensor_spool_bytes')).toBe(0);
    // Counters arrived during the run too (at least one live snapshot before the final one),
    // never going backwards.
    expect(live.length).toBeGreaterThanOrEqual(2);
    expect(live.every((v, i) => i === 0 || v >= live[i - 1]!)).toBe(true);
    expect(live.at(-1)).toBe(run.summary.counters.packets);
  });
});

describe('metrics endpoint', () => {
  it('serves GET /metrics in the Prometheus text format, 404 for anything else', async () => {
    const metrics = new SensorMetrics();
    metrics.onAlert({ severity: 'high' });
    const server = await serveMetrics('127.0.0.1:0', metrics, null);
    try {
      const base = `http://127.0.0.1:${server.address.port}`;
      const ok = await fetch(`${base}/metrics`);
      expect(ok.status).toBe(200);
      expect(ok.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await ok.text();
      expect(text).toContain('# TYPE exfil_sensor_alerts_total counter');
      expect(samples(text).get('exfil_sensor_alerts_total{severity="high"}')).toBe(1);
      expect((await fetch(`${base}/other`)).status).toBe(404);
      expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it('rejects a malformed address and reports a busy one', async () => {
    expect(() => parseListen('localhost')).toThrow(/host:port/);
    expect(() => parseListen('1.2.3.4:70000')).toThrow(/host:port/);
    expect(parseListen('[::1]:9187')).toEqual({ host: '::1', port: 9187 });
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    const port = (busy.address() as { port: number }).port;
    try {
      await expect(serveMetrics(`127.0.0.1:${port}`, new SensorMetrics(), null)).rejects.toMatchObject({ code: ErrorCodes.METRICS });
    } finally {
      busy.close();
    }
  });

  it('exfil-sensor replay --metrics serves while the replay runs and logs where', { timeout: 120_000 }, async () => {
    if (!HAVE_TOOLS) return;
    const cap = pcapgen(0.01).pcap;
    // The endpoint is up before the first packet is read; a 384 MB replay gives seconds to scrape.
    const child = spawn(process.execPath, [path.join(REPO, 'bin', 'exfil-sensor.js'), 'replay', cap, '--workers', '1', '--metrics', '127.0.0.1:0'], {
      env: { ...process.env, EXFIL_SENSOR_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    let url: string | null = null;
    for await (const line of createInterface({ input: child.stderr })) {
      const m = /"msg":"metrics on (http:\/\/127\.0\.0\.1:\d+\/metrics)"/.exec(line);
      if (m) {
        url = m[1] ?? null;
        break;
      }
    }
    expect(url).not.toBeNull();
    const res = await fetch(url ?? '');
    expect(res.status).toBe(200);
    expect(samples(await res.text()).has('exfil_sensor_packets_total')).toBe(true);
    child.stderr.resume();
    expect(await exited).toBe(0);
    expect(runCli(['replay', cap, '--metrics', 'nowhere']).stderr).toMatch(/metrics address must be host:port/);
  });
});
