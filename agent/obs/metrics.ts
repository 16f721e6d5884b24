/**
 * The sensor's Prometheus metrics (SPEC section 7), through prom-client on a registry of its own:
 * packets and bytes read, drops by reason, flows by end reason, flows active, windows open,
 * evidence records, alerts by severity, the alert transport's spool depth and delivery outcomes,
 * and every native engine counter and gauge under its own name (`exfil_sensor_engine_*`).
 *
 * The replay feeds it (`runReplay`'s `metrics` option); `serveMetrics` puts it on an HTTP
 * endpoint. Engine counters arrive as snapshots a few times per second (the workers' totals);
 * everything else is counted as it happens on the main thread.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { Counter, Gauge, Registry } from 'prom-client';
import type { ReplayProgress } from '../capture/replay.js';
import { ErrorCodes, SensorError, UsageError } from '../errors.js';
import type { FlowRecord } from '../native/layout.js';
import type { ExfilAlert } from '../verdict/types.js';

/** Engine values that are levels, not running totals (native/core/src/engine.rs `visit_counters`). */
const ENGINE_GAUGES = new Set(['flows_active', 'flows_max', 'emergency', 'pending_records', 'bytes_per_flow', 'window_groups_active', 'window_bytes', 'app_states_active', 'app_bytes']);

/** Drop reasons SPEC section 7 names, and the engine counter behind each (null: not in a replay). */
const DROP_REASONS: Record<string, string | null> = {
  // A live capture's kernel and chunk-ring drops; a replay reads every packet.
  kernel: null,
  batch_full: null,
  // Packets whose bytes no window holds (window memcap or max_groups).
  memcap: 'window_dropped_packets',
  // Fragments of datagrams the full fragment table could not take.
  frag_table_full: 'frag_table_full',
  worker_lost: 'worker_lost',
};

/** The subset of the alert transport's stats the metrics read. */
export interface TransportMetricsSource {
  spool_bytes: number;
  spool_records: number;
  queued: number;
  acked: number;
  duplicates: number;
  retried: number;
  quarantined: number;
  quarantine_dropped: number;
  dropped_by_cap: number;
  network_errors: number;
}

export class SensorMetrics {
  readonly registry = new Registry();
  #engine: Record<string, number> = {};
  #transport: (() => TransportMetricsSource) | null = null;
  #packets = 0;
  #fileBytes = 0;
  readonly #flows: Counter<'reason'>;
  readonly #windows: Counter;
  readonly #evidence: Counter<'event_type'>;
  readonly #alerts: Counter<'severity'>;

  constructor() {
    const registers = [this.registry];
    const self = this;
    // Values read at scrape time from the latest snapshot (prom-client calls `collect`).
    const fromSnapshot = (read: () => number) =>
      function collect(this: Gauge | Counter): void {
        const v = read();
        if (this instanceof Gauge) this.set(v);
        else (this as Counter).reset(), (this as Counter).inc(v);
      };
    new Counter({ name: 'exfil_sensor_packets_total', help: 'packets read from the capture', registers, collect: fromSnapshot(() => self.#packets) });
    new Counter({ name: 'exfil_sensor_capture_bytes_total', help: 'bytes of capture file read (record headers included)', registers, collect: fromSnapshot(() => self.#fileBytes) });
    new Counter({
      name: 'exfil_sensor_drops_total',
      help: 'packets not fully accounted, by reason (kernel and batch_full: live capture only)',
      labelNames: ['reason'],
      registers,
      collect(this: Counter<'reason'>) {
        this.reset();
        for (const [reason, counter] of Object.entries(DROP_REASONS)) this.inc({ reason }, counter === null ? 0 : (self.#engine[counter] ?? 0));
      },
    });
    this.#flows = new Counter({ name: 'exfil_sensor_flows_total', help: 'flow records written, by end reason (memcap = evicted by the flow table cap)', labelNames: ['reason'], registers });
    new Gauge({ name: 'exfil_sensor_flows_active', help: 'flows tracked by the workers now', registers, collect: fromSnapshot(() => self.#engine.flows_active ?? 0) });
    new Gauge({ name: 'exfil_sensor_windows_open', help: '(group, window) aggregates open in the workers now', registers, collect: fromSnapshot(() => self.#engine.window_groups_active ?? 0) });
    this.#windows = new Counter({ name: 'exfil_sensor_windows_total', help: 'window aggregates closed and judged', registers });
    this.#evidence = new Counter({ name: 'exfil_sensor_evidence_records_total', help: 'app-layer evidence records, by event type (partial copies included)', labelNames: ['event_type'], registers });
    this.#alerts = new Counter({ name: 'exfil_sensor_alerts_total', help: 'alerts raised, by severity', labelNames: ['severity'], registers });
    new Counter({
      name: 'exfil_sensor_engine_total',
      help: 'native engine counters summed over workers (native/core: flows, windows, app layer)',
      labelNames: ['counter'],
      registers,
      collect(this: Counter<'counter'>) {
        this.reset();
        for (const [k, v] of Object.entries(self.#engine)) if (!ENGINE_GAUGES.has(k) && k !== 'worker_lost') this.inc({ counter: k }, v);
      },
    });
    new Gauge({
      name: 'exfil_sensor_engine',
      help: 'native engine levels summed over workers (flows_active, app_bytes, ...; bytes_per_flow is per build)',
      labelNames: ['gauge'],
      registers,
      collect(this: Gauge<'gauge'>) {
        this.reset();
        for (const [k, v] of Object.entries(self.#engine)) if (ENGINE_GAUGES.has(k)) this.set({ gauge: k }, v);
      },
    });
    new Gauge({ name: 'exfil_sensor_spool_bytes', help: 'bytes in the alert spool (0 without a collector)', registers, collect: fromSnapshot(() => self.#transport?.().spool_bytes ?? 0) });
    new Gauge({ name: 'exfil_sensor_spool_records', help: 'records in the alert spool not yet acknowledged', registers, collect: fromSnapshot(() => self.#transport?.().spool_records ?? 0) });
    new Counter({
      name: 'exfil_sensor_delivery_total',
      help: 'alert transport outcomes per record (acked, duplicate, retried batch, quarantined, quarantined then deleted at the quarantine cap, dropped by the spool cap, network error)',
      labelNames: ['outcome'],
      registers,
      collect(this: Counter<'outcome'>) {
        this.reset();
        const t = self.#transport?.();
        const outcomes: Record<string, number> = {
          acked: t?.acked ?? 0,
          duplicate: t?.duplicates ?? 0,
          retried: t?.retried ?? 0,
          quarantined: t?.quarantined ?? 0,
          quarantine_dropped: t?.quarantine_dropped ?? 0,
          dropped_by_cap: t?.dropped_by_cap ?? 0,
          network_error: t?.network_errors ?? 0,
        };
        for (const [outcome, n] of Object.entries(outcomes)) this.inc({ outcome }, n);
      },
    });
  }

  onProgress(p: ReplayProgress): void {
    this.#packets = p.packets;
    this.#fileBytes = p.fileBytes;
  }

  onFlow(r: FlowRecord): void {
    this.#flows.inc({ reason: r.reason });
  }

  onWindow(): void {
    this.#windows.inc();
  }

  onEvidence(eventType: string): void {
    this.#evidence.inc({ event_type: eventType });
  }

  onAlert(a: Pick<ExfilAlert, 'severity'>): void {
    this.#alerts.inc({ severity: a.severity });
  }

  /** The latest engine counters, summed over workers (`ReplaySummary.counters`). */
  onCounters(c: Record<string, number>): void {
    this.#engine = { ...c };
  }

  setTransport(read: (() => TransportMetricsSource) | null): void {
    this.#transport = read;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}

export interface MetricsServer {
  /** The bound address (port 0 in `listen` picks a free one). */
  address: { host: string; port: number };
  close(): Promise<void>;
}

/** Parse `host:port` (`[v6]:port` for IPv6); port 0 = any free port. */
export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(listen);
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) throw new UsageError(`metrics address must be host:port (or [v6]:port), got '${listen}'`);
  return { host: m[1] ?? m[2] ?? '', port };
}

/** Serve `GET /metrics` (Prometheus text format) on `listen`; anything else is 404. */
export async function serveMetrics(listen: string, metrics: SensorMetrics, log: Logger | null): Promise<MetricsServer> {
  const { host, port } = parseListen(listen);
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics\n');
      return;
    }
    metrics.text().then(
      (body) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(body),
      (e: unknown) => {
        log?.error({ code: ErrorCodes.METRICS, err: (e as Error).message }, 'metrics rendering failed');
        res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics rendering failed\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(new SensorError(ErrorCodes.METRICS, `cannot serve metrics on ${listen}: ${e.code ?? e.message}`, { cause: e })),
    );
    server.listen(port, host, () => resolve());
  });
  // The endpoint never keeps the process alive on its own (an error path that skips `close`).
  server.unref();
  const a = server.address() as AddressInfo;
  log?.info({ host: a.address, port: a.port }, `metrics on http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}/metrics`);
  return {
    address: { host: a.address, port: a.port },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
