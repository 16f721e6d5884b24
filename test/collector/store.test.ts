/** The store's behaviour, the same table of tests against SQLite and PostgreSQL. */
import { afterAll, describe, expect, it } from 'vitest';
import { migrate } from '../../collector/store/migrate.js';
import type { ValidRecord } from '../../collector/ingest/validate.js';
import { batchOf, cleanupStores, makeAlert, makeWindow, SENSOR, storeCases } from '../helpers/collector.js';
import type { SqlStore } from '../../collector/store/sql-store.js';

afterAll(cleanupStores);

const NOW = Date.parse('2026-03-10T00:00:00Z');
const DAY = 86_400_000;

function alerts(list: ReturnType<typeof makeAlert>[], firstSeq = 1): ValidRecord[] {
  return list.map((a, i) => ({ index: i, type: 'alert' as const, seq: firstSeq + i, alert: a }));
}

describe.each(storeCases())('store ($name)', (c) => {
  const run = c.skip ? it.skip : it;
  let store: SqlStore;
  const fresh = async (): Promise<SqlStore> => {
    if (store) await store.close();
    store = await c.open();
    return store;
  };
  afterAll(async () => {
    if (store) await store.close();
  });

  run('migrations are recorded and a second run applies nothing', async () => {
    const s = await fresh();
    expect(await migrate(s.db)).toEqual([]);
    const rows = await s.db.all<{ version: number }>('SELECT version FROM schema_migrations');
    expect(rows.map((r) => Number(r.version))).toEqual([1]);
  });

  run('stores each alert id once and counts duplicates', async () => {
    const s = await fresh();
    const r1 = await s.ingest(SENSOR, 1, alerts([makeAlert(1), makeAlert(2), makeAlert(1)]), NOW);
    expect(r1).toEqual({ accepted: 3, duplicates: 1, alerts_stored: 2, windows_stored: 0 });
    const r2 = await s.ingest(SENSOR, 2, alerts([makeAlert(2), makeAlert(3)]), NOW);
    expect(r2).toEqual({ accepted: 2, duplicates: 1, alerts_stored: 1, windows_stored: 0 });
    expect((await s.listAlerts({}, 1, 50)).total).toBe(3);
    const [sensor] = await s.sensors();
    expect(sensor).toMatchObject({ id: SENSOR, alerts_stored: 3, last_batch_seq: 2 });
    const detail = await s.getAlert(makeAlert(1).id);
    expect(detail?.alert).toEqual(makeAlert(1));
    expect(detail?.row.sni).toBe('upload-1.example.net');
    expect(detail?.risk?.composite_score).toBeCloseTo(0.61);
  });

  run('paginates 50 per page, newest window first, and filters', async () => {
    const s = await fresh();
    const list = Array.from({ length: 51 }, (_, i) =>
      makeAlert(i, {
        severity: i % 3 === 0 ? 'low' : 'medium',
        dest: i < 5 ? '198.51.100.77' : '203.0.113.7',
        country: i < 5 ? 'RU' : 'NL',
        asn: i < 5 ? 12345 : 64500,
        appProto: i === 7 ? 'http' : 'tls',
        sni: i === 9 ? 'Secret-Drop.example.org' : undefined,
      }),
    );
    await s.ingest(SENSOR, 1, alerts(list), NOW);
    const p1 = await s.listAlerts({}, 1, 50);
    const p2 = await s.listAlerts({}, 2, 50);
    expect(p1.total).toBe(51);
    expect(p1.alerts).toHaveLength(50);
    expect(p2.alerts).toHaveLength(1);
    expect(p1.alerts[0]!.id).toBe(makeAlert(50).id);
    expect(p2.alerts[0]!.id).toBe(makeAlert(0).id);
    const ids = new Set([...p1.alerts, ...p2.alerts].map((a) => a.id));
    expect(ids.size).toBe(51);

    expect((await s.listAlerts({ severity: ['low'] }, 1, 50)).total).toBe(17);
    expect((await s.listAlerts({ dest: '198.51.100.77' }, 1, 50)).total).toBe(5);
    expect((await s.listAlerts({ country: 'RU' }, 1, 50)).total).toBe(5);
    expect((await s.listAlerts({ asn: 12345 }, 1, 50)).total).toBe(5);
    expect((await s.listAlerts({ app_proto: 'http' }, 1, 50)).alerts.map((a) => a.id)).toEqual([makeAlert(7).id]);
    expect((await s.listAlerts({ src: list[3]!.aggregate.src_ip }, 1, 50)).alerts.map((a) => a.id)).toEqual([makeAlert(3).id]);
    expect((await s.listAlerts({ community_id: '1:cid-12-b=' }, 1, 50)).alerts.map((a) => a.id)).toEqual([makeAlert(12).id]);
    expect((await s.listAlerts({ q: 'secret-DROP' }, 1, 50)).alerts.map((a) => a.id)).toEqual([makeAlert(9).id]);
    expect((await s.listAlerts({ q: '100%' }, 1, 50)).total).toBe(0);
    const from = Date.parse(list[10]!.aggregate.window_start);
    const to = Date.parse(list[20]!.aggregate.window_start);
    expect((await s.listAlerts({ from, to }, 1, 50)).total).toBe(10);
    expect((await s.listAlerts({ status: ['new'], severity: ['medium'], dest: '198.51.100.77' }, 1, 50)).total).toBe(3);
  });

  run('High and Critical alerts open or join an incident; resolving the last alert resolves it', async () => {
    const s = await fresh();
    const a1 = makeAlert(1, { severity: 'high', src: '10.9.9.9' });
    const a2 = makeAlert(2, { severity: 'critical', src: '10.9.9.9' });
    const a3 = makeAlert(3, { severity: 'medium', src: '10.9.9.9' });
    const a4 = makeAlert(4, { severity: 'high', src: '10.9.9.10' });
    await s.ingest(SENSOR, 1, alerts([a1, a2, a3, a4]), NOW);
    const { incidents } = await s.listIncidents({ page: 1, perPage: 50 });
    expect(incidents).toHaveLength(2);
    const inc = incidents.find((i) => i.src_ip === '10.9.9.9')!;
    expect(inc).toMatchObject({ severity: 'critical', status: 'open', alert_count: 2, open_alerts: 2 });
    expect((await s.getAlert(a3.id))!.row.incident_id).toBeNull();

    const [r1] = await s.alertAction([a1.id], 'resolve_false_positive', 'ann', { note: 'backup' }, NOW);
    expect(r1).toMatchObject({ ok: true, status: 'resolved_false_positive' });
    expect((await s.getIncident(inc.id))!.incident.status).toBe('open');
    const [again] = await s.alertAction([a1.id], 'resolve_confirmed', 'ann', {}, NOW);
    expect(again).toMatchObject({ ok: false, code: 'COLLECTOR_ERR_INVALID_TRANSITION' });
    expect((await s.alertAction([a2.id], 'investigate', 'ann', {}, NOW))[0]).toMatchObject({ ok: true, status: 'investigating' });
    expect((await s.alertAction([a2.id], 'investigate', 'ann', {}, NOW))[0]!.ok).toBe(false);
    await s.alertAction([a2.id], 'resolve_confirmed', 'bob', {}, NOW + 1);
    const after = (await s.getIncident(inc.id))!.incident;
    expect(after).toMatchObject({ status: 'resolved_confirmed', resolved_by: 'bob', open_alerts: 0 });
    const hist = (await s.getAlert(a2.id))!.history.map((h) => [h.action, h.actor]);
    expect(hist).toEqual([['investigate', 'ann'], ['resolve_confirmed', 'bob']]);
    // A new High alert from the same source opens a new incident (the old one is closed).
    await s.ingest(SENSOR, 2, alerts([makeAlert(5, { severity: 'high', src: '10.9.9.9' })], 10), NOW);
    expect((await s.listIncidents({ status: ['open'], page: 1, perPage: 50 })).total).toBe(2);
  });

  run('resolving an incident resolves its open alerts (reverse cascade)', async () => {
    const s = await fresh();
    const a1 = makeAlert(1, { severity: 'high', src: '10.7.7.7' });
    const a2 = makeAlert(2, { severity: 'high', src: '10.7.7.7' });
    await s.ingest(SENSOR, 1, alerts([a1, a2]), NOW);
    await s.alertAction([a1.id], 'investigate', 'ann', {}, NOW);
    const incId = (await s.getAlert(a1.id))!.row.incident_id!;
    expect(await s.incidentAction(incId, 'resolve_false_positive', 'lead', 'sanctioned backup', NOW)).toMatchObject({ ok: true });
    for (const a of [a1, a2]) {
      const d = (await s.getAlert(a.id))!;
      expect(d.row.status).toBe('resolved_false_positive');
      expect(d.history.at(-1)).toMatchObject({ action: 'resolve_false_positive', actor: 'lead' });
    }
    expect((await s.incidentAction(incId, 'resolve_confirmed', 'lead', null, NOW)).code).toBe('COLLECTOR_ERR_INVALID_TRANSITION');
    expect((await s.incidentAction('inc-nope', 'resolve_confirmed', 'lead', null, NOW)).code).toBe('COLLECTOR_ERR_NOT_FOUND');
  });

  run('suppress creates a scoped suppression; sensors see active ones for them', async () => {
    const s = await fresh();
    const a = makeAlert(1, { src: '10.3.3.3', dest: '192.0.2.5', port: 8443 });
    await s.ingest(SENSOR, 1, alerts([a]), NOW);
    const [r] = await s.alertAction([a.id], 'suppress', 'ann', {
      suppressionFor: (row) => ({ sensor_id: row.sensor_id, scope: { src: row.src_ip, dest: row.dest_ip, port: row.dest_port }, reason: 'r', owner: 'ann', expires_at: NOW + DAY }),
    }, NOW);
    expect(r).toMatchObject({ ok: true, status: 'resolved_false_positive' });
    const sup = await s.getSuppression(r!.suppression_id!);
    expect(sup).toMatchObject({ sensor_id: SENSOR, scope: { src: '10.3.3.3', dest: '192.0.2.5', port: 8443 }, source_alert_id: a.id });
    await s.createSuppression({ sensor_id: null, scope: { domain_regex: '^backup\\.' }, reason: 'global', owner: 'root', expires_at: null }, NOW);
    await s.createSuppression({ sensor_id: 'other', scope: { app_proto: 'ssh' }, reason: 'other', owner: 'root', expires_at: null }, NOW);
    await s.createSuppression({ sensor_id: SENSOR, scope: { port: 22 }, reason: 'expired', owner: 'ann', expires_at: NOW - 1 }, NOW - DAY);
    const forSensor = await s.listSuppressions({ sensor_id: SENSOR, active_at: NOW });
    expect(forSensor.map((x) => x.reason).sort()).toEqual(['global', 'r']);
    expect(await s.deleteSuppression(sup!.id)).toBe(true);
    expect(await s.deleteSuppression(sup!.id)).toBe(false);
    expect((await s.listSuppressions({})).length).toBe(3);
  });

  run('top destinations, PCR buckets and the cross-sensor baseline', async () => {
    const s = await fresh();
    await s.ingest(SENSOR, 1, alerts([
      makeAlert(1, { dest: '192.0.2.1', upload: 500, src: '10.0.0.1' }),
      makeAlert(2, { dest: '192.0.2.1', upload: 700, src: '10.0.0.2' }),
      makeAlert(3, { dest: '192.0.2.2', upload: 100, src: '10.0.0.1' }),
    ]), NOW);
    const top = await s.topDestinations(0, 8.64e15, 10);
    expect(top.map((t) => [t.dest_ip, t.alerts, t.sources, t.upload_bytes])).toEqual([['192.0.2.1', 2, 2, 1200], ['192.0.2.2', 1, 1, 100]]);
    const w = (i: number, o: Parameters<typeof makeWindow>[1]): ValidRecord => ({ index: i, type: 'window', seq: 100 + i, window: makeWindow(i, o) });
    const r = await s.ingest(SENSOR, 2, [
      w(1, { src: '10.0.0.1', up: 1000, down: 0 }), // pcr 1
      w(2, { src: '10.0.0.2', up: 10, down: 1000 }), // pcr ~ -0.98
      w(3, { src: '10.0.0.3', up: 500, down: 500 }), // pcr 0
      w(4, { src: '10.0.0.3', up: 500, down: 500, minute: 1000 }), // same group, later window: pcr 0
      w(1, { src: '10.0.0.1', up: 1000, down: 0 }), // duplicate
    ], NOW);
    expect(r).toMatchObject({ windows_stored: 4, duplicates: 1 });
    const pcr = Object.fromEntries((await s.pcr(0, 8.64e15)).map((b) => [b.bucket, [b.groups, b.upload_bytes]]));
    expect(pcr).toEqual({ pure_upload: [1, 1000], mostly_upload: [0, 0], balanced: [1, 1000], mostly_download: [0, 0], pure_download: [1, 10] });
    await s.ingest('sensor-b', 1, [{ index: 0, type: 'window', seq: 1, window: makeWindow(9, { src: '10.0.0.1' }) }], NOW);
    const b = await s.baseline('198.51.100.9', 0, 8.64e15);
    expect(b).toMatchObject({ sensors: 2, sources: 3, windows: 5, flow_count: 20 });
  });

  run('retention purges alerts, risk scores and windows by age, with their links', async () => {
    const s = await fresh();
    const old = makeAlert(1, { severity: 'high', src: '10.5.5.5' });
    const mid = makeAlert(2);
    const recent = makeAlert(3);
    await s.ingest(SENSOR, 1, alerts([old]), NOW - 100 * DAY);
    await s.ingest(SENSOR, 2, alerts([mid], 2), NOW - 40 * DAY);
    await s.ingest(SENSOR, 3, alerts([recent], 3), NOW - DAY);
    await s.alertAction([old.id], 'investigate', 'ann', {}, NOW - 99 * DAY);
    await s.ingest(SENSOR, 4, [{ index: 0, type: 'window', seq: 9, window: makeWindow(1) }], NOW - 9 * DAY);
    await s.ingest(SENSOR, 5, [{ index: 0, type: 'window', seq: 10, window: makeWindow(2) }], NOW - 2 * DAY);
    const r = await s.purge(NOW, { alerts_s: 90 * 86400, risk_scores_s: 30 * 86400, windows_s: 8 * 86400 });
    expect(r).toMatchObject({ alerts: 1, risk_scores: 2, windows: 1, incidents: 1 });
    expect((await s.listAlerts({}, 1, 50)).alerts.map((a) => a.id).sort()).toEqual([mid.id, recent.id].sort());
    expect(await s.getAlert(old.id)).toBeNull();
    expect((await s.getAlert(mid.id))!.risk).toBeNull();
    expect((await s.getAlert(mid.id))!.row.risk_score).toBeNull();
    expect((await s.getAlert(recent.id))!.risk).not.toBeNull();
    expect((await s.baseline('198.51.100.9', 0, 8.64e15)).windows).toBe(1);
    const left = await s.db.all<{ n: number }>('SELECT COUNT(*) AS n FROM alert_history');
    expect(Number(left[0]!.n)).toBe(0);
    expect(await s.purge(NOW, { alerts_s: 90 * 86400, risk_scores_s: 30 * 86400, windows_s: 8 * 86400 })).toEqual({ alerts: 0, risk_scores: 0, windows: 0, incidents: 0, suppressions: 0 });
  });

  run('a batch is one transaction: a failure stores nothing of it', async () => {
    const s = await fresh();
    const bad = makeAlert(2);
    // Not something validation lets through; forces a database error (NOT NULL) mid-batch.
    (bad.aggregate as { proto: unknown }).proto = null;
    await expect(s.ingest(SENSOR, 1, alerts([makeAlert(1), bad]), NOW)).rejects.toThrow();
    expect((await s.listAlerts({}, 1, 50)).total).toBe(0);
    expect(batchOf([]).schema).toBe(1);
  });
});
