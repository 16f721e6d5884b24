/** Small HTTP helpers: JSON responses with stable error codes, bounded body reading, bearer tokens. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CollectorError, CollectorErrorCodes } from '../errors.js';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...headers });
  res.end(text);
}

export function sendError(res: ServerResponse, e: CollectorError, headers: Record<string, string> = {}): void {
  sendJson(res, e.status, { code: e.code, error: e.message, ...(e.details ?? {}) }, headers);
}

/**
 * Reads the request body up to `max` bytes. A declared Content-Length above `max` is refused at
 * once; a body that grows past `max` while streaming is refused as soon as it does (413), without
 * buffering the rest. The caller answers and the rest of the body is drained (bounded) or the
 * connection closed.
 */
export function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > max) {
    return Promise.reject(tooLarge(Number(declared), max, true));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const onData = (c: Buffer): void => {
      if (done) return;
      size += c.length;
      if (size > max) {
        done = true;
        req.off('data', onData);
        reject(tooLarge(size, max, false));
        return;
      }
      chunks.push(c);
    };
    req.on('data', onData);
    req.on('end', () => {
      if (!done) {
        done = true;
        resolve(Buffer.concat(chunks, size));
      }
    });
    req.on('error', (e) => {
      if (!done) {
        done = true;
        reject(new CollectorError(CollectorErrorCodes.BAD_BODY, `request body could not be read: ${e.message}`));
      }
    });
  });
}

function tooLarge(size: number, max: number, declared: boolean): CollectorError {
  return new CollectorError(
    CollectorErrorCodes.BODY_TOO_LARGE,
    `request body ${declared ? `declared as ${size}` : `exceeds ${max}`} bytes; the limit is ${max} (ingest.max_body)`,
    { details: { limit: max } },
  );
}

/** After an early answer (413, 401, ...): discard up to `cap` more bytes so the client reads the answer, then cut. */
export function drain(req: IncomingMessage, cap: number): void {
  if (req.complete) return;
  let seen = 0;
  req.on('data', (c: Buffer) => {
    seen += c.length;
    if (seen > cap) req.socket.destroy();
  });
  req.resume();
}

export function bearer(req: IncomingMessage): string | null {
  const h = req.headers.authorization;
  if (!h) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m ? m[1]! : null;
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Token lookup in constant time per entry (no early exit, equal-length digests). */
export class TokenTable<T> {
  readonly #entries: { digest: Buffer; value: T }[];
  constructor(entries: { token: string; value: T }[]) {
    this.#entries = entries.map((e) => ({ digest: digest(e.token), value: e.value }));
  }
  find(token: string | null): T | null {
    if (token === null) return null;
    const d = digest(token);
    let found: T | null = null;
    for (const e of this.#entries) if (timingSafeEqual(d, e.digest)) found = e.value;
    return found;
  }
}
