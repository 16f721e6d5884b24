/**
 * The collector's HTTP server (node:http, or node:https with `tls`): sensor ingest, the sensors'
 * suppression pull, the analyst API of `docs/collector-api.md`, /healthz, /metrics and the web
 * page's static files. Errors are JSON `{code, error}` with stable codes; a handler failure is a
 * 500 for that request only, the server keeps serving.
 */
import { readFileSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { badRequest, CollectorError, CollectorErrorCodes } from './errors.js';
import type { CollectorConfig } from './config.js';
import { decodeBody, encodingOf, validateBatch, validateRecords } from './ingest/validate.js';
import { collectorMetrics, type Metrics } from './metrics.js';
import type { TLSSocket } from 'node:tls';
import { bearer, drain, readBody, sendError, sendJson, TokenTable } from './http/util.js';
import { defaultWebRoot, serveStatic } from './http/static.js';
import { canAccessSensor, checkSensorScope, parseExpiry, parseNewSuppression, parseScope, type Actor } from './api/suppression-rules.js';
import { ALERT_ACTIONS, ALERT_STATUSES, type AlertAction, type AlertFilter, type AlertRow, type NewSuppression, type PurgeResult, type Store } from './store/store.js';

export const PER_PAGE = 50;
const MAX_BULK_IDS = 1000;
const MAX_API_BODY = 1024 * 1024;
const DEFAULT_SUPPRESS_DAYS = 30;
const SEVERITIES = ['critical', 'high', 'medium', 'low'];

type Params = Record<string, string>;
interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: Params;
}
type Handler = (ctx: Ctx) => Promise<void>;

export interface CollectorServerOptions {
  config: CollectorConfig;
  store: Store;
  log: Logger;
  webRoot?: string;
  /** Clock for tests of expiry and retention (epoch ms). */
  now?: () => number;
}

export class CollectorServer {
  readonly config: CollectorConfig;
  readonly store: Store;
  readonly metrics: Metrics = collectorMetrics();
  readonly server: http.Server;
  readonly #log: Logger;
  readonly #webRoot: string;
  readonly #now: () => number;
  readonly #sensors: TokenTable<string>;
  /** mTLS: client certificate subject CN -> sensor id (`sensors[].cert_cn`). */
  readonly #sensorByCn: Map<string, string>;
  readonly #users: TokenTable<Actor>;
  readonly #sensorIds: ReadonlySet<string>;
  readonly #routes: { method: string; re: RegExp; keys: string[]; handler: Handler }[] = [];
  #inFlight = 0;
  #shedLoggedAt = 0;
  #shedSinceLog = 0;
  #purgeTimer: NodeJS.Timeout | null = null;

  constructor(opts: CollectorServerOptions) {
    this.config = opts.config;
    this.store = opts.store;
    this.#log = opts.log;
    this.#webRoot = opts.webRoot ?? defaultWebRoot();
    this.#now = opts.now ?? Date.now;
    this.#sensors = new TokenTable(opts.config.sensors.flatMap((s) => (s.token === null ? [] : [{ token: s.token, value: s.id }])));
    this.#sensorByCn = new Map(opts.config.sensors.flatMap((s) => (s.cert_cn === null ? [] : [[s.cert_cn, s.id] as const])));
    this.#users = new TokenTable(opts.config.users.map((u) => ({ token: u.token, value: { name: u.name, role: u.role, sensors: u.sensors } })));
    this.#sensorIds = new Set(opts.config.sensors.map((s) => s.id));
    this.metrics.gauge('exfil_collector_ingest_in_flight', 'ingest requests being processed', () => this.#inFlight);
    const listener = (req: IncomingMessage, res: ServerResponse): void => void this.#handle(req, res);
    const tls = opts.config.tls;
    this.server = tls
      ? https.createServer(
          {
            cert: readFileSync(tls.cert),
            key: readFileSync(tls.key),
            ...(tls.ca ? { ca: readFileSync(tls.ca), requestCert: true, rejectUnauthorized: true } : {}),
          },
          listener,
        )
      : http.createServer(listener);
    this.server.keepAliveTimeout = 10_000;
    this.#routesSetup();
  }

  #route(method: string, pattern: string, handler: Handler): void {
    const keys: string[] = [];
    const re = new RegExp(`^${pattern.replace(/:([a-z_]+)/g, (_, k: string) => (keys.push(k), '([^/]+)'))}$`);
    this.#routes.push({ method, re, keys, handler });
  }

  #routesSetup(): void {
    this.#route('POST', '/api/v1/ingest', (c) => this.#ingest(c));
    this.#route('GET', '/api/v1/sensors/:sensor_id/suppressions', (c) => this.#sensorSuppressions(c));
    this.#route('GET', '/api/v1/alerts', (c) => this.#listAlerts(c));
    this.#route('POST', '/api/v1/alerts/actions', (c) => this.#bulkAction(c));
    this.#route('GET', '/api/v1/alerts/:id', (c) => this.#getAlert(c));
    this.#route('POST', '/api/v1/alerts/:id/actions', (c) => this.#alertAction(c));
    this.#route('GET', '/api/v1/incidents', (c) => this.#listIncidents(c));
    this.#route('GET', '/api/v1/incidents/:id', (c) => this.#getIncident(c));
    this.#route('POST', '/api/v1/incidents/:id/actions', (c) => this.#incidentAction(c));
    this.#route('GET', '/api/v1/suppressions', (c) => this.#listSuppressions(c));
    this.#route('POST', '/api/v1/suppressions', (c) => this.#createSuppression(c));
    this.#route('DELETE', '/api/v1/suppressions/:id', (c) => this.#deleteSuppression(c));
    this.#route('GET', '/api/v1/stats/top-destinations', (c) => this.#topDestinations(c));
    this.#route('GET', '/api/v1/stats/pcr', (c) => this.#pcr(c));
    this.#route('GET', '/api/v1/baselines/:dest_ip', (c) => this.#baseline(c));
    this.#route('GET', '/api/v1/sensors', (c) => this.#listSensors(c));
    this.#route('POST', '/api/v1/admin/purge', (c) => this.#purgeNow(c));
    this.#route('GET', '/healthz', (c) => this.#healthz(c));
    this.#route('GET', '/metrics', async ({ res }) => {
      const text = this.metrics.render();
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.on('finish', () => this.metrics.inc('exfil_collector_http_responses_total', { status: res.statusCode }));
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://collector.invalid');
    } catch {
      sendError(res, badRequest('url', 'is not a valid request target'));
      return;
    }
    try {
      const p = url.pathname;
      let methodMismatch = false;
      for (const r of this.#routes) {
        const m = r.re.exec(p);
        if (!m) continue;
        if (r.method !== req.method) {
          methodMismatch = true;
          continue;
        }
        const params: Params = {};
        r.keys.forEach((k, i) => {
          params[k] = decodeURIComponent(m[i + 1]!);
        });
        await r.handler({ req, res, url, params });
        return;
      }
      if (methodMismatch) throw new CollectorError(CollectorErrorCodes.METHOD_NOT_ALLOWED, `${req.method} is not allowed on ${p}`);
      if (!p.startsWith('/api/') && (req.method === 'GET' || req.method === 'HEAD') && serveStatic(this.#webRoot, req, res, p)) return;
      throw new CollectorError(CollectorErrorCodes.NOT_FOUND, `no such resource: ${req.method} ${p}`);
    } catch (e) {
      const err =
        e instanceof CollectorError ? e : new CollectorError(CollectorErrorCodes.INTERNAL, 'internal error (logged by the collector)', { cause: e });
      if (err.code === CollectorErrorCodes.INTERNAL) this.#log.error({ err: e, path: url.pathname }, 'request failed');
      const early = !req.complete;
      sendError(res, err);
      if (early) drain(req, Math.max(this.config.ingest.max_body_bytes, MAX_API_BODY) * 4);
    }
  }

  #user(req: IncomingMessage): Actor {
    const u = this.#users.find(bearer(req));
    if (!u) throw new CollectorError(CollectorErrorCodes.UNAUTHORIZED, 'missing or unknown user token (Authorization: Bearer <token>)');
    return u;
  }

  async #json(req: IncomingMessage): Promise<Record<string, unknown>> {
    const ct = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (ct !== 'application/json') throw new CollectorError(CollectorErrorCodes.UNSUPPORTED_MEDIA_TYPE, `content-type must be application/json (got '${ct}')`);
    const body = await readBody(req, MAX_API_BODY);
    let doc: unknown;
    try {
      doc = JSON.parse(body.toString('utf8'));
    } catch (e) {
      throw new CollectorError(CollectorErrorCodes.BAD_BODY, `body is not valid JSON: ${(e as Error).message}`);
    }
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new CollectorError(CollectorErrorCodes.BAD_BODY, 'body must be a JSON object');
    return doc as Record<string, unknown>;
  }

  // ---- ingest ----

  /**
   * The sensor a request comes from: by its bearer token, or by the CN of the client certificate
   * the TLS layer verified against tls.ca (`sensors[].cert_cn`). When both name a sensor they must
   * name the same one.
   */
  #sensorOf(req: IncomingMessage): string {
    const byToken = this.#sensors.find(bearer(req));
    const socket = req.socket as TLSSocket;
    let byCert: string | null = null;
    if (this.#sensorByCn.size > 0 && socket.encrypted && socket.authorized) {
      const cn = socket.getPeerCertificate()?.subject?.CN;
      byCert = typeof cn === 'string' ? (this.#sensorByCn.get(cn) ?? null) : null;
    }
    if (byToken && byCert && byToken !== byCert) {
      throw new CollectorError(CollectorErrorCodes.SENSOR_MISMATCH, `the token belongs to sensor '${byToken}', the client certificate to '${byCert}'`);
    }
    const id = byToken ?? byCert;
    if (!id) {
      throw new CollectorError(
        CollectorErrorCodes.UNAUTHORIZED,
        this.#sensorByCn.size > 0
          ? 'unknown sensor: no known token (Authorization: Bearer <token>) and no client certificate whose CN is a sensor\'s cert_cn'
          : 'missing or unknown sensor token (Authorization: Bearer <token>)',
      );
    }
    return id;
  }

  async #ingest({ req, res }: Ctx): Promise<void> {
    const sensorId = this.#sensorOf(req);
    const enc = encodingOf(req.headers['content-type']);
    if (!enc) {
      throw new CollectorError(CollectorErrorCodes.UNSUPPORTED_MEDIA_TYPE, `content-type must be application/msgpack or application/json (got '${req.headers['content-type'] ?? ''}')`);
    }
    const max = this.config.ingest.max_in_flight;
    if (max > 0 && this.#inFlight >= max) {
      this.metrics.inc('exfil_collector_ingest_shed_total');
      this.#shedSinceLog++;
      const now = Date.now();
      if (now - this.#shedLoggedAt > 10_000) {
        this.#log.warn({ shed: this.#shedSinceLog, max_in_flight: max }, 'ingest.max_in_flight reached: refusing ingests with 503 + Retry-After');
        this.#shedLoggedAt = now;
        this.#shedSinceLog = 0;
      }
      const retry = String(this.config.ingest.retry_after_s);
      sendError(res, new CollectorError(CollectorErrorCodes.OVERLOADED, `collector busy: ${max} ingests in flight (ingest.max_in_flight); retry after ${retry} s`), {
        'retry-after': retry,
      });
      drain(req, this.config.ingest.max_body_bytes * 4);
      return;
    }
    this.#inFlight++;
    try {
      let body: Buffer;
      try {
        body = await readBody(req, this.config.ingest.max_body_bytes);
      } catch (e) {
        if (e instanceof CollectorError && e.code === CollectorErrorCodes.BODY_TOO_LARGE) {
          this.#log.warn({ sensor_id: sensorId, limit: this.config.ingest.max_body_bytes }, 'ingest body over ingest.max_body: refused with 413');
        }
        throw e;
      }
      const batch = validateBatch(decodeBody(body, enc), this.config.ingest.max_records);
      if (batch.sensor_id !== sensorId) {
        throw new CollectorError(CollectorErrorCodes.SENSOR_MISMATCH, `sensor_id: the credentials belong to sensor '${sensorId}', the batch says '${batch.sensor_id}'`);
      }
      this.metrics.inc('exfil_collector_ingest_batches_total');
      const { valid, rejected } = validateRecords(batch);
      for (const r of rejected) this.metrics.inc('exfil_collector_records_rejected_total', { code: r.code });
      if (rejected.length > 0) {
        this.#log.warn({ sensor_id: sensorId, batch_seq: batch.batch_seq, rejected: rejected.length, first: rejected[0]?.reason }, 'records rejected');
      }
      const result = await this.store.ingest(sensorId, batch.batch_seq, valid, this.#now());
      const alerts = valid.filter((v) => v.type === 'alert').length;
      this.metrics.inc('exfil_collector_records_ingested_total', { type: 'alert' }, alerts);
      this.metrics.inc('exfil_collector_records_ingested_total', { type: 'window' }, valid.length - alerts);
      this.metrics.inc('exfil_collector_records_stored_total', { type: 'alert' }, result.alerts_stored);
      this.metrics.inc('exfil_collector_records_stored_total', { type: 'window' }, result.windows_stored);
      this.metrics.inc('exfil_collector_records_duplicate_total', {}, result.duplicates);
      sendJson(res, 200, {
        accepted: result.accepted,
        duplicates: result.duplicates,
        stored: result.alerts_stored + result.windows_stored,
        rejected,
      });
    } finally {
      this.#inFlight--;
    }
  }

  async #sensorSuppressions({ req, res, params }: Ctx): Promise<void> {
    const sensorId = this.#sensorOf(req);
    if (params.sensor_id !== sensorId) throw new CollectorError(CollectorErrorCodes.SENSOR_MISMATCH, `the credentials belong to sensor '${sensorId}', not '${params.sensor_id}'`);
    const list = await this.store.listSuppressions({ sensor_id: sensorId, active_at: this.#now() });
    sendJson(res, 200, { suppressions: list });
  }

  // ---- analyst API ----

  #filter(q: URLSearchParams): AlertFilter {
    const f: AlertFilter = {};
    const list = (k: string, allowed: readonly string[]): string[] | undefined => {
      const v = q.get(k);
      if (!v) return undefined;
      const items = v.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
      for (const i of items) if (!allowed.includes(i)) throw badRequest(k, `'${i}' is not one of ${allowed.join(', ')}`);
      return items;
    };
    const sev = list('severity', SEVERITIES);
    if (sev) f.severity = sev;
    const st = list('status', ALERT_STATUSES);
    if (st) f.status = st;
    const from = timeParam(q, 'from');
    if (from !== undefined) f.from = from;
    const to = timeParam(q, 'to');
    if (to !== undefined) f.to = to;
    for (const k of ['src', 'dest', 'country', 'app_proto', 'community_id', 'sensor_id', 'incident_id', 'q'] as const) {
      const v = q.get(k)?.trim();
      if (v) {
        if (v.length > 256) throw badRequest(k, 'is longer than 256 characters');
        f[k] = v;
      }
    }
    const asn = q.get('asn')?.trim().replace(/^as/i, '');
    if (asn) {
      if (!/^\d{1,10}$/.test(asn)) throw badRequest('asn', 'must be a number (e.g. 16509 or AS16509)');
      f.asn = Number(asn);
    }
    return f;
  }

  async #listAlerts({ req, res, url }: Ctx): Promise<void> {
    this.#user(req);
    const page = pageParam(url.searchParams);
    const { total, alerts } = await this.store.listAlerts(this.#filter(url.searchParams), page, PER_PAGE);
    sendJson(res, 200, { page, per_page: PER_PAGE, total, pages: Math.max(1, Math.ceil(total / PER_PAGE)), alerts });
  }

  async #getAlert({ req, res, params }: Ctx): Promise<void> {
    this.#user(req);
    const d = await this.store.getAlert(params.id!);
    if (!d) throw new CollectorError(CollectorErrorCodes.NOT_FOUND, `no alert '${params.id}'`);
    const incident = d.row.incident_id ? (await this.store.getIncident(d.row.incident_id))?.incident ?? null : null;
    sendJson(res, 200, { ...d, incident });
  }

  /** Validates action + options once; returns what the store needs. */
  #actionPlan(body: Record<string, unknown>, actor: Actor): { action: AlertAction; note: string | null; suppressionFor?: (row: AlertRow) => NewSuppression } {
    const action = body.action;
    if (typeof action !== 'string' || !ALERT_ACTIONS.includes(action as AlertAction)) throw badRequest('action', `must be one of ${ALERT_ACTIONS.join(', ')}`);
    const note = body.note === undefined || body.note === null ? null : body.note;
    if (note !== null && (typeof note !== 'string' || note.length > 4000)) throw badRequest('note', 'must be a string of at most 4000 characters');
    if (action !== 'suppress') return { action: action as AlertAction, note };
    const s = (body.suppression ?? {}) as Record<string, unknown>;
    if (typeof s !== 'object' || Array.isArray(s)) throw badRequest('suppression', 'must be an object');
    const now = this.#now();
    // Default expiry for a suppression made from an alert: 30 days; `expires_at: null` asks for a permanent one (admin).
    const expires = 'expires_at' in s ? parseExpiry(s.expires_at, actor, now, 'suppression.expires_at') : now + DEFAULT_SUPPRESS_DAYS * 86_400_000;
    const scope = s.scope === undefined ? null : parseScope(s.scope, 'suppression.scope');
    const allSensors = s.sensor_id === null;
    if (allSensors) checkSensorScope(actor, null, 'create');
    if (s.reason !== undefined && s.reason !== null && typeof s.reason !== 'string') throw badRequest('suppression.reason', 'must be a string');
    // An empty reason gets the default one naming the alert.
    const reason = typeof s.reason === 'string' && s.reason.trim() ? s.reason.slice(0, 2000) : null;
    return {
      action: 'suppress',
      note: note as string | null,
      suppressionFor: (row) => ({
        sensor_id: allSensors ? null : row.sensor_id,
        scope: scope ?? { src: row.src_ip, dest: row.dest_ip, port: row.dest_port, ...(row.app_proto ? { app_proto: row.app_proto } : {}) },
        reason: reason ?? `suppressed from alert ${row.id}${note ? `: ${note as string}` : ''}`,
        owner: actor.name,
        expires_at: expires,
      }),
    };
  }

  async #checkAlertAccess(actor: Actor, ids: readonly string[]): Promise<void> {
    if (actor.role === 'admin' || actor.sensors === null) return;
    for (const id of ids) {
      const d = await this.store.getAlert(id);
      if (d && !canAccessSensor(actor, d.row.sensor_id)) throw new CollectorError(CollectorErrorCodes.FORBIDDEN, `user ${actor.name} has no access to sensor '${d.row.sensor_id}' (alert ${id})`);
    }
  }

  async #alertAction({ req, res, params }: Ctx): Promise<void> {
    const actor = this.#user(req);
    const plan = this.#actionPlan(await this.#json(req), actor);
    await this.#checkAlertAccess(actor, [params.id!]);
    const [r] = await this.store.alertAction([params.id!], plan.action, actor.name, plan, this.#now());
    if (!r!.ok) throw new CollectorError(r!.code as CollectorError['code'], r!.error ?? 'action failed');
    sendJson(res, 200, r);
  }

  async #bulkAction({ req, res }: Ctx): Promise<void> {
    const actor = this.#user(req);
    const body = await this.#json(req);
    const ids = body.ids;
    if (!Array.isArray(ids) || ids.length === 0 || ids.length > MAX_BULK_IDS || !ids.every((i) => typeof i === 'string' && i.length > 0 && i.length <= 256)) {
      throw badRequest('ids', `must be a list of 1..${MAX_BULK_IDS} alert ids`);
    }
    const plan = this.#actionPlan(body, actor);
    const unique = [...new Set(ids as string[])];
    await this.#checkAlertAccess(actor, unique);
    const results = await this.store.alertAction(unique, plan.action, actor.name, plan, this.#now());
    sendJson(res, 200, { ok: results.filter((r) => r.ok).length, failed: results.filter((r) => !r.ok).length, results });
  }

  async #listIncidents({ req, res, url }: Ctx): Promise<void> {
    this.#user(req);
    const page = pageParam(url.searchParams);
    const st = url.searchParams.get('status');
    const allowed = ['open', 'investigating', 'resolved_confirmed', 'resolved_false_positive'];
    const status = st ? st.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
    for (const s of status ?? []) if (!allowed.includes(s)) throw badRequest('status', `'${s}' is not one of ${allowed.join(', ')}`);
    const r = await this.store.listIncidents({ ...(status ? { status } : {}), page, perPage: PER_PAGE });
    sendJson(res, 200, { page, per_page: PER_PAGE, total: r.total, incidents: r.incidents });
  }

  async #getIncident({ req, res, params }: Ctx): Promise<void> {
    this.#user(req);
    const r = await this.store.getIncident(params.id!);
    if (!r) throw new CollectorError(CollectorErrorCodes.NOT_FOUND, `no incident '${params.id}'`);
    sendJson(res, 200, r);
  }

  async #incidentAction({ req, res, params }: Ctx): Promise<void> {
    const actor = this.#user(req);
    const body = await this.#json(req);
    const action = body.action;
    if (action !== 'investigate' && action !== 'resolve_confirmed' && action !== 'resolve_false_positive') {
      throw badRequest('action', 'must be one of investigate, resolve_confirmed, resolve_false_positive');
    }
    const inc = await this.store.getIncident(params.id!);
    if (inc && !canAccessSensor(actor, inc.incident.sensor_id)) throw new CollectorError(CollectorErrorCodes.FORBIDDEN, `user ${actor.name} has no access to sensor '${inc.incident.sensor_id}'`);
    const note = typeof body.note === 'string' ? body.note.slice(0, 4000) : null;
    const r = await this.store.incidentAction(params.id!, action, actor.name, note, this.#now());
    if (!r.ok) throw new CollectorError(r.code as CollectorError['code'], r.error ?? 'action failed');
    sendJson(res, 200, r);
  }

  async #listSuppressions({ req, res, url }: Ctx): Promise<void> {
    this.#user(req);
    const sensor = url.searchParams.get('sensor_id') ?? undefined;
    const active = url.searchParams.get('active') === '1' || url.searchParams.get('active') === 'true';
    const list = await this.store.listSuppressions({ ...(sensor ? { sensor_id: sensor } : {}), ...(active ? { active_at: this.#now() } : {}) });
    sendJson(res, 200, { suppressions: list });
  }

  async #createSuppression({ req, res }: Ctx): Promise<void> {
    const actor = this.#user(req);
    const s = parseNewSuppression(await this.#json(req), actor, this.#now(), this.#sensorIds);
    const created = await this.store.createSuppression(s, this.#now());
    sendJson(res, 201, created);
  }

  async #deleteSuppression({ req, res, params }: Ctx): Promise<void> {
    const actor = this.#user(req);
    const s = await this.store.getSuppression(params.id!);
    if (!s) throw new CollectorError(CollectorErrorCodes.NOT_FOUND, `no suppression '${params.id}'`);
    checkSensorScope(actor, s.sensor_id, 'delete');
    await this.store.deleteSuppression(s.id);
    sendJson(res, 200, { deleted: s.id });
  }

  async #topDestinations({ req, res, url }: Ctx): Promise<void> {
    this.#user(req);
    const { from, to } = rangeParams(url.searchParams);
    const limit = intParam(url.searchParams, 'limit', 10, 1, 100);
    sendJson(res, 200, await this.store.topDestinations(from, to, limit));
  }

  async #pcr({ req, res, url }: Ctx): Promise<void> {
    this.#user(req);
    const { from, to } = rangeParams(url.searchParams);
    sendJson(res, 200, await this.store.pcr(from, to));
  }

  async #baseline({ req, res, url, params }: Ctx): Promise<void> {
    this.#user(req);
    const to = timeParam(url.searchParams, 'to') ?? this.#now();
    const from = timeParam(url.searchParams, 'from') ?? to - 7 * 86_400_000;
    sendJson(res, 200, { from: new Date(from).toISOString(), to: new Date(to).toISOString(), ...(await this.store.baseline(params.dest_ip!, from, to)) });
  }

  async #listSensors({ req, res }: Ctx): Promise<void> {
    this.#user(req);
    sendJson(res, 200, { sensors: await this.store.sensors() });
  }

  async #purgeNow({ req, res }: Ctx): Promise<void> {
    const actor = this.#user(req);
    if (actor.role !== 'admin') throw new CollectorError(CollectorErrorCodes.FORBIDDEN, 'purging needs the admin role');
    sendJson(res, 200, await this.purge());
  }

  async #healthz({ res }: Ctx): Promise<void> {
    try {
      await this.store.ping();
      sendJson(res, 200, { status: 'ok', store: this.store.kind });
    } catch (e) {
      sendJson(res, 503, { status: 'unavailable', store: this.store.kind, code: CollectorErrorCodes.STORE_OPEN, error: (e as Error).message });
    }
  }

  /** One retention pass (also run every `retention.interval`). */
  async purge(): Promise<PurgeResult> {
    const r = await this.store.purge(this.#now(), this.config.retention);
    for (const [table, n] of Object.entries(r)) if (n > 0) this.metrics.inc('exfil_collector_retention_purged_total', { table }, n);
    if (Object.values(r).some((n) => n > 0)) this.#log.info({ purged: r }, 'retention purge');
    return r;
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.config.listen.port, this.config.listen.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.#purgeTimer = setInterval(() => {
      this.purge().catch((e: unknown) => this.#log.error({ err: e }, 'retention purge failed'));
    }, Math.max(1000, this.config.retention.interval_s * 1000));
    this.#purgeTimer.unref();
    return this.url;
  }

  get url(): string {
    const a = this.server.address() as AddressInfo;
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    return `${this.config.tls ? 'https' : 'http'}://${host}:${a.port}`;
  }

  async close(): Promise<void> {
    if (this.#purgeTimer) clearInterval(this.#purgeTimer);
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

function pageParam(q: URLSearchParams): number {
  return intParam(q, 'page', 1, 1, 1_000_000);
}

function intParam(q: URLSearchParams, k: string, fallback: number, min: number, max: number): number {
  const v = q.get(k);
  if (v === null || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw badRequest(k, `must be an integer ${min}..${max} (got '${v}')`);
  return n;
}

/** ISO-8601 time or epoch milliseconds. */
function timeParam(q: URLSearchParams, k: string): number | undefined {
  const v = q.get(k);
  if (v === null || v === '') return undefined;
  const t = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(t)) throw badRequest(k, `must be an ISO-8601 time (got '${v}')`);
  return t;
}

/** Widget ranges over window times; without bounds, all stored data. */
function rangeParams(q: URLSearchParams): { from: number; to: number } {
  return { from: timeParam(q, 'from') ?? 0, to: timeParam(q, 'to') ?? 8.64e15 };
}
