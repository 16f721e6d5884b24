/**
 * Suppression scope rules (`001_...`, "Managing Suppressions"):
 * - a scope names at least one of src, dest (IP or CIDR), domain_regex (<= 200 characters, must
 *   compile), port, app_proto: an empty scope would silence everything;
 * - permanent entries (no `expires_at`) need the admin role; an expiry must lie in the future;
 * - a suppression for every sensor (account-wide, `sensor_id: null`) needs admin to create or
 *   delete; a sensor-scoped one needs access to that sensor (a user's `sensors` list, or all).
 */
import net from 'node:net';
import { badRequest, CollectorError, CollectorErrorCodes } from '../errors.js';
import type { NewSuppression, SuppressionScope } from '../store/store.js';

export const MAX_REGEX_CHARS = 200;

export interface Actor {
  name: string;
  role: 'analyst' | 'admin';
  sensors: string[] | null;
}

export function canAccessSensor(actor: Actor, sensorId: string): boolean {
  return actor.role === 'admin' || actor.sensors === null || actor.sensors.includes(sensorId);
}

function isIpOrCidr(s: string): boolean {
  const m = /^([^/]+)(?:\/(\d{1,3}))?$/.exec(s);
  if (!m) return false;
  const v = net.isIP(m[1]!);
  if (v === 0) return false;
  return m[2] === undefined || Number(m[2]) <= (v === 4 ? 32 : 128);
}

export function parseScope(raw: unknown, field = 'scope'): SuppressionScope {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw badRequest(field, 'must be an object');
  const r = raw as Record<string, unknown>;
  const scope: SuppressionScope = {};
  for (const k of Object.keys(r)) {
    if (!['src', 'dest', 'domain_regex', 'port', 'app_proto'].includes(k)) throw badRequest(`${field}.${k}`, 'unknown scope key (src, dest, domain_regex, port, app_proto)');
  }
  for (const k of ['src', 'dest'] as const) {
    const v = r[k];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string' || !isIpOrCidr(v)) throw badRequest(`${field}.${k}`, `must be an IP address or CIDR (got ${JSON.stringify(v)})`);
    scope[k] = v;
  }
  if (r.domain_regex !== undefined && r.domain_regex !== null) {
    const v = r.domain_regex;
    if (typeof v !== 'string' || v.length === 0) throw badRequest(`${field}.domain_regex`, 'must be a non-empty string');
    if (v.length > MAX_REGEX_CHARS) throw badRequest(`${field}.domain_regex`, `is ${v.length} characters; at most ${MAX_REGEX_CHARS}`);
    try {
      new RegExp(v);
    } catch (e) {
      throw badRequest(`${field}.domain_regex`, `is not a valid regular expression: ${(e as Error).message}`);
    }
    scope.domain_regex = v;
  }
  if (r.port !== undefined && r.port !== null) {
    if (!Number.isInteger(r.port) || (r.port as number) < 1 || (r.port as number) > 65535) throw badRequest(`${field}.port`, 'must be an integer 1..65535');
    scope.port = r.port as number;
  }
  if (r.app_proto !== undefined && r.app_proto !== null) {
    if (typeof r.app_proto !== 'string' || !/^[a-z0-9_-]{1,32}$/.test(r.app_proto)) throw badRequest(`${field}.app_proto`, 'must be an app protocol name like "tls"');
    scope.app_proto = r.app_proto;
  }
  if (Object.keys(scope).length === 0) throw badRequest(field, 'names nothing; give at least one of src, dest, domain_regex, port, app_proto');
  return scope;
}

/** `expires_at`: ISO time in the future, or null / absent for a permanent entry (admin only). */
export function parseExpiry(raw: unknown, actor: Actor, now: number, field = 'expires_at'): number | null {
  if (raw === undefined || raw === null) {
    if (actor.role !== 'admin') {
      throw new CollectorError(CollectorErrorCodes.FORBIDDEN, `${field}: permanent suppressions (no expires_at) need the admin role; give an expiry`, { details: { field } });
    }
    return null;
  }
  const t = typeof raw === 'string' ? Date.parse(raw) : NaN;
  if (!Number.isFinite(t)) throw badRequest(field, 'must be an ISO-8601 time or null');
  if (t <= now) throw badRequest(field, 'is in the past');
  return t;
}

export function checkSensorScope(actor: Actor, sensorId: string | null, verb: 'create' | 'delete'): void {
  if (sensorId === null) {
    if (actor.role !== 'admin') throw new CollectorError(CollectorErrorCodes.FORBIDDEN, `sensor_id: to ${verb} a suppression for every sensor (account-wide) needs the admin role`);
  } else if (!canAccessSensor(actor, sensorId)) {
    throw new CollectorError(CollectorErrorCodes.FORBIDDEN, `sensor_id: user ${actor.name} has no access to sensor '${sensorId}'`);
  }
}

/** A complete suppression from an API body (POST /suppressions, or the `suppression` of a suppress action). */
export function parseNewSuppression(body: Record<string, unknown>, actor: Actor, now: number, knownSensors: ReadonlySet<string>): NewSuppression {
  const sensorId = body.sensor_id === undefined || body.sensor_id === null ? null : body.sensor_id;
  if (sensorId !== null && (typeof sensorId !== 'string' || !knownSensors.has(sensorId))) throw badRequest('sensor_id', `is not a configured sensor (got ${JSON.stringify(sensorId)})`);
  checkSensorScope(actor, sensorId, 'create');
  const reason = body.reason;
  if (typeof reason !== 'string' || reason.trim() === '' || reason.length > 2000) throw badRequest('reason', 'must be a non-empty string of at most 2000 characters');
  return { sensor_id: sensorId, scope: parseScope(body.scope), reason, owner: actor.name, expires_at: parseExpiry(body.expires_at, actor, now) };
}
