/**
 * The collector's HTTP surface, in process on 127.0.0.1 port 0, against SQLite and PostgreSQL:
 * ingest (msgpack and JSON), partial rejection, dedup, auth, body limit, garbage, load shedding,
 * the analyst API (pagination, filters, actions, incidents, suppression rules), metrics, static files.
 */
import http from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pack } from 'msgpackr';
import { pino } from 'pino';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CollectorConfig } from '../../collector/config.js';
import { CollectorServer } from '../../collector/server.js';
import { ADMIN_TOKEN, ANALYST_TOKEN, batchOf, cleanupStores, makeAlert, makeWindow, SENSOR, SENSOR_TOKEN, storeCases } from '../helpers/collector.js';

afterAll(cleanupStores);

const MAX_BODY = 128 * 1024;

function config(over: Partial<CollectorConfig['ingest']> = {}): CollectorConfig {
  return {
    listen: { host: '127.0.0.1', port: 0 },
    storage: { kind: 'sqlite', path: ':unused:' },
    sensors: [
      { id: SENSOR, token: SENSOR_TOKEN },
      { id: 'sensor-b', token: 'sensor-b-token-0123456789' },
    ],
    users: [
      { name: 'ann', token: ANALYST_TOKEN, role: 'analyst', sensors: null },
      { name: 'root', token: ADMIN_TOKEN, role: 'admin', sensors: null },
      { name: 'bea', token: 'scoped-analyst-token-0123', role: 'analyst', sensors: ['sensor-b'] },
    ],
    ingest: { max_body_bytes: MAX_BODY, max_in_flight: 0, retry_after_s: 2, max_records: 1000, ...over },
    retention: { alerts_s: 90 * 86400, risk_scores_s: 30 * 86400, windows_s: 8 * 86400, interval_s: 3600 },
    tls: null,
    logging: { level: 'silent' },
    source: 'test',
  };
}

interface Resp {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  text: string;
}

async function call(base: string, method: string, p: string, opts: { token?: string; json?: unknown; body?: Buffer | string; type?: string } = {}): Promise<Resp> {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: Buffer | string | undefined = opts.body;
  if (opts.json !== undefined) {
    body = JSON.stringify(opts.json);
    headers['content-type'] = 'application/json';
  }
  if (opts.type) headers['content-type'] = opts.type;
  const r = await request(`${base}${p}`, { method: method as 'GET', headers, body });
  const text = await r.body.text();
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = null;
  }
  return { status: r.statusCode, headers: r.headers, body: parsed, text };
}

const ingestMsgpack = (base: string, doc: unknown, token = SENSOR_TOKEN): Promise<Resp> =>
  call(base, 'POST', '/api/v1/ingest', { token, body: pack(doc), type: 'application/msgpack' });

describe.each(storeCases())('collector server ($name)', (c) => {
  const run = c.skip ? it.skip : it;
  let srv: CollectorServer;
  let base = '';
  let webRoot = '';

  const start = async (over: Partial<CollectorConfig['ingest']> = {}, now?: () => number): Promise<void> => {
    if (srv) {
      await srv.close();
      await srv.store.close();
    }
    srv = new CollectorServer({ config: config(over), store: await c.open(), log: pino({ level: process.env.TEST_LOG ?? 'silent' }), webRoot, ...(now ? { now } : {}) });
    base = await srv.listen();
  };

  beforeAll(() => {
    webRoot = mkdtempSync(path.join(os.tmpdir(), 'exfil-web-'));
    writeFileSync(path.join(webRoot, 'index.html'), '<!doctype html><title>t</title>');
    mkdirSync(path.join(webRoot, 'js'));
    writeFileSync(path.join(webRoot, 'js', 'app.js'), 'export {};');
    writeFileSync(path.join(webRoot, '.secret'), 'no');
  });
  afterAll(async () => {
    if (srv) {
      await srv.close();
      await srv.store.close();
    }
    rmSync(webRoot, { recursive: true, force: true });
  });

  run('ingests msgpack and JSON batches, stores each alert once', async () => {
    await start();
    const b1 = batchOf([{ type: 'alert', body: makeAlert(1) }, { type: 'alert', body: makeAlert(2) }, { type: 'window', body: makeWindow(1) }]);
    const r1 = await ingestMsgpack(base, b1);
    expect(r1.status).toBe(200);
    expect(r1.body).toEqual({ accepted: 3, duplicates: 0, stored: 3, rejected: [] });
    const b2 = batchOf([{ type: 'alert', body: makeAlert(2) }, { type: 'alert', body: makeAlert(3) }], { batchSeq: 2, firstSeq: 4 });
    const r2 = await call(base, 'POST', '/api/v1/ingest', { token: SENSOR_TOKEN, json: b2 });
    expect(r2.body).toEqual({ accepted: 2, duplicates: 1, stored: 1, rejected: [] });
    // The whole first batch again (a retry after a lost response): all duplicates.
    expect((await ingestMsgpack(base, b1)).body).toEqual({ accepted: 3, duplicates: 3, stored: 0, rejected: [] });
    const list = await call(base, 'GET', '/api/v1/alerts', { token: ANALYST_TOKEN });
    expect(list.body.total).toBe(3);
    const d = await call(base, 'GET', `/api/v1/alerts/${encodeURIComponent(makeAlert(2).id)}`, { token: ANALYST_TOKEN });
    expect(d.body.alert).toEqual(makeAlert(2));
    expect(d.body.row).toMatchObject({ id: makeAlert(2).id, status: 'new', sni: 'upload-2.example.net', dest_asn: 64500 });
    expect(d.body.history).toEqual([]);
    const m = (await call(base, 'GET', '/metrics')).text;
    expect(m).toContain('exfil_collector_records_stored_total{type="alert"} 3');
    expect(m).toContain('exfil_collector_records_duplicate_total 4');
    expect(m).toContain('exfil_collector_http_responses_total{status="200"}');
  });

  run('rejects bad records with index and reason and stores the good ones of the batch', async () => {
    await start();
    const noSeverity = makeAlert(11) as unknown as Record<string, unknown>;
    delete noSeverity.severity;
    const otherSensor = makeAlert(12, { sensor: 'sensor-b' });
    const badPort = makeAlert(13);
    (badPort.aggregate as { dest_port: number }).dest_port = 70000;
    const badTime = makeAlert(14);
    badTime.aggregate.window_start = 'yesterday';
    const doc = batchOf([
      { type: 'alert', body: makeAlert(10) },
      { type: 'alert', body: noSeverity },
      { type: 'alert', body: otherSensor },
      { type: 'alert', body: badPort },
      { type: 'alert', body: badTime },
      { type: 'window', body: { ...makeWindow(1), upload_bytes: 'lots' } },
      { type: 'window', body: makeWindow(2) },
    ]);
    (doc.records as unknown[]).push({ type: 'flow', seq: 99 }, 'junk');
    const r = await ingestMsgpack(base, doc);
    expect(r.status).toBe(200);
    expect(r.body.accepted).toBe(2);
    expect(r.body.stored).toBe(2);
    const rej = r.body.rejected as { index: number; seq: number | null; code: string; reason: string }[];
    expect(rej.map((x) => [x.index, x.code])).toEqual([
      [1, 'COLLECTOR_ERR_BAD_RECORD'],
      [2, 'COLLECTOR_ERR_SENSOR_MISMATCH'],
      [3, 'COLLECTOR_ERR_BAD_RECORD'],
      [4, 'COLLECTOR_ERR_BAD_RECORD'],
      [5, 'COLLECTOR_ERR_BAD_RECORD'],
      [7, 'COLLECTOR_ERR_BAD_RECORD'],
      [8, 'COLLECTOR_ERR_BAD_RECORD'],
    ]);
    expect(rej[0]!.reason).toContain('records[1].alert.severity');
    expect(rej[0]!.seq).toBe(2);
    expect(rej[2]!.reason).toContain('records[3].alert.aggregate.dest_port');
    expect(rej[3]!.reason).toContain('window_start');
    expect(rej[6]!.seq).toBeNull();
    const list = await call(base, 'GET', '/api/v1/alerts', { token: ANALYST_TOKEN });
    expect(list.body.alerts.map((a: { id: string }) => a.id)).toEqual([makeAlert(10).id]);
    expect((await call(base, 'GET', '/metrics')).text).toContain('exfil_collector_records_rejected_total{code="COLLECTOR_ERR_SENSOR_MISMATCH"} 1');
  });

  run('wrong or missing token is 401, another sensor\'s batch 403, other types 415; nothing stored', async () => {
    await start();
    const doc = batchOf([{ type: 'alert', body: makeAlert(1) }]);
    expect((await ingestMsgpack(base, doc, 'not-a-token-at-all')).status).toBe(401);
    const none = await call(base, 'POST', '/api/v1/ingest', { body: pack(doc), type: 'application/msgpack' });
    expect(none.status).toBe(401);
    expect(none.body.code).toBe('COLLECTOR_ERR_UNAUTHORIZED');
    expect((await ingestMsgpack(base, doc, ANALYST_TOKEN)).status).toBe(401);
    const other = await ingestMsgpack(base, doc, 'sensor-b-token-0123456789');
    expect(other.status).toBe(403);
    expect(other.body.code).toBe('COLLECTOR_ERR_SENSOR_MISMATCH');
    const xml = await call(base, 'POST', '/api/v1/ingest', { token: SENSOR_TOKEN, body: '<a/>', type: 'application/xml' });
    expect(xml.status).toBe(415);
    expect((await call(base, 'GET', '/api/v1/alerts', { token: ANALYST_TOKEN })).body.total).toBe(0);
    expect((await call(base, 'GET', '/api/v1/alerts')).status).toBe(401);
    expect((await call(base, 'GET', '/api/v1/alerts', { token: SENSOR_TOKEN })).status).toBe(401);
  });

  run('oversized bodies get 413 (declared and streamed), garbage 400, and the server keeps serving', async () => {
    await start();
    const many = batchOf(Array.from({ length: 400 }, (_, i) => ({ type: 'alert' as const, body: makeAlert(i) })));
    const big = pack(many);
    expect(big.length).toBeGreaterThan(MAX_BODY);
    const r = await ingestMsgpack(base, many);
    expect(r.status).toBe(413);
    expect(r.body.code).toBe('COLLECTOR_ERR_BODY_TOO_LARGE');
    // Chunked, no Content-Length: refused while streaming.
    const streamed = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(`${base}/api/v1/ingest`, {
        method: 'POST',
        headers: { authorization: `Bearer ${SENSOR_TOKEN}`, 'content-type': 'application/msgpack', 'transfer-encoding': 'chunked' },
      });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      for (let i = 0; i < big.length; i += 8192) req.write(big.subarray(i, i + 8192));
      req.end();
    });
    expect(streamed.status).toBe(413);
    expect(JSON.parse(streamed.body).code).toBe('COLLECTOR_ERR_BODY_TOO_LARGE');
    const garbage = await call(base, 'POST', '/api/v1/ingest', { token: SENSOR_TOKEN, body: Buffer.from([0xc1, 0xff, 0x00, 0x13]), type: 'application/msgpack' });
    expect(garbage.status).toBe(400);
    expect(garbage.body.code).toBe('COLLECTOR_ERR_BAD_BODY');
    const badJson = await call(base, 'POST', '/api/v1/ingest', { token: SENSOR_TOKEN, body: '{"schema":1,', type: 'application/json' });
    expect(badJson.body.code).toBe('COLLECTOR_ERR_BAD_BODY');
    const notBatch = await ingestMsgpack(base, [1, 2, 3]);
    expect(notBatch.status).toBe(400);
    expect(notBatch.body.code).toBe('COLLECTOR_ERR_BAD_BATCH');
    const wrongSchema = await ingestMsgpack(base, { ...batchOf([{ type: 'alert', body: makeAlert(1) }]), schema: 2 });
    expect(wrongSchema.body.code).toBe('COLLECTOR_ERR_BAD_BATCH');
    expect((await call(base, 'GET', '/api/v1/alerts', { token: ANALYST_TOKEN })).body.total).toBe(0);
    // Still serving.
    expect((await call(base, 'GET', '/healthz')).body).toEqual({ status: 'ok', store: c.name });
    expect((await ingestMsgpack(base, batchOf([{ type: 'alert', body: makeAlert(1) }]))).body.stored).toBe(1);
    const m = (await call(base, 'GET', '/metrics')).text;
    expect(m).toContain('exfil_collector_http_responses_total{status="413"} 2');
    expect(m).toContain('exfil_collector_http_responses_total{status="400"} 4');
  });

  run('sheds load past ingest.max_in_flight with 503 and Retry-After', async () => {
    await start({ max_in_flight: 1 });
    const body = pack(batchOf([{ type: 'alert', body: makeAlert(1) }]));
    // One ingest held open mid-body.
    const held = http.request(`${base}/api/v1/ingest`, {
      method: 'POST',
      headers: { authorization: `Bearer ${SENSOR_TOKEN}`, 'content-type': 'application/msgpack', 'content-length': body.length },
    });
    const heldDone = new Promise<number>((resolve, reject) => {
      held.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      held.on('error', reject);
    });
    held.write(body.subarray(0, 10));
    // Wait until the server counts it in flight.
    for (let i = 0; i < 200 && !(await call(base, 'GET', '/metrics')).text.includes('exfil_collector_ingest_in_flight 1'); i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const shed = await ingestMsgpack(base, batchOf([{ type: 'alert', body: makeAlert(2) }]));
    expect(shed.status).toBe(503);
    expect(shed.headers['retry-after']).toBe('2');
    expect(shed.body.code).toBe('COLLECTOR_ERR_OVERLOADED');
    held.end(body.subarray(10));
    expect(await heldDone).toBe(200);
    expect((await ingestMsgpack(base, batchOf([{ type: 'alert', body: makeAlert(2) }]))).status).toBe(200);
    expect((await call(base, 'GET', '/metrics')).text).toContain('exfil_collector_ingest_shed_total 1');
  });

  run('lists 50 per page with filters; bad parameters are 400 naming the parameter', async () => {
    await start();
    const alerts = Array.from({ length: 51 }, (_, i) => makeAlert(i, { severity: i < 4 ? 'critical' : 'low', src: i < 4 ? '10.20.0.1' : undefined }));
    expect((await ingestMsgpack(base, batchOf(alerts.map((a) => ({ type: 'alert' as const, body: a }))))).body.stored).toBe(51);
    const p1 = await call(base, 'GET', '/api/v1/alerts?page=1', { token: ANALYST_TOKEN });
    const p2 = await call(base, 'GET', '/api/v1/alerts?page=2', { token: ANALYST_TOKEN });
    expect([p1.body.per_page, p1.body.total, p1.body.alerts.length, p2.body.alerts.length]).toEqual([50, 51, 50, 1]);
    const crit = await call(base, 'GET', '/api/v1/alerts?severity=critical,high&status=new&asn=AS64500', { token: ANALYST_TOKEN });
    expect(crit.body.total).toBe(4);
    const q = await call(base, 'GET', `/api/v1/alerts?q=UPLOAD-33.example&from=${encodeURIComponent(alerts[30]!.aggregate.window_start)}`, { token: ANALYST_TOKEN });
    expect(q.body.alerts.map((a: { id: string }) => a.id)).toEqual([alerts[33]!.id]);
    const bad = await call(base, 'GET', '/api/v1/alerts?severity=urgent', { token: ANALYST_TOKEN });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'COLLECTOR_ERR_BAD_REQUEST', field: 'severity' });
    expect((await call(base, 'GET', '/api/v1/alerts?from=notatime', { token: ANALYST_TOKEN })).body.field).toBe('from');
    expect((await call(base, 'GET', '/api/v1/alerts?page=0', { token: ANALYST_TOKEN })).status).toBe(400);
    expect((await call(base, 'GET', '/api/v1/alerts/nope', { token: ANALYST_TOKEN })).status).toBe(404);
    // Incidents: one for the four critical alerts of 10.20.0.1.
    const inc = await call(base, 'GET', '/api/v1/incidents', { token: ANALYST_TOKEN });
    expect(inc.body.total).toBe(1);
    expect(inc.body.incidents[0]).toMatchObject({ src_ip: '10.20.0.1', severity: 'critical', alert_count: 4, status: 'open' });
    const top = await call(base, 'GET', '/api/v1/stats/top-destinations', { token: ANALYST_TOKEN });
    expect(top.body[0]).toMatchObject({ dest_ip: '203.0.113.7', alerts: 51 });
    const pcr = await call(base, 'GET', '/api/v1/stats/pcr', { token: ANALYST_TOKEN });
    expect(pcr.body.map((b: { bucket: string }) => b.bucket)).toEqual(['pure_upload', 'mostly_upload', 'balanced', 'mostly_download', 'pure_download']);
  });

  run('actions, bulk actions and the incident cascade over HTTP', async () => {
    await start();
    const a = [1, 2, 3].map((i) => makeAlert(i, { severity: 'high', src: '10.30.0.1' }));
    await ingestMsgpack(base, batchOf(a.map((x) => ({ type: 'alert' as const, body: x }))));
    const id = (x: { id: string }): string => encodeURIComponent(x.id);
    const inv = await call(base, 'POST', `/api/v1/alerts/${id(a[0]!)}/actions`, { token: ANALYST_TOKEN, json: { action: 'investigate', note: 'looking' } });
    expect(inv.body).toMatchObject({ ok: true, status: 'investigating' });
    const again = await call(base, 'POST', `/api/v1/alerts/${id(a[0]!)}/actions`, { token: ANALYST_TOKEN, json: { action: 'investigate' } });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('COLLECTOR_ERR_INVALID_TRANSITION');
    expect((await call(base, 'POST', `/api/v1/alerts/${id(a[0]!)}/actions`, { token: ANALYST_TOKEN, json: { action: 'delete' } })).body.field).toBe('action');
    const bulk = await call(base, 'POST', '/api/v1/alerts/actions', { token: ANALYST_TOKEN, json: { ids: [a[0]!.id, a[1]!.id, 'missing'], action: 'resolve_confirmed', note: 'IR-42' } });
    expect(bulk.body.ok).toBe(2);
    expect(bulk.body.results[2]).toMatchObject({ id: 'missing', ok: false, code: 'COLLECTOR_ERR_NOT_FOUND' });
    const detail = await call(base, 'GET', `/api/v1/alerts/${id(a[0]!)}`, { token: ANALYST_TOKEN });
    expect(detail.body.history.map((h: { action: string; actor: string }) => `${h.action}:${h.actor}`)).toEqual(['investigate:ann', 'resolve_confirmed:ann']);
    expect(detail.body.incident.status).toBe('open');
    await call(base, 'POST', `/api/v1/alerts/${id(a[2]!)}/actions`, { token: ANALYST_TOKEN, json: { action: 'resolve_false_positive' } });
    const incId = detail.body.row.incident_id as string;
    const inc = await call(base, 'GET', `/api/v1/incidents/${incId}`, { token: ANALYST_TOKEN });
    expect(inc.body.incident).toMatchObject({ status: 'resolved_confirmed', resolved_by: 'ann', open_alerts: 0 });
    expect(inc.body.alerts).toHaveLength(3);
    // Reverse cascade.
    const b = makeAlert(9, { severity: 'critical', src: '10.30.0.2' });
    await ingestMsgpack(base, batchOf([{ type: 'alert', body: b }], { batchSeq: 2 }));
    const bInc = (await call(base, 'GET', `/api/v1/alerts/${id(b)}`, { token: ANALYST_TOKEN })).body.row.incident_id as string;
    const res = await call(base, 'POST', `/api/v1/incidents/${bInc}/actions`, { token: ANALYST_TOKEN, json: { action: 'resolve_false_positive' } });
    expect(res.body).toMatchObject({ ok: true, status: 'resolved_false_positive' });
    expect((await call(base, 'GET', `/api/v1/alerts/${id(b)}`, { token: ANALYST_TOKEN })).body.row.status).toBe('resolved_false_positive');
  });

  run('suppressions: scope rules, admin-only permanent and account-wide entries, sensors pull them', async () => {
    await start();
    const a = makeAlert(1, { src: '10.40.0.1', dest: '192.0.2.40', port: 443 });
    await ingestMsgpack(base, batchOf([{ type: 'alert', body: a }]));
    const act = (token: string, suppression?: unknown): Promise<Resp> =>
      call(base, 'POST', `/api/v1/alerts/${encodeURIComponent(a.id)}/actions`, { token, json: suppression === undefined ? { action: 'suppress' } : { action: 'suppress', suppression } });
    expect((await act(ANALYST_TOKEN, { expires_at: null })).status).toBe(403);
    expect((await act(ANALYST_TOKEN, { scope: {} })).body.field).toBe('suppression.scope');
    const ok = await act(ANALYST_TOKEN, { scope: { dest: '192.0.2.40', domain_regex: '^upload-[0-9]+\\.example\\.net$' }, reason: '', expires_at: '2999-01-01T00:00:00Z' });
    expect(ok.body).toMatchObject({ ok: true, status: 'resolved_false_positive' });
    const sup = (await call(base, 'GET', '/api/v1/suppressions', { token: ANALYST_TOKEN })).body.suppressions;
    expect(sup).toHaveLength(1);
    expect(sup[0]).toMatchObject({ id: ok.body.suppression_id, sensor_id: SENSOR, owner: 'ann', scope: { dest: '192.0.2.40' }, expires_at: '2999-01-01T00:00:00.000Z', source_alert_id: a.id });

    const post = (token: string, body: unknown): Promise<Resp> => call(base, 'POST', '/api/v1/suppressions', { token, json: body });
    const base1 = { sensor_id: SENSOR, scope: { src: '10.40.0.0/24' }, reason: 'backup subnet', expires_at: '2999-01-01T00:00:00Z' };
    expect((await post(ANALYST_TOKEN, base1)).status).toBe(201);
    const perm = await post(ANALYST_TOKEN, { ...base1, expires_at: null });
    expect(perm.status).toBe(403);
    expect(perm.body.code).toBe('COLLECTOR_ERR_FORBIDDEN');
    expect((await post(ANALYST_TOKEN, { ...base1, expires_at: undefined })).status).toBe(403);
    const permAdmin = await post(ADMIN_TOKEN, { ...base1, expires_at: null });
    expect(permAdmin.status).toBe(201);
    expect(permAdmin.body.expires_at).toBeNull();
    expect((await post(ANALYST_TOKEN, { ...base1, scope: { domain_regex: 'a'.repeat(201) } })).body.field).toBe('scope.domain_regex');
    expect((await post(ANALYST_TOKEN, { ...base1, scope: { domain_regex: 'a'.repeat(200) } })).status).toBe(201);
    expect((await post(ANALYST_TOKEN, { ...base1, scope: { domain_regex: '(unclosed' } })).body.field).toBe('scope.domain_regex');
    expect((await post(ANALYST_TOKEN, { ...base1, scope: { dest: 'not-an-ip' } })).body.field).toBe('scope.dest');
    expect((await post(ANALYST_TOKEN, { ...base1, expires_at: '2000-01-01T00:00:00Z' })).body.field).toBe('expires_at');
    expect((await post(ANALYST_TOKEN, { ...base1, sensor_id: 'nope' })).body.field).toBe('sensor_id');
    // Account-wide (every sensor) needs admin; a scoped analyst only reaches its sensors.
    expect((await post(ANALYST_TOKEN, { ...base1, sensor_id: null })).status).toBe(403);
    const global = await post(ADMIN_TOKEN, { ...base1, sensor_id: null, reason: 'global' });
    expect(global.status).toBe(201);
    expect((await post('scoped-analyst-token-0123', base1)).status).toBe(403);
    const forB = await post('scoped-analyst-token-0123', { ...base1, sensor_id: 'sensor-b', reason: 'b only' });
    expect(forB.status).toBe(201);
    expect((await call(base, 'DELETE', `/api/v1/suppressions/${global.body.id}`, { token: ANALYST_TOKEN })).status).toBe(403);

    const pulled = await call(base, 'GET', `/api/v1/sensors/${SENSOR}/suppressions`, { token: SENSOR_TOKEN });
    expect(pulled.status).toBe(200);
    const reasons = pulled.body.suppressions.map((s: { reason: string }) => s.reason);
    expect(reasons).toContain('global');
    expect(reasons).not.toContain('b only');
    expect(pulled.body.suppressions).toHaveLength(5);
    expect((await call(base, 'GET', '/api/v1/sensors/sensor-b/suppressions', { token: SENSOR_TOKEN })).status).toBe(403);
    expect((await call(base, 'GET', `/api/v1/sensors/${SENSOR}/suppressions`, { token: ANALYST_TOKEN })).status).toBe(401);

    expect((await call(base, 'DELETE', `/api/v1/suppressions/${global.body.id}`, { token: ADMIN_TOKEN })).status).toBe(200);
    expect((await call(base, 'DELETE', `/api/v1/suppressions/${ok.body.suppression_id}`, { token: ANALYST_TOKEN })).status).toBe(200);
    expect((await call(base, 'DELETE', `/api/v1/suppressions/${ok.body.suppression_id}`, { token: ANALYST_TOKEN })).status).toBe(404);
    expect((await call(base, 'GET', `/api/v1/sensors/${SENSOR}/suppressions`, { token: SENSOR_TOKEN })).body.suppressions).toHaveLength(3);
  });

  run('parallel overlapping batches (retries racing) store every alert exactly once', async () => {
    await start();
    // 8 senders, each 60 alerts overlapping its neighbours by half: 270 distinct ids, 480 sent.
    const sends = Array.from({ length: 8 }, (_, k) =>
      ingestMsgpack(base, batchOf(Array.from({ length: 60 }, (_, i) => ({ type: 'alert' as const, body: makeAlert(k * 30 + i, { severity: 'high', src: '10.60.0.1' }) })), { batchSeq: k + 1 })),
    );
    const answers = await Promise.all(sends);
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));
    const stored = answers.reduce((n, a) => n + (a.body.stored as number), 0);
    const dups = answers.reduce((n, a) => n + (a.body.duplicates as number), 0);
    expect([stored, dups]).toEqual([270, 210]);
    expect((await call(base, 'GET', '/api/v1/alerts', { token: ANALYST_TOKEN })).body.total).toBe(270);
    // All High alerts of one source: one incident, however the batches raced.
    const inc = await call(base, 'GET', '/api/v1/incidents', { token: ANALYST_TOKEN });
    expect(inc.body.incidents.map((i: { alert_count: number }) => i.alert_count)).toEqual([270]);
  });

  run('retention purge on demand (admin only) removes alerts older than retention.alerts', async () => {
    let clock = Date.parse('2026-03-01T00:00:00Z');
    await start({}, () => clock);
    await ingestMsgpack(base, batchOf([{ type: 'alert', body: makeAlert(1) }]));
    clock += 60 * 86_400_000;
    await ingestMsgpack(base, batchOf([{ type: 'alert', body: makeAlert(2) }], { batchSeq: 2, firstSeq: 2 }));
    clock += 40 * 86_400_000; // alert 1 is 100 days old, alert 2 is 40 days old
    expect((await call(base, 'POST', '/api/v1/admin/purge', { token: ANALYST_TOKEN })).status).toBe(403);
    const r = await call(base, 'POST', '/api/v1/admin/purge', { token: ADMIN_TOKEN });
    expect(r.body).toMatchObject({ alerts: 1, risk_scores: 2 });
    const left = await call(base, 'GET', '/api/v1/alerts', { token: ANALYST_TOKEN });
    expect(left.body.alerts.map((a: { id: string; risk_score: number | null }) => [a.id, a.risk_score])).toEqual([[makeAlert(2).id, null]]);
    expect((await call(base, 'GET', '/metrics')).text).toContain('exfil_collector_retention_purged_total{table="alerts"} 1');
  });

  run('serves the web folder with content types and no way out of it', async () => {
    await start();
    const index = await call(base, 'GET', '/');
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.text).toContain('<title>t</title>');
    const js = await call(base, 'GET', '/js/app.js');
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    for (const p of ['/../package.json', '/%2e%2e/package.json', '/js/..%2f..%2fpackage.json', '/.secret', '/%00', '/js/%2e%2e%5c%2e%2e%5cpackage.json', '/nothing.html']) {
      const r = await call(base, 'GET', p);
      expect(r.status, p).toBe(404);
      expect(r.text).not.toContain('"name": "exfil-sensor"');
    }
    expect((await call(base, 'DELETE', '/api/v1/alerts')).status).toBe(405);
  });
});
