/**
 * `exfil-sensor demo` (npm start): the main job on embedded defaults (SPEC section 9). It
 * 1. builds the project's deterministic traffic generator (../shared/tools/pcapgen.c) and makes a
 *    5-minute enterprise capture with two exfiltration flows (about 240 MB, cached in the temp
 *    folder; far too large to ship in the repository);
 * 2. starts a real local collector (`bin/exfil-collector.js`, a child process on 127.0.0.1, port
 *    8780 or any free port when that is taken, embedded demo defaults with a fresh SQLite data
 *    folder in the temp folder) and reads its demo sensor and analyst tokens from what it prints;
 * 3. replays the capture through the whole pipeline (workers, windows, verdict) with the alert
 *    transport pointed at the collector (as `replay --collector` does: the suppressions are pulled
 *    once before the first packet, the spool drains at the end);
 * 4. prints the alerts with their evidence, what the collector stored (read back through the
 *    analyst API: count, every sent id found, duplicates) and the page URL with the analyst token;
 * 5. keeps the collector running for the page until Ctrl-C (SIGINT/SIGTERM stop the child cleanly
 *    and remove its data folder), but only when stdout is a terminal: piped or scripted runs (CI,
 *    tests, `npm start | tee`) and `--exit` stop after printing; `--keep` keeps it running anyway.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { DEFAULT_CONFIG, type SensorConfig } from './config/load.js';
import { evidenceLine } from './evidence/flow-evidence.js';
import { alertSignature } from './output/alert-events.js';
import { logShadowAccounting, Suppressions } from './verdict/suppressions.js';
import { logger, setLogLevel } from './obs/logger.js';
import { ErrorCodes, SensorError, UsageError } from './errors.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), fileURLToPath(import.meta.url).includes(`${path.sep}dist${path.sep}`) ? '../..' : '..');

/** The collector's port when it is free (else any free port). */
export const DEMO_PORT = 8780;

export const DEMO_USAGE = `usage: exfil-sensor demo [--exit | --keep] [--port N] [--duration S] [--capture FILE] [--workers N]

  --exit        stop the collector and exit after printing (the default when stdout is not a terminal)
  --keep        keep the collector running for the web page until Ctrl-C even when stdout is not a terminal
  --port N      collector port (default ${DEMO_PORT}; taken -> any free port; 0 = any free port)
  --duration S  length of the generated capture in seconds (default 300)
  --capture F   replay this capture instead of generating one
  --workers N   flow worker threads (default: number of cores)
`;

/** Where the shared tools are: EXFIL_SHARED_DIR, else ../shared beside the checkout. */
function sharedDir(): string {
  return process.env.EXFIL_SHARED_DIR ?? path.resolve(repo, '../shared');
}

export function demoCapture(log: (s: string) => void, durationS = 300): string {
  const src = path.join(sharedDir(), 'tools', 'pcapgen.c');
  if (!existsSync(src)) {
    throw new SensorError(ErrorCodes.CAPTURE_OPEN, `demo needs the traffic generator at ${src} (set EXFIL_SHARED_DIR to the folder holding tools/pcapgen.c)`);
  }
  const dir = path.join(os.tmpdir(), 'exfil-sensor-demo');
  mkdirSync(dir, { recursive: true });
  const bin = path.join(dir, 'pcapgen');
  if (!existsSync(bin) || statSync(bin).mtimeMs < statSync(src).mtimeMs) {
    log(`building ${src}`);
    execFileSync('cc', ['-O2', '-o', bin, src, '-lm'], { stdio: 'inherit' });
  }
  const base = durationS === 300 ? 'demo' : `demo-d${durationS}`;
  const pcap = path.join(dir, `${base}.pcap`);
  const stamp = path.join(dir, `${base}.done`);
  if (!existsSync(stamp) || !existsSync(pcap) || readFileSync(stamp, 'utf8') !== String(statSync(pcap).size)) {
    log(`generating the demo capture (pcapgen -s 0.002 -d ${durationS} -S 1) into ${pcap}`);
    execFileSync(bin, ['-s', '0.002', '-d', String(durationS), '-S', '1', '-o', pcap, '-t', path.join(dir, `${base}.truth.csv`)], { stdio: 'ignore' });
    writeFileSync(stamp, String(statSync(pcap).size));
  }
  return pcap;
}

function mib(n: number): string {
  return (n / 1_048_576).toFixed(1);
}

/** The local collector child and what it printed at start. */
interface LocalCollector {
  proc: ChildProcess;
  url: string;
  sensorId: string;
  sensorToken: string;
  analystToken: string;
  pageUrl: string;
}

/**
 * Collector children not yet exited, from the moment they are spawned: a signal that arrives
 * while one is still starting (before `startCollector` resolved) must stop it too.
 */
const liveChildren = new Set<ChildProcess>();

/** Start `bin/exfil-collector.js` on 127.0.0.1:`port`; resolves once it printed its tokens and page URL. */
function startCollector(dataDir: string, port: number): Promise<LocalCollector> {
  const proc = spawn(process.execPath, [path.join(repo, 'bin', 'exfil-collector.js'), '--host', '127.0.0.1', '--port', String(port)], {
    env: { ...process.env, EXFIL_COLLECTOR_DATA: dataDir, EXFIL_COLLECTOR_LOG_LEVEL: process.env.EXFIL_COLLECTOR_LOG_LEVEL ?? 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  liveChildren.add(proc);
  proc.once('exit', () => liveChildren.delete(proc));
  let out = '';
  let err = '';
  let ready = false;
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null, signal: string | null): void =>
      reject(new SensorError(ErrorCodes.TRANSPORT_COLLECTOR, `local collector on port ${port} exited (${signal ?? `code ${code}`}) before it was ready: ${err.trim() || out.trim()}`));
    proc.once('exit', onExit);
    proc.once('error', (e) => reject(new SensorError(ErrorCodes.TRANSPORT_COLLECTOR, `cannot start the local collector: ${e.message}`)));
    proc.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      // After start, its own warnings go to our stderr.
      if (ready) process.stderr.write(d);
    });
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
      const sensor = /demo sensor '([^']+)' token: (\S+)/.exec(out);
      const page = /web page: (\S+#token=(\S+))/.exec(out);
      if (url && sensor && page) {
        proc.removeListener('exit', onExit);
        ready = true;
        resolve({ proc, url, sensorId: sensor[1]!, sensorToken: sensor[2]!, analystToken: page[2]!, pageUrl: page[1]! });
      }
    });
  });
}

function stopChild(proc: ChildProcess): Promise<number | null> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve(proc.exitCode);
  return new Promise((resolve) => {
    const kill = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    proc.once('exit', (code) => {
      clearTimeout(kill);
      resolve(code);
    });
    proc.kill('SIGTERM');
  });
}

/** Every alert id the collector stores, through the analyst API (all pages). */
async function storedAlertIds(url: string, token: string): Promise<string[]> {
  const ids: string[] = [];
  for (let page = 1; ; page++) {
    const r = await request(`${url}/api/v1/alerts?page=${page}`, { headers: { authorization: `Bearer ${token}` } });
    const body = (await r.body.json()) as { total?: number; per_page?: number; alerts?: { id: string }[] };
    if (r.statusCode !== 200 || !Array.isArray(body.alerts)) {
      throw new SensorError(ErrorCodes.TRANSPORT_COLLECTOR, `GET ${url}/api/v1/alerts?page=${page}: HTTP ${r.statusCode}`);
    }
    ids.push(...body.alerts.map((a) => a.id));
    if (body.alerts.length === 0 || page * (body.per_page ?? 50) >= (body.total ?? 0)) return ids;
  }
}

function parseDemoArgs(args: string[]): { exit: boolean; keep: boolean; port: number; duration: number; capture: string | null; workers: number } {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        exit: { type: 'boolean', default: false },
        keep: { type: 'boolean', default: false },
        port: { type: 'string' },
        duration: { type: 'string' },
        capture: { type: 'string' },
        workers: { type: 'string' },
      },
    }));
  } catch (e) {
    throw new UsageError(`demo: ${(e as Error).message}`);
  }
  const int = (name: string, v: string | undefined, min: number, max: number, dflt: number): number => {
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`demo: --${name} must be an integer in ${min}..${max}, got '${v}'`);
    return n;
  };
  if (values.exit && values.keep) throw new UsageError('demo: --exit and --keep exclude each other');
  return {
    exit: values.exit === true,
    keep: values.keep === true,
    port: int('port', values.port, 0, 65535, DEMO_PORT),
    duration: int('duration', values.duration, 10, 86_400, 300),
    capture: values.capture ?? null,
    workers: int('workers', values.workers, 1, 64, os.availableParallelism()),
  };
}

export async function demo(args: string[]): Promise<number> {
  const o = parseDemoArgs(args);
  const log = (s: string): void => {
    process.stdout.write(`${s}\n`);
  };
  // The demo's own output is on stdout; the components log warnings and errors only.
  if (process.env.EXFIL_SENSOR_LOG_LEVEL === undefined) setLogLevel('warn');
  if (o.capture !== null && !existsSync(o.capture)) throw new SensorError(ErrorCodes.CAPTURE_OPEN, `demo: capture ${o.capture} not found`, { exitCode: 2 });
  const pcap = o.capture ?? demoCapture(log, o.duration);

  const work = mkdtempSync(path.join(os.tmpdir(), 'exfil-demo-'));
  let collector: LocalCollector | null = null;
  // Ctrl-C before the results are printed: stop the collector, remove the folder, exit 130.
  const early = (): void => {
    // Every collector child, also one still starting (`collector` is set only once it is ready).
    for (const child of liveChildren) child.kill('SIGTERM');
    rmSync(work, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', early);
  process.once('SIGTERM', early);
  try {
    try {
      collector = await startCollector(path.join(work, 'collector'), o.port);
    } catch (e) {
      if (o.port === 0) throw e;
      log(`port ${o.port} is not available (${(e as Error).message.split('\n')[0]}); using a free port`);
      collector = await startCollector(path.join(work, 'collector'), 0);
    }
    const c = collector;
    log(`local collector ${c.url} (pid ${c.proc.pid}, SQLite in ${path.join(work, 'collector')})`);
    // The collector stopping on its own (not by us) ends the demo with an error.
    let stopping = false;
    const unexpected = new Promise<never>((_, reject) =>
      c.proc.once('exit', (code, signal) => {
        if (!stopping) reject(new SensorError(ErrorCodes.TRANSPORT_COLLECTOR, `the local collector stopped (${signal ?? `code ${code}`})`));
      }),
    );
    unexpected.catch(() => undefined);

    // The demo's own settings: the embedded defaults, the collector's demo sensor id, pcapgen's
    // IPv6 site prefix as home-net, a spool in the demo folder and short batches.
    const cfg: SensorConfig = {
      ...DEFAULT_CONFIG,
      sensor_id: c.sensorId,
      workers: o.workers,
      home_net: [...DEFAULT_CONFIG.home_net, '2001:db8:1000::/48'],
      transport: {
        ...DEFAULT_CONFIG.transport,
        spool: { ...DEFAULT_CONFIG.transport.spool, path: path.join(work, 'spool') },
        batch: { ...DEFAULT_CONFIG.transport.batch, max_age_seconds: 0.2 },
      },
    };
    const { AlertTransport, transportOptionsFromConfig } = await import('./transport/transport.js');
    const { runReplay } = await import('./sensor.js');
    const suppressions = new Suppressions({ config: cfg.allowlist, expiryWarningSeconds: cfg.allowlist_expiry_warning_seconds, log: logger('suppressions') });
    const opts = transportOptionsFromConfig(cfg, { url: c.url, token: c.sensorToken });
    opts.onSuppressions = (list) => suppressions.setRemote(list);
    const transport = AlertTransport.open(opts);
    await transport.pullSuppressions();

    const t0 = performance.now();
    let run;
    try {
      run = await Promise.race([
        runReplay([pcap], cfg, { eveWindows: 'none', suppressions, onAlert: (a) => transport.send(a), onWindow: (w) => transport.sendWindow(w) }),
        unexpected,
      ]);
    } catch (e) {
      await transport.close({ drainTimeoutMs: 0 }).catch(() => undefined);
      throw e;
    }
    const closed = await Promise.race([transport.close({ drainTimeoutMs: cfg.transport.drain_timeout_seconds * 1000 }), unexpected]);
    const secs = (performance.now() - t0) / 1000;
    const s = run.summary;
    log(
      `replayed ${s.packets.toLocaleString('en-US')} packets in ${secs.toFixed(2)} s with ${o.workers} worker(s): ` +
        `${s.flows.toLocaleString('en-US')} flows, ${s.windows.toLocaleString('en-US')} group windows, ${run.alerts.length} alert(s)`,
    );
    log('');
    for (const a of run.alerts) {
      const g = a.aggregate;
      log(`[${a.severity.toUpperCase()}] ${alertSignature(a)}`);
      log(`    ${g.src_ip} -> ${g.dest_ip}:${g.dest_port} ${g.proto}, window ${g.window_start} .. ${g.window_end}`);
      log(
        `    up ${mib(g.total_upload_bytes)} MiB, down ${mib(g.total_download_bytes)} MiB, ${g.flow_count} flow(s); ` +
          `confidence ${a.confidence.toFixed(2)}, risk ${a.risk.composite_score.toFixed(2)} (${a.risk.risk_level}); rules: ${a.rules_fired.join(', ')}`,
      );
      const ev = evidenceLine(a.evidence);
      if (ev) log(`    evidence: ${ev}`);
      for (const n of a.notes) log(`    note: ${n}`);
      log(`    alert id ${a.id}, community_id ${g.largest_flow.community_id}`);
    }
    log('');

    // What the collector stored, read back through the analyst API.
    const stored = new Set(await storedAlertIds(c.url, c.analystToken));
    const sent = run.alerts.map((a) => a.id);
    const missing = sent.filter((id) => !stored.has(id));
    const st = closed.stats;
    const sup = run.verdict?.suppressions;
    log(
      `collector: sent ${sent.length} alert(s), stored ${stored.size} (${missing.length === 0 ? 'every sent id found' : `${missing.length} sent id(s) missing`}), ` +
        `duplicates ${st.duplicates}, requests ${st.requests}, retried ${st.retried}, quarantined ${st.quarantined}` +
        (closed.drained ? '' : `; ${closed.remaining} record(s) still spooled (drain timeout)`),
    );
    if (sup) {
      log(`suppressions: ${sup.entries} in force (pulled from the collector and config), ${sup.alerts_suppressed} alert(s) and ${sup.groups_suppressed} group window(s) in scope`);
      logShadowAccounting(logger('suppressions'), sup, run.verdict?.groups ?? 0);
    }
    log(`web page: ${c.pageUrl}`);

    process.removeListener('SIGINT', early);
    process.removeListener('SIGTERM', early);
    const keep = o.keep || (!o.exit && process.stdout.isTTY === true);
    if (keep) {
      log('the collector keeps running for the page; Ctrl-C stops it');
      const stopped = await Promise.race([
        new Promise<string>((resolve) => {
          process.once('SIGINT', () => resolve('SIGINT'));
          process.once('SIGTERM', () => resolve('SIGTERM'));
        }),
        unexpected.then(
          () => 'collector',
          (e: Error) => {
            process.stderr.write(`exfil-sensor: ${e.message}\n`);
            return 'collector';
          },
        ),
      ]);
      if (stopped === 'collector') return 1;
    }
    stopping = true;
    const code = await stopChild(c.proc);
    log(`collector stopped${code === 0 ? '' : ` (exit code ${code})`}`);
    return missing.length === 0 && closed.drained ? 0 : 1;
  } finally {
    process.removeListener('SIGINT', early);
    process.removeListener('SIGTERM', early);
    if (collector) await stopChild(collector.proc);
    rmSync(work, { recursive: true, force: true });
  }
}
