/**
 * The sender against a real HTTP server on 127.0.0.1 that answers from a script: retries
 * (429 with Retry-After in seconds and as a date, 503), quarantine (501, 400, records rejected
 * in a 200), network errors, and records left in the spool delivered on the next start.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AlertTransport } from '../../agent/transport/transport.js';
import { decodeBatch, type WireBatch } from '../../agent/transport/wire-schema.js';
import { captureLog, makeAlert, tempDir, testTransportOptions } from './helpers.js';

interface Seen {
  method: string;
  url: string;
  auth: string | undefined;
  contentType: string | undefined;
  batch: WireBatch;
}

type Answer = { status: number; headers?: Record<string, string>; body?: unknown };

/** A collector stand-in: answers requests from `script` in order, then `fallback`. */
class ScriptedServer {
  server: Server;
  seen: Seen[] = [];
  script: (Answer | (() => Answer))[];
  fallback: (b: WireBatch) => Answer;

  constructor(script: (Answer | (() => Answer))[], fallback: (b: WireBatch) => Answer = (b) => ({ status: 200, body: { accepted: b.records.length, duplicates: 0, rejected: [] } })) {
    this.script = [...script];
    this.fallback = fallback;
    this.server = createServer((req, res) => this.#handle(req, res));
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const ct = req.headers['content-type'];
      const batch = decodeBatch(Buffer.concat(chunks), ct === 'application/json' ? 'json' : 'msgpack');
      this.seen.push({ method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization, contentType: ct, batch });
      const next = this.script.shift();
      const a = next === undefined ? this.fallback(batch) : typeof next === 'function' ? next() : next;
      res.writeHead(a.status, { 'content-type': 'application/json', ...(a.headers ?? {}) });
      res.end(a.body === undefined ? '' : JSON.stringify(a.body));
    });
  }

  listen(port = 0): Promise<string> {
    return new Promise((resolve) => this.server.listen(port, '127.0.0.1', () => resolve(`http://127.0.0.1:${(this.server.address() as AddressInfo).port}`)));
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}

const servers: ScriptedServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(script: (Answer | (() => Answer))[], fallback?: (b: WireBatch) => Answer, port = 0): Promise<{ srv: ScriptedServer; url: string }> {
  const srv = new ScriptedServer(script, fallback);
  servers.push(srv);
  return { srv, url: await srv.listen(port) };
}

function quarantined(dir: string): Record<string, unknown>[] {
  const f = path.join(dir, 'quarantine.jsonl');
  if (!existsSync(f)) return [];
  return readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('sender against a scripted HTTP server', () => {
  it('honours Retry-After (seconds and date) on 429, backs off on 503, then acks and quarantines the records a 200 rejects', async () => {
    const { srv, url } = await serve([
      { status: 429, headers: { 'retry-after': '1' }, body: { code: 'busy', error: 'shedding load' } },
      // Made when answered: an HTTP-date 2-3 s ahead (it has whole seconds).
      () => ({ status: 429, headers: { 'retry-after': new Date(Date.now() + 3000).toUTCString() } }),
      { status: 503 },
      { status: 200, body: { accepted: 2, duplicates: 0, rejected: [{ index: 1, seq: 2, code: 'COLLECTOR_ERR_RECORD', reason: 'alert.severity: not a severity' }] } },
    ]);
    const dir = tempDir();
    const cap = captureLog();
    const t = AlertTransport.open(testTransportOptions(url, dir, { log: cap.log, random: () => 0 }));
    for (const id of ['a1', 'a2', 'a3']) t.send(makeAlert(id));
    const r = await t.close({ drainTimeoutMs: 30_000 });

    expect(r).toMatchObject({ drained: true, remaining: 0 });
    expect(srv.seen).toHaveLength(4);
    for (const s of srv.seen) {
      expect(s).toMatchObject({ method: 'POST', url: '/api/v1/ingest', auth: 'Bearer tok-s1', contentType: 'application/msgpack' });
      // The same batch each time.
      expect(s.batch).toMatchObject({ schema: 1, sensor_id: 's1', batch_seq: 1 });
      expect(s.batch.records.map((x) => [x.type, x.seq, x.type === 'alert' ? x.alert.id : null])).toEqual([
        ['alert', 1, 'a1'],
        ['alert', 2, 'a2'],
        ['alert', 3, 'a3'],
      ]);
    }
    const retries = cap.lines.filter((l) => l.msg === 'collector delivery failed; will retry');
    expect(retries.map((l) => l.status)).toEqual([429, 429, 503]);
    expect(retries[0]).toMatchObject({ retry_after_ms: 1000, retry_in_ms: 1000, reason: 'shedding load' });
    expect(retries[1]!.retry_after_ms as number).toBeGreaterThan(0);
    expect(retries[1]!.retry_after_ms as number).toBeLessThanOrEqual(3000);
    expect(retries[1]!.retry_in_ms).toBe(retries[1]!.retry_after_ms);
    // No Retry-After: full-jitter backoff (random() = 0 here).
    expect(retries[2]).toMatchObject({ retry_after_ms: null, retry_in_ms: 0 });
    expect(r.stats).toMatchObject({ requests: 4, sent: 12, retried: 3, acked: 2, quarantined: 1, spool_records: 0 });
    const q = quarantined(dir);
    expect(q).toHaveLength(1);
    expect(q[0]).toMatchObject({ seq: 2, status: 200, code: 'COLLECTOR_ERR_RECORD', reason: 'alert.severity: not a severity', record: { type: 'alert', seq: 2, alert: { id: 'a2' } } });
  });

  it('quarantines batches answered 501 or 400 without retrying them, and goes on with the next', async () => {
    const { srv, url } = await serve([{ status: 501 }, { status: 400, body: { code: 'COLLECTOR_ERR_SCHEMA', error: 'records[0].type: unknown' } }]);
    const dir = tempDir();
    const cap = captureLog();
    const t = AlertTransport.open(testTransportOptions(url, dir, { log: cap.log, batch: { maxRecords: 2, maxBytes: 1 << 20, maxAgeMs: 20 } }));
    for (const id of ['b1', 'b2', 'b3', 'b4', 'b5']) t.send(makeAlert(id));
    const r = await t.close({ drainTimeoutMs: 30_000 });
    expect(r).toMatchObject({ drained: true, remaining: 0 });
    expect(srv.seen.map((s) => s.batch.records.map((x) => x.seq))).toEqual([[1, 2], [3, 4], [5]]);
    expect(r.stats).toMatchObject({ requests: 3, retried: 0, quarantined: 4, acked: 1 });
    const q = quarantined(dir);
    expect(q.map((x) => [x.seq, x.status, x.code])).toEqual([
      [1, 501, null],
      [2, 501, null],
      [3, 400, 'COLLECTOR_ERR_SCHEMA'],
      [4, 400, 'COLLECTOR_ERR_SCHEMA'],
    ]);
    expect(q[2]!.reason).toBe('records[0].type: unknown');
    expect(cap.messages('error').filter((m) => m.startsWith('collector refused a batch'))).toHaveLength(2);
  });

  it('retries network errors until the collector is up, then delivers every record once', async () => {
    // A port nobody listens on (yet).
    const probe = await serve([]);
    const port = Number(new URL(probe.url).port);
    await probe.srv.close();
    servers.splice(servers.indexOf(probe.srv), 1);

    const dir = tempDir();
    const cap = captureLog();
    const t = AlertTransport.open(testTransportOptions(probe.url, dir, { log: cap.log }));
    for (let i = 0; i < 7; i++) t.send(makeAlert(`n${i}`));
    t.sendWindow(makeAlert('w').aggregate);
    await t.flush();
    while (t.stats().network_errors < 2) await new Promise((r) => setTimeout(r, 20));
    const { srv } = await serve([], undefined, port);
    const r = await t.close({ drainTimeoutMs: 30_000 });
    expect(r).toMatchObject({ drained: true, remaining: 0 });
    expect(r.stats.network_errors).toBeGreaterThanOrEqual(2);
    expect(r.stats.last_status).toBe(200);
    const seqs = srv.seen.flatMap((s) => s.batch.records.map((x) => x.seq));
    expect(seqs).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const last = srv.seen.at(-1)!.batch.records.at(-1)!;
    expect(last).toMatchObject({ type: 'window', seq: 8, window: { src_ip: '10.0.0.5', upload_bytes: 5_000_000, flow_count: 1 } });
  });

  it('keeps what was not delivered when the drain times out, and sends it on the next start (JSON bodies)', async () => {
    const down = await serve([], () => ({ status: 503 }));
    const dir = tempDir();
    const t = AlertTransport.open(testTransportOptions(down.url, dir, { retry: { initialMs: 20, maxMs: 50, maxRetryAfterMs: 1000 } }));
    for (const id of ['k1', 'k2', 'k3', 'k4']) t.send(makeAlert(id));
    const first = await t.close({ drainTimeoutMs: 300 });
    expect(first).toMatchObject({ drained: false, remaining: 4 });
    expect(first.stats.retried).toBeGreaterThan(0);

    const up = await serve([]);
    const again = AlertTransport.open(testTransportOptions(up.url, dir, { encoding: 'json' }));
    expect(again.recovery).toMatchObject({ records: 4, truncated: [] });
    const r = await again.close({ drainTimeoutMs: 30_000 });
    expect(r).toMatchObject({ drained: true, remaining: 0 });
    expect(up.srv.seen.every((s) => s.contentType === 'application/json')).toBe(true);
    expect(up.srv.seen.flatMap((s) => s.batch.records.map((x) => (x.type === 'alert' ? x.alert.id : '')))).toEqual(['k1', 'k2', 'k3', 'k4']);
    // And nothing is sent a third time.
    const third = AlertTransport.open(testTransportOptions(up.url, dir));
    expect(third.recovery.records).toBe(0);
    await third.close({ drainTimeoutMs: 1000 });
    expect(up.srv.seen.flatMap((s) => s.batch.records)).toHaveLength(4);
  });
});
