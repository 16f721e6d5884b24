/** HTTPS with client certificates (mTLS): a client with a certificate from the CA gets in, one without is refused. */
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
    const cfg: CollectorConfig = {
      listen: { host: '127.0.0.1', port: 0 },
      storage: { kind: 'sqlite', path: path.join(dir, 'c.db') },
      sensors: [{ id: SENSOR, token: SENSOR_TOKEN }],
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
      await withCert.close();
      await noCert.close();
    } finally {
      await srv.close();
      await srv.store.close();
    }
  });
});
