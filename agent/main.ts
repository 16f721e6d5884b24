/**
 * exfil-sensor command line (SPEC section 9). Exit codes: 0 ok, 2 bad usage or config,
 * 1 runtime failure (including a damaged capture file, after everything before the damage was
 * processed and written).
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { DEFAULT_CONFIG, loadConfig, type SensorConfig } from './config/load.js';
import { parseSize } from './config/units.js';
import { ConfigError, formatConfigIssue, SensorError, UsageError } from './errors.js';
import { warnCapsHit } from './obs/cap-counters.js';
import { logger, setLogLevel } from './obs/logger.js';
import { ProgressLine } from './obs/progress.js';
import { LineWriter } from './output/eve.js';

const USAGE = `usage:
  exfil-sensor demo [--exit|--keep] [--port N] [--duration S] [--capture F] [--workers N]
                                      replay a generated enterprise capture with two exfiltrations into
                                      a local collector; print the alerts, what it stored and its page URL
  exfil-sensor replay FILE... [--config F] [--eve OUT] [--alerts OUT] [--eve-windows alerting|all|none]
                              [--workers N] [--memcap SIZE] [--community-id-seed N] [--community-id-hex]
                              [--flows-only] [--no-progress] [--collector URL] [--spool DIR] [--metrics ADDR]
  exfil-sensor check-config F         validate a config file, print every error with its line

  --config F             sensor config (YAML, see config/sensor.yaml); the options below override it
  --eve OUT              write EVE JSON lines (flow, window and alert events) to OUT; '-' is stdout
  --alerts OUT           write alerts as JSON lines to OUT; '-' is stdout
  --eve-windows WHICH    window events for groups that clear the Low floor (alerting, default), all, none
  --flows-only           track flows only (EVE flow events): no window accounting, no verdict
  --workers N            flow worker threads (default: number of cores, ${os.availableParallelism()})
  --memcap SIZE          flow table memory cap per worker (default "128 MiB")
  --community-id-seed N  Community ID v1 seed, 0..65535 (default 0)
  --community-id-hex     print Community IDs in hex instead of base64
  --collector URL        send alerts (and window aggregates) to this collector (a replay sends only when
                         asked; collector.url is for live capture); token from EXFIL_COLLECTOR_TOKEN or
                         collector.token, TLS and spool settings from the config; at the end the replay waits
                         up to transport.drain_timeout for delivery, the rest stays spooled for the next start
  --spool DIR            spool directory (default: transport.spool.path)
  --metrics ADDR         serve Prometheus metrics on http://ADDR/metrics while the replay runs (host:port,
                         port 0 = any free port, logged); metrics.listen is for live capture
`;

function intOption(name: string, value: string | undefined, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be an integer in ${min}..${max}, got '${value}'`);
  }
  return n;
}

async function replayCommand(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        config: { type: 'string' },
        eve: { type: 'string' },
        alerts: { type: 'string' },
        'eve-windows': { type: 'string' },
        workers: { type: 'string' },
        memcap: { type: 'string' },
        'community-id-seed': { type: 'string' },
        'community-id-hex': { type: 'boolean', default: false },
        'no-progress': { type: 'boolean', default: false },
        'flows-only': { type: 'boolean', default: false },
        collector: { type: 'string' },
        spool: { type: 'string' },
        metrics: { type: 'string' },
      },
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { values, positionals: files } = parsed;
  if (files.length === 0) throw new UsageError('replay needs at least one capture file');
  const fileCfg = values.config !== undefined ? loadConfig(values.config) : DEFAULT_CONFIG;
  if (values.config !== undefined && process.env.EXFIL_SENSOR_LOG_LEVEL === undefined) setLogLevel(fileCfg.logging.level);
  // Command-line options override the file.
  const workers = intOption('workers', values.workers, 1, 64, fileCfg.workers);
  const seed = intOption('community-id-seed', values['community-id-seed'], 0, 65535, fileCfg.community_id.seed);
  let memcap = fileCfg.flow.memcap_bytes;
  if (values.memcap !== undefined) {
    try {
      memcap = parseSize(values.memcap);
    } catch (e) {
      throw new UsageError(`--memcap: ${(e as Error).message}`);
    }
  }
  const cfg: SensorConfig = {
    ...fileCfg,
    workers,
    community_id: { seed, base64: fileCfg.community_id.base64 && !values['community-id-hex'] },
    flow: { ...fileCfg.flow, memcap_bytes: memcap },
  };
  const eveWindows = values['eve-windows'] ?? 'alerting';
  if (eveWindows !== 'alerting' && eveWindows !== 'all' && eveWindows !== 'none') {
    throw new UsageError(`--eve-windows must be alerting, all or none, got '${eveWindows}'`);
  }
  const evePath = values.eve ?? cfg.outputs.eve.path;
  const alertsPath = values.alerts ?? cfg.outputs.alerts.path;
  const eve = evePath !== null ? new LineWriter(evePath) : null;
  const alertsOut = alertsPath !== null ? (alertsPath === evePath ? eve : new LineWriter(alertsPath)) : null;
  const progress = new ProgressLine(!values['no-progress'] && process.stderr.isTTY === true);
  const log = logger('replay');
  const started = performance.now();
  // Loaded here, not at the top: the native addon is needed to replay, not to check a config.
  const { runReplay } = await import('./sensor.js');
  const flowsOnly = values['flows-only'] === true;
  if (flowsOnly && values.alerts !== undefined) throw new UsageError('--alerts needs the verdict: drop --flows-only');
  // A replay is an offline run: it delivers only when asked to, not to the config's collector.url.
  const collectorUrl = values.collector ?? null;
  if (flowsOnly && values.collector !== undefined) throw new UsageError('--collector needs the verdict: drop --flows-only');
  // Suppressions: the config's allowlist, plus what the collector's analysts created (pulled).
  const { Suppressions, logShadowAccounting } = await import('./verdict/suppressions.js');
  const suppressions = new Suppressions({ config: cfg.allowlist, expiryWarningSeconds: cfg.allowlist_expiry_warning_seconds, log: logger('suppressions') });
  let transport: import('./transport/transport.js').AlertTransport | null = null;
  if (collectorUrl !== null && !flowsOnly) {
    const { AlertTransport, transportOptionsFromConfig } = await import('./transport/transport.js');
    const opts = transportOptionsFromConfig(cfg, { url: collectorUrl, token: process.env.EXFIL_COLLECTOR_TOKEN || null });
    if (values.spool !== undefined) opts.spool.dir = values.spool;
    opts.onSuppressions = (list) => suppressions.setRemote(list);
    transport = AlertTransport.open(opts);
    // The first pull lands before the first packet (a failed pull is logged; the replay goes on).
    await transport.pullSuppressions();
  }
  // Metrics are served only when asked: a replay is a short offline run.
  let metrics: import('./obs/metrics.js').SensorMetrics | undefined;
  let metricsServer: import('./obs/metrics.js').MetricsServer | null = null;
  if (values.metrics !== undefined) {
    const { SensorMetrics, serveMetrics } = await import('./obs/metrics.js');
    metrics = new SensorMetrics();
    const t = transport;
    if (t) metrics.setTransport(() => t.stats());
    metricsServer = await serveMetrics(values.metrics, metrics, logger('metrics'));
  }
  let run;
  try {
    run = await runReplay(files, cfg, {
      metrics,
      eve,
      alerts: flowsOnly ? null : alertsOut,
      eveWindows,
      flowsOnly,
      suppressions,
      onProgress: (p) => progress.update(p),
      ...(transport ? { onAlert: (a) => transport?.send(a), onWindow: (w) => transport?.sendWindow(w) } : {}),
    });
  } catch (e) {
    // Whatever was spooled stays for the next start.
    await transport?.close({ drainTimeoutMs: 0 }).catch(() => undefined);
    await metricsServer?.close();
    throw e;
  }
  if (transport) {
    const closed = await transport.close({ drainTimeoutMs: cfg.transport.drain_timeout_seconds * 1000 });
    const s = closed.stats;
    const figures = { collector: collectorUrl, drained: closed.drained, remaining: closed.remaining, requests: s.requests, acked: s.acked, duplicates: s.duplicates, retried: s.retried, quarantined: s.quarantined, dropped_by_cap: s.dropped_by_cap, network_errors: s.network_errors };
    if (closed.drained) log.info(figures, 'alerts delivered to the collector');
    else {
      log.warn(figures, 'drain timeout: records still spooled, sent on the next start');
      process.stderr.write(`exfil-sensor: ${closed.remaining} record(s) still spooled in ${transport.spoolDir} (collector ${collectorUrl}); they are sent on the next start\n`);
    }
  }
  const summary = run.summary;
  progress.done();
  if (run.verdict?.suppressions) logShadowAccounting(logger('suppressions'), run.verdict.suppressions, run.verdict.groups);
  await eve?.close();
  if (alertsOut !== eve) await alertsOut?.close();
  const secs = (performance.now() - started) / 1000;
  const nonzero = Object.fromEntries(Object.entries(summary.counters).filter(([, v]) => v !== 0));
  log.info(
    {
      packets: summary.packets,
      file_bytes: summary.fileBytes,
      flows: summary.flows,
      windows: summary.windows,
      alerts: run.alerts.length,
      verdict: run.verdict,
      seconds: Number(secs.toFixed(3)),
      counters: nonzero,
    },
    'replay finished',
  );
  warnCapsHit(log, summary.counters);
  for (const err of summary.fileErrors) {
    log.error({ code: err.code, file: err.file, offset: err.offset, reason: err.reason }, err.message);
    process.stderr.write(`exfil-sensor: ${err.message}\n`);
  }
  await metricsServer?.close();
  return summary.fileErrors.length > 0 ? 1 : 0;
}

/** `check-config F`: "F: ok" and 0, or every problem as `F:LINE: path: message` and 2. */
function checkConfigCommand(args: string[]): number {
  if (args.length !== 1 || args[0]?.startsWith('-')) throw new UsageError('check-config needs exactly one config file');
  const file = args[0] ?? '';
  loadConfig(file);
  process.stdout.write(`${file}: ok\n`);
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'replay':
        return await replayCommand(rest);
      case 'check-config':
        return checkConfigCommand(rest);
      case 'demo': {
        const { demo } = await import('./demo.js');
        return await demo(rest);
      }
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        process.stdout.write(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command '${command}'`);
    }
  } catch (e) {
    if (e instanceof ConfigError) {
      for (const issue of e.errors) process.stderr.write(`${formatConfigIssue(e.file, issue)}\n`);
      const n = e.errors.length;
      process.stderr.write(`exfil-sensor: ${e.file}: ${n} configuration error${n === 1 ? '' : 's'}${command === 'check-config' ? '' : '; not starting'}\n`);
      return e.exitCode;
    }
    if (e instanceof SensorError) {
      process.stderr.write(`exfil-sensor: ${e.message}\n`);
      if (e instanceof UsageError) process.stderr.write(USAGE);
      return e.exitCode;
    }
    process.stderr.write(`exfil-sensor: internal error: ${(e as Error).stack ?? String(e)}\n`);
    return 1;
  }
}
