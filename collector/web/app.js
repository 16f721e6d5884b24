/** Page entry: the view in the URL -> the table, widgets, sidebar, pivots and actions. */

import { ACTION_LABELS, confirmAction, suppressForm } from './actions.js';
import { adoptToken, api, ApiError, query } from './api.js';
import { byId, h, replace } from './dom.js';
import { emptyView, isoToLocalInput, listParams, localInputToIso, parseView, TEXT_FILTERS, viewSearch } from './filters.js';
import * as f from './format.js';
import { renderSidebar } from './sidebar.js';
import { renderRows } from './table.js';
import { renderPcr, renderTopDestinations } from './widgets.js';

const DAY_MS = 86_400_000;
/** Blast radius counts distinct sources over at most this many pages of the destination's alerts. */
const BLAST_PAGES = 20;

/** @type {import('./filters.js').View} */
let view = parseView(location.search);
/** Ids ticked for a bulk action (kept across pages). @type {Set<string>} */
const selected = new Set();
/** Rows of the page on screen. @type {any[]} */
let rows = [];
/** @type {{page: number, per_page: number, total: number}} */
let paging = { page: 1, per_page: 50, total: 0 };
/** Element to give focus back to when the sidebar closes. @type {HTMLElement | null} */
let returnFocus = null;
/** Bumped by every list load so a slow answer never overwrites a newer one. */
let loadSeq = 0;

const form = /** @type {HTMLFormElement} */ (byId('filters'));
const tbody = byId('alert-rows');
const sidebar = byId('sidebar');

/** @param {string} text @param {'error' | 'info'} [kind] */
function showMessage(text, kind = 'error') {
  const el = byId('message');
  el.textContent = text;
  el.className = kind === 'info' ? 'info' : '';
  el.hidden = false;
}

function clearMessage() {
  byId('message').hidden = true;
}

/** @param {unknown} err */
function report(err) {
  if (err instanceof ApiError && err.status === 401) {
    showMessage('Not signed in: the collector refused the token (401). Open this page with #token=<your user token> at the end of its address; the page keeps it for this browser tab only.');
  } else if (err instanceof ApiError && err.status === 403) {
    showMessage(`Not allowed (403): ${err.message}. Your role or sensor scope does not permit this.`);
  } else if (err instanceof ApiError) {
    showMessage(`The collector answered ${err.status || 'nothing'} for ${err.path}: ${err.message} (${err.code})`);
  } else {
    showMessage(`Unexpected error: ${String(err)}`);
  }
}

// ---- URL <-> form ----

function syncForm() {
  for (const box of form.querySelectorAll('input[name="severity"]')) {
    const b = /** @type {HTMLInputElement} */ (box);
    b.checked = view.severity.includes(b.value);
  }
  for (const k of TEXT_FILTERS) {
    const el = /** @type {HTMLInputElement | null} */ (form.elements.namedItem(k));
    if (!el) continue;
    el.value = k === 'from' || k === 'to' ? isoToLocalInput(view[k]) : view[k];
  }
}

function readForm() {
  const v = emptyView();
  v.severity = [...form.querySelectorAll('input[name="severity"]:checked')].map((b) => /** @type {HTMLInputElement} */ (b).value);
  for (const k of TEXT_FILTERS) {
    const el = /** @type {HTMLInputElement | null} */ (form.elements.namedItem(k));
    if (!el) continue;
    v[k] = k === 'from' || k === 'to' ? localInputToIso(el.value) : el.value.trim();
  }
  return v;
}

/** @param {boolean} push a new history entry (filters, page) or replace (sidebar) */
function writeUrl(push) {
  const url = `${location.pathname}${viewSearch(view)}`;
  if (push) history.pushState(null, '', url);
  else history.replaceState(null, '', url);
}

// ---- list ----

async function loadList() {
  const seq = ++loadSeq;
  let body;
  try {
    body = await api(`/api/v1/alerts${query(listParams(view))}`);
  } catch (err) {
    if (seq === loadSeq) {
      report(err);
      replace(tbody, h('tr', null, h('td', { colspan: 13, class: 'muted', text: 'Alerts could not be loaded.' })));
    }
    return;
  }
  if (seq !== loadSeq) return;
  clearMessage();
  rows = Array.isArray(body.alerts) ? body.alerts : [];
  paging = { page: Number(body.page) || view.page, per_page: Number(body.per_page) || 50, total: Number(body.total) || 0 };
  renderRows(tbody, rows, { selected, openId: view.alert, onOpen: openAlert, onSelect: updateBulk });
  renderPager();
  updateBulk();
  void renderPivotBanner();
}

function renderPager() {
  const pages = Math.max(1, Math.ceil(paging.total / paging.per_page));
  const first = paging.total === 0 ? 0 : (paging.page - 1) * paging.per_page + 1;
  const last = Math.min(paging.total, paging.page * paging.per_page);
  byId('page-info').textContent = `Alerts ${f.count(first)}–${f.count(last)} of ${f.count(paging.total)} · page ${paging.page} of ${pages}`;
  /** @type {HTMLButtonElement} */ (byId('prev-page')).disabled = paging.page <= 1;
  /** @type {HTMLButtonElement} */ (byId('next-page')).disabled = paging.page >= pages;
  const all = /** @type {HTMLInputElement} */ (byId('select-all'));
  all.checked = rows.length > 0 && rows.every((r) => selected.has(String(r.id)));
}

function updateBulk() {
  byId('bulk-count').textContent = `${selected.size} selected`;
  /** @type {HTMLButtonElement} */ (byId('bulk-apply')).disabled = selected.size === 0;
  const all = /** @type {HTMLInputElement} */ (byId('select-all'));
  all.checked = rows.length > 0 && rows.every((r) => selected.has(String(r.id)));
}

// ---- pivots ----

/** Distinct sources uploading to `dest` under the current filters (bounded page walk). @param {string} dest */
async function blastRadius(dest) {
  const sources = new Set();
  let total = 0;
  let page = 1;
  for (; page <= BLAST_PAGES; page++) {
    const body = await api(`/api/v1/alerts${query({ ...listParams({ ...view, page }), dest })}`);
    total = Number(body.total) || 0;
    const list = Array.isArray(body.alerts) ? body.alerts : [];
    for (const r of list) sources.add(r.src_ip);
    if (page * (Number(body.per_page) || 50) >= total || list.length === 0) break;
  }
  return { sources: sources.size, total, complete: page <= BLAST_PAGES };
}

async function renderPivotBanner() {
  const el = byId('pivot-banner');
  const seq = loadSeq;
  const back = h('button', { type: 'button', onclick: () => navigate(emptyView()) }, 'Back to all alerts');
  if (view.pivot === 'blast' && view.dest) {
    replace(el, h('span', null, 'Blast radius of ', h('strong', { class: 'mono', text: view.dest }), ': counting sources…'), back);
    el.hidden = false;
    try {
      const b = await blastRadius(view.dest);
      if (seq !== loadSeq) return;
      replace(el,
        h('span', { id: 'blast-summary' }, 'Blast radius of ', h('strong', { class: 'mono', text: view.dest }), ': ',
          h('strong', { 'data-testid': 'blast-sources', text: `${b.complete ? '' : '≥ '}${b.sources}` }),
          ` distinct source${b.sources === 1 ? '' : 's'} in `, h('strong', { text: f.count(b.total) }), ` alert${b.total === 1 ? '' : 's'}`),
        back);
    } catch (err) {
      report(err);
    }
  } else if (view.pivot === 'source7d' && view.src) {
    replace(el, h('span', null, 'Source ', h('strong', { class: 'mono', text: view.src }), ` over 7 days: ${f.time(view.from)} – ${f.time(view.to)}, ${f.count(paging.total)} alert(s)`), back);
    el.hidden = false;
  } else if (view.pivot === 'flow' && view.community_id) {
    replace(el, h('span', null, 'Alerts with community_id ', h('strong', { class: 'mono', text: view.community_id }), `: ${f.count(paging.total)}`), back);
    el.hidden = false;
  } else {
    el.hidden = true;
  }
}

/**
 * @param {'flow' | 'blast' | 'source7d'} pivot
 * @param {string} value
 * @param {any} detail
 */
function pivotTo(pivot, value, detail) {
  const v = emptyView();
  v.pivot = pivot;
  if (pivot === 'flow') v.community_id = value;
  if (pivot === 'blast') v.dest = value;
  if (pivot === 'source7d') {
    v.src = value;
    // "Last 7 days" of the alert: captures are often replayed long after they were taken.
    const end = f.parseTime(detail?.row?.window_end ?? detail?.alert?.aggregate?.window_end) ?? new Date();
    v.to = end.toISOString().replace('.000Z', 'Z');
    v.from = new Date(end.getTime() - 7 * DAY_MS).toISOString().replace('.000Z', 'Z');
  }
  v.alert = view.alert;
  navigate(v);
}

/** @param {import('./filters.js').View} v */
function navigate(v) {
  view = v;
  writeUrl(true);
  syncForm();
  void loadList();
  void loadWidgets();
}

// ---- sidebar ----

/** @param {string} id @param {HTMLElement} [from] */
function openAlert(id, from) {
  returnFocus = from?.querySelector('button.open-alert') ?? null;
  view.alert = id;
  writeUrl(false);
  for (const tr of tbody.querySelectorAll('tr.open')) tr.classList.remove('open');
  from?.classList.add('open');
  void showAlert(id, true);
}

/** @param {string} id @param {boolean} focus */
async function showAlert(id, focus) {
  sidebar.hidden = false;
  document.body.classList.add('with-sidebar');
  const body = byId('sidebar-body');
  replace(body, h('p', { class: 'muted', text: 'Loading…' }));
  try {
    const detail = await api(`/api/v1/alerts/${encodeURIComponent(id)}`);
    if (view.alert !== id) return;
    renderSidebar(body, byId('sidebar-title'), detail, { onAction: (a, d) => void act(a, d), onPivot: pivotTo });
  } catch (err) {
    replace(body, h('p', { class: 'error', text: err instanceof ApiError && err.status === 404 ? 'This alert no longer exists (purged or never stored).' : 'The alert could not be loaded.' }));
    report(err);
  }
  if (focus) byId('sidebar-close').focus();
}

function closeSidebar() {
  sidebar.hidden = true;
  document.body.classList.remove('with-sidebar');
  view.alert = '';
  writeUrl(false);
  for (const tr of tbody.querySelectorAll('tr.open')) tr.classList.remove('open');
  if (returnFocus && document.contains(returnFocus)) returnFocus.focus();
}

// ---- actions ----

/** @param {string} action @param {any} detail */
async function act(action, detail) {
  const row = detail.row ?? {};
  const id = String(row.id ?? detail.alert?.id);
  const label = ACTION_LABELS[action] ?? action;
  try {
    if (action === 'suppress') {
      const done = await suppressForm(row, async (req) => {
        try {
          await api(`/api/v1/alerts/${encodeURIComponent(id)}/actions`, { method: 'POST', body: { action: 'suppress', suppression: req, note: req.reason } });
          return null;
        } catch (err) {
          return err instanceof ApiError ? `${err.message} (${err.status} ${err.code})` : String(err);
        }
      });
      if (!done) return;
    } else {
      let note = '';
      if (action.startsWith('resolve_')) {
        const ok = await confirmAction(`${label}?`,
          `${row.src_ip} → ${row.dest_ip}:${row.dest_port}, ${f.severityLabel(row.severity)}, ${f.bytes(row.upload_bytes)} uploaded.${row.incident_id ? ` Resolving also resolves its incident ${row.incident_id}.` : ''}`,
          label);
        if (!ok) return;
        note = ok.note;
      }
      await api(`/api/v1/alerts/${encodeURIComponent(id)}/actions`, { method: 'POST', body: note ? { action, note } : { action } });
    }
    showMessage(`${label}: done for ${row.src_ip} → ${row.dest_ip}.`, 'info');
    await Promise.all([loadList(), showAlert(id, false)]);
  } catch (err) {
    report(err);
  }
}

async function bulkApply() {
  const action = /** @type {HTMLSelectElement} */ (byId('bulk-action')).value;
  const ids = [...selected];
  if (ids.length === 0) return;
  const label = ACTION_LABELS[action] ?? action;
  const ok = await confirmAction(`${label}: ${ids.length} alert${ids.length === 1 ? '' : 's'}?`,
    `${label} applies to every selected alert (${ids.length}), across pages.`, `${label} (${ids.length})`);
  if (!ok) return;
  try {
    await api('/api/v1/alerts/actions', { method: 'POST', body: ok.note ? { ids, action, note: ok.note } : { ids, action } });
    selected.clear();
    showMessage(`${label}: done for ${ids.length} alert(s).`, 'info');
    await loadList();
    if (view.alert) await showAlert(view.alert, false);
  } catch (err) {
    report(err);
  }
}

// ---- widgets ----

async function loadWidgets() {
  const range = query({ from: view.from, to: view.to });
  const top = byId('top-destinations');
  const pcr = byId('pcr');
  const [t, p] = await Promise.allSettled([api(`/api/v1/stats/top-destinations${range}`), api(`/api/v1/stats/pcr${range}`)]);
  if (t.status === 'fulfilled') renderTopDestinations(top, t.value, (dest) => pivotTo('blast', dest, null));
  else replace(top, h('p', { class: 'error', text: 'Unavailable.' }));
  if (p.status === 'fulfilled') renderPcr(pcr, p.value);
  else replace(pcr, h('p', { class: 'error', text: 'Unavailable.' }));
}

// ---- wiring ----

function start() {
  adoptToken();
  syncForm();
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    navigate({ ...readForm(), alert: view.alert });
  });
  byId('clear-filters').addEventListener('click', () => navigate({ ...emptyView(), alert: view.alert }));
  byId('prev-page').addEventListener('click', () => navigate({ ...view, page: Math.max(1, paging.page - 1) }));
  byId('next-page').addEventListener('click', () => navigate({ ...view, page: paging.page + 1 }));
  byId('select-all').addEventListener('change', (e) => {
    const on = /** @type {HTMLInputElement} */ (e.target).checked;
    for (const r of rows) on ? selected.add(String(r.id)) : selected.delete(String(r.id));
    for (const box of tbody.querySelectorAll('input.row-select')) /** @type {HTMLInputElement} */ (box).checked = on;
    updateBulk();
  });
  byId('bulk-apply').addEventListener('click', () => void bulkApply());
  byId('sidebar-close').addEventListener('click', closeSidebar);
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !sidebar.hidden && !document.querySelector('dialog[open]')) closeSidebar();
  });
  window.addEventListener('popstate', () => {
    view = parseView(location.search);
    syncForm();
    void loadList();
    void loadWidgets();
    if (view.alert) void showAlert(view.alert, false);
    else {
      sidebar.hidden = true;
      document.body.classList.remove('with-sidebar');
    }
  });
  void loadList();
  void loadWidgets();
  if (view.alert) void showAlert(view.alert, false);
}

start();
