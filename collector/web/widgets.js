/** Top destinations and Producer-Consumer Ratio widgets (stats endpoints). */

import { h, replace } from './dom.js';
import * as f from './format.js';

/**
 * @param {HTMLElement} el
 * @param {any[]} rows `[{dest_ip, dest_org, dest_country, alerts, sources, upload_bytes}]`
 * @param {(dest: string) => void} onDest pivot to the destination
 */
export function renderTopDestinations(el, rows, onDest) {
  if (!Array.isArray(rows) || rows.length === 0) {
    replace(el, h('p', { class: 'muted', text: 'No alerts in this time range.' }));
    return;
  }
  replace(el, h('table', null,
    h('thead', null, h('tr', null,
      h('th', { scope: 'col', text: 'Destination' }), h('th', { scope: 'col', text: 'Org / country' }),
      h('th', { scope: 'col', class: 'num', text: 'Alerts' }), h('th', { scope: 'col', class: 'num', text: 'Sources' }),
      h('th', { scope: 'col', class: 'num', text: 'Uploaded' }))),
    h('tbody', null, rows.slice(0, 8).map((r) => h('tr', { dataset: { dest: String(r.dest_ip) } },
      h('td', null, h('button', { type: 'button', class: 'link mono', title: 'All alerts to this destination', onclick: () => onDest(String(r.dest_ip)) }, f.text(r.dest_ip))),
      h('td', { text: `${f.text(r.dest_org)} · ${f.text(r.dest_country)}` }),
      h('td', { class: 'num', text: f.count(r.alerts) }),
      h('td', { class: 'num', text: f.count(r.sources) }),
      h('td', { class: 'num', text: f.bytes(r.upload_bytes) }))))));
}

/**
 * @param {HTMLElement} el
 * @param {any[]} buckets `[{bucket, label, groups, upload_bytes}]`
 */
export function renderPcr(el, buckets) {
  if (!Array.isArray(buckets) || buckets.length === 0) {
    replace(el, h('p', { class: 'muted', text: 'No window aggregates in this time range.' }));
    return;
  }
  const max = Math.max(1, ...buckets.map((b) => (typeof b.groups === 'number' ? b.groups : 0)));
  replace(el, buckets.map((b) => {
    const groups = typeof b.groups === 'number' ? b.groups : 0;
    const upward = typeof b.bucket === 'number' ? b.bucket > 0 : /^\+|up|export|producer/i.test(String(b.label ?? b.bucket));
    return h('div', { class: 'bar-row', dataset: { bucket: String(b.bucket), groups: String(groups) }, title: `${f.count(groups)} groups, ${f.bytes(b.upload_bytes)} uploaded` },
      h('span', { class: 'small', text: pcrLabel(b) }),
      h('span', { class: `bar${upward ? ' up' : ''}`, role: 'img', 'aria-label': `${f.count(groups)} groups` },
        h('span', { style: `width: ${((groups / max) * 100).toFixed(1)}%` })),
      h('span', { class: 'num small', text: `${f.count(groups)} · ${f.bytes(b.upload_bytes)}` }));
  }));
}

/** `Mostly upload (0.4 … 0.8)` from the bucket's label and bounds. @param {any} b */
function pcrLabel(b) {
  const label = f.text(b.label ?? b.bucket);
  return typeof b.min === 'number' && typeof b.max === 'number' ? `${label} (${b.min} … ${b.max})` : label;
}
