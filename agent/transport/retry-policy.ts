/**
 * What the sender does with a response, and how long it waits before the next try.
 *
 * - 2xx: delivered. 408, 429 and 5xx except 501: retried. Everything else (other 4xx, 501, and
 *   1xx/3xx, which this client never follows): quarantined, never retried.
 * - Backoff: capped exponential with FULL jitter (AWS architecture blog, "Exponential Backoff
 *   and Jitter"): attempt n (0-based) waits a uniform random time in [0, min(max, initial * 2^n)).
 * - `Retry-After` (RFC 9110 10.2.3: delay-seconds or an HTTP-date) replaces the backoff when the
 *   server sends it, cut to `maxRetryAfterMs`; a date in the past means "now".
 */

export type Outcome = 'ack' | 'retry' | 'quarantine';

export function classifyStatus(status: number): Outcome {
  if (status >= 200 && status < 300) return 'ack';
  if (status === 408 || status === 429) return 'retry';
  if (status >= 500 && status < 600 && status !== 501) return 'retry';
  return 'quarantine';
}

export interface RetryPolicy {
  initialMs: number;
  maxMs: number;
  maxRetryAfterMs: number;
}

/** The backoff ceiling of attempt `attempt` (0 = first retry). */
export function backoffCeiling(attempt: number, p: RetryPolicy): number {
  // 2^attempt overflows to Infinity for large attempts; min() keeps the cap.
  return Math.min(p.maxMs, p.initialMs * 2 ** Math.max(0, attempt));
}

/** Full jitter: uniform in [0, ceiling). `random` is injectable for tests. */
export function backoffDelay(attempt: number, p: RetryPolicy, random: () => number = Math.random): number {
  return Math.floor(random() * backoffCeiling(attempt, p));
}

/**
 * `Retry-After` in milliseconds from `nowMs`, or null when absent or unreadable.
 * Accepts delay-seconds (`120`) and an HTTP-date (`Wed, 21 Oct 2015 07:28:00 GMT`).
 */
export function parseRetryAfter(value: string | string[] | undefined, nowMs: number): number | null {
  const v = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!v) return null;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  // HTTP-date: IMF-fixdate (and the obsolete forms Date.parse also reads); must name a weekday or month.
  if (!/[A-Za-z]{3}/.test(v)) return null;
  const t = Date.parse(v);
  if (Number.isNaN(t)) return null;
  return Math.max(0, t - nowMs);
}

/** Wait before retrying: the server's Retry-After (capped) when given, else full-jitter backoff. */
export function retryDelay(attempt: number, retryAfterMs: number | null, p: RetryPolicy, random: () => number = Math.random): number {
  if (retryAfterMs !== null) return Math.min(retryAfterMs, p.maxRetryAfterMs);
  return backoffDelay(attempt, p, random);
}
