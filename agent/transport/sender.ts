/**
 * Delivers spooled records to the collector: reads unacked records from the spool in batches
 * (record and byte caps; a partial batch goes once its oldest record has waited `maxAgeMs`, or
 * at once while draining), POSTs them to `<url>/api/v1/ingest` (msgpack by default), and acts on
 * the answer (retry-policy.ts):
 *
 * - 2xx: the batch is acked in the spool; records the 200 body lists as rejected are quarantined.
 * - 408/429/5xx except 501, and network errors/timeouts: the batch is kept and retried after a
 *   capped exponential backoff with full jitter, or the server's Retry-After (capped). While a
 *   retry waits, nothing else is sent (the collector is unhealthy); the attempt count resets on
 *   the next success.
 * - anything else: the batch is quarantined (file + error log) and acked: never retried forever.
 *
 * Up to `maxInFlight` requests at once; acks may come back out of order (the spool handles that).
 * Delivery is at least once: a batch is acked only after a 2xx, so a crash in between sends it
 * again on the next start, and the collector stores each alert id once.
 */
import type { Logger } from 'pino';
import { ErrorCodes } from '../errors.js';
import { CollectorClient, jsonOrNull } from './collector-client.js';
import { Quarantine, type QuarantineReason } from './quarantine.js';
import { classifyStatus, parseRetryAfter, retryDelay, type RetryPolicy } from './retry-policy.js';
import type { Spool } from './spool.js';
import { CONTENT_TYPES, encodeBatch, type IngestResponse, type StoredRecord, type WireEncoding } from './wire-schema.js';

export const INGEST_PATH = '/api/v1/ingest';

export interface SenderOptions {
  sensorId: string;
  encoding: WireEncoding;
  maxRecords: number;
  maxBytes: number;
  maxAgeMs: number;
  maxInFlight: number;
  retry: RetryPolicy;
  quarantineFile: string;
  /** Cap of the quarantine file (rotated to `.1` beyond it). */
  quarantineMaxBytes?: number;
  log?: Logger | null;
  /** Injectable randomness for the jitter (tests). */
  random?: () => number;
}

export interface SenderStats {
  /** POSTs made (each attempt counts). */
  requests: number;
  /** Records in those POSTs (a retried record counts again). */
  sent: number;
  /** Records the collector took (2xx, not rejected). */
  acked: number;
  /** Records the collector already had (its 200 body's `duplicates`: re-sent after a crash or a lost answer). */
  duplicates: number;
  /** Failed attempts that were scheduled for a retry. */
  retried: number;
  /** Records moved to the quarantine file (rejected in a 200, or the whole batch on a non-retryable status). */
  quarantined: number;
  /** Quarantined records deleted because the quarantine file reached its cap. */
  quarantine_dropped: number;
  network_errors: number;
  /** Status of the last answer, or the last network error's code. */
  last_status: number | string | null;
  in_flight: number;
  /** Batches waiting for their retry. */
  retry_batches: number;
}

interface Batch {
  records: StoredRecord[];
  attempts: number;
}

export class Sender {
  readonly #spool: Spool;
  readonly #client: CollectorClient;
  readonly #o: SenderOptions;
  readonly #log: Logger | null;
  readonly #quarantine: Quarantine;
  #retryQueue: Batch[] = [];
  #inFlight = new Set<Promise<void>>();
  #aborts = new Set<AbortController>();
  /** Consecutive failed attempts (drives the backoff); 0 after a success. */
  #failures = 0;
  #pausedUntil = 0;
  #timer: NodeJS.Timeout | null = null;
  #timerAt = 0;
  /** When the oldest unread record was first seen waiting (for maxAgeMs). */
  #waitingSince: number | null = null;
  #running = false;
  #draining = false;
  #idleWaiters: (() => void)[] = [];
  #stats: SenderStats = { requests: 0, sent: 0, acked: 0, duplicates: 0, retried: 0, quarantined: 0, quarantine_dropped: 0, network_errors: 0, last_status: null, in_flight: 0, retry_batches: 0 };

  constructor(spool: Spool, client: CollectorClient, o: SenderOptions) {
    this.#spool = spool;
    this.#client = client;
    this.#o = o;
    this.#log = o.log ?? null;
    this.#quarantine = new Quarantine(o.quarantineFile, this.#log, o.quarantineMaxBytes);
  }

  start(): void {
    this.#running = true;
    this.#pump();
  }

  /** New records are in the spool. */
  notify(): void {
    if (this.#running) this.#pump();
  }

  /** Nothing left to send: no unacked record in the spool, no request or retry pending. */
  get idle(): boolean {
    return this.#inFlight.size === 0 && this.#retryQueue.length === 0 && this.#spool.unread === 0 && this.#spool.stats().spool_records === 0;
  }

  /**
   * Send what is spooled without waiting for full batches; resolves true once everything is
   * delivered (or quarantined), false when `timeoutMs` passes first.
   */
  async drain(timeoutMs: number): Promise<boolean> {
    this.#draining = true;
    this.#pump();
    if (this.idle) return true;
    let timer: NodeJS.Timeout | undefined;
    const done = new Promise<boolean>((resolve) => {
      this.#idleWaiters.push(() => resolve(true));
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await done;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stop sending: abort requests in flight (their records stay in the spool for the next start). */
  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    for (const a of this.#aborts) a.abort();
    await Promise.allSettled([...this.#inFlight]);
  }

  stats(): SenderStats {
    return { ...this.#stats, quarantine_dropped: this.#quarantine.dropped, in_flight: this.#inFlight.size, retry_batches: this.#retryQueue.length };
  }

  #wakeAt(at: number): void {
    if (this.#timer && this.#timerAt <= at) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#pump();
    }, Math.max(0, at - Date.now()));
  }

  #checkIdle(): void {
    if (!this.idle) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }

  #pump(): void {
    if (!this.#running) return;
    const now = Date.now();
    if (now < this.#pausedUntil) {
      this.#wakeAt(this.#pausedUntil);
      return;
    }
    while (this.#inFlight.size < this.#o.maxInFlight) {
      let batch = this.#retryQueue.shift();
      if (!batch) {
        const unread = this.#spool.unread;
        if (unread === 0) {
          this.#waitingSince = null;
          break;
        }
        this.#waitingSince ??= now;
        const due = this.#waitingSince + this.#o.maxAgeMs;
        if (unread < this.#o.maxRecords && !this.#draining && now < due) {
          this.#wakeAt(due);
          break;
        }
        const records = this.#spool.read(this.#o.maxRecords, this.#o.maxBytes);
        this.#waitingSince = this.#spool.unread > 0 ? now : null;
        if (records.length === 0) break;
        batch = { records, attempts: 0 };
      }
      this.#launch(batch);
    }
    this.#checkIdle();
  }

  #launch(batch: Batch): void {
    const abort = new AbortController();
    this.#aborts.add(abort);
    const p = this.#post(batch, abort.signal)
      .catch((e: unknown) => {
        this.#log?.error({ code: ErrorCodes.TRANSPORT_COLLECTOR, err: (e as Error).message }, 'sender: unexpected failure; batch kept for a retry');
        this.#scheduleRetry(batch, null, 'internal');
      })
      .finally(() => {
        this.#aborts.delete(abort);
        this.#inFlight.delete(p);
        this.#pump();
      });
    this.#inFlight.add(p);
  }

  async #post(batch: Batch, signal: AbortSignal): Promise<void> {
    const first = batch.records[0] as StoredRecord;
    const body = encodeBatch({ sensor_id: this.#o.sensorId, batch_seq: first.seq, sent_at: new Date().toISOString() }, batch.records, this.#o.encoding);
    batch.attempts++;
    this.#stats.requests++;
    this.#stats.sent += batch.records.length;
    let res;
    try {
      res = await this.#client.request('POST', INGEST_PATH, { data: body, contentType: CONTENT_TYPES[this.#o.encoding] }, signal);
    } catch (e) {
      if (!this.#running) {
        this.#retryQueue.unshift(batch); // stopped: stays in the spool for the next start
        return;
      }
      const code = (e as { code?: string }).code ?? (e as Error).name;
      this.#stats.network_errors++;
      this.#stats.last_status = code;
      this.#scheduleRetry(batch, null, code, (e as Error).message);
      return;
    }
    this.#stats.last_status = res.status;
    const outcome = classifyStatus(res.status);
    if (outcome === 'ack') {
      this.#failures = 0;
      this.#acked(batch, jsonOrNull(res.body) as Partial<IngestResponse> | null);
      return;
    }
    const answer = jsonOrNull(res.body) as { code?: unknown; error?: unknown } | null;
    const reason = typeof answer?.error === 'string' ? answer.error : res.body.toString('utf8').slice(0, 200);
    if (outcome === 'retry') {
      this.#scheduleRetry(batch, parseRetryAfter(res.headers['retry-after'], Date.now()), res.status, reason);
      return;
    }
    const why: QuarantineReason = { reason: reason || `HTTP ${res.status}`, status: res.status, code: typeof answer?.code === 'string' ? answer.code : null };
    const n = this.#quarantine.add(batch.records.map((record) => ({ record, why })));
    this.#stats.quarantined += batch.records.length;
    this.#log?.error(
      { code: ErrorCodes.TRANSPORT_COLLECTOR, status: res.status, collector_code: why.code, reason: why.reason, records: batch.records.length, first_seq: first.seq, last_seq: batch.records.at(-1)?.seq, quarantine_file: this.#quarantine.file, written: n },
      'collector refused a batch; records quarantined, not retried',
    );
    this.#spool.ack(batch.records.map((r) => r.seq));
  }

  #acked(batch: Batch, answer: Partial<IngestResponse> | null): void {
    const bySeq = new Map(batch.records.map((r) => [r.seq, r]));
    const rejected: { record: StoredRecord; why: QuarantineReason }[] = [];
    for (const r of Array.isArray(answer?.rejected) ? answer.rejected : []) {
      const rec = (typeof r.seq === 'number' ? bySeq.get(r.seq) : undefined) ?? (typeof r.index === 'number' ? batch.records[r.index] : undefined);
      if (!rec) continue;
      bySeq.delete(rec.seq);
      rejected.push({ record: rec, why: { reason: String(r.reason ?? 'rejected'), status: 200, code: typeof r.code === 'string' ? r.code : null } });
    }
    if (rejected.length > 0) {
      this.#quarantine.add(rejected);
      this.#stats.quarantined += rejected.length;
      this.#log?.error(
        { code: ErrorCodes.TRANSPORT_COLLECTOR, rejected: rejected.map((x) => ({ seq: x.record.seq, code: x.why.code, reason: x.why.reason })), quarantine_file: this.#quarantine.file },
        'collector rejected records; quarantined',
      );
    }
    this.#stats.acked += batch.records.length - rejected.length;
    if (typeof answer?.duplicates === 'number') this.#stats.duplicates += answer.duplicates;
    this.#spool.ack(batch.records.map((r) => r.seq));
  }

  #scheduleRetry(batch: Batch, retryAfterMs: number | null, status: number | string, reason = ''): void {
    const delay = retryDelay(this.#failures, retryAfterMs, this.#o.retry, this.#o.random);
    this.#failures++;
    this.#stats.retried++;
    this.#pausedUntil = Math.max(this.#pausedUntil, Date.now() + delay);
    // Oldest batch first when the collector is back.
    this.#retryQueue.push(batch);
    this.#retryQueue.sort((a, b) => (a.records[0]?.seq ?? 0) - (b.records[0]?.seq ?? 0));
    this.#log?.warn(
      { code: ErrorCodes.TRANSPORT_COLLECTOR, status, reason: reason.slice(0, 200), retry_in_ms: delay, retry_after_ms: retryAfterMs, attempt: batch.attempts, consecutive_failures: this.#failures, first_seq: batch.records[0]?.seq, records: batch.records.length },
      'collector delivery failed; will retry',
    );
  }
}
