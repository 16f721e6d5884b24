/** Display helpers: every missing value is shown as an em dash, never "null" or "undefined". */

export const DASH = '—';
const MB = 1_048_576;

/** @param {unknown} v */
export function isMissing(v) {
  return v === null || v === undefined || v === '' || (typeof v === 'number' && !Number.isFinite(v));
}

/** @param {unknown} v @returns {string} */
export function text(v) {
  if (isMissing(v)) return DASH;
  if (Array.isArray(v)) return v.length ? v.map(text).join(', ') : DASH;
  return String(v);
}

/**
 * Human bytes with the runbook's units (1 MB = 1,048,576 bytes, SPEC section 4).
 * @param {unknown} n
 */
export function bytes(n) {
  if (typeof n !== 'number' || !Number.isFinite(n)) return DASH;
  const abs = Math.abs(n);
  if (abs < 1024) return `${n} B`;
  if (abs < MB) return `${(n / 1024).toFixed(1)} KB`;
  if (abs < 1024 * MB) return `${(n / MB).toFixed(2)} MB`;
  return `${(n / (1024 * MB)).toFixed(2)} GB`;
}

/** @param {unknown} n exact count with thousands separators */
export function count(n) {
  if (typeof n !== 'number' || !Number.isFinite(n)) return DASH;
  return n.toLocaleString('en-US');
}

/**
 * upload_ratio is capped at 999.99 by the sensor (also when nothing came back).
 * @param {unknown} r
 * @param {unknown} [download]
 */
export function ratio(r, download) {
  if (typeof r !== 'number' || !Number.isFinite(r)) return DASH;
  const s = `${r.toFixed(2)} : 1`;
  if (r >= 999.99) return download === 0 ? `≥ ${s} (nothing downloaded)` : `≥ ${s} (capped)`;
  return s;
}

/** @param {unknown} x fraction in [0, 1] */
export function score(x) {
  if (typeof x !== 'number' || !Number.isFinite(x)) return DASH;
  return x.toFixed(2);
}

/**
 * Window bound as UTC `YYYY-MM-DD HH:MM`; accepts ISO-8601 with `+0000` (EVE) or `Z`.
 * @param {unknown} iso
 */
export function time(iso) {
  const d = parseTime(iso);
  if (!d) return isMissing(iso) ? DASH : String(iso);
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** @param {unknown} iso @returns {Date | null} */
export function parseTime(iso) {
  if (typeof iso !== 'string' || !iso) return null;
  // EVE prints "+0000" and microseconds: normalise to what Date.parse accepts everywhere.
  const norm = iso.replace(/(\.\d{3})\d+/, '$1').replace(/([+-]\d{2})(\d{2})$/, '$1:$2');
  const t = Date.parse(norm);
  return Number.isNaN(t) ? null : new Date(t);
}

/** @param {unknown} start @param {unknown} end */
export function windowRange(start, end) {
  const a = parseTime(start);
  const b = parseTime(end);
  if (!a || !b) return `${time(start)} – ${time(end)}`;
  const day = a.toISOString().slice(0, 10);
  const sameDay = b.toISOString().slice(0, 10) === day;
  const hm = (/** @type {Date} */ d) => d.toISOString().slice(11, 16);
  return sameDay ? `${day} ${hm(a)}–${hm(b)} UTC` : `${time(start)} – ${time(end)}`;
}

/** Severity ladder of SPEC section 4, highest first. */
export const SEVERITIES = /** @type {const} */ (['critical', 'high', 'medium', 'low']);

/** @param {unknown} s */
export function severityLabel(s) {
  if (typeof s !== 'string' || !s) return DASH;
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** @param {unknown} s status as the API spells it (`resolved_false_positive`) */
export function statusLabel(s) {
  if (typeof s !== 'string' || !s) return DASH;
  const t = s.replace(/_/g, ' ');
  return t.charAt(0).toUpperCase() + t.slice(1);
}

/** @param {unknown} port @param {unknown} proto @param {unknown} app */
export function service(port, proto, app) {
  const p = isMissing(port) ? DASH : String(port);
  return `${p}/${text(proto)} ${isMissing(app) ? '(app_proto none)' : String(app)}`;
}
