/**
 * The store's behaviour, written once over `SqlDriver` for SQLite and PostgreSQL: ingest with
 * idempotent inserts, filtered pagination, dispositions with the incident cascade of `001_...`
 * (resolving an alert resolves its incident once no alert of it is left open; resolving an
 * incident resolves its open alerts), suppressions, dashboard statistics and retention.
 */
import { randomUUID } from 'node:crypto';
import { CollectorErrorCodes } from '../errors.js';
import type { ValidRecord } from '../ingest/validate.js';
import type { WireAlert, WireWindow } from '../ingest/wire.js';
import type { Param, SqlDriver } from './driver.js';
import type {
  ActionOptions, ActionResult, AlertAction, AlertDetail, AlertFilter, AlertRow, AlertStatus, Baseline, Incident, IncidentAction,
  IngestResult, NewSuppression, PcrBucket, PurgeResult, RetentionPolicy, SensorState, Store, Suppression, TopDestination,
} from './store.js';

const SEVERITY_RANK: Record<string, number> = { low: 1, medium: 2, high: 3, critical: 4 };
const OPEN_ALERT = ['new', 'investigating'];
const MAX_COMMUNITY_IDS = 10_000;
/** Rows per multi-row INSERT (27 parameters per alert: well under SQLite's 32766 and PostgreSQL's 65535). */
const INSERT_CHUNK = 250;
const MAX_SEARCH_TEXT = 16_384;
/** Orders history entries written in the same millisecond (ids sort by time, then this). */
let historySeq = 0;

const iso = (ms: number): string => new Date(ms).toISOString();
const isoOrNull = (ms: number | null): string | null => (ms === null || ms === undefined ? null : iso(Number(ms)));

function strings(v: unknown, out: string[], depth = 0): void {
  if (depth > 6 || out.length > 2000) return;
  if (typeof v === 'string') out.push(v);
  else if (typeof v === 'number') out.push(String(v));
  else if (Array.isArray(v)) for (const x of v) strings(x, out, depth + 1);
  else if (v !== null && typeof v === 'object') for (const x of Object.values(v)) strings(x, out, depth + 1);
}

function firstString(...vals: unknown[]): string | null {
  for (const v of vals) {
    if (typeof v === 'string' && v) return v;
    if (Array.isArray(v)) {
      const s = v.find((x) => typeof x === 'string' && x);
      if (typeof s === 'string') return s;
    }
  }
  return null;
}

/** The alert's SNI from its evidence (the evidence object's exact shape is the sensor's; read leniently). */
export function alertSni(a: WireAlert): string | null {
  const ev = (a.evidence ?? {}) as Record<string, unknown>;
  const tls = (ev.tls ?? {}) as Record<string, unknown>;
  return firstString(ev.sni, ev.snis, ev.tls_sni, tls.sni);
}

export function alertCommunityIds(a: WireAlert): string[] {
  const ids = new Set<string>();
  for (const c of a.aggregate.community_ids) ids.add(c);
  const lf = a.aggregate.largest_flow as { community_id?: unknown } | undefined;
  if (typeof lf?.community_id === 'string' && lf.community_id) ids.add(lf.community_id);
  const ev = (a.evidence ?? {}) as Record<string, unknown>;
  if (Array.isArray(ev.community_ids)) for (const c of ev.community_ids) if (typeof c === 'string' && c) ids.add(c);
  return [...ids].slice(0, MAX_COMMUNITY_IDS);
}

function searchText(a: WireAlert): string {
  const parts: string[] = [a.id, a.sensor_id, a.detection, a.severity, a.aggregate.src_ip, a.aggregate.dest_ip, String(a.aggregate.dest_port)];
  const ag = a.aggregate;
  for (const v of [ag.app_proto, ag.dest_country, ag.dest_org, ag.proto]) if (v) parts.push(v);
  if (ag.dest_asn !== null && ag.dest_asn !== undefined) parts.push(`as${ag.dest_asn}`);
  parts.push(...a.rules_fired, ...a.notes);
  for (const m of a.ioc_matches) parts.push(m.indicator, m.feed, m.actor ?? '', m.category ?? '');
  strings(a.evidence, parts);
  return parts.join(' ').toLowerCase().slice(0, MAX_SEARCH_TEXT);
}

/** `%text%` for LIKE with `\` escaping. */
function likePattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

const ROW_COLUMNS = `a.id, a.sensor_id, a.severity, a.confidence, a.status, a.detection, a.src_ip, a.dest_ip, a.dest_port, a.proto,
  a.app_proto, a.window_start, a.window_end, a.upload_bytes, a.download_bytes, a.upload_ratio, a.dest_country, a.dest_asn,
  a.dest_org, a.sni, r.composite_score AS risk_score, a.incident_id, a.received_at`;
const ROW_FROM = 'alerts a LEFT JOIN risk_scores r ON r.alert_id = a.id';

type DbRow = Record<string, unknown>;

function toRow(r: DbRow): AlertRow {
  return {
    id: r.id as string,
    sensor_id: r.sensor_id as string,
    severity: r.severity as string,
    confidence: Number(r.confidence),
    status: r.status as AlertStatus,
    detection: r.detection as string,
    src_ip: r.src_ip as string,
    dest_ip: r.dest_ip as string,
    dest_port: Number(r.dest_port),
    proto: r.proto as string,
    app_proto: (r.app_proto as string | null) ?? null,
    window_start: r.window_start as string,
    window_end: r.window_end as string,
    upload_bytes: Number(r.upload_bytes),
    download_bytes: Number(r.download_bytes),
    upload_ratio: Number(r.upload_ratio),
    dest_country: (r.dest_country as string | null) ?? null,
    dest_asn: r.dest_asn === null || r.dest_asn === undefined ? null : Number(r.dest_asn),
    dest_org: (r.dest_org as string | null) ?? null,
    sni: (r.sni as string | null) ?? null,
    risk_score: r.risk_score === null || r.risk_score === undefined ? null : Number(r.risk_score),
    incident_id: (r.incident_id as string | null) ?? null,
    received_at: iso(Number(r.received_at)),
  };
}

function toIncident(r: DbRow): Incident {
  return {
    id: r.id as string,
    sensor_id: r.sensor_id as string,
    src_ip: r.src_ip as string,
    severity: r.severity as string,
    status: r.status as Incident['status'],
    title: r.title as string,
    opened_at: iso(Number(r.opened_at)),
    updated_at: iso(Number(r.updated_at)),
    resolved_at: isoOrNull(r.resolved_at as number | null),
    resolved_by: (r.resolved_by as string | null) ?? null,
    alert_count: Number(r.alert_count ?? 0),
    open_alerts: Number(r.open_alerts ?? 0),
  };
}

function toSuppression(r: DbRow): Suppression {
  const scope: Suppression['scope'] = {};
  if (r.scope_src !== null) scope.src = r.scope_src as string;
  if (r.scope_dest !== null) scope.dest = r.scope_dest as string;
  if (r.scope_domain_regex !== null) scope.domain_regex = r.scope_domain_regex as string;
  if (r.scope_port !== null) scope.port = Number(r.scope_port);
  if (r.scope_app_proto !== null) scope.app_proto = r.scope_app_proto as string;
  return {
    id: r.id as string,
    sensor_id: (r.sensor_id as string | null) ?? null,
    scope,
    reason: r.reason as string,
    owner: r.owner as string,
    expires_at: isoOrNull(r.expires_at as number | null),
    created_at: iso(Number(r.created_at)),
    source_alert_id: (r.source_alert_id as string | null) ?? null,
  };
}

function filterSql(f: AlertFilter): { where: string; params: Param[] } {
  const w: string[] = [];
  const p: Param[] = [];
  const inList = (col: string, vals: string[]): void => {
    w.push(`${col} IN (${vals.map(() => '?').join(', ')})`);
    p.push(...vals);
  };
  if (f.severity?.length) inList('a.severity', f.severity);
  if (f.status?.length) inList('a.status', f.status);
  if (f.from !== undefined) (w.push('a.window_start_ms >= ?'), p.push(f.from));
  if (f.to !== undefined) (w.push('a.window_start_ms < ?'), p.push(f.to));
  if (f.src) (w.push('a.src_ip = ?'), p.push(f.src));
  if (f.dest) (w.push('a.dest_ip = ?'), p.push(f.dest));
  if (f.country) (w.push('a.dest_country = ?'), p.push(f.country));
  if (f.asn !== undefined) (w.push('a.dest_asn = ?'), p.push(f.asn));
  if (f.app_proto) (w.push('a.app_proto = ?'), p.push(f.app_proto));
  if (f.sensor_id) (w.push('a.sensor_id = ?'), p.push(f.sensor_id));
  if (f.incident_id) (w.push('a.incident_id = ?'), p.push(f.incident_id));
  if (f.community_id) {
    w.push('EXISTS (SELECT 1 FROM alert_community_ids c WHERE c.alert_id = a.id AND c.community_id = ?)');
    p.push(f.community_id);
  }
  if (f.q) (w.push("a.search_text LIKE ? ESCAPE '\\'"), p.push(likePattern(f.q)));
  return { where: w.length ? `WHERE ${w.join(' AND ')}` : '', params: p };
}

const PCR_BUCKETS: readonly Omit<PcrBucket, 'groups' | 'upload_bytes'>[] = [
  { bucket: 'pure_upload', label: 'Pure upload (exfiltration-shaped)', min: 0.8, max: 1 },
  { bucket: 'mostly_upload', label: 'Mostly upload', min: 0.4, max: 0.8 },
  { bucket: 'balanced', label: 'Balanced', min: -0.4, max: 0.4 },
  { bucket: 'mostly_download', label: 'Mostly download', min: -0.8, max: -0.4 },
  { bucket: 'pure_download', label: 'Pure download (consumer)', min: -1, max: -0.8 },
];

export class SqlStore implements Store {
  readonly kind: 'sqlite' | 'postgres';
  readonly db: SqlDriver;

  constructor(db: SqlDriver) {
    this.db = db;
    this.kind = db.dialect;
  }

  async ingest(sensorId: string, batchSeq: number, records: readonly ValidRecord[], now: number): Promise<IngestResult> {
    return this.db.tx(async (t) => {
      let maxSeq: number | null = null;
      for (const r of records) maxSeq = maxSeq === null ? r.seq : Math.max(maxSeq, r.seq);
      // One id once per batch (a later copy in the same batch is a duplicate like a re-sent one).
      const seen = new Set<string>();
      const alerts: { seq: number; alert: WireAlert }[] = [];
      const windows: WireWindow[] = [];
      for (const r of records) {
        if (r.type === 'window') windows.push(r.window);
        else if (!seen.has(r.alert.id)) {
          seen.add(r.alert.id);
          alerts.push({ seq: r.seq, alert: r.alert });
        }
      }
      const alertsStored = await this.#insertAlerts(t, alerts, now);
      const windowsStored = await this.#insertWindows(t, sensorId, windows, now);
      await t.run(
        `INSERT INTO sensors (id, first_seen, last_seen, last_batch_seq, last_record_seq, alerts_stored, windows_stored)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET last_seen = excluded.last_seen, last_batch_seq = excluded.last_batch_seq,
           last_record_seq = COALESCE(excluded.last_record_seq, sensors.last_record_seq),
           alerts_stored = sensors.alerts_stored + excluded.alerts_stored,
           windows_stored = sensors.windows_stored + excluded.windows_stored`,
        [sensorId, now, now, batchSeq, maxSeq, alertsStored, windowsStored],
      );
      return {
        accepted: records.length,
        duplicates: records.length - alertsStored - windowsStored,
        alerts_stored: alertsStored,
        windows_stored: windowsStored,
      };
    });
  }

  /** Multi-row inserts (one round trip per INSERT_CHUNK alerts); returns how many ids were new. */
  async #insertAlerts(t: SqlDriver, list: readonly { seq: number; alert: WireAlert }[], now: number): Promise<number> {
    const fresh: WireAlert[] = [];
    for (let i = 0; i < list.length; i += INSERT_CHUNK) {
      const chunk = list.slice(i, i + INSERT_CHUNK);
      const params: Param[] = [];
      for (const { seq, alert: a } of chunk) {
        const ag = a.aggregate;
        params.push(
          a.id, a.sensor_id, seq, a.detection, a.severity, SEVERITY_RANK[a.severity] ?? 0, a.confidence, ag.src_ip, ag.dest_ip,
          ag.dest_port, ag.proto, ag.app_proto ?? null, ag.window_start, ag.window_end, Date.parse(ag.window_start), Date.parse(ag.window_end),
          Math.round(ag.total_upload_bytes), Math.round(ag.total_download_bytes), ag.upload_ratio, ag.dest_country ?? null,
          ag.dest_asn ?? null, ag.dest_org ?? null, alertSni(a), now, now, searchText(a), JSON.stringify(a),
        );
      }
      const row = "(?, ?, ?, ?, ?, ?, ?, 'new', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?)";
      const inserted = await t.all<{ id: string }>(
        `INSERT INTO alerts (id, sensor_id, record_seq, detection, severity, severity_rank, confidence, status, src_ip, dest_ip,
           dest_port, proto, app_proto, window_start, window_end, window_start_ms, window_end_ms, upload_bytes, download_bytes,
           upload_ratio, dest_country, dest_asn, dest_org, sni, incident_id, received_at, updated_at, search_text, alert_json)
         VALUES ${chunk.map(() => row).join(', ')}
         ON CONFLICT (id) DO NOTHING RETURNING id`,
        params,
      );
      const ids = new Set(inserted.map((r) => r.id));
      for (const { alert } of chunk) if (ids.has(alert.id)) fresh.push(alert);
    }
    const cids = fresh.flatMap((a) => alertCommunityIds(a).map((c) => [a.id, c] as const));
    for (let i = 0; i < cids.length; i += INSERT_CHUNK * 2) {
      const chunk = cids.slice(i, i + INSERT_CHUNK * 2);
      await t.run(
        `INSERT INTO alert_community_ids (alert_id, community_id) VALUES ${chunk.map(() => '(?, ?)').join(', ')} ON CONFLICT DO NOTHING`,
        chunk.flat(),
      );
    }
    for (let i = 0; i < fresh.length; i += INSERT_CHUNK) {
      const chunk = fresh.slice(i, i + INSERT_CHUNK);
      await t.run(
        `INSERT INTO risk_scores (alert_id, sensor_id, src_ip, scored_at, composite_score, risk_level, breakdown_json)
         VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?, ?)').join(', ')} ON CONFLICT (alert_id) DO NOTHING`,
        chunk.flatMap((a) => [a.id, a.sensor_id, a.aggregate.src_ip, now, a.risk.composite_score, a.risk.risk_level, JSON.stringify(a.risk.score_breakdown)]),
      );
    }
    const severe = fresh.filter((a) => a.severity === 'high' || a.severity === 'critical');
    if (t.dialect === 'postgres' && severe.length > 0) {
      // Two batches for one source in parallel must not both open an incident: serialize per
      // (sensor, source) with transaction-scoped advisory locks, taken in sorted order (no deadlock).
      const keys = [...new Set(severe.map((a) => `${a.sensor_id}|${a.aggregate.src_ip}`))].sort();
      for (const k of keys) await t.all('SELECT pg_advisory_xact_lock(8780002, hashtext(?))', [k]);
    }
    for (const a of severe) await this.#joinIncident(t, a, now);
    return fresh.length;
  }

  async #insertWindows(t: SqlDriver, sensorId: string, list: readonly WireWindow[], now: number): Promise<number> {
    let stored = 0;
    for (let i = 0; i < list.length; i += INSERT_CHUNK) {
      const chunk = list.slice(i, i + INSERT_CHUNK);
      stored += await t.run(
        `INSERT INTO windows (sensor_id, src_ip, dest_ip, dest_port, proto, app_proto, window_start_ms, window_end_ms, upload_bytes,
           download_bytes, flow_count, received_at) VALUES ${chunk.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')} ON CONFLICT DO NOTHING`,
        chunk.flatMap((w) => [
          sensorId, w.src_ip, w.dest_ip, w.dest_port, w.proto, w.app_proto ?? '', Date.parse(w.window_start), Date.parse(w.window_end),
          Math.round(w.upload_bytes), Math.round(w.download_bytes), Math.round(w.flow_count), now,
        ]),
      );
    }
    return stored;
  }

  /** A High or Critical alert opens an incident for its (sensor, source) or joins the open one. */
  async #joinIncident(t: SqlDriver, a: WireAlert, now: number): Promise<void> {
    const rank = SEVERITY_RANK[a.severity] ?? 0;
    const open = await t.all<{ id: string; severity_rank: number }>(
      `SELECT id, severity_rank FROM incidents WHERE sensor_id = ? AND src_ip = ? AND status IN ('open', 'investigating')
       ORDER BY opened_at DESC, id LIMIT 1`,
      [a.sensor_id, a.aggregate.src_ip],
    );
    let id: string;
    if (open[0]) {
      id = open[0].id;
      if (rank > Number(open[0].severity_rank)) {
        await t.run('UPDATE incidents SET severity = ?, severity_rank = ?, updated_at = ? WHERE id = ?', [a.severity, rank, now, id]);
      } else {
        await t.run('UPDATE incidents SET updated_at = ? WHERE id = ?', [now, id]);
      }
    } else {
      id = `inc-${randomUUID()}`;
      await t.run(
        `INSERT INTO incidents (id, sensor_id, src_ip, severity, severity_rank, status, title, opened_at, updated_at, resolved_at, resolved_by)
         VALUES (?, ?, ?, ?, ?, 'open', ?, ?, ?, NULL, NULL)`,
        [id, a.sensor_id, a.aggregate.src_ip, a.severity, rank, `Possible exfiltration from ${a.aggregate.src_ip}`, now, now],
      );
    }
    await t.run('INSERT INTO incident_alerts (incident_id, alert_id) VALUES (?, ?) ON CONFLICT DO NOTHING', [id, a.id]);
    await t.run('UPDATE alerts SET incident_id = ? WHERE id = ?', [id, a.id]);
  }

  async listAlerts(filter: AlertFilter, page: number, perPage: number): Promise<{ total: number; alerts: AlertRow[] }> {
    const { where, params } = filterSql(filter);
    const [count] = await this.db.all<{ n: number }>(`SELECT COUNT(*) AS n FROM alerts a ${where}`, params);
    const rows = await this.db.all<DbRow>(
      `SELECT ${ROW_COLUMNS} FROM ${ROW_FROM} ${where} ORDER BY a.window_start_ms DESC, a.id ASC LIMIT ? OFFSET ?`,
      [...params, perPage, (page - 1) * perPage],
    );
    return { total: Number(count?.n ?? 0), alerts: rows.map(toRow) };
  }

  async #row(t: SqlDriver, id: string): Promise<AlertRow | null> {
    const [r] = await t.all<DbRow>(`SELECT ${ROW_COLUMNS} FROM ${ROW_FROM} WHERE a.id = ?`, [id]);
    return r ? toRow(r) : null;
  }

  async getAlert(id: string): Promise<AlertDetail | null> {
    const [r] = await this.db.all<DbRow>(`SELECT ${ROW_COLUMNS}, a.alert_json, r.risk_level, r.breakdown_json, r.scored_at FROM ${ROW_FROM} WHERE a.id = ?`, [id]);
    if (!r) return null;
    const history = await this.db.all<DbRow>('SELECT action, actor, at, note FROM alert_history WHERE alert_id = ? ORDER BY at, id', [id]);
    return {
      alert: JSON.parse(r.alert_json as string) as WireAlert,
      row: toRow(r),
      history: history.map((h) => ({ action: h.action as string, actor: h.actor as string, at: iso(Number(h.at)), note: (h.note as string | null) ?? null })),
      risk:
        r.risk_score === null || r.risk_score === undefined
          ? null
          : {
              composite_score: Number(r.risk_score),
              risk_level: r.risk_level as string,
              score_breakdown: JSON.parse(r.breakdown_json as string) as unknown[],
              scored_at: iso(Number(r.scored_at)),
            },
    };
  }

  async #history(t: SqlDriver, alertId: string, action: string, actor: string, now: number, note: string | null): Promise<void> {
    await t.run('INSERT INTO alert_history (id, alert_id, action, actor, at, note) VALUES (?, ?, ?, ?, ?, ?)', [
      `h-${String(now).padStart(15, '0')}-${String(++historySeq).padStart(12, '0')}-${randomUUID().slice(0, 8)}`, alertId, action, actor, now, note,
    ]);
  }

  /** Resolves the incident once none of its alerts is open; confirmed if any alert was confirmed. */
  async #cascadeToIncident(t: SqlDriver, incidentId: string, actor: string, now: number): Promise<void> {
    const rows = await t.all<{ status: string; n: number }>(
      'SELECT a.status, COUNT(*) AS n FROM incident_alerts ia JOIN alerts a ON a.id = ia.alert_id WHERE ia.incident_id = ? GROUP BY a.status',
      [incidentId],
    );
    if (rows.some((r) => OPEN_ALERT.includes(r.status))) return;
    const status = rows.some((r) => r.status === 'resolved_confirmed') ? 'resolved_confirmed' : 'resolved_false_positive';
    await t.run(
      `UPDATE incidents SET status = ?, resolved_at = ?, resolved_by = ?, updated_at = ? WHERE id = ? AND status IN ('open', 'investigating')`,
      [status, now, actor, now, incidentId],
    );
  }

  async alertAction(
    ids: readonly string[],
    action: AlertAction,
    actor: string,
    opts: ActionOptions & { suppressionFor?: (row: AlertRow) => NewSuppression },
    now: number,
  ): Promise<ActionResult[]> {
    const out: ActionResult[] = [];
    for (const id of ids) {
      out.push(
        await this.db.tx(async (t): Promise<ActionResult> => {
          const row = await this.#row(t, id);
          if (!row) return { id, ok: false, code: CollectorErrorCodes.NOT_FOUND, error: `no alert '${id}'` };
          const allowed = action === 'investigate' ? row.status === 'new' : OPEN_ALERT.includes(row.status);
          if (!allowed) {
            const need = action === 'investigate' ? 'a new alert' : 'a new or investigating alert';
            return { id, ok: false, code: CollectorErrorCodes.INVALID_TRANSITION, error: `alert is ${row.status}; ${action} applies to ${need}` };
          }
          const status: AlertStatus =
            action === 'investigate' ? 'investigating' : action === 'resolve_confirmed' ? 'resolved_confirmed' : 'resolved_false_positive';
          let note = opts.note ?? null;
          let suppressionId: string | undefined;
          if (action === 'suppress') {
            const s = opts.suppression ?? opts.suppressionFor?.(row);
            if (!s) return { id, ok: false, code: CollectorErrorCodes.BAD_REQUEST, error: 'suppress needs a suppression' };
            const created = await this.#createSuppression(t, { ...s, source_alert_id: id }, now);
            suppressionId = created.id;
            note = `suppression ${created.id}${note ? `: ${note}` : ''}`;
          }
          await t.run('UPDATE alerts SET status = ?, updated_at = ? WHERE id = ?', [status, now, id]);
          await this.#history(t, id, action, actor, now, note);
          if (status !== 'investigating' && row.incident_id) await this.#cascadeToIncident(t, row.incident_id, actor, now);
          return suppressionId ? { id, ok: true, status, suppression_id: suppressionId } : { id, ok: true, status };
        }),
      );
    }
    return out;
  }

  async listIncidents(filter: { status?: string[]; page: number; perPage: number }): Promise<{ total: number; incidents: Incident[] }> {
    const where = filter.status?.length ? `WHERE i.status IN (${filter.status.map(() => '?').join(', ')})` : '';
    const params: Param[] = filter.status ?? [];
    const [count] = await this.db.all<{ n: number }>(`SELECT COUNT(*) AS n FROM incidents i ${where}`, params);
    const rows = await this.db.all<DbRow>(
      `SELECT i.*, (SELECT COUNT(*) FROM incident_alerts ia WHERE ia.incident_id = i.id) AS alert_count,
         (SELECT COUNT(*) FROM incident_alerts ia JOIN alerts a ON a.id = ia.alert_id
           WHERE ia.incident_id = i.id AND a.status IN ('new', 'investigating')) AS open_alerts
       FROM incidents i ${where} ORDER BY i.opened_at DESC, i.id LIMIT ? OFFSET ?`,
      [...params, filter.perPage, (filter.page - 1) * filter.perPage],
    );
    return { total: Number(count?.n ?? 0), incidents: rows.map(toIncident) };
  }

  async getIncident(id: string): Promise<{ incident: Incident; alerts: AlertRow[] } | null> {
    const page = await this.db.all<DbRow>(
      `SELECT i.*, (SELECT COUNT(*) FROM incident_alerts ia WHERE ia.incident_id = i.id) AS alert_count,
         (SELECT COUNT(*) FROM incident_alerts ia JOIN alerts a ON a.id = ia.alert_id
           WHERE ia.incident_id = i.id AND a.status IN ('new', 'investigating')) AS open_alerts
       FROM incidents i WHERE i.id = ?`,
      [id],
    );
    if (!page[0]) return null;
    const rows = await this.db.all<DbRow>(
      `SELECT ${ROW_COLUMNS} FROM ${ROW_FROM} JOIN incident_alerts ia ON ia.alert_id = a.id WHERE ia.incident_id = ? ORDER BY a.window_start_ms DESC, a.id`,
      [id],
    );
    return { incident: toIncident(page[0]), alerts: rows.map(toRow) };
  }

  async incidentAction(id: string, action: IncidentAction, actor: string, note: string | null, now: number): Promise<ActionResult> {
    return this.db.tx(async (t) => {
      const [inc] = await t.all<{ status: string }>('SELECT status FROM incidents WHERE id = ?', [id]);
      if (!inc) return { id, ok: false, code: CollectorErrorCodes.NOT_FOUND, error: `no incident '${id}'` };
      const open = inc.status === 'open' || inc.status === 'investigating';
      if (!open || (action === 'investigate' && inc.status !== 'open')) {
        return { id, ok: false, code: CollectorErrorCodes.INVALID_TRANSITION, error: `incident is ${inc.status}; ${action} applies to an open incident` };
      }
      if (action === 'investigate') {
        await t.run("UPDATE incidents SET status = 'investigating', updated_at = ? WHERE id = ?", [now, id]);
        return { id, ok: true, status: 'investigating' };
      }
      const status = action === 'resolve_confirmed' ? 'resolved_confirmed' : 'resolved_false_positive';
      await t.run('UPDATE incidents SET status = ?, resolved_at = ?, resolved_by = ?, updated_at = ? WHERE id = ?', [status, now, actor, now, id]);
      const alerts = await t.all<{ id: string }>(
        "SELECT a.id FROM incident_alerts ia JOIN alerts a ON a.id = ia.alert_id WHERE ia.incident_id = ? AND a.status IN ('new', 'investigating')",
        [id],
      );
      for (const a of alerts) {
        await t.run('UPDATE alerts SET status = ?, updated_at = ? WHERE id = ?', [status, now, a.id]);
        await this.#history(t, a.id, action, actor, now, `incident ${id} resolved${note ? `: ${note}` : ''}`);
      }
      return { id, ok: true, status };
    });
  }

  async listSuppressions(filter: { sensor_id?: string; active_at?: number }): Promise<Suppression[]> {
    const w: string[] = [];
    const p: Param[] = [];
    if (filter.sensor_id !== undefined) (w.push('(sensor_id IS NULL OR sensor_id = ?)'), p.push(filter.sensor_id));
    if (filter.active_at !== undefined) (w.push('(expires_at IS NULL OR expires_at > ?)'), p.push(filter.active_at));
    const rows = await this.db.all<DbRow>(`SELECT * FROM suppressions ${w.length ? `WHERE ${w.join(' AND ')}` : ''} ORDER BY created_at, id`, p);
    return rows.map(toSuppression);
  }

  async getSuppression(id: string): Promise<Suppression | null> {
    const [r] = await this.db.all<DbRow>('SELECT * FROM suppressions WHERE id = ?', [id]);
    return r ? toSuppression(r) : null;
  }

  async #createSuppression(t: SqlDriver, s: NewSuppression, now: number): Promise<Suppression> {
    const id = `sup-${randomUUID()}`;
    await t.run(
      `INSERT INTO suppressions (id, sensor_id, scope_src, scope_dest, scope_domain_regex, scope_port, scope_app_proto, reason, owner,
         created_at, expires_at, source_alert_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        id, s.sensor_id, s.scope.src ?? null, s.scope.dest ?? null, s.scope.domain_regex ?? null, s.scope.port ?? null,
        s.scope.app_proto ?? null, s.reason, s.owner, now, s.expires_at, s.source_alert_id ?? null,
      ],
    );
    const [r] = await t.all<DbRow>('SELECT * FROM suppressions WHERE id = ?', [id]);
    return toSuppression(r!);
  }

  async createSuppression(s: NewSuppression, now: number): Promise<Suppression> {
    return this.db.tx((t) => this.#createSuppression(t, s, now));
  }

  async deleteSuppression(id: string): Promise<boolean> {
    return (await this.db.run('DELETE FROM suppressions WHERE id = ?', [id])) > 0;
  }

  async topDestinations(from: number, to: number, limit: number): Promise<TopDestination[]> {
    const rows = await this.db.all<DbRow>(
      `SELECT dest_ip, MAX(dest_org) AS dest_org, MAX(dest_country) AS dest_country, COUNT(*) AS alerts,
         COUNT(DISTINCT src_ip) AS sources, SUM(upload_bytes) AS upload_bytes
       FROM alerts WHERE window_start_ms >= ? AND window_start_ms < ?
       GROUP BY dest_ip ORDER BY SUM(upload_bytes) DESC, dest_ip LIMIT ?`,
      [from, to, limit],
    );
    return rows.map((r) => ({
      dest_ip: r.dest_ip as string,
      dest_org: (r.dest_org as string | null) ?? null,
      dest_country: (r.dest_country as string | null) ?? null,
      alerts: Number(r.alerts),
      sources: Number(r.sources),
      upload_bytes: Number(r.upload_bytes),
    }));
  }

  async pcr(from: number, to: number): Promise<PcrBucket[]> {
    const rows = await this.db.all<{ bucket: string; n_groups: number; upload_bytes: number }>(
      `SELECT CASE WHEN pcr >= 0.8 THEN 'pure_upload' WHEN pcr >= 0.4 THEN 'mostly_upload' WHEN pcr > -0.4 THEN 'balanced'
                   WHEN pcr > -0.8 THEN 'mostly_download' ELSE 'pure_download' END AS bucket,
              COUNT(*) AS n_groups, SUM(up) AS upload_bytes
       FROM (SELECT (CAST(SUM(upload_bytes) AS DOUBLE PRECISION) - CAST(SUM(download_bytes) AS DOUBLE PRECISION))
                    / (CAST(SUM(upload_bytes) AS DOUBLE PRECISION) + CAST(SUM(download_bytes) AS DOUBLE PRECISION)) AS pcr,
                    SUM(upload_bytes) AS up
             FROM windows WHERE window_start_ms >= ? AND window_start_ms < ?
             GROUP BY sensor_id, src_ip, dest_ip, dest_port, proto, app_proto
             HAVING SUM(upload_bytes) + SUM(download_bytes) > 0) g
       GROUP BY 1`,
      [from, to],
    );
    const by = new Map(rows.map((r) => [r.bucket, r]));
    return PCR_BUCKETS.map((b) => ({ ...b, groups: Number(by.get(b.bucket)?.n_groups ?? 0), upload_bytes: Number(by.get(b.bucket)?.upload_bytes ?? 0) }));
  }

  async baseline(destIp: string, from: number, to: number): Promise<Baseline> {
    const [r] = await this.db.all<DbRow>(
      `SELECT COUNT(DISTINCT sensor_id) AS sensors, COUNT(DISTINCT src_ip) AS sources, COUNT(*) AS windows,
         COALESCE(SUM(flow_count), 0) AS flow_count, COALESCE(SUM(upload_bytes), 0) AS upload_bytes,
         COALESCE(SUM(download_bytes), 0) AS download_bytes
       FROM windows WHERE dest_ip = ? AND window_start_ms >= ? AND window_start_ms < ?`,
      [destIp, from, to],
    );
    return {
      dest_ip: destIp,
      sensors: Number(r?.sensors ?? 0),
      sources: Number(r?.sources ?? 0),
      windows: Number(r?.windows ?? 0),
      flow_count: Number(r?.flow_count ?? 0),
      upload_bytes: Number(r?.upload_bytes ?? 0),
      download_bytes: Number(r?.download_bytes ?? 0),
    };
  }

  async sensors(): Promise<SensorState[]> {
    const rows = await this.db.all<DbRow>('SELECT * FROM sensors ORDER BY id');
    return rows.map((r) => ({
      id: r.id as string,
      first_seen: iso(Number(r.first_seen)),
      last_seen: iso(Number(r.last_seen)),
      last_batch_seq: r.last_batch_seq === null ? null : Number(r.last_batch_seq),
      last_record_seq: r.last_record_seq === null ? null : Number(r.last_record_seq),
      alerts_stored: Number(r.alerts_stored),
      windows_stored: Number(r.windows_stored),
    }));
  }

  async purge(now: number, policy: RetentionPolicy): Promise<PurgeResult> {
    return this.db.tx(async (t) => {
      const alertCut = now - policy.alerts_s * 1000;
      const old = 'SELECT id FROM alerts WHERE received_at < ?';
      await t.run(`DELETE FROM alert_history WHERE alert_id IN (${old})`, [alertCut]);
      await t.run(`DELETE FROM alert_community_ids WHERE alert_id IN (${old})`, [alertCut]);
      await t.run(`DELETE FROM incident_alerts WHERE alert_id IN (${old})`, [alertCut]);
      let riskScores = await t.run(`DELETE FROM risk_scores WHERE alert_id IN (${old})`, [alertCut]);
      const alerts = await t.run('DELETE FROM alerts WHERE received_at < ?', [alertCut]);
      riskScores += await t.run('DELETE FROM risk_scores WHERE scored_at < ?', [now - policy.risk_scores_s * 1000]);
      const windows = await t.run('DELETE FROM windows WHERE received_at < ?', [now - policy.windows_s * 1000]);
      const incidents = await t.run(
        'DELETE FROM incidents WHERE opened_at < ? AND NOT EXISTS (SELECT 1 FROM incident_alerts ia WHERE ia.incident_id = incidents.id)',
        [alertCut],
      );
      const suppressions = await t.run('DELETE FROM suppressions WHERE expires_at IS NOT NULL AND expires_at < ?', [alertCut]);
      return { alerts, risk_scores: riskScores, windows, incidents, suppressions };
    });
  }

  async ping(): Promise<void> {
    await this.db.all('SELECT 1 AS one');
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
