/** The alert table: one page of AlertRows, row selection for bulk actions. */

import { h, replace } from './dom.js';
import * as f from './format.js';

/** Country · AS · org, or a single dash when GeoIP knew nothing. @param {any} r */
function geo(r) {
  const parts = [r.dest_country, f.isMissing(r.dest_asn) ? null : `AS${r.dest_asn}`, r.dest_org];
  return parts.every(f.isMissing) ? f.DASH : parts.map(f.text).join(' · ');
}

/**
 * @param {HTMLElement} tbody
 * @param {any[]} rows AlertRows of one page
 * @param {{selected: Set<string>, openId: string, onOpen: (id: string, tr: HTMLElement) => void, onSelect: () => void}} opts
 */
export function renderRows(tbody, rows, opts) {
  if (rows.length === 0) {
    replace(tbody, h('tr', null, h('td', { colspan: 13, class: 'muted', text: 'No alert matches these filters.' })));
    return;
  }
  replace(tbody, rows.map((r) => {
    const id = String(r.id);
    const checkbox = /** @type {HTMLInputElement} */ (h('input', {
      type: 'checkbox', class: 'row-select', 'aria-label': `Select alert ${r.src_ip} to ${r.dest_ip}`, checked: opts.selected.has(id),
    }));
    checkbox.addEventListener('click', (e) => e.stopPropagation());
    checkbox.addEventListener('change', () => {
      if (checkbox.checked) opts.selected.add(id);
      else opts.selected.delete(id);
      opts.onSelect();
    });
    const tr = h('tr', { class: `sev-row-${r.severity}${id === opts.openId ? ' open' : ''}`, dataset: { id } },
      h('td', null, checkbox),
      h('td', null,
        // The severity badge is the row's keyboard entry point: a real button that opens the sidebar.
        h('button', { type: 'button', class: 'open-alert', 'aria-label': `Open ${f.severityLabel(r.severity)} alert ${r.src_ip} to ${r.dest_ip}` },
          h('span', { class: `badge ${r.severity}`, text: f.severityLabel(r.severity) }))),
      h('td', { text: f.windowRange(r.window_start, r.window_end) }),
      h('td', { class: 'mono', text: f.text(r.src_ip) }),
      h('td', { class: 'mono', text: f.text(r.dest_ip) }),
      h('td', { text: f.service(r.dest_port, r.proto, r.app_proto) }),
      h('td', { class: 'num', title: `${f.count(r.upload_bytes)} bytes`, text: f.bytes(r.upload_bytes) }),
      h('td', { class: 'num', title: `${f.count(r.download_bytes)} bytes`, text: f.bytes(r.download_bytes) }),
      h('td', { class: 'num', text: typeof r.upload_ratio === 'number' ? r.upload_ratio.toFixed(2) : f.DASH }),
      h('td', { text: geo(r) }),
      h('td', { class: 'mono', text: f.text(r.sni) }),
      h('td', { class: 'num', text: f.score(r.risk_score) }),
      h('td', null, h('span', { class: `status ${r.status ?? ''}`, text: f.statusLabel(r.status) })),
    );
    tr.addEventListener('click', () => opts.onOpen(id, tr));
    return tr;
  }));
}
