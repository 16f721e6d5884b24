/**
 * The view's state lives in the page URL's query string, with the API's parameter names, so a
 * filtered view (and the open alert, and the pivot) can be shared by copying the address.
 */

import { SEVERITIES } from './format.js';

/**
 * @typedef {object} View
 * @property {number} page 1-based
 * @property {string[]} severity subset of critical/high/medium/low (empty = all)
 * @property {string} status
 * @property {string} from ISO-8601 UTC or ''
 * @property {string} to ISO-8601 UTC or ''
 * @property {string} src
 * @property {string} dest
 * @property {string} country
 * @property {string} asn
 * @property {string} app_proto
 * @property {string} community_id
 * @property {string} q free text
 * @property {string} alert id of the alert open in the sidebar, or ''
 * @property {string} pivot '' | 'flow' | 'blast' | 'source7d': which pivot produced the filters
 */

/** Text filters passed to the API as they are. */
export const TEXT_FILTERS = /** @type {const} */ (['status', 'from', 'to', 'src', 'dest', 'country', 'asn', 'app_proto', 'community_id', 'q']);

/** @returns {View} */
export function emptyView() {
  return {
    page: 1, severity: [], status: '', from: '', to: '', src: '', dest: '', country: '', asn: '',
    app_proto: '', community_id: '', q: '', alert: '', pivot: '',
  };
}

/**
 * @param {string} search `location.search`
 * @returns {View}
 */
export function parseView(search) {
  const p = new URLSearchParams(search);
  const v = emptyView();
  const page = Number(p.get('page'));
  v.page = Number.isInteger(page) && page > 0 ? page : 1;
  const sev = (p.get('severity') ?? '').split(',').map((s) => s.trim().toLowerCase());
  v.severity = SEVERITIES.filter((s) => sev.includes(s));
  for (const k of TEXT_FILTERS) v[k] = (p.get(k) ?? '').trim();
  v.alert = p.get('alert') ?? '';
  const pivot = p.get('pivot') ?? '';
  v.pivot = ['flow', 'blast', 'source7d'].includes(pivot) ? pivot : '';
  return v;
}

/**
 * @param {View} v
 * @returns {string} query string for the page URL (`?...` or '')
 */
export function viewSearch(v) {
  const p = new URLSearchParams();
  if (v.severity.length) p.set('severity', v.severity.join(','));
  for (const k of TEXT_FILTERS) if (v[k]) p.set(k, v[k]);
  if (v.pivot) p.set('pivot', v.pivot);
  if (v.page > 1) p.set('page', String(v.page));
  if (v.alert) p.set('alert', v.alert);
  const s = p.toString();
  return s ? `?${s}` : '';
}

/**
 * Parameters of `GET /api/v1/alerts` for a view.
 * @param {View} v
 * @returns {Record<string, string | number>}
 */
export function listParams(v) {
  /** @type {Record<string, string | number>} */
  const out = { page: v.page };
  if (v.severity.length) out.severity = v.severity.join(',');
  for (const k of TEXT_FILTERS) if (v[k]) out[k] = v[k];
  return out;
}

/**
 * `datetime-local` values are read as UTC (the page shows every time in UTC).
 * @param {string} local `YYYY-MM-DDTHH:MM`
 */
export function localInputToIso(local) {
  if (!local) return '';
  const t = Date.parse(/T\d\d:\d\d$/.test(local) ? `${local}:00Z` : `${local}Z`);
  return Number.isNaN(t) ? '' : new Date(t).toISOString().replace('.000Z', 'Z');
}

/** @param {string} iso */
export function isoToLocalInput(iso) {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? '' : new Date(t).toISOString().slice(0, 16);
}
