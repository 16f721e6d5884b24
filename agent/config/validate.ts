/**
 * Validation of a parsed config document against SENSOR_CONFIG_SCHEMA (ajv, all errors, defaults
 * filled in), then the checks that span several keys. Every problem comes back as key path
 * segments plus a message written for an operator; load.ts adds the line.
 */
import { Ajv, type ErrorObject, type SchemaValidateFunction, type ValidateFunction } from 'ajv';
import { SENSOR_CONFIG_SCHEMA, type SchemaNode } from './schema.js';
import { checkUnit, parseTimestamp, type UnitSpec } from './value-kinds.js';
import { parseClock, parseDuration, parseSize } from './units.js';

export type PathSegment = string | number;

export interface RawIssue {
  path: PathSegment[];
  message: string;
}

/** ajv's custom `unit` keyword: checks strings with value-kinds.ts (other types: the schema's type). */
const unitKeyword: SchemaValidateFunction = (schema: UnitSpec, data: unknown): boolean => {
  if (typeof data !== 'string') return true;
  const message = checkUnit(schema, data);
  if (message === null) return true;
  unitKeyword.errors = [{ keyword: 'unit', message, params: { kind: schema.kind } }];
  return false;
};

/**
 * The compiled schema, built on first use: compiling it costs about 0.35 s, which a run on the
 * built-in defaults (no config file) should not pay at start-up.
 */
let compiled: ValidateFunction | null = null;
function validateSchema(): ValidateFunction {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true, allowUnionTypes: true, verbose: true });
    ajv.addKeyword({ keyword: 'reloadable', schemaType: 'boolean' });
    ajv.addKeyword({ keyword: 'unit', schemaType: 'object', errors: true, validate: unitKeyword });
    compiled = ajv.compile(SENSOR_CONFIG_SCHEMA);
  }
  return compiled;
}

const TYPE_NAMES: Record<string, string> = {
  integer: 'an integer',
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  null: 'null',
};

const UNIT_EXAMPLES: Partial<Record<UnitSpec['kind'], string>> = {
  size: '"128 MiB"',
  duration: '"15m"',
  clock: '"08:00"',
  clock_or_timestamp: '"22:00"',
  timestamp: '"2025-06-30"',
  cidr: '"10.0.0.0/8"',
  cidr_list: '"10.0.0.0/8"',
  timezone: '"Europe/Berlin"',
  url: '"https://collector.example.net"',
  listen: '"127.0.0.1:9187"',
};

function describe(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `'${v}'`;
  return String(v);
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}

function suggestion(key: string, known: string[]): string {
  const k = key.toLowerCase().replaceAll('-', '_');
  const near = known
    .map((c) => ({ c, d: k.length >= 3 && (c.startsWith(k) || k.startsWith(c)) ? 1 : editDistance(k, c) }))
    .filter(({ d }) => d <= (k.length >= 4 ? 2 : 1))
    .sort((a, b) => a.d - b.d)[0];
  return near ? ` (did you mean '${near.c}'?)` : '';
}

function pointerSegments(pointer: string): PathSegment[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function fromAjv(e: ErrorObject): RawIssue {
  const path = pointerSegments(e.instancePath);
  const node = (e.parentSchema ?? {}) as SchemaNode;
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(p.additionalProperty);
      return { path: [...path, key], message: `unknown key '${key}'${suggestion(key, Object.keys(node.properties ?? {}))}` };
    }
    case 'required':
      return { path: [...path, String(p.missingProperty)], message: 'required key is missing' };
    case 'type': {
      const types = String(p.type).split(',');
      let want = types.filter((t) => t !== 'null').map((t) => TYPE_NAMES[t] ?? t).join(' or ');
      const example = node.unit && node.unit.kind !== 'cidr_list' ? UNIT_EXAMPLES[node.unit.kind] : undefined;
      if (example && types.includes('string')) want = `a string like ${example}`;
      if (types.includes('null')) want += ' or null';
      let hint = '';
      if (types.includes('boolean') && typeof e.data === 'string' && /^(yes|no|on|off|y|n)$/i.test(e.data)) hint = '; YAML 1.2 booleans are true/false';
      else if (types.includes('string') && !example && (typeof e.data === 'number' || typeof e.data === 'boolean')) hint = '; quote it to make it text';
      else if (types.includes('object') && e.data === null) hint = '; give it keys or remove it';
      return { path, message: `must be ${want} (got ${describe(e.data)})${hint}` };
    }
    case 'enum':
      return { path, message: `must be one of ${(p.allowedValues as unknown[]).join(', ')} (got ${describe(e.data)})` };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const op = { minimum: '>=', maximum: '<=', exclusiveMinimum: '>', exclusiveMaximum: '<' }[e.keyword];
      return { path, message: `must be ${op} ${String(p.limit)} (got ${describe(e.data)})` };
    }
    case 'minItems':
      return { path, message: `must have at least ${plural(Number(p.limit), 'entry', 'entries')}` };
    case 'maxItems':
      return { path, message: `must have at most ${plural(Number(p.limit), 'entry', 'entries')}` };
    case 'minLength':
      return { path, message: Number(p.limit) === 1 ? 'must not be empty' : `must be at least ${p.limit} characters` };
    case 'uniqueItems': {
      const [a, b] = [Number(p.i), Number(p.j)].sort((x, y) => x - y);
      return { path, message: `entries ${a} and ${b} are the same (${describe((e.data as unknown[])[Number(p.i)])})` };
    }
    default:
      return { path, message: e.message ?? e.keyword };
  }
}

// ---- checks across keys (run on a document that passed the schema) -------------------------

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const isClock = (v: unknown): v is string => typeof v === 'string' && /^\d\d?:\d\d$/.test(v);

/**
 * Checks that span keys. Each runs on its own and is skipped when its inputs are unusable (they
 * already have a schema error), so a file with schema errors still gets these reported too.
 */
const CROSS_CHECKS: ((raw: Obj, out: RawIssue[]) => void)[] = [
  (raw, out) => {
    const collector = obj(raw.collector);
    if ((collector.cert == null) !== (collector.key == null)) {
      out.push({ path: ['collector', collector.cert == null ? 'cert' : 'key'], message: 'mTLS needs both cert and key' });
    }
  },
  (raw, out) => {
    const v = obj(raw.verdict);
    const cap = Number(v.ratio_cap);
    for (const [tierName, rungs] of Object.entries(obj(v.ladder))) {
      arr(rungs).forEach((r, i) => {
        if (Number(obj(r).min_ratio) > cap) {
          out.push({ path: ['verdict', 'ladder', tierName, i, 'min_ratio'], message: `can never fire: above verdict.ratio_cap (${cap})` });
        }
      });
    }
  },
  (raw, out) => {
    const bh = obj(obj(raw.verdict).business_hours);
    if (parseClock(String(bh.end), true) <= parseClock(String(bh.start))) {
      out.push({ path: ['verdict', 'business_hours', 'end'], message: `must be after start (${String(bh.start)})` });
    }
  },
  (raw, out) => {
    arr(obj(raw.verdict).maintenance_windows).forEach((w, i) => {
      const m = obj(w);
      const at = ['verdict', 'maintenance_windows', i];
      if (typeof m.start !== 'string' || typeof m.end !== 'string') return;
      if (isClock(m.start) !== isClock(m.end)) {
        out.push({ path: [...at, 'end'], message: 'start and end must both be times of day (recurring) or both timestamps (one-off)' });
      } else if (!isClock(m.start)) {
        if (m.days !== undefined) out.push({ path: [...at, 'days'], message: 'only recurring windows (HH:MM start/end) take days' });
        if (parseTimestamp(m.end) <= parseTimestamp(m.start)) out.push({ path: [...at, 'end'], message: 'must be after start' });
      } else if (parseClock(m.start) === parseClock(m.end, true) % 1440) {
        out.push({ path: [...at, 'end'], message: 'must differ from start' });
      }
    });
  },
  (raw, out) => {
    arr(obj(raw.verdict).backup_windows).forEach((w, i) => {
      const b = obj(w);
      if (parseClock(String(b.start)) === parseClock(String(b.end), true) % 1440) {
        out.push({ path: ['verdict', 'backup_windows', i, 'end'], message: 'must differ from start' });
      }
    });
  },
  (raw, out) => uniqueNames(arr(obj(raw.intel).feeds), ['intel', 'feeds'], 'feed', out),
  (raw, out) => uniqueNames(arr(raw.allowlist), ['allowlist'], 'allowlist', out),
  (raw, out) => {
    arr(raw.allowlist).forEach((a, i) => {
      const e = obj(a);
      if (['src', 'dest', 'dest_domain_regex', 'port', 'app_proto'].every((k) => e[k] === undefined)) {
        out.push({
          path: ['allowlist', i],
          message: 'needs at least one of src, dest, dest_domain_regex, port, app_proto (an entry without scope would hide everything)',
        });
      }
    });
  },
  (raw, out) => {
    const spool = obj(obj(raw.transport).spool);
    if (parseSize(String(spool.segment_size)) > parseSize(String(spool.max_size))) {
      out.push({ path: ['transport', 'spool', 'segment_size'], message: `must not be larger than transport.spool.max_size (${String(spool.max_size)})` });
    }
  },
  (raw, out) => {
    const retry = obj(obj(raw.transport).retry);
    if (parseDuration(String(retry.initial_backoff)) > parseDuration(String(retry.max_backoff))) {
      out.push({ path: ['transport', 'retry', 'max_backoff'], message: `must be at least initial_backoff (${String(retry.initial_backoff)})` });
    }
  },
];

function uniqueNames(items: unknown[], at: PathSegment[], what: string, out: RawIssue[]): void {
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const name = obj(item).name;
    if (typeof name !== 'string') return;
    const first = seen.get(name);
    if (first === undefined) seen.set(name, i);
    else out.push({ path: [...at, i, 'name'], message: `${what} name '${name}' is already used by entry ${first}` });
  });
}

function crossChecks(raw: Obj, known: RawIssue[]): RawIssue[] {
  const out: RawIssue[] = [];
  for (const check of CROSS_CHECKS) {
    try {
      check(raw, out);
    } catch {
      // An input of this check is malformed: the schema error about it is already reported.
    }
  }
  // Skip a finding whose key, or a key inside it or around it, already has a schema error.
  const key = (p: PathSegment[]): string => `${p.join('\0')}\0`;
  const bad = known.map((k) => key(k.path));
  return out.filter((i) => !bad.some((b) => b.startsWith(key(i.path)) || key(i.path).startsWith(b)));
}

/**
 * Validate `data` (the YAML document as plain JS) in place: defaults are filled in. Returns every
 * problem; an empty list means `data` is a complete raw config ready for resolveConfig.
 */
export function validateRaw(data: unknown): RawIssue[] {
  if (data === null || data === undefined) return [{ path: [], message: 'the file is empty; at least sensor_id is required' }];
  if (typeof data !== 'object' || Array.isArray(data)) return [{ path: [], message: `the file must be a mapping of keys (got ${describe(data)})` }];
  const validate = validateSchema();
  validate(data);
  const seen = new Set<string>();
  const issues = (validate.errors ?? []).map(fromAjv).filter((i) => {
    const k = `${i.path.join('\0')}\n${i.message}`;
    return seen.has(k) ? false : (seen.add(k), true);
  });
  return [...issues, ...crossChecks(data as Obj, issues)];
}
