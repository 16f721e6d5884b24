/**
 * HTTPS with client certificates (mTLS): a client with a certificate from the CA gets in, one
 * without is refused; a sensor listed with `cert_cn` is known by its certificate alone (no
 * token), a certificate whose CN is no sensor's gets 401, and a token and a certificate naming
 * different sensors get 403.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pack } from 'msgpackr';
import { pino } from 'pino';
import { Agent, request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import type { CollectorConfig } from '../../collector/config.js';
import { CollectorServer } from '../../collector/server.js';
import { openStore } from '../../collector/store/open.js';
import { batchOf, makeAlert, SENSOR, SENSOR_TOKEN } from '../helpers/collector.js';

const haveOpenssl = spawnSync('openssl', ['version']).status === 0;
if (!haveOpenssl) process.stderr.write('\n!! collector mTLS test SKIPPED: no openssl binary to make test certificates\n\n');
const dir = mkdtempSync(path.join(os.tmpdir(), 'exfil-tls-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function issue(name: string, cn: string, san: string): void {
  const f = (x: string): string => path.join(dir, x);
  execFileSync('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', `/CN=${cn}`], { stdio: 'ignore' });
  writeFileSync(f(`${name}.ext`), `subjectAltName=${san}\n`);
  execFileSync('openssl', ['x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f(`${name}.crt`), '-days', '2', '-extfile', f(`${name}.ext`)], { stdio: 'ignore' });
}

describe.skipIf(!haveOpenssl)('collector over HTTPS with mTLS', () => {
  it('accepts a client certificate signed by tls.ca and refuses a client without one', async () => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', path.join(dir, 'ca.key'), '-out', path.join(dir, 'ca.crt'), '-days', '2', '-subj', '/CN=exfil-test-ca'], { stdio: 'ignore' });
    issue('server', '127.0.0.1', 'IP:127.0.0.1');
    issue('client', SENSOR, `DNS:${SENSOR}`);
    issue('certonly', 'sensor-cert-only', 'DNS:sensor-cert-only');
    const cfg: CollectorConfig = {
      listen: { host: '127.0.0.1', port: 0 },
      storage: { kind: 'sqlite', path: path.join(dir, 'c.db') },
      sensors: [
        { id: SENSOR, token: SENSOR_TOKEN, cert_cn: null },
        { id: 'cert-only', token: null, cert_cn: 'sensor-cert-only' },
        { id: 'other', token: 'other-sensor-token', cert_cn: null },
      ],
      users: [],
      ingest: { max_body_bytes: 1 << 20, max_in_flight: 0, retry_after_s: 1, max_records: 1000 },
      retention: { alerts_s: 86400, risk_scores_s: 86400, windows_s: 86400, interval_s: 3600 },
      tls: { cert: path.join(dir, 'server.crt'), key: path.join(dir, 'server.key'), ca: path.join(dir, 'ca.crt') },
      logging: { level: 'silent' },
      source: 'test',
    };
    const srv = new CollectorServer({ config: cfg, store: await openStore(cfg.storage), log: pino({ level: 'silent' }) });
    const url = await srv.listen();
    try {
      expect(url.startsWith('https://127.0.0.1:')).toBe(true);
      const ca = readFileSync(path.join(dir, 'ca.crt'));
      const withCert = new Agent({ connect: { ca, cert: readFileSync(path.join(dir, 'client.crt')), key: readFileSync(path.join(dir, 'client.key')) } });
      const r = await request(`${url}/api/v1/ingest`, {
        method: 'POST',
        dispatcher: withCert,
        headers: { authorization: `Bearer ${SENSOR_TOKEN}`, 'content-type': 'application/msgpack' },
        body: pack(batchOf([{ type: 'alert', body: makeAlert(1) }])),
      });
      expect(r.statusCode).toBe(200);
      expect(await r.body.json()).toMatchObject({ stored: 1 });
      const noCert = new Agent({ connect: { ca } });
      await expect(request(`${url}/healthz`, { dispatcher: noCert }).then((x) => x.body.text())).rejects.toThrow();
      // Known by its certificate alone: no Authorization header.
      const certOnly = new Agent({ connect: { ca, cert: readFileSync(path.join(dir, 'certonly.crt')), key: readFileSync(path.join(dir, 'certonly.key')) } });
      const post = (dispatcher: Agent, headers: Record<string, string>, sensorId: string) =>
        request(`${url}/api/v1/ingest`, {
          method: 'POST',
          dispatcher,
          headers: { 'content-type': 'application/msgpack', ...headers },
          body: pack(batchOf([{ type: 'alert', body: makeAlert(2, { sensor: sensorId }) }], { sensor: sensorId })),
        });
      const byCert = await post(certOnly, {}, 'cert-only');
      expect(byCert.statusCode, await byCert.body.text()).toBe(200);
      const pulled = await request(`${url}/api/v1/sensors/cert-only/suppressions`, { dispatcher: certOnly });
      expect(pulled.statusCode).toBe(200);
      await pulled.body.dump();
      // The CN of client.crt is no sensor's cert_cn and no token is sent: unknown.
      const unknown = await post(withCert, {}, SENSOR);
      expect(unknown.statusCode).toBe(401);
      expect(((await unknown.body.json()) as { error: string }).error).toMatch(/client certificate whose CN is a sensor's cert_cn/);
      // A token of one sensor with the certificate of another: refused.
      const mixed = await post(certOnly, { authorization: 'Bearer other-sensor-token' }, 'other');
      expect(mixed.statusCode).toBe(403);
      expect(((await mixed.body.json()) as { error: string }).error).toMatch(/token belongs to sensor 'other', the client certificate to 'cert-only'/);
      await certOnly.close();
      await withCert.close();
      await noCert.close();
    } finally {
      await srv.close();
      await srv.store.close();
    }
  });
});
