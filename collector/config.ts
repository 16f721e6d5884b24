/**
 * The collector's config (SPEC sections 7 and 8): one YAML file validated as a whole with ajv;
 * every problem is reported with its key path and line (`file:line: path: message`, the form
 * the sensor's `check-config` prints). Without a file the collector runs on embedded demo
 * defaults: SQLite in a data folder, one demo sensor token and demo user tokens.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { formatConfigIssue, type ConfigIssue } from '../agent/errors.js';
import { parseDuration, parseSize } from '../agent/config/units.js';
import { CollectorError, CollectorErrorCodes } from './errors.js';

export type Role = 'analyst' | 'admin';

export interface CollectorConfig {
  listen: { host: string; port: number };
  storage: { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string; pool_max: number };
  /** A sensor is known by its bearer token, by the CN of its client certificate (mTLS, needs tls.ca), or both. */
  sensors: { id: string; token: string | null; cert_cn: string | null }[];
  /** `sensors`: the sensors a user may act on (org scope); absent = all sensors (account-wide). */
  users: { name: string; token: string; role: Role; sensors: string[] | null }[];
  ingest: { max_body_bytes: number; max_in_flight: number; retry_after_s: number; max_records: number };
  /** Seconds. */
  retention: { alerts_s: number; risk_scores_s: number; windows_s: number; interval_s: number };
  tls: { cert: string; key: string; ca: string | null } | null;
  logging: { level: string };
  /** Where the config came from: a file path or "(embedded defaults)". */
  source: string;
}

const NAME = { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]*$' };
const TOKEN = { type: 'string', minLength: 8, maxLength: 4096 };
const SIZE = { type: 'string', unit: 'size' };
const DURATION = { type: 'string', unit: 'duration' };

export const COLLECTOR_CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    listen: {
      type: 'object',
      additionalProperties: false,
      properties: { host: { type: 'string', minLength: 1 }, port: { type: 'integer', minimum: 0, maximum: 65535 } },
    },
    storage: {
      type: 'object',
      additionalProperties: false,
      required: ['kind'],
      properties: {
        kind: { enum: ['sqlite', 'postgres'] },
        path: { type: 'string', minLength: 1 },
        url: { type: 'string', pattern: '^postgres(ql)?://' },
        pool_max: { type: 'integer', minimum: 1, maximum: 1000 },
      },
    },
    sensors: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id'],
        properties: { id: NAME, token: TOKEN, cert_cn: { type: 'string', minLength: 1, maxLength: 256 } },
      },
    },
    users: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'token', 'role'],
        properties: { name: NAME, token: TOKEN, role: { enum: ['analyst', 'admin'] }, sensors: { type: 'array', items: NAME } },
      },
    },
    ingest: {
      type: 'object',
      additionalProperties: false,
      properties: {
        max_body: SIZE,
        max_in_flight: { type: 'integer', minimum: 0, maximum: 100000 },
        retry_after: DURATION,
        max_records: { type: 'integer', minimum: 1, maximum: 1_000_000 },
      },
    },
    retention: {
      type: 'object',
      additionalProperties: false,
      properties: { alerts: DURATION, risk_scores: DURATION, windows: DURATION, interval: DURATION },
    },
    tls: {
      type: ['object', 'null'],
      additionalProperties: false,
      required: ['cert', 'key'],
      properties: { cert: { type: 'string', minLength: 1 }, key: { type: 'string', minLength: 1 }, ca: { type: ['string', 'null'] } },
    },
    logging: {
      type: 'object',
      additionalProperties: false,
      properties: { level: { enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] } },
    },
  },
} as const;

type PathSegment = string | number;

function formatPath(p: readonly PathSegment[]): string {
  let out = '';
  for (const seg of p) out += typeof seg === 'number' ? `[${seg}]` : out ? `.${seg}` : seg;
  return out;
}

function pointerSegments(pointer: string): PathSegment[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** Line of the deepest part of `p` present in the YAML document. */
function lineOf(doc: Document, lc: LineCounter, p: readonly PathSegment[]): number {
  let node: unknown = doc.contents;
  let line = 1;
  const at = (n: unknown): void => {
    const r = (n as Node | null)?.range;
    if (r) line = lc.linePos(r[0]).line;
  };
  at(node);
  for (const seg of p) {
    if (isMap(node)) {
      const pair = node.items.findLast((it) => isScalar(it.key) && String(it.key.value) === String(seg));
      if (!pair) break;
      at(pair.key);
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg];
      if (item === undefined) break;
      at(item);
      node = item;
    } else break;
  }
  return line;
}

function issueFromAjv(e: ErrorObject): { path: PathSegment[]; message: string } {
  const p = pointerSegments(e.instancePath);
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties':
      return { path: [...p, String(params.additionalProperty)], message: `unknown key '${String(params.additionalProperty)}'` };
    case 'required':
      return { path: [...p, String(params.missingProperty)], message: 'required key is missing' };
    case 'enum':
      return { path: p, message: `must be one of ${(params.allowedValues as unknown[]).join(', ')}` };
    default:
      return { path: p, message: e.message ?? e.keyword };
  }
}

let validator: ReturnType<Ajv['compile']> | null = null;
function validate(): ReturnType<Ajv['compile']> {
  if (!validator) {
    const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
    ajv.addKeyword({
      keyword: 'unit',
      schemaType: 'string',
      validate: function unit(kind: string, data: unknown): boolean {
        if (typeof data !== 'string') return true;
        try {
          if (kind === 'size') parseSize(data);
          else parseDuration(data);
          return true;
        } catch (err) {
          (unit as unknown as { errors: unknown[] }).errors = [{ keyword: 'unit', message: (err as Error).message, params: {} }];
          return false;
        }
      },
      errors: true,
    });
    validator = ajv.compile(COLLECTOR_CONFIG_SCHEMA);
  }
  return validator;
}

export class CollectorConfigError extends CollectorError {
  readonly file: string;
  readonly errors: readonly ConfigIssue[];
  constructor(file: string, errors: readonly ConfigIssue[]) {
    super(CollectorErrorCodes.CONFIG_INVALID, errors.map((e) => formatConfigIssue(file, e)).join('\n'), { exitCode: 2 });
    this.name = 'CollectorConfigError';
    this.file = file;
    this.errors = errors;
  }
}

/** The data folder of the embedded defaults (EXFIL_COLLECTOR_DATA overrides). */
export function defaultDataDir(): string {
  return process.env.EXFIL_COLLECTOR_DATA ?? path.join(os.homedir(), '.exfil-collector');
}

export const DEMO_SENSOR = { id: 'exfil-sensor', token: 'demo-sensor-token' } as const;
export const DEMO_USERS = [
  { name: 'analyst', token: 'demo-analyst-token', role: 'analyst' as const },
  { name: 'admin', token: 'demo-admin-token', role: 'admin' as const },
];

type Raw = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function resolve(raw: Raw, file: string, baseDir: string): CollectorConfig {
  const storage = raw.storage ?? { kind: 'sqlite' };
  const rel = (p: string): string => (path.isAbsolute(p) ? p : path.resolve(baseDir, p));
  return {
    listen: { host: raw.listen?.host ?? '127.0.0.1', port: raw.listen?.port ?? 8780 },
    storage:
      storage.kind === 'postgres'
        ? { kind: 'postgres', url: storage.url, pool_max: storage.pool_max ?? 10 }
        : { kind: 'sqlite', path: rel(storage.path ?? path.join(defaultDataDir(), 'collector.db')) },
    sensors: (raw.sensors ?? []).map((s: Raw) => ({ id: s.id, token: s.token ?? null, cert_cn: s.cert_cn ?? null })),
    users: (raw.users ?? []).map((u: Raw) => ({ name: u.name, token: u.token, role: u.role, sensors: u.sensors ?? null })),
    ingest: {
      max_body_bytes: parseSize(raw.ingest?.max_body ?? '8 MiB'),
      max_in_flight: raw.ingest?.max_in_flight ?? 0,
      retry_after_s: Math.max(1, Math.ceil(parseDuration(raw.ingest?.retry_after ?? '1s'))),
      max_records: raw.ingest?.max_records ?? 50_000,
    },
    retention: {
      alerts_s: parseDuration(raw.retention?.alerts ?? '90d'),
      risk_scores_s: parseDuration(raw.retention?.risk_scores ?? '30d'),
      windows_s: parseDuration(raw.retention?.windows ?? '8d'),
      interval_s: parseDuration(raw.retention?.interval ?? '1h'),
    },
    tls: raw.tls ? { cert: rel(raw.tls.cert), key: rel(raw.tls.key), ca: raw.tls.ca ? rel(raw.tls.ca) : null } : null,
    logging: { level: raw.logging?.level ?? 'info' },
    source: file,
  };
}

/** Checks that span keys: required storage fields, unique ids and tokens, positive durations. */
function crossChecks(raw: Raw): { path: PathSegment[]; message: string }[] {
  const out: { path: PathSegment[]; message: string }[] = [];
  const st = raw.storage;
  if (st?.kind === 'postgres' && typeof st.url !== 'string') out.push({ path: ['storage', 'url'], message: 'storage.kind postgres needs url (postgres://user@host/db)' });
  if (st?.kind === 'postgres' && st.path !== undefined) out.push({ path: ['storage', 'path'], message: 'path is for sqlite; postgres uses url' });
  if (st?.kind === 'sqlite' && st.url !== undefined) out.push({ path: ['storage', 'url'], message: 'url is for postgres; sqlite uses path' });
  const tokens = new Map<string, string>();
  const cns = new Map<string, string>();
  const ids = new Set<string>();
  (raw.sensors ?? []).forEach((s: Raw, i: number) => {
    if (ids.has(s.id)) out.push({ path: ['sensors', i, 'id'], message: `sensor id '${s.id}' is listed twice` });
    ids.add(s.id);
    if (s.token === undefined && s.cert_cn === undefined) out.push({ path: ['sensors', i], message: 'a sensor needs a token, a cert_cn (mTLS), or both' });
    if (s.cert_cn !== undefined && !raw.tls?.ca) out.push({ path: ['sensors', i, 'cert_cn'], message: 'cert_cn identifies a sensor by its client certificate: it needs tls.ca (mTLS)' });
    if (s.cert_cn !== undefined && cns.has(s.cert_cn)) out.push({ path: ['sensors', i, 'cert_cn'], message: `cert_cn already used by ${cns.get(s.cert_cn)}` });
    if (s.cert_cn !== undefined) cns.set(s.cert_cn, `sensors[${i}]`);
    if (s.token === undefined) return;
    if (tokens.has(s.token)) out.push({ path: ['sensors', i, 'token'], message: `token already used by ${tokens.get(s.token)}` });
    tokens.set(s.token, `sensors[${i}]`);
  });
  (raw.users ?? []).forEach((u: Raw, i: number) => {
    if (tokens.has(u.token)) out.push({ path: ['users', i, 'token'], message: `token already used by ${tokens.get(u.token)}` });
    tokens.set(u.token, `users[${i}]`);
  });
  for (const key of ['alerts', 'risk_scores', 'windows', 'interval']) {
    const v = raw.retention?.[key];
    if (typeof v === 'string') {
      try {
        if (parseDuration(v) <= 0) out.push({ path: ['retention', key], message: 'must be longer than 0' });
      } catch {
        /* reported by the schema */
      }
    }
  }
  return out;
}

/** Parse and validate config text; throws CollectorConfigError listing every problem. */
export function parseCollectorConfig(text: string, file: string): CollectorConfig {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const issues: ConfigIssue[] = [...doc.errors, ...doc.warnings].map((e) => ({
    path: '',
    line: lc.linePos(e.pos[0]).line,
    message: `YAML: ${e.message.replace(/\s+/g, ' ').replace(/ at line \d+, column \d+.*$/, '')}`,
  }));
  if (issues.length > 0) throw new CollectorConfigError(file, issues);
  const raw = (doc.toJS({ maxAliasCount: 100 }) ?? {}) as Raw;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new CollectorConfigError(file, [{ path: '', line: 1, message: 'the file must be a mapping of keys' }]);
  const v = validate();
  const raws = v(raw) ? [] : (v.errors ?? []).map(issueFromAjv);
  if (raws.length === 0) raws.push(...crossChecks(raw));
  for (const r of raws) issues.push({ path: formatPath(r.path), line: lineOf(doc, lc, r.path), message: r.message });
  if (issues.length > 0) {
    issues.sort((a, b) => a.line - b.line);
    throw new CollectorConfigError(file, issues);
  }
  return resolve(raw, file, path.dirname(path.resolve(file)));
}

export function loadCollectorConfig(file: string): CollectorConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new CollectorConfigError(file, [{ path: '', line: 0, message: `cannot read the config file: ${(e as NodeJS.ErrnoException).code ?? String(e)}` }]);
  }
  return parseCollectorConfig(text, file);
}

/** The embedded defaults: SQLite under defaultDataDir(), the demo sensor and demo users. */
export function defaultCollectorConfig(): CollectorConfig {
  return resolve({ sensors: [{ ...DEMO_SENSOR }], users: DEMO_USERS.map((u) => ({ ...u })) }, '(embedded defaults)', process.cwd());
}
