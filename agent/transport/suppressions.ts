/**
 * Pulls the suppressions the collector's analysts created for this sensor
 * (`GET /api/v1/sensors/:sensor_id/suppressions`, docs/collector-api.md) on start and every
 * `intervalMs`, and hands each successful answer to `onSuppressions`. A failed pull is logged
 * and counted; the last good list stays in force.
 */
import type { Logger } from 'pino';
import { ErrorCodes } from '../errors.js';
import { jsonOrNull, type CollectorClient } from './collector-client.js';

export interface RemoteSuppression {
  id: string | number;
  scope: { src?: string | string[]; dest?: string | string[]; domain_regex?: string; port?: number | number[]; app_proto?: string };
  reason: string;
  owner: string;
  expires_at: string | null;
  created_at: string;
}

export interface SuppressionPullStats {
  pulls: number;
  pull_errors: number;
  suppressions: number;
  last_pull_at: string | null;
}

export function suppressionsPath(sensorId: string): string {
  return `/api/v1/sensors/${encodeURIComponent(sensorId)}/suppressions`;
}

export class SuppressionPuller {
  readonly #client: CollectorClient;
  readonly #sensorId: string;
  readonly #intervalMs: number;
  readonly #onSuppressions: (s: RemoteSuppression[]) => void;
  readonly #log: Logger | null;
  #timer: NodeJS.Timeout | null = null;
  #current: Promise<boolean> | null = null;
  #stats: SuppressionPullStats = { pulls: 0, pull_errors: 0, suppressions: 0, last_pull_at: null };

  constructor(client: CollectorClient, o: { sensorId: string; intervalMs: number; onSuppressions: (s: RemoteSuppression[]) => void; log?: Logger | null }) {
    this.#client = client;
    this.#sensorId = o.sensorId;
    this.#intervalMs = o.intervalMs;
    this.#onSuppressions = o.onSuppressions;
    this.#log = o.log ?? null;
  }

  start(): void {
    void this.pull();
    this.#timer = setInterval(() => void this.pull(), this.#intervalMs);
    // A pull schedule alone does not keep the process alive.
    this.#timer.unref();
  }

  /** One pull (or the one under way); resolves true when a list was received and handed over. */
  async pull(): Promise<boolean> {
    if (this.#current) return this.#current;
    this.#current = (async () => {
      const path = suppressionsPath(this.#sensorId);
      try {
        const res = await this.#client.request('GET', path);
        const body = jsonOrNull(res.body) as { suppressions?: unknown } | null;
        if (res.status !== 200 || !Array.isArray(body?.suppressions)) {
          throw new Error(`HTTP ${res.status}${body ? '' : ' (no JSON body)'}${res.status === 200 ? ': no suppressions list' : ''}`);
        }
        const list = body.suppressions as RemoteSuppression[];
        this.#stats.pulls++;
        this.#stats.suppressions = list.length;
        this.#stats.last_pull_at = new Date().toISOString();
        this.#onSuppressions(list);
        return true;
      } catch (e) {
        this.#stats.pull_errors++;
        this.#log?.warn({ code: ErrorCodes.TRANSPORT_COLLECTOR, path, err: (e as Error).message, pull_errors: this.#stats.pull_errors }, 'suppression pull failed; keeping the last list');
        return false;
      }
    })();
    try {
      return await this.#current;
    } finally {
      this.#current = null;
    }
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  stats(): SuppressionPullStats {
    return { ...this.#stats };
  }
}
