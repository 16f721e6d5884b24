/**
 * exfil-collector as a real process (the compiled program, `npm run build:ts` first): config
 * errors with key path and line, start on embedded defaults, ingest, SIGTERM, restart on the
 * same SQLite file (stored alerts and dedup survive).
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pack } from 'msgpackr';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/corpus.js';
import { batchOf, makeAlert, spawnCollector } from '../helpers/collector.js';

const BIN = path.join(REPO, 'bin', 'exfil-collector.js');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'exfil-collector-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));


function stop(proc: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    proc.removeAllListeners('exit');
    proc.on('exit', (code) => resolve(code));
    proc.kill('SIGTERM');
  });
}

async function ingest(url: string, token: string, doc: unknown): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const r = await request(`${url}/api/v1/ingest`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/msgpack' }, body: pack(doc) });
  return { status: r.statusCode, body: await r.body.json() };
}

describe('exfil-collector process', () => {
  it('refuses a bad config with every error, its key path and line (exit 2)', () => {
    const f = path.join(tmp, 'bad.yaml');
    writeFileSync(f, ['listen:', '  host: 127.0.0.1', '  prot: 8780', 'storage:', '  kind: postgres', 'ingest:', '  max_body: "8 parsecs"', 'retention:', '  alerts: 90 days', ''].join('\n'));
    const r = spawnSync(process.execPath, [BIN, '--config', f, '--check'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${f}:3: listen.prot: unknown key 'prot'`);
    expect(r.stderr).toMatch(new RegExp(`${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:7: ingest\\.max_body: .*not a size`));
    expect(r.stderr).toMatch(/:9: retention\.alerts: .*not a duration/);
    const f2 = path.join(tmp, 'pg-no-url.yaml');
    writeFileSync(f2, 'storage:\n  kind: postgres\nsensors:\n  - id: a\n    token: same-token-1\n  - id: b\n    token: same-token-1\n');
    const r2 = spawnSync(process.execPath, [BIN, '--config', f2, '--check'], { encoding: 'utf8' });
    expect(r2.status).toBe(2);
    expect(r2.stderr).toContain(`${f2}:1: storage.url: storage.kind postgres needs url`);
    expect(r2.stderr).toContain(`${f2}:7: sensors[1].token: token already used by sensors[0]`);
    const f3 = path.join(tmp, 'cert-cn.yaml');
    writeFileSync(f3, 'sensors:\n  - id: a\n    cert_cn: sensor-a\n  - id: b\n');
    const r3 = spawnSync(process.execPath, [BIN, '--config', f3, '--check'], { encoding: 'utf8' });
    expect(r3.status).toBe(2);
    expect(r3.stderr).toContain(`${f3}:3: sensors[0].cert_cn: cert_cn identifies a sensor by its client certificate: it needs tls.ca (mTLS)`);
    expect(r3.stderr).toMatch(/:4: sensors\[1\]: a sensor needs a token, a cert_cn \(mTLS\), or both/);
    const ok = spawnSync(process.execPath, [BIN, '--config', path.join(REPO, 'config', 'collector.yaml'), '--check'], { encoding: 'utf8' });
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
  });

  it('runs on embedded defaults, stores alerts, stops on SIGTERM and keeps them across a restart', async () => {
    const env = { EXFIL_COLLECTOR_DATA: path.join(tmp, 'data') };
    const first = await spawnCollector(['--port', '0'], env);
    expect(first.stdout()).toContain('demo sensor \'exfil-sensor\' token: demo-sensor-token');
    const doc = batchOf([{ type: 'alert', body: makeAlert(1, { sensor: 'exfil-sensor' }) }, { type: 'alert', body: makeAlert(2, { sensor: 'exfil-sensor' }) }], { sensor: 'exfil-sensor' });
    expect(await ingest(first.url, 'demo-sensor-token', doc)).toEqual({ status: 200, body: { accepted: 2, duplicates: 0, stored: 2, rejected: [] } });
    expect(await stop(first.proc)).toBe(0);

    const second = await spawnCollector(['--port', '0'], env);
    expect((await ingest(second.url, 'demo-sensor-token', doc)).body).toMatchObject({ duplicates: 2, stored: 0 });
    const list = await request(`${second.url}/api/v1/alerts`, { headers: { authorization: 'Bearer demo-analyst-token' } });
    expect(((await list.body.json()) as { total: number }).total).toBe(2);
    expect(await stop(second.proc)).toBe(0);
  });
});
