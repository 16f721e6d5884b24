/**
 * The collector's web page in headless Chromium (issue 6): the REAL collector
 * (`bin/exfil-collector.js`, temp config, SQLite in a temp folder, loopback, free port) is fed
 * through its real ingest endpoint with the alerts of a real replay of a pcapgen capture
 * (`exfil-sensor replay --alerts`) plus synthetic variants of them (test/browser/alerts.ts), then
 * the page is driven like an analyst: load, paginate, filter by severity, open alerts and read
 * the sidebar's evidence against the ingested alert, pivot to the destination (blast radius) and
 * to the source's last 7 days, resolve as false positive through the confirmation dialog (and
 * cancel one), bulk action, a wrong token. Outcomes are checked through the API.
 * A full-page screenshot goes to test/.artifacts/collector-page.png.
 *
 * Needs Debian's `chromium` (CI installs it) and playwright-core; no browser is ever downloaded.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { REPO } from '../helpers/corpus.js';
import { HAVE_TOOLS, pcapgen } from '../helpers/pcapgen.js';
import { backgroundWindows, BLAST_SOURCES, DESTS, pcrBuckets, variants, windowOf, type WireAlert, type WireWindow } from './alerts.js';

const CHROMIUM = process.env.EXFIL_CHROMIUM ?? '/usr/bin/chromium';
const COLLECTOR_BIN = process.env.EXFIL_COLLECTOR_BIN ?? path.join(REPO, 'bin', 'exfil-collector.js');
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const SENSOR = { id: 'browser-sensor', token: 'browser-sensor-token-0001' };
const ANALYST = { name: 'ana', token: 'browser-analyst-token-0001' };
const HOME = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '2001:db8:1000::/48'];
const ARTIFACTS = path.join(REPO, 'test', '.artifacts');
const VARIANTS = 60;

if (!HAVE_CHROMIUM) {
  console.warn(`\n*** SKIPPING the collector page browser tests: no Chromium at ${CHROMIUM}. Install Debian's 'chromium' package (apt-get install -y chromium); CI does. ***\n`);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

let dir = '';
let base = '';
let collector: ChildProcess | null = null;
let collectorLog = '';
let browser: Browser | null = null;
let real: WireAlert[] = [];
let all: WireAlert[] = [];
let windows: WireWindow[] = [];

async function startCollector(): Promise<void> {
  const port = await freePort();
  const cfg = path.join(dir, 'collector.yaml');
  writeFileSync(cfg, [
    `listen: { host: "127.0.0.1", port: ${port} }`,
    `storage: { kind: sqlite, path: "${path.join(dir, 'collector.sqlite')}" }`,
    `sensors: [{ id: ${SENSOR.id}, token: ${SENSOR.token} }]`,
    `users: [{ name: ${ANALYST.name}, token: ${ANALYST.token}, role: analyst }]`,
    'logging: { level: warn }',
    '',
  ].join('\n'));
  collector = spawn(process.execPath, [COLLECTOR_BIN, '--config', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
  collector.stdout?.on('data', (d: Buffer) => { collectorLog += d.toString(); });
  collector.stderr?.on('data', (d: Buffer) => { collectorLog += d.toString(); });
  base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    if (collector.exitCode !== null) throw new Error(`exfil-collector exited with ${collector.exitCode}:\n${collectorLog}`);
    try {
      const r = await fetch(`${base}/`);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`exfil-collector did not serve ${base}/ :\n${collectorLog}`);
}

async function apiGet(p: string): Promise<any> {
  const r = await fetch(`${base}${p}`, { headers: { Authorization: `Bearer ${ANALYST.token}` } });
  expect(r.status, `${p}: ${await r.clone().text()}`).toBe(200);
  return r.json();
}

let recordSeq = 1;
let batchSeq = 1;

type Rec = { type: 'alert'; alert: WireAlert } | { type: 'window'; window: WireWindow };

/** Through the real ingest endpoint (JSON), 25 records a batch; every record must be accepted. */
async function ingest(records: Rec[]): Promise<{ accepted: number; duplicates: number }> {
  const sum = { accepted: 0, duplicates: 0 };
  for (let i = 0; i < records.length; i += 25) {
    const batch = records.slice(i, i + 25);
    const body = {
      schema: 1, sensor_id: SENSOR.id, batch_seq: batchSeq++, sent_at: new Date().toISOString(),
      records: batch.map((r) => ({ ...r, seq: recordSeq++ })),
    };
    const r = await fetch(`${base}/api/v1/ingest`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${SENSOR.token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await r.text();
    expect(r.status, text).toBe(200);
    const res = JSON.parse(text);
    expect(res.rejected, text).toEqual([]);
    // `accepted` counts valid records, stored now or before (`duplicates`).
    expect(res.accepted).toBe(batch.length);
    sum.accepted += res.accepted;
    sum.duplicates += res.duplicates;
  }
  return sum;
}

/** Text the sidebar shows for a definition term. */
async function dd(page: Page, term: string): Promise<string> {
  return (await page.locator('#sidebar dl dt', { hasText: new RegExp(`^${term}$`) }).locator('xpath=following-sibling::dd[1]').innerText()).trim();
}

async function openAlert(page: Page, id: string): Promise<void> {
  await page.locator(`#alert-rows tr[data-id="${id}"] button.open-alert`).click();
  await page.locator('#sidebar:not([hidden]) #ev-window').waitFor();
  await expect.poll(() => page.locator('#sidebar .mono', { hasText: id }).count()).toBeGreaterThan(0);
}

const bytesText = (n: number): string => n.toLocaleString('en-US');

describe.skipIf(!HAVE_CHROMIUM || !HAVE_TOOLS)('collector web page in headless Chromium', () => {
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'exfil-browser-'));
    // Real alerts: a replay of a pcapgen capture with the sensor's own CLI.
    const cap = pcapgen(0.05, 1);
    const sensorCfg = path.join(dir, 'sensor.yaml');
    writeFileSync(sensorCfg, `sensor_id: ${SENSOR.id}\nhome_net: [${HOME.map((h) => `"${h}"`).join(', ')}]\n`);
    const out = path.join(dir, 'alerts.json');
    const r = runCli(['replay', cap.pcap, '--config', sensorCfg, '--alerts', out, '--no-progress']);
    expect(r.code, r.stderr).toBe(0);
    real = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as WireAlert);
    expect(real.length).toBeGreaterThan(0);
    const lead = real.find((a) => a.severity === 'critical') ?? real[0]!;
    all = [...real, ...variants(lead, VARIANTS, SENSOR.id)];
    console.log(`browser test: ${real.length} alerts from the replay + ${VARIANTS} synthetic variants = ${all.length}`);

    windows = [...all.map(windowOf), ...backgroundWindows(40, lead.aggregate.window_start)];

    await startCollector();
    const first = await ingest([...all.map((alert) => ({ type: 'alert' as const, alert })), ...windows.map((window) => ({ type: 'window' as const, window }))]);
    expect(first).toEqual({ accepted: all.length + windows.length, duplicates: 0 });
    // Sending the replay's alerts again stores nothing new (deterministic ids).
    const again = await ingest(real.map((alert) => ({ type: 'alert' as const, alert })));
    expect(again).toEqual({ accepted: real.length, duplicates: real.length });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    if (collector && collector.exitCode === null) {
      collector.kill('SIGTERM');
      await new Promise((r) => collector?.once('exit', r));
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('stores every ingested alert once', async () => {
    const list = await apiGet('/api/v1/alerts?page=1');
    expect(list.total).toBe(all.length);
    expect(list.per_page).toBe(50);
  });

  it('a wrong token shows a clear 401 message', async () => {
    const page = await browser!.newPage();
    await page.goto(`${base}/#token=not-a-valid-token-123`);
    const msg = page.locator('#message');
    await msg.waitFor({ state: 'visible' });
    expect(await msg.innerText()).toMatch(/401/);
    expect(await msg.innerText()).toMatch(/#token=/);
    await page.close();
  });

  it('loads, paginates, filters, shows evidence, pivots and resolves as false positive', async () => {
    const page = await browser!.newPage({ viewport: { width: 1440, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/#token=${ANALYST.token}`);
    await page.locator('#alert-rows tr[data-id]').first().waitFor();
    const perf = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
      const res = performance.getEntriesByType('resource') as PerformanceResourceTiming[];
      const own = res.filter((r) => !r.name.includes('/api/'));
      return { domContentLoaded: nav.domContentLoadedEventEnd, rowsAt: performance.now(), files: own.length + 1, bytes: nav.encodedBodySize + own.reduce((n, r) => n + r.encodedBodySize, 0) };
    });
    // Printed, never asserted (machine-dependent).
    console.log(`page: ${perf.files} static files, ${(perf.bytes / 1024).toFixed(1)} KiB; DOMContentLoaded ${perf.domContentLoaded.toFixed(0)} ms, first 50 rows at ${perf.rowsAt.toFixed(0)} ms`);

    // Every form control has an accessible name (a <label> or aria-label).
    const unlabelled = await page.locator('input, select, textarea').evaluateAll((els) =>
      els.filter((e) => !((e as HTMLInputElement).labels?.length || e.getAttribute('aria-label'))).map((e) => e.outerHTML));
    expect(unlabelled).toEqual([]);

    // The token left the address bar and lives in the tab's sessionStorage.
    expect(page.url()).not.toContain('token');
    expect(await page.evaluate(() => Object.values(sessionStorage))).toContain(ANALYST.token);

    // Widgets: top destinations (blast-radius destination with its distinct sources) and PCR buckets.
    const topRow = page.locator(`#top-destinations tr[data-dest="${DESTS[0].ip}"]`);
    await topRow.waitFor();
    const topCells = await topRow.locator('td').allInnerTexts();
    expect(topCells[2]).toBe(String(all.filter((a) => a.aggregate.dest_ip === DESTS[0].ip).length));
    expect(topCells[3]).toBe(String(BLAST_SOURCES));
    await page.locator('#pcr .bar-row').first().waitFor();
    const shown = await page.locator('#pcr .bar-row').evaluateAll((els) => els.map((e) => [(e as HTMLElement).dataset.bucket, Number((e as HTMLElement).dataset.groups)] as const));
    const want = pcrBuckets(SENSOR.id, windows);
    for (const [bucket, groups] of shown) expect(groups, `PCR bucket ${bucket}`).toBe(want.get(bucket!) ?? 0);
    expect(shown.reduce((n, [, g]) => n + g, 0)).toBe([...want.values()].reduce((n, g) => n + g, 0));
    expect(want.get('pure_upload') ?? 0).toBeGreaterThan(0);
    expect(want.get('pure_download') ?? 0).toBeGreaterThan(0);

    // Pagination: 50 per page, total shown, next/previous.
    expect(await page.locator('#alert-rows tr[data-id]').count()).toBe(50);
    expect(await page.locator('#page-info').innerText()).toContain(`of ${all.length}`);
    await page.locator('#next-page').click();
    await expect.poll(() => page.locator('#page-info').innerText()).toContain(`51–${all.length} of ${all.length}`);
    expect(await page.locator('#alert-rows tr[data-id]').count()).toBe(all.length - 50);
    expect(page.url()).toContain('page=2');
    await page.locator('#prev-page').click();
    await expect.poll(() => page.locator('#alert-rows tr[data-id]').count()).toBe(50);

    // Newest window first.
    const firstId = await page.locator('#alert-rows tr[data-id]').first().getAttribute('data-id');
    const newest = [...all].sort((a, b) => String(b.aggregate.window_start).localeCompare(String(a.aggregate.window_start)))[0]!;
    expect(all.find((a) => a.id === firstId)!.aggregate.window_start).toBe(newest.aggregate.window_start);

    // Filter by severity: Critical only; the filter is in the URL.
    const criticals = all.filter((a) => a.severity === 'critical');
    await page.locator('input[name="severity"][value="critical"]').check();
    await page.locator('#filters button[type="submit"]').click();
    await expect.poll(() => page.locator('#page-info').innerText()).toContain(`of ${criticals.length}`);
    expect(new URL(page.url()).searchParams.get('severity')).toBe('critical');
    const badges = await page.locator('#alert-rows tr[data-id] .badge').allInnerTexts();
    expect(badges.length).toBe(Math.min(50, criticals.length));
    expect(new Set(badges)).toEqual(new Set(['Critical']));

    // A shared URL restores the view (the colleague brings their own token).
    const shared = await browser!.newPage();
    await shared.goto(`${page.url()}#token=${ANALYST.token}`);
    await expect.poll(() => shared.locator('#page-info').innerText()).toContain(`of ${criticals.length}`);
    expect(await shared.locator('input[name="severity"][value="critical"]').isChecked()).toBe(true);
    await shared.close();

    // Sidebar of a real replayed alert: values against the ingested alert; GeoIP unknown -> dash.
    const lead = real.find((a) => a.severity === 'critical')!;
    const agg = lead.aggregate;
    await openAlert(page, lead.id);
    expect(await dd(page, 'Uploaded')).toContain(`${bytesText(agg.total_upload_bytes)} bytes`);
    expect(await dd(page, 'Downloaded')).toContain(`${bytesText(agg.total_download_bytes)} bytes`);
    expect(await dd(page, 'Upload ratio')).toContain(`${agg.upload_ratio.toFixed(2)} : 1`);
    expect(await dd(page, 'Destination')).toBe(`${agg.dest_ip}:${agg.dest_port}`);
    expect(await dd(page, 'Country')).toBe(agg.dest_country ?? '—');
    expect(await dd(page, 'Organization')).toBe(agg.dest_org ?? '—');
    expect(await page.locator('#sidebar .ev-risk').innerText()).toBe(lead.risk.composite_score.toFixed(2));
    const cids = await page.locator('#sidebar .cid input').evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value));
    expect(cids).toContain(agg.largest_flow.community_id);
    for (const f of lead.risk.score_breakdown) expect(await page.locator('#sidebar .factors').innerText()).toContain(f.name);
    expect(await page.locator('#sidebar .ev-rules').innerText()).toContain(lead.rules_fired[0]);
    // Missing values read as a dash (the sensor's own explanations may say "app_proto null": not checked).
    for (const t of await page.locator('#sidebar dl dd').allInnerTexts()) expect(t).not.toMatch(/^(null|undefined|NaN)$|\bundefined\b|NaN/);
    expect(await dd(page, 'Country')).toBe('—');
    // Keyboard: Escape closes the sidebar.
    await page.keyboard.press('Escape');
    await page.locator('#sidebar').waitFor({ state: 'hidden' });

    // Sidebar of the synthetic alert with full evidence (TLS, GeoIP, IOC match, lower bound).
    const rich = all.find((a) => a.id === variants(lead, 1, SENSOR.id)[0]!.id)!;
    await openAlert(page, rich.id);
    const ev = rich.evidence;
    expect(await dd(page, 'Country')).toBe(rich.aggregate.dest_country);
    expect(await dd(page, 'ASN')).toBe(String(rich.aggregate.dest_asn));
    expect(await dd(page, 'Organization')).toBe(rich.aggregate.dest_org);
    expect(await dd(page, 'SNI')).toBe(ev.sni[0]);
    expect(await dd(page, 'JA3')).toBe(ev.ja3[0]);
    expect(await dd(page, 'JA4')).toBe(ev.ja4[0]);
    expect(await dd(page, 'HTTP user agent')).toBe('—');
    expect(await dd(page, 'IOC matches')).toBe(`${rich.aggregate.malicious_iocs} of ${rich.aggregate.iocs_checked} checked`);
    expect(await page.locator('#sidebar .ev-ioc-list').innerText()).toContain(rich.ioc_matches[0].feed);
    expect(await dd(page, 'Lower bound')).toMatch(/^yes/);
    expect(await page.locator('#sidebar .ev-notes').innerText()).toContain(rich.notes[0]);

    // Pivot: all alerts to this destination (blast radius) with the count of distinct sources.
    const dest = rich.aggregate.dest_ip;
    expect(dest).toBe(DESTS[0].ip);
    const toDest = all.filter((a) => a.aggregate.dest_ip === dest);
    const sources = new Set(toDest.map((a) => a.aggregate.src_ip)).size;
    expect(sources).toBe(BLAST_SOURCES);
    await page.locator('#sidebar button[data-pivot="blast"]').click();
    await expect.poll(() => page.locator('[data-testid="blast-sources"]').innerText().catch(() => '')).toBe(String(sources));
    expect(await page.locator('#blast-summary').innerText()).toContain(`${toDest.length} alert`);
    const url = new URL(page.url());
    expect(url.searchParams.get('dest')).toBe(dest);
    expect(url.searchParams.get('severity')).toBeNull();
    const destCells = await page.locator('#alert-rows tr[data-id] td:nth-child(5)').allInnerTexts();
    expect(destCells.length).toBe(toDest.length);
    expect(new Set(destCells)).toEqual(new Set([dest]));

    // Resolve as false positive: the dialog can be cancelled (nothing changes), then confirmed.
    await page.locator('#sidebar button[data-action="resolve_false_positive"]').click();
    const dialog = page.locator('#confirm-dialog');
    await dialog.waitFor({ state: 'visible' });
    await dialog.locator('button[value="cancel"]').click();
    await dialog.waitFor({ state: 'hidden' });
    expect((await apiGet(`/api/v1/alerts/${rich.id}`)).row.status).toBe('new');

    await page.locator('#sidebar button[data-action="resolve_false_positive"]').click();
    await dialog.waitFor({ state: 'visible' });
    await dialog.locator('textarea[name="note"]').fill('sanctioned backup agent, checked with the owner');
    await page.screenshot({ path: path.join(ARTIFACTS, 'collector-page-dialog.png') });
    await dialog.locator('#confirm-ok').click();
    await expect.poll(() => page.locator('#sidebar [data-testid="sidebar-status"]').innerText()).toBe('Resolved false positive');
    const after = await apiGet(`/api/v1/alerts/${rich.id}`);
    expect(after.row.status).toBe('resolved_false_positive');
    expect(after.history.map((h: { action: string }) => h.action)).toContain('resolve_false_positive');
    expect(after.history.map((h: { note: string | null }) => h.note)).toContain('sanctioned backup agent, checked with the owner');
    await expect.poll(() => page.locator('#sidebar .ev-history').innerText()).toContain('sanctioned backup agent');

    // Full-page screenshot with the sidebar open (the viewport grows so the sidebar shows whole).
    mkdirSync(ARTIFACTS, { recursive: true });
    const height = await page.evaluate(() => Math.max(document.documentElement.scrollHeight, (document.getElementById('sidebar')?.scrollHeight ?? 0) + 80));
    await page.setViewportSize({ width: 1440, height: Math.min(height, 6000) });
    await page.screenshot({ path: path.join(ARTIFACTS, 'collector-page.png'), fullPage: true });
    await page.setViewportSize({ width: 1440, height: 900 });

    // Pivot: this source over the 7 days up to the alert.
    const src = rich.aggregate.src_ip;
    await page.locator('#sidebar button[data-pivot="source7d"]').click();
    await expect.poll(() => new URL(page.url()).searchParams.get('src')).toBe(src);
    const end = Date.parse(String(rich.aggregate.window_end).replace(/(\.\d{3})\d*\+0000$/, '$1Z'));
    const fromSrc = all.filter((a) => a.aggregate.src_ip === src && Date.parse(String(a.aggregate.window_start).replace(/(\.\d{3})\d*\+0000$/, '$1Z')) >= end - 7 * 86_400_000 && Date.parse(String(a.aggregate.window_start).replace(/(\.\d{3})\d*\+0000$/, '$1Z')) < end);
    await expect.poll(() => page.locator('#alert-rows tr[data-id]').count()).toBe(fromSrc.length);
    expect(new Set(await page.locator('#alert-rows tr[data-id] td:nth-child(4)').allInnerTexts())).toEqual(new Set([src]));

    // Same community_id pivot from the sidebar.
    await page.locator('#sidebar button[data-pivot="flow"]').click();
    await expect.poll(() => new URL(page.url()).searchParams.get('community_id')).toBe(rich.aggregate.largest_flow.community_id);
    await expect.poll(() => page.locator('#alert-rows tr[data-id]').count()).toBe(1);
    expect(await page.locator('#alert-rows tr[data-id]').getAttribute('data-id')).toBe(rich.id);

    // Bulk: select two Low alerts and put them under investigation through the dialog.
    await page.locator('#clear-filters').click();
    await page.locator('input[name="severity"][value="low"]').check();
    await page.locator('#filters button[type="submit"]').click();
    const lows = all.filter((a) => a.severity === 'low');
    await expect.poll(() => page.locator('#page-info').innerText()).toContain(`of ${lows.length}`);
    const ids = await page.locator('#alert-rows tr[data-id]').evaluateAll((rows) => rows.slice(0, 2).map((r) => (r as HTMLElement).dataset.id!));
    for (const id of ids) await page.locator(`#alert-rows tr[data-id="${id}"] input.row-select`).check();
    expect(await page.locator('#bulk-count').innerText()).toBe('2 selected');
    await page.locator('#bulk-action').selectOption('investigate');
    await page.locator('#bulk-apply').click();
    await dialog.waitFor({ state: 'visible' });
    await dialog.locator('#confirm-ok').click();
    await expect.poll(() => page.locator('#bulk-count').innerText()).toBe('0 selected');
    for (const id of ids) expect((await apiGet(`/api/v1/alerts/${id}`)).row.status).toBe('investigating');

    // Keyboard: the row's severity button opens the sidebar with Enter, focus goes to Close,
    // Enter on Close shuts it and gives focus back to the row.
    const target = all.find((a) => a.id === ids[0])!;
    await page.locator(`#alert-rows tr[data-id="${target.id}"] button.open-alert`).focus();
    await page.keyboard.press('Enter');
    await page.locator('#sidebar:not([hidden]) #ev-window').waitFor();
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('sidebar-close');
    await page.keyboard.press('Enter');
    await page.locator('#sidebar').waitFor({ state: 'hidden' });
    expect(await page.evaluate(() => document.activeElement?.closest('tr')?.dataset.id)).toBe(target.id);

    // Suppress: the scope form is prefilled from the alert; the suppression exists with an expiry.
    await openAlert(page, target.id);
    await page.locator('#sidebar button[data-action="suppress"]').click();
    const sup = page.locator('#suppress-dialog');
    await sup.waitFor({ state: 'visible' });
    const g = target.aggregate;
    expect(await sup.locator('input[name="src"]').inputValue()).toBe(g.src_ip);
    expect(await sup.locator('input[name="dest"]').inputValue()).toBe(g.dest_ip);
    expect(await sup.locator('input[name="port"]').inputValue()).toBe(String(g.dest_port));
    expect(await sup.locator('input[name="app_proto"]').inputValue()).toBe(g.app_proto ?? '');
    await sup.locator('input[name="dest"]').fill('');
    await sup.locator('input[name="reason"]').fill('nightly report upload, ticket OPS-1234');
    await sup.locator('button[value="ok"]').click();
    await sup.waitFor({ state: 'hidden' });
    const sups = (await apiGet('/api/v1/suppressions')).suppressions as { scope: Record<string, unknown>; reason: string; expires_at: string | null }[];
    const made = sups.find((x) => x.reason === 'nightly report upload, ticket OPS-1234');
    expect(made, JSON.stringify(sups)).toBeDefined();
    expect(made!.scope.src).toBe(g.src_ip);
    expect(made!.scope.dest).toBeUndefined();
    expect(made!.scope.port).toBe(g.dest_port);
    expect(made!.expires_at).not.toBeNull();
    expect(Date.parse(made!.expires_at!)).toBeGreaterThan(Date.now() + 29 * 86_400_000);

    // Status and free-text filters: the resolved alert is found by status; SNI text finds the
    // destination's alerts.
    await page.locator('#clear-filters').click();
    await page.locator('select[name="status"]').selectOption('resolved_false_positive');
    await page.locator('#filters button[type="submit"]').click();
    const resolved = await apiGet('/api/v1/alerts?status=resolved_false_positive');
    await expect.poll(() => page.locator('#page-info').innerText()).toContain(`of ${resolved.total}`);
    expect(await page.locator('#alert-rows tr[data-id]').evaluateAll((r) => r.map((x) => (x as HTMLElement).dataset.id))).toContain(rich.id);
    await page.locator('#clear-filters').click();
    await page.locator('input[name="q"]').fill('paste-drop');
    await page.locator('#filters button[type="submit"]').click();
    await expect.poll(() => page.locator('#page-info').innerText()).toContain(`of ${toDest.length}`);
    expect(new URL(page.url()).searchParams.get('q')).toBe('paste-drop');

    expect(errors).toEqual([]);
    await page.close();
  });
});
