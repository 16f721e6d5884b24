/**
 * The page's DOM-free modules (collector/web/format.js, filters.js, evidence.js) run in Node as
 * they are served, and the whole page type-checks under `strict` (JSDoc types, tsc checkJs).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ES module of the page, typed with JSDoc
import * as f from '../../collector/web/format.js';
// @ts-expect-error plain ES module of the page, typed with JSDoc
import { emptyView, listParams, localInputToIso, parseView, viewSearch } from '../../collector/web/filters.js';
// @ts-expect-error plain ES module of the page, typed with JSDoc
import { evidenceOf } from '../../collector/web/evidence.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('page formatting', () => {
  it('shows missing values as a dash, never null/undefined/NaN', () => {
    for (const v of [null, undefined, '', Number.NaN, []]) expect(f.text(v)).toBe('—');
    expect(f.bytes(null)).toBe('—');
    expect(f.ratio(undefined)).toBe('—');
    expect(f.time(null)).toBe('—');
    expect(f.text(['a', null, 'b'])).toBe('a, —, b');
  });

  it('uses the runbook units (1 MB = 1,048,576 bytes) and caps the ratio text', () => {
    expect(f.bytes(512)).toBe('512 B');
    expect(f.bytes(1536)).toBe('1.5 KB');
    expect(f.bytes(111_410_858)).toBe('106.25 MB');
    expect(f.bytes(3 * 1024 * 1_048_576)).toBe('3.00 GB');
    expect(f.count(111_410_858)).toBe('111,410,858');
    expect(f.ratio(45.88)).toBe('45.88 : 1');
    expect(f.ratio(999.99, 0)).toBe('≥ 999.99 : 1 (nothing downloaded)');
  });

  it('reads EVE times (+0000, microseconds) and prints UTC windows', () => {
    expect(f.parseTime('2024-03-12T09:15:00.000000+0000')?.toISOString()).toBe('2024-03-12T09:15:00.000Z');
    expect(f.windowRange('2024-03-12T09:15:00.000000+0000', '2024-03-12T09:30:00.000000+0000')).toBe('2024-03-12 09:15–09:30 UTC');
    expect(f.windowRange('2024-03-11T23:45:00.000000+0000', '2024-03-12T00:00:00.000000+0000')).toBe('2024-03-11 23:45 UTC – 2024-03-12 00:00 UTC');
    expect(f.statusLabel('resolved_false_positive')).toBe('Resolved false positive');
  });
});

describe('view in the URL', () => {
  it('round-trips filters, page, pivot and the open alert through the query string', () => {
    const v = { ...emptyView(), page: 3, severity: ['critical', 'high'], dest: '185.220.101.7', from: '2024-03-05T09:30:00Z', q: 'paste', alert: 'abc', pivot: 'blast' };
    const search = viewSearch(v);
    expect(parseView(search)).toEqual(v);
    // The API gets the filters and the page, not the page-only keys.
    expect(listParams(v)).toEqual({ page: 3, severity: 'critical,high', dest: '185.220.101.7', from: '2024-03-05T09:30:00Z', q: 'paste' });
  });

  it('drops what it does not know: bad severities, pages and pivots', () => {
    const v = parseView('?severity=critical,bogus,LOW&page=-2&pivot=rm');
    expect(v.severity).toEqual(['critical', 'low']);
    expect(v.page).toBe(1);
    expect(v.pivot).toBe('');
  });

  it('reads datetime-local inputs as UTC', () => {
    expect(localInputToIso('2024-03-12T09:15')).toBe('2024-03-12T09:15:00Z');
    expect(localInputToIso('2024-03-12T09:15:30')).toBe('2024-03-12T09:15:30Z');
    expect(localInputToIso('')).toBe('');
  });
});

describe('alert evidence', () => {
  it('reads AlertEvidence lists and every community_id, tolerating absence', () => {
    const alert = {
      aggregate: { community_ids: ['1:b=', '1:a='], largest_flow: { community_id: '1:a=' } },
      evidence: { sni: ['x.example'], ja3: ['e7d7'], ja4: [], http_user_agents: ['curl/8.5.0'], dns_names: ['x.example'], sni_dns_mismatch: true },
    };
    const e = evidenceOf(alert, { sni: 'x.example' });
    expect(e.sni).toEqual(['x.example']);
    expect(e.ja3).toEqual(['e7d7']);
    expect(e.ja4).toEqual([]);
    expect(e.user_agents).toEqual(['curl/8.5.0']);
    expect(e.sni_dns_mismatch).toBe(true);
    expect(e.community_ids).toEqual(['1:a=', '1:b=']);
    const bare = evidenceOf({ aggregate: {} }, { sni: null });
    expect(bare.sni).toEqual([]);
    expect(bare.sni_dns_mismatch).toBeNull();
    expect(bare.community_ids).toEqual([]);
  });
});

describe('page sources', () => {
  it('index.html preloads every module the page imports (no request waterfall)', () => {
    const web = path.join(REPO, 'collector', 'web');
    const html = readFileSync(path.join(web, 'index.html'), 'utf8');
    const preloaded = [...html.matchAll(/<link rel="modulepreload" href="([^"]+)">/g)].map((m) => m[1]).sort();
    const modules = readdirSync(web).filter((f) => f.endsWith('.js') && f !== 'app.js').sort();
    expect(preloaded).toEqual(modules);
    expect(html).toContain('<script type="module" src="app.js"></script>');
  });

  it('type-check under strict (tsc -p collector/web)', () => {
    const tsc = path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', path.join(REPO, 'collector', 'web')], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
