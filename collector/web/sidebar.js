/** The detail sidebar: every piece of evidence an analyst acts on, actions and pivots. */

import { h, replace } from './dom.js';
import { evidenceOf } from './evidence.js';
import * as f from './format.js';

/**
 * @typedef {object} SidebarHandlers
 * @property {(action: string, detail: any) => void} onAction investigate / resolve_confirmed / resolve_false_positive / suppress
 * @property {(pivot: 'flow' | 'blast' | 'source7d', value: string, detail: any) => void} onPivot
 */

/** @param {string} term @param {unknown} value @param {string} [cls] */
function row(term, value, cls) {
  const dd = value instanceof Node ? h('dd', { class: cls }, value) : h('dd', { class: cls, text: f.text(value) });
  return [h('dt', { text: term }), dd];
}

/** Open and investigating alerts may be resolved; only new ones may be put under investigation. */
export function allowed(/** @type {unknown} */ status) {
  const s = typeof status === 'string' ? status : '';
  const open = s === '' || s === 'new' || s === 'investigating' || s === 'open';
  return { investigate: s === '' || s === 'new' || s === 'open', resolve: open, suppress: true };
}

/**
 * Copy to the clipboard, falling back to selecting the field's text.
 * @param {HTMLInputElement} input
 * @param {HTMLButtonElement} button
 */
async function copyField(input, button) {
  try {
    await navigator.clipboard.writeText(input.value);
    button.textContent = 'Copied';
  } catch {
    input.select();
    button.textContent = document.execCommand('copy') ? 'Copied' : 'Selected: press Ctrl+C';
  }
  setTimeout(() => { button.textContent = 'Copy'; }, 1500);
}

/**
 * @param {string} label
 * @param {string} value
 */
function copyable(label, value) {
  const input = /** @type {HTMLInputElement} */ (h('input', { type: 'text', readonly: true, value, class: 'mono', size: 34, 'aria-label': label }));
  const button = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', text: 'Copy', 'aria-label': `Copy ${label}` }));
  button.addEventListener('click', () => { void copyField(input, button); });
  return { input, button };
}

/**
 * @param {HTMLElement} body the sidebar's content container
 * @param {HTMLElement} title the sidebar's heading
 * @param {{alert: any, row: any, history: any[], risk?: any, incident?: any}} detail `GET /api/v1/alerts/:id`
 * @param {SidebarHandlers} on
 */
export function renderSidebar(body, title, detail, on) {
  const a = detail.alert ?? {};
  const r = detail.row ?? {};
  const agg = a.aggregate ?? {};
  const lf = agg.largest_flow ?? {};
  const ev = evidenceOf(a, r);
  // The stored risk score (purged after its retention) first, then the one the alert carried.
  const risk = detail.risk ?? a.risk ?? {};
  const status = r.status ?? a.status;
  const can = allowed(status);
  const severity = r.severity ?? a.severity;

  title.textContent = `Data Exfiltration Detection · ${f.text(r.src_ip ?? agg.src_ip)} → ${f.text(r.dest_ip ?? agg.dest_ip)}`;

  const actionButton = (/** @type {string} */ action, /** @type {string} */ label, /** @type {boolean} */ enabled, /** @type {string} */ cls) =>
    h('button', { type: 'button', class: cls, disabled: !enabled, dataset: { action }, onclick: () => on.onAction(action, detail) }, label);

  const dest = String(r.dest_ip ?? agg.dest_ip ?? '');
  const src = String(r.src_ip ?? agg.src_ip ?? '');
  const lead = ev.community_ids[0] ?? '';

  replace(
    body,
    h('div', { class: 'headline' },
      h('span', { class: `badge ${severity}`, text: f.severityLabel(severity) }),
      h('span', null, 'confidence ', h('strong', { text: f.score(r.confidence ?? a.confidence) })),
      h('span', { class: `status ${status ?? ''}`, 'data-testid': 'sidebar-status', text: f.statusLabel(status) }),
      h('span', { class: 'muted small', text: `detection: ${f.text(a.detection ?? r.detection)}` }),
    ),
    h('div', { class: 'actions', role: 'group', 'aria-label': 'Actions' },
      actionButton('investigate', 'Investigate', can.investigate, ''),
      actionButton('resolve_confirmed', 'Resolve as Confirmed', can.resolve, 'danger'),
      actionButton('resolve_false_positive', 'Resolve as False Positive', can.resolve, 'primary'),
      actionButton('suppress', 'Suppress…', can.suppress, ''),
    ),
    h('h3', { text: 'Pivots' }),
    h('div', { class: 'pivots', role: 'group', 'aria-label': 'Pivots' },
      h('button', { type: 'button', disabled: !lead, dataset: { pivot: 'flow' }, onclick: () => on.onPivot('flow', lead, detail) }, 'Same community_id'),
      h('button', { type: 'button', disabled: !dest, dataset: { pivot: 'blast' }, onclick: () => on.onPivot('blast', dest, detail) }, 'All alerts to this destination'),
      h('button', { type: 'button', disabled: !src, dataset: { pivot: 'source7d' }, onclick: () => on.onPivot('source7d', src, detail) }, 'This source, last 7 days'),
    ),

    h('h3', { text: 'Window aggregate' }),
    h('dl', { id: 'ev-window' },
      row('Window', f.windowRange(r.window_start ?? agg.window_start, r.window_end ?? agg.window_end)),
      row('Upload ratio', f.ratio(r.upload_ratio ?? agg.upload_ratio, r.download_bytes ?? agg.total_download_bytes)),
      row('Uploaded', volume(r.upload_bytes ?? agg.total_upload_bytes), 'ev-upload'),
      row('Downloaded', volume(r.download_bytes ?? agg.total_download_bytes), 'ev-download'),
      row('PCR', typeof agg.pcr === 'number' ? agg.pcr.toFixed(4) : null),
      row('Flows (unique)', agg.flow_count === undefined ? null : `${f.count(agg.flow_count)} (${f.count(agg.unique_flows)} unique)`),
      row('Packets up / down', agg.upload_packets === undefined ? null : `${f.count(agg.upload_packets)} / ${f.count(agg.download_packets)}`),
      row('Lower bound', agg.lower_bound === true ? 'yes: the sensor dropped packets in this window, the upload is at least this' : agg.lower_bound === false ? 'no' : null),
    ),

    h('h3', { text: 'Network' }),
    h('dl', { id: 'ev-network' },
      row('Source', lf.src_port !== undefined && lf.src_ip === src ? `${src}:${lf.src_port}` : src),
      row('Destination', `${f.text(dest)}:${f.text(r.dest_port ?? agg.dest_port)}`),
      row('Proto / app_proto', `${f.text(r.proto ?? agg.proto)} / ${f.text(r.app_proto ?? agg.app_proto)}`),
      row('Sensor', r.sensor_id ?? a.sensor_id),
      row('Incident', detail.incident ? `${f.text(detail.incident.id)} · ${f.statusLabel(detail.incident.status)} · ${f.severityLabel(detail.incident.severity)}` : r.incident_id, 'ev-incident'),
    ),

    h('h3', { text: 'Destination' }),
    h('dl', { id: 'ev-destination' },
      row('Country', r.dest_country ?? agg.dest_country, 'ev-country'),
      row('ASN', r.dest_asn ?? agg.dest_asn, 'ev-asn'),
      row('Organization', r.dest_org ?? agg.dest_org, 'ev-org'),
      row('SNI', ev.sni, 'ev-sni mono'),
      row('DNS names', ev.dns_names, 'ev-dns mono'),
      row('SNI vs DNS', ev.sni_dns_mismatch === true ? 'mismatch: no SNI among the names this IP resolved to' : ev.sni_dns_mismatch === false ? 'consistent' : null),
      row('Established', a.destination_established === true ? 'yes (≥ 10 flows from this host in the prior 7 days)' : a.destination_established === false ? 'no (new for this host)' : null),
      row('Blast radius (sensor)', a.blast_radius ? `${f.count(a.blast_radius.sources_to_dest_ip)} source(s) to this IP; ${f.text(a.blast_radius.sources_to_dest_org)} to this org` : null),
    ),

    h('h3', { text: 'Client and session' }),
    h('dl', { id: 'ev-client' },
      row('TLS version', ev.tls_versions),
      row('JA3', ev.ja3, 'ev-ja3 mono'),
      row('JA3S', ev.ja3s, 'mono'),
      row('JA4', ev.ja4, 'ev-ja4 mono'),
      row('ALPN', ev.alpn, 'mono'),
      row('Certificate subject', ev.cert_subjects, 'ev-cert-subject mono'),
      row('Certificate issuer', ev.cert_issuers, 'ev-cert-issuer mono'),
      row('HTTP user agent', ev.user_agents, 'ev-ua'),
      row('HTTP host', ev.http_hosts, 'mono'),
      row('HTTP method / URL', ev.http_methods.length || ev.http_urls.length ? `${f.text(ev.http_methods)} ${f.text(ev.http_urls)}` : null, 'ev-http-url mono'),
      row('HTTP content type / status', ev.http_content_types.length || ev.http_statuses.length ? `${f.text(ev.http_content_types)} / ${f.text(ev.http_statuses)}` : null, 'mono'),
      row('DNS queries', ev.dns_queries, 'ev-dns-queries mono'),
      row('SSH client / server', ev.ssh_client.length || ev.ssh_server.length ? `${f.text(ev.ssh_client)} / ${f.text(ev.ssh_server)}` : null),
      row('Upload file type', ev.file_types, 'ev-filetype'),
    ),

    h('h3', { text: 'Threat intelligence' }),
    h('dl', { id: 'ev-ioc' },
      row('IOC matches', agg.malicious_iocs === undefined ? null : `${f.count(agg.malicious_iocs)} of ${f.count(agg.iocs_checked)} checked`, 'ev-iocs'),
    ),
    iocList(a.ioc_matches),

    h('h3', { text: 'Risk score' }),
    h('p', null,
      h('strong', { class: 'ev-risk', text: f.score(risk.composite_score ?? r.risk_score) }),
      ' ', h('span', { class: 'muted', text: `(${f.text(risk.risk_level)})` })),
    factors(risk.score_breakdown),

    h('h3', { text: 'Rules fired' }),
    bullets(a.rules_fired, 'ev-rules mono'),
    h('h3', { text: 'Notes' }),
    bullets(a.notes, 'ev-notes'),

    h('h3', { text: 'Community IDs' }),
    communityIds(ev.community_ids, agg.community_ids_total, on, detail),

    h('h3', { text: 'History' }),
    history(detail.history),
    h('p', { class: 'muted small' }, 'Alert id ', h('span', { class: 'mono', text: f.text(a.id ?? r.id) }),
      ` · received ${f.text(r.received_at)}`),
  );
}

/** @param {unknown} n */
function volume(n) {
  if (typeof n !== 'number') return f.DASH;
  return `${f.bytes(n)} (${f.count(n)} bytes)`;
}

/** @param {unknown} items @param {string} cls */
function bullets(items, cls) {
  if (!Array.isArray(items) || items.length === 0) return h('p', { class: cls, text: f.DASH });
  return h('ul', { class: cls }, items.map((x) => h('li', { text: f.text(x) })));
}

/** @param {unknown} matches */
function iocList(matches) {
  if (!Array.isArray(matches) || matches.length === 0) return h('p', { class: 'muted ev-ioc-list', text: 'No feed matched the destination.' });
  return h('ul', { class: 'ev-ioc-list' }, matches.map((m) =>
    h('li', null, h('strong', { text: f.text(m.feed) }), ` (${f.text(m.kind)}) `, h('span', { class: 'mono', text: f.text(m.indicator) }),
      m.category ? ` · ${m.category}` : '', m.actor ? ` · actor ${m.actor}` : '')));
}

/** @param {unknown} list */
function factors(list) {
  if (!Array.isArray(list) || list.length === 0) return h('p', { text: f.DASH });
  return h('div', { class: 'factors' }, list.map((x) =>
    h('div', { class: 'factor' },
      h('span', { class: 'mono', text: f.text(x.name) }),
      h('span', { class: 'num', title: `weight ${f.text(x.weight)}`, text: f.score(x.score) }),
      h('span', { class: 'muted', text: `× ${f.text(x.weight)} · ${f.text(x.explanation)}` }))));
}

/**
 * @param {string[]} ids
 * @param {unknown} total
 * @param {SidebarHandlers} on
 * @param {any} detail
 */
function communityIds(ids, total, on, detail) {
  if (ids.length === 0) return h('p', { text: f.DASH });
  const more = typeof total === 'number' && total > ids.length ? h('p', { class: 'muted small', text: `${ids.length} of ${total} shown (the sensor bounds the list)` }) : null;
  return h('div', { class: 'cids' },
    ids.map((id) => {
      const { input, button } = copyable(`community_id ${id}`, id);
      return h('div', { class: 'cid' }, input, button,
        h('button', { type: 'button', class: 'link', onclick: () => on.onPivot('flow', id, detail) }, 'alerts with it'));
    }),
    more);
}

/** @param {unknown} list */
function history(list) {
  if (!Array.isArray(list) || list.length === 0) return h('p', { class: 'muted ev-history', text: 'No actions yet.' });
  return h('ul', { class: 'ev-history' }, list.map((x) =>
    h('li', null, h('strong', { text: f.statusLabel(x.action) }), ` by ${f.text(x.actor)} at ${f.text(typeof x.at === 'number' ? new Date(x.at).toISOString() : x.at)}`,
      x.note ? h('div', { class: 'muted', text: x.note }) : null)));
}
