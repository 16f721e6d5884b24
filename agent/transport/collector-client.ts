/**
 * The HTTP client to one collector: an undici `Pool` on the collector's origin with timeouts,
 * TLS when the URL is https (`ca` to verify the collector, `cert` + `key` for mTLS), and the
 * sensor's bearer token on every request. The sender and the suppression pull share it.
 */
import { readFileSync } from 'node:fs';
import { Pool } from 'undici';
import { ErrorCodes, SensorError } from '../errors.js';

export interface CollectorClientOptions {
  /** Base URL: `https://collector.example.net:8443` (a path prefix is kept). */
  url: string;
  token: string | null;
  /** PEM files (paths). */
  ca?: string | null;
  cert?: string | null;
  key?: string | null;
  connections: number;
  timeoutMs: number;
}

export interface CollectorResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** Response bodies longer than this are cut (the collector's answers are small JSON). */
const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

function readPem(what: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new SensorError(ErrorCodes.TRANSPORT_CONFIG, `collector.${what}: cannot read ${file}: ${(e as Error).message}`, { cause: e, exitCode: 2 });
  }
}

export class CollectorClient {
  readonly url: URL;
  readonly #pool: Pool;
  readonly #token: string | null;
  readonly #prefix: string;
  readonly #timeoutMs: number;

  constructor(o: CollectorClientOptions) {
    let u: URL;
    try {
      u = new URL(o.url);
    } catch (e) {
      throw new SensorError(ErrorCodes.TRANSPORT_CONFIG, `collector URL '${o.url}' is not a URL`, { cause: e, exitCode: 2 });
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') {
      throw new SensorError(ErrorCodes.TRANSPORT_CONFIG, `collector URL '${o.url}' must be http:// or https://`, { exitCode: 2 });
    }
    this.url = u;
    this.#token = o.token;
    this.#prefix = u.pathname.replace(/\/+$/, '');
    this.#timeoutMs = o.timeoutMs;
    const tls =
      u.protocol === 'https:'
        ? {
            ...(o.ca ? { ca: readPem('ca', o.ca) } : {}),
            ...(o.cert ? { cert: readPem('cert', o.cert) } : {}),
            ...(o.key ? { key: readPem('key', o.key) } : {}),
          }
        : undefined;
    this.#pool = new Pool(u.origin, {
      connections: o.connections,
      pipelining: 1,
      connectTimeout: o.timeoutMs,
      headersTimeout: o.timeoutMs,
      bodyTimeout: o.timeoutMs,
      ...(tls ? { connect: tls } : {}),
    });
  }

  /** One request; the whole response body is read (up to a limit). Network errors throw. */
  async request(method: 'GET' | 'POST', apiPath: string, body?: { data: Buffer; contentType: string }, signal?: AbortSignal): Promise<CollectorResponse> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    if (body) headers['content-type'] = body.contentType;
    const res = await this.#pool.request({
      origin: this.url.origin,
      path: this.#prefix + apiPath,
      method,
      headers,
      ...(body ? { body: body.data } : {}),
      ...(signal ? { signal } : {}),
      headersTimeout: this.#timeoutMs,
      bodyTimeout: this.#timeoutMs,
    });
    const chunks: Buffer[] = [];
    let n = 0;
    for await (const chunk of res.body) {
      const b = chunk as Buffer;
      if (n + b.length > MAX_RESPONSE_BYTES) {
        chunks.push(b.subarray(0, MAX_RESPONSE_BYTES - n));
        n = MAX_RESPONSE_BYTES;
        res.body.destroy();
        break;
      }
      chunks.push(b);
      n += b.length;
    }
    return { status: res.statusCode, headers: res.headers as CollectorResponse['headers'], body: Buffer.concat(chunks) };
  }

  async close(): Promise<void> {
    await this.#pool.destroy();
  }
}

/** `text` as JSON, or null. */
export function jsonOrNull(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    return null;
  }
}
