/**
 * TLS to the collector: the sensor verifies the server against `ca` and presents `cert`/`key`
 * (mTLS). Certificates are made with the openssl CLI for this test; the server is a real
 * `node:https` server on 127.0.0.1 that requires a client certificate from the same CA.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertTransport } from '../../agent/transport/transport.js';
import { decodeBatch, type WireBatch } from '../../agent/transport/wire-schema.js';
import { makeAlert, tempDir, testTransportOptions } from './helpers.js';

const dir = tempDir('exfil-tls-');
const f = (n: string): string => path.join(dir, n);
const received: { batch: WireBatch; clientCn: string | undefined }[] = [];
let url = '';
let server: ReturnType<typeof createServer>;

function ossl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

beforeAll(async () => {
  ossl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=test-ca');
  writeFileSync(f('server.ext'), 'subjectAltName=IP:127.0.0.1\n');
  ossl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=collector');
  ossl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'server.ext');
  ossl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/CN=sensor-s1');
  ossl('x509', '-req', '-in', 'client.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.pem', '-days', '2');
  server = createServer({ key: readFileSync(f('server.key')), cert: readFileSync(f('server.pem')), ca: readFileSync(f('ca.pem')), requestCert: true, rejectUnauthorized: true }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const batch = decodeBatch(Buffer.concat(chunks), 'msgpack');
      const peer = (req.socket as import('node:tls').TLSSocket).getPeerCertificate();
      received.push({ batch, clientCn: peer.subject?.CN });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ accepted: batch.records.length, duplicates: 0, rejected: [] }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

describe('transport over TLS', () => {
  it('delivers over mTLS with the configured CA, client certificate and key', async () => {
    const t = AlertTransport.open(testTransportOptions(url, tempDir(), { ca: f('ca.pem'), cert: f('client.pem'), key: f('client.key') }));
    t.send(makeAlert('tls-1'));
    const r = await t.close({ drainTimeoutMs: 30_000 });
    expect(r).toMatchObject({ drained: true, remaining: 0 });
    expect(received.map((x) => [x.clientCn, x.batch.records.map((rec) => (rec.type === 'alert' ? rec.alert.id : ''))])).toEqual([['sensor-s1', ['tls-1']]]);
  });

  it('without the client certificate the handshake is refused: retried as a network error, the record stays spooled', async () => {
    const before = received.length;
    const spool = tempDir();
    const t = AlertTransport.open(testTransportOptions(url, spool, { ca: f('ca.pem') }));
    t.send(makeAlert('tls-2'));
    const r = await t.close({ drainTimeoutMs: 500 });
    expect(r).toMatchObject({ drained: false, remaining: 1 });
    expect(r.stats.network_errors).toBeGreaterThan(0);
    expect(received.length).toBe(before);
  });

  it('a collector certificate from another CA is not trusted', async () => {
    const t = AlertTransport.open(testTransportOptions(url, tempDir(), { cert: f('client.pem'), key: f('client.key') }));
    t.send(makeAlert('tls-3'));
    const r = await t.close({ drainTimeoutMs: 500 });
    expect(r).toMatchObject({ drained: false, remaining: 1 });
    expect(typeof r.stats.last_status).toBe('string');
  });
});
