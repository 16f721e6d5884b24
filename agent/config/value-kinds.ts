/**
 * Values the config writes as text and the sensor uses as something else: sizes, durations,
 * times of day, timestamps, CIDR blocks, regexes, time zones, URLs, listen addresses, paths.
 *
 * The schema tags such a value with `unit: {kind, ...}` (see schema.ts). The same table serves
 * both steps of loading: `check` (run by ajv's custom `unit` keyword, so a bad unit is reported
 * with its key path like any schema error) and `convert` (run by the resolver on a file that
 * passed validation). A converted value is stored under the key plus the kind's `suffix`
 * (`memcap: "128 MiB"` -> `memcap_bytes: 134217728`), so the resolved type says its unit.
 */
import path from 'node:path';
import { parseCidr, parseIp } from './cidr.js';
import { parseClock, parseDuration, parseSize, weekdayNumber, type Weekday } from './units.js';

export type UnitSpec =
  /** Bytes. `min`/`max` are size strings. Resolved key gets `_bytes`. */
  | { kind: 'size'; min?: string; max?: string }
  /** Seconds (`_seconds`), or whole days (`_days`) with `per: 'day'`. `whole`: integral seconds only. */
  | { kind: 'duration'; min?: string; max?: string; whole?: boolean; per?: 'day' }
  /** "HH:MM" -> minutes after midnight (`_min`); `end` also accepts "24:00". */
  | { kind: 'clock'; end?: boolean }
  /** "HH:MM" (recurring, `_min`) or an ISO-8601 timestamp with offset (one-off, key unchanged). */
  | { kind: 'clock_or_timestamp'; end?: boolean }
  /** "2025-06-30" (00:00 UTC that day) or "2025-06-30T18:00:00+02:00" -> ISO string in UTC. */
  | { kind: 'timestamp' }
  /** IPv4/IPv6 address or CIDR block -> canonical CIDR text. */
  | { kind: 'cidr' }
  /** One CIDR (string) or a list of them (items checked by `items`) -> list of canonical CIDRs. */
  | { kind: 'cidr_list' }
  /** One port (integer) or a list of them -> list of ports. */
  | { kind: 'ports' }
  /** A CIDR block or address, or a domain suffix (matched against SNI / DNS names). */
  | { kind: 'cidr_or_domain' }
  /** JavaScript regular expression source, at most 200 characters, compiled case-insensitive. */
  | { kind: 'regex' }
  /** IANA time zone name -> canonical spelling. */
  | { kind: 'timezone' }
  /** http:// or https:// URL. */
  | { kind: 'url' }
  /** "host:port" or "[v6]:port". */
  | { kind: 'listen' }
  /** File path; relative paths are taken from the config file's directory. ":memory:" and "-" kept. */
  | { kind: 'path' }
  /** Identifier: letters, digits, '.', '_', ':', '-'; starts with a letter or digit; 1-128 chars. */
  | { kind: 'name' }
  /** "mon".."sun" -> 1..7 (the schema's enum does the checking). */
  | { kind: 'weekday' }
  /** "auto" -> available cores (an integer passes through). */
  | { kind: 'workers' };

export interface ConvertContext {
  /** Directory that relative paths are taken from (the config file's), or null to keep them. */
  baseDir: string | null;
  availableParallelism: number;
}

export const REGEX_MAX_LENGTH = 200;

function describeSize(n: number): string {
  for (const [unit, f] of [['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]] as const) {
    if (n >= f && n % f === 0) return `${n / f} ${unit}`;
  }
  return `${n} B`;
}

function sizeCheck(v: string, spec: { min?: string; max?: string }): string | null {
  let n: number;
  try {
    n = parseSize(v);
  } catch (e) {
    return (e as Error).message;
  }
  if (spec.min !== undefined && n < parseSize(spec.min)) return `'${v}' is below the minimum of ${spec.min}`;
  if (spec.max !== undefined && n > parseSize(spec.max)) return `'${v}' is above the maximum of ${spec.max} (${describeSize(parseSize(spec.max))})`;
  return null;
}

function durationCheck(v: string, spec: { min?: string; max?: string; whole?: boolean; per?: 'day' }): string | null {
  let s: number;
  try {
    s = parseDuration(v);
  } catch (e) {
    return (e as Error).message;
  }
  if (spec.per === 'day' && s % 86400 !== 0) return `'${v}' must be a whole number of days (e.g. "7d")`;
  if (spec.whole && !Number.isInteger(s)) return `'${v}' must be a whole number of seconds`;
  if (spec.min !== undefined && s < parseDuration(spec.min)) return `'${v}' is below the minimum of ${spec.min}`;
  if (spec.max !== undefined && s > parseDuration(spec.max)) return `'${v}' is above the maximum of ${spec.max}`;
  return null;
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME_RE = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d)(\.\d{1,9})?)?(Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)?$/;

/** ISO-8601 date or date-time with offset -> ISO string in UTC; throws with a message. */
export function parseTimestamp(v: string): string {
  const d = DATE_RE.exec(v) ?? DATETIME_RE.exec(v);
  const bad = `'${v}' is not a timestamp; use an ISO-8601 date ("2025-06-30") or date-time with offset ("2025-06-30T18:00:00Z", "...+02:00")`;
  if (!d) throw new Error(bad);
  const [y, mo, da] = [Number(d[1]), Number(d[2]), Number(d[3])];
  const daysInMonth = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  if (mo < 1 || mo > 12 || da < 1 || da > daysInMonth) throw new Error(`'${v}' is not a calendar date`);
  if (d.length > 4 && d[8] === undefined) {
    throw new Error(`'${v}' needs a UTC offset ("Z" or "+02:00"): a local time is ambiguous`);
  }
  const ms = Date.parse(d.length > 4 ? v : `${v}T00:00:00Z`);
  if (Number.isNaN(ms)) throw new Error(bad);
  return new Date(ms).toISOString();
}

/** A domain suffix as allowlists and backup windows use it: labels of letters, digits, '-', '_'. */
function domainCheck(v: string): string | null {
  const d = v.endsWith('.') ? v.slice(0, -1) : v;
  const labels = d.split('.');
  if (d.length === 0 || d.length > 253 || !labels.every((l) => /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/.test(l))) {
    return `'${v}' is neither a CIDR block nor a domain name`;
  }
  return null;
}

export function compileDomainRegex(source: string): RegExp {
  if (source.length > REGEX_MAX_LENGTH) {
    throw new Error(`regex is ${source.length} characters long; the limit is ${REGEX_MAX_LENGTH}`);
  }
  try {
    return new RegExp(source, 'i');
  } catch (e) {
    const reason = (e as Error).message.split(': ').pop() ?? 'invalid';
    throw new Error(`'${source}' is not a valid regular expression: ${reason}`);
  }
}

export function canonicalTimeZone(tz: string): string {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone;
  } catch {
    throw new Error(`'${tz}' is not an IANA time zone (e.g. "UTC", "Europe/Berlin", "America/New_York")`);
  }
}

function listenCheck(v: string): string | null {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(v);
  const bad = `'${v}' is not a listen address; use "host:port" (e.g. "127.0.0.1:9187", "[::1]:9187", "0.0.0.0:9187")`;
  if (!m) return bad;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return `'${v}': port ${port} is out of range (1-65535)`;
  if (m[1] !== undefined && !parseIp(m[1])) return bad;
  if (m[2] !== undefined && !parseIp(m[2]) && domainCheck(m[2]) !== null) return bad;
  return null;
}

function urlCheck(v: string): string | null {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    return `'${v}' is not a URL (e.g. "https://collector.example.net:8443")`;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return `'${v}': the collector URL must be http:// or https://`;
  if (u.username || u.password) return `'${v}': put credentials in collector.token, not in the URL`;
  return null;
}

function attempt(f: () => unknown): string | null {
  try {
    f();
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Message for a bad value of this kind, or null when it is fine. Only called on strings. */
export function checkUnit(spec: UnitSpec, v: string): string | null {
  switch (spec.kind) {
    case 'size':
      return sizeCheck(v, spec);
    case 'duration':
      return durationCheck(v, spec);
    case 'clock':
      return attempt(() => parseClock(v, spec.end));
    case 'clock_or_timestamp':
      if (/^\d\d?:\d\d$/.test(v)) return attempt(() => parseClock(v, spec.end));
      return attempt(() => parseTimestamp(v)) === null
        ? null
        : `'${v}' is neither a time of day ("22:00", recurring) nor an ISO-8601 date-time with offset ("2025-06-30T22:00:00Z", one-off)`;
    case 'timestamp':
      return attempt(() => parseTimestamp(v));
    case 'cidr':
    case 'cidr_list':
      return attempt(() => parseCidr(v));
    case 'ports':
      return null;
    case 'cidr_or_domain':
      if (/^[\d.]+(\/\d+)?$/.test(v) || v.includes(':')) return attempt(() => parseCidr(v));
      return domainCheck(v);
    case 'regex':
      return attempt(() => compileDomainRegex(v));
    case 'timezone':
      return attempt(() => canonicalTimeZone(v));
    case 'url':
      return urlCheck(v);
    case 'listen':
      return listenCheck(v);
    case 'path':
      return v.length === 0 ? 'must not be empty' : v.includes('\0') ? 'must not contain NUL' : null;
    case 'name':
      return /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(v)
        ? null
        : `'${v}' is not a valid name; use 1-128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit`;
    case 'weekday':
      return null; // the schema's enum reports bad names

    case 'workers':
      return v === 'auto' ? null : `must be "auto" or an integer`;
  }
}

/** The key suffix and value the resolved config stores for a valid value of this kind. */
export function convertUnit(spec: UnitSpec, v: unknown, ctx: ConvertContext): { suffix: string; value: unknown } {
  if (spec.kind === 'ports' && typeof v === 'number') return { suffix: '', value: [v] };
  if (typeof v !== 'string') return { suffix: suffixOf(spec), value: v }; // null, numbers, converted lists

  switch (spec.kind) {
    case 'size':
      return { suffix: '_bytes', value: parseSize(v) };
    case 'duration':
      return spec.per === 'day' ? { suffix: '_days', value: parseDuration(v) / 86400 } : { suffix: '_seconds', value: parseDuration(v) };
    case 'clock':
      return { suffix: '_min', value: parseClock(v, spec.end) };
    case 'clock_or_timestamp':
      return /^\d\d?:\d\d$/.test(v) ? { suffix: '_min', value: parseClock(v, spec.end) } : { suffix: '', value: parseTimestamp(v) };
    case 'timestamp':
      return { suffix: '', value: parseTimestamp(v) };
    case 'cidr':
      return { suffix: '', value: parseCidr(v).text };
    case 'cidr_list':
      return { suffix: '', value: [parseCidr(v).text] };
    case 'cidr_or_domain':
      return { suffix: '', value: /^[\d.]+(\/\d+)?$/.test(v) || v.includes(':') ? parseCidr(v).text : v.toLowerCase().replace(/\.$/, '') };
    case 'timezone':
      return { suffix: '', value: canonicalTimeZone(v) };
    case 'path':
      return { suffix: '', value: v === ':memory:' || v === '-' || ctx.baseDir === null ? v : path.resolve(ctx.baseDir, v) };
    case 'weekday':
      return { suffix: '', value: weekdayNumber(v as Weekday) };
    case 'workers':
      return { suffix: '', value: v === 'auto' ? ctx.availableParallelism : v };
    case 'regex':
    case 'url':
    case 'listen':
    case 'name':
    case 'ports':
      return { suffix: '', value: v };
  }
}

/** The suffix a kind adds to its key in the resolved config (static form; see convertUnit). */
export function suffixOf(spec: UnitSpec): string {
  switch (spec.kind) {
    case 'size':
      return '_bytes';
    case 'duration':
      return spec.per === 'day' ? '_days' : '_seconds';
    case 'clock':
      return '_min';
    default:
      return '';
  }
}
