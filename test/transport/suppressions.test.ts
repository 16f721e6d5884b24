import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AlertTransport } from '../../agent/transport/transport.js';
import type { RemoteSuppression } from '../../agent/transport/suppressions.js';
import { captureLog, tempDir, testTransportOptions } from './helpers.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

describe('suppression pull', () => {
  it('pulls on start with the sensor token, hands the list over, and keeps the last list when a pull fails', async () => {
    const list = [{ id: 7, scope: { dest: '203.0.113.0/24', port: 443 }, reason: 'backup vendor', owner: 'soc', expires_at: null, created_at: '2026-01-01T00:00:00Z' }];
    const seen: { url: string; auth: string | undefined }[] = [];
    let fail = false;
    const server = createServer((req, res) => {
      seen.push({ url: req.url ?? '', auth: req.headers.authorization });
      res.writeHead(fail ? 500 : 200, { 'content-type': 'application/json' });
      res.end(fail ? '{"code":"x","error":"boom"}' : JSON.stringify({ suppressions: list }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    closers.push(() => new Promise((r) => server.close(() => r())));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const got: RemoteSuppression[][] = [];
    const cap = captureLog();
    const t = AlertTransport.open(
      testTransportOptions(url, tempDir(), { sensorId: 'hq span/1', log: cap.log, suppressionsIntervalMs: 3_600_000, onSuppressions: (s) => got.push(s) }),
    );
    expect(await t.pullSuppressions()).toBe(true);
    fail = true;
    expect(await t.pullSuppressions()).toBe(false);
    await t.close({ drainTimeoutMs: 1000 });

    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen[0]).toEqual({ url: '/api/v1/sensors/hq%20span%2F1/suppressions', auth: 'Bearer tok-s1' });
    expect(got.length).toBeGreaterThanOrEqual(1);
    expect(got.at(-1)).toEqual(list);
    expect(t.stats().suppressions).toMatchObject({ pull_errors: 1, suppressions: 1 });
    expect(cap.messages('warn')).toContain('suppression pull failed; keeping the last list');
  });
});
