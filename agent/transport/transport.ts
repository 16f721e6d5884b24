/**
 * The sensor's alert transport (SPEC section 8): what the sensor calls.
 *
 * ```
 * send(alert) / sendWindow(agg)
 *   -> bounded in-memory queue (encoded records; written to the spool in one write per tick)
 *   -> segmented disk spool (spool.ts)  -> sender (sender.ts): batched POSTs, retries, quarantine
 * suppression pull (suppressions.ts) -> onSuppressions callback
 * ```
 *
 * Backpressure: the queue holds at most `queueMax` records. When it is full the records are
 * written to the spool at once (the producer is held for that write), the `queue_full` counter
 * goes up, a warning is logged (once per episode), and `send` returns a promise: a producer that
 * awaits it lets the event loop (and the sender) run before it goes on. A slow or absent
 * collector fills the spool up to its cap, never the heap.
 *
 * Delivery is at least once: a record leaves the spool only after a 2xx (or quarantine); alert
 * ids are deterministic, so the collector stores each alert once.
 */
import path from 'node:path';
import type { Logger } from 'pino';
import type { SensorConfig } from '../config/types.js';
import { ErrorCodes, SensorError } from '../errors.js';
import { logger } from '../obs/logger.js';
import type { ExfilAlert, WindowAggregate } from '../verdict/types.js';
import { CollectorClient } from './collector-client.js';
import { Sender, type SenderStats } from './sender.js';
import { Spool, type RecoveryReport, type SpoolStats } from './spool.js';
import { SuppressionPuller, type RemoteSuppression, type SuppressionPullStats } from './suppressions.js';
import { encodeRecordPayload, toWireAlert, toWireWindow, type WireEncoding } from './wire-schema.js';

export interface TransportOptions {
  sensorId: string;
  url: string;
  token: string | null;
  ca?: string | null;
  cert?: string | null;
  key?: string | null;
  spool: { dir: string; maxBytes: number; segmentBytes: number; writeChunkBytes?: number };
  queueMax: number;
  batch: { maxRecords: number; maxBytes: number; maxAgeMs: number };
  retry: { initialMs: number; maxMs: number; maxRetryAfterMs: number };
  maxInFlight: number;
  requestTimeoutMs: number;
  encoding: WireEncoding;
  /** Also send every window aggregate (cross-sensor baselines); alerts are always sent. */
  sendWindows: boolean;
  /** Suppression pull interval; 0 = no pull. */
  suppressionsIntervalMs: number;
  onSuppressions?: (s: RemoteSuppression[]) => void;
  /** Default: `<spool dir>/quarantine.jsonl`. */
  quarantineFile?: string;
  /** Cap of the quarantine file (default 64 MiB; rotated to `.1` beyond it). */
  quarantineMaxBytes?: number;
  log?: Logger | null;
  random?: () => number;
}

/** Options from the resolved config; `url`/`token` given here override it (CLI, env). */
export function transportOptionsFromConfig(cfg: SensorConfig, o: { url?: string | null; token?: string | null } = {}): TransportOptions {
  const url = o.url ?? cfg.collector.url;
  if (!url) throw new SensorError(ErrorCodes.TRANSPORT_CONFIG, 'no collector URL (collector.url or --collector)', { exitCode: 2 });
  const token = o.token ?? cfg.collector.token;
  if (!token && !cfg.collector.cert) {
    throw new SensorError(ErrorCodes.TRANSPORT_CONFIG, `collector ${url}: no credentials: set collector.token or EXFIL_COLLECTOR_TOKEN (or collector.cert/key for mTLS)`, { exitCode: 2 });
  }
  const t = cfg.transport;
  return {
    sensorId: cfg.sensor_id,
    url,
    token: token ?? null,
    ca: cfg.collector.ca,
    cert: cfg.collector.cert,
    key: cfg.collector.key,
    spool: { dir: t.spool.path, maxBytes: t.spool.max_size_bytes, segmentBytes: t.spool.segment_size_bytes },
    queueMax: t.queue.max_alerts,
    batch: { maxRecords: t.batch.max_alerts, maxBytes: t.batch.max_size_bytes, maxAgeMs: t.batch.max_age_seconds * 1000 },
    retry: { initialMs: t.retry.initial_backoff_seconds * 1000, maxMs: t.retry.max_backoff_seconds * 1000, maxRetryAfterMs: t.retry.max_retry_after_seconds * 1000 },
    maxInFlight: t.max_in_flight,
    requestTimeoutMs: t.request_timeout_seconds * 1000,
    encoding: t.encoding,
    sendWindows: t.send_windows,
    suppressionsIntervalMs: t.suppressions.pull_interval_seconds * 1000,
    quarantineMaxBytes: t.quarantine_max_size_bytes,
  };
}

export interface TransportStats extends SenderStats, SpoolStats {
  queued: number;
  /** Times the in-memory queue was full and the producer was held. */
  queue_full: number;
  /** Records lost because the spool could not be written (disk error). */
  dropped_spool_error: number;
  suppressions: SuppressionPullStats | null;
}

export interface CloseReport {
  /** Everything delivered (or quarantined) before the drain timeout. */
  drained: boolean;
  /** Records still in the spool: delivered on the next start. */
  remaining: number;
  stats: TransportStats;
}

export class AlertTransport {
  readonly #o: TransportOptions;
  readonly #log: Logger | null;
  readonly #spool: Spool;
  readonly #client: CollectorClient;
  readonly #sender: Sender;
  readonly #puller: SuppressionPuller | null;
  #queue: Buffer[] = [];
  #flushScheduled = false;
  #queueFullEpisode = false;
  #closed = false;
  #counters = { queue_full: 0, dropped_spool_error: 0 };

  private constructor(o: TransportOptions) {
    this.#o = o;
    this.#log = o.log === undefined ? logger('transport') : o.log;
    this.#spool = Spool.open({ ...o.spool, log: this.#log });
    const r = this.#spool.recovery;
    if (r.records > 0 || r.truncated.length > 0) {
      this.#log?.info({ dir: o.spool.dir, segments: r.segments, records: r.records, acked_through: r.acked_through, next_seq: r.next_seq, truncated: r.truncated.length }, 'spool reopened; undelivered records will be sent');
    }
    this.#client = new CollectorClient({ url: o.url, token: o.token, ca: o.ca ?? null, cert: o.cert ?? null, key: o.key ?? null, connections: o.maxInFlight + 1, timeoutMs: o.requestTimeoutMs });
    this.#sender = new Sender(this.#spool, this.#client, {
      sensorId: o.sensorId,
      encoding: o.encoding,
      maxRecords: o.batch.maxRecords,
      maxBytes: o.batch.maxBytes,
      maxAgeMs: o.batch.maxAgeMs,
      maxInFlight: o.maxInFlight,
      retry: o.retry,
      quarantineFile: o.quarantineFile ?? path.join(o.spool.dir, 'quarantine.jsonl'),
      ...(o.quarantineMaxBytes !== undefined ? { quarantineMaxBytes: o.quarantineMaxBytes } : {}),
      log: this.#log,
      ...(o.random ? { random: o.random } : {}),
    });
    this.#puller =
      o.suppressionsIntervalMs > 0 && o.onSuppressions
        ? new SuppressionPuller(this.#client, { sensorId: o.sensorId, intervalMs: o.suppressionsIntervalMs, onSuppressions: o.onSuppressions, log: this.#log })
        : null;
  }

  /** Open the spool (reading back what a previous run left), start sending and pulling. */
  static open(o: TransportOptions): AlertTransport {
    const t = new AlertTransport(o);
    t.#sender.start();
    t.#puller?.start();
    return t;
  }

  get spoolDir(): string {
    return this.#spool.dir;
  }

  get recovery(): RecoveryReport {
    return this.#spool.recovery;
  }

  /** Queue an alert; a returned promise asks the caller to wait before producing more. */
  send(alert: ExfilAlert): Promise<void> | undefined {
    return this.#enqueue(encodeRecordPayload({ type: 'alert', alert: toWireAlert(alert) }));
  }

  /** Queue a window aggregate (dropped here when `sendWindows` is off). */
  sendWindow(agg: WindowAggregate): Promise<void> | undefined {
    if (!this.#o.sendWindows) return undefined;
    return this.#enqueue(encodeRecordPayload({ type: 'window', window: toWireWindow(agg) }));
  }

  #enqueue(payload: Buffer): Promise<void> | undefined {
    if (this.#closed) throw new SensorError(ErrorCodes.TRANSPORT_SPOOL, 'alert transport is closed');
    this.#queue.push(payload);
    if (this.#queue.length >= this.#o.queueMax) {
      this.#counters.queue_full++;
      if (!this.#queueFullEpisode) {
        this.#queueFullEpisode = true;
        this.#log?.warn({ code: ErrorCodes.TRANSPORT_SPOOL, queue_max: this.#o.queueMax, queue_full: this.#counters.queue_full }, 'transport queue full: writing to the spool now and holding the producer');
      }
      this.#flushQueue();
      return new Promise((resolve) => setImmediate(resolve));
    }
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => this.#flushQueue());
    }
    return undefined;
  }

  #flushQueue(): void {
    this.#flushScheduled = false;
    if (this.#queue.length === 0) return;
    const batch = this.#queue;
    this.#queue = [];
    if (batch.length < this.#o.queueMax) this.#queueFullEpisode = false;
    try {
      this.#spool.append(batch);
    } catch (e) {
      this.#counters.dropped_spool_error += batch.length;
      this.#log?.error({ code: ErrorCodes.TRANSPORT_SPOOL, err: (e as Error).message, dropped: batch.length, dropped_spool_error: this.#counters.dropped_spool_error }, 'cannot write the spool; records lost');
      return;
    }
    this.#sender.notify();
  }

  /** Write what is queued to the spool and wake the sender. */
  flush(): Promise<void> {
    this.#flushQueue();
    return Promise.resolve();
  }

  /** Pull the suppressions now (also done on start and every interval). */
  pullSuppressions(): Promise<boolean> {
    return this.#puller?.pull() ?? Promise.resolve(false);
  }

  stats(): TransportStats {
    return {
      ...this.#sender.stats(),
      ...this.#spool.stats(),
      queued: this.#queue.length,
      ...this.#counters,
      suppressions: this.#puller?.stats() ?? null,
    };
  }

  /**
   * Flush, wait until everything is delivered or `drainTimeoutMs` passes, then stop sending and
   * close the spool. What is left stays spooled and goes out on the next start.
   */
  async close(o: { drainTimeoutMs?: number } = {}): Promise<CloseReport> {
    if (this.#closed) throw new SensorError(ErrorCodes.TRANSPORT_SPOOL, 'alert transport is already closed');
    this.#flushQueue();
    this.#closed = true;
    this.#puller?.stop();
    const drained = await this.#sender.drain(o.drainTimeoutMs ?? 0);
    await this.#sender.stop();
    await this.#client.close();
    this.#spool.close();
    const stats = this.stats();
    return { drained, remaining: stats.spool_records, stats };
  }
}
