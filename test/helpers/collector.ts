/** Fixtures for the collector tests: wire alerts and windows, and the two stores as one test table. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WireAlert, WireWindow } from '../../collector/ingest/wire.js';
import { openStore } from '../../collector/store/open.js';
import type { SqlStore } from '../../collector/store/sql-store.js';
import { fileURLToPath } from 'node:url';
import { createDatabase, pgAvailability, startPostgres, warnPgSkipped, type PgServer } from './postgres.js';

const HELPERS = path.dirname(fileURLToPath(import.meta.url));
/** The repository: two up from test/helpers/ (vitest), three from dist/test/helpers/ (the compiled bench). */
const REPO_ROOT = path.basename(path.resolve(HELPERS, '..', '..')) === 'dist' ? path.resolve(HELPERS, '..', '..', '..') : path.resolve(HELPERS, '..', '..');

export const SENSOR = 'sensor-a';
export const SENSOR_TOKEN = 'sensor-a-token-0123456789';
export const ANALYST_TOKEN = 'analyst-token-0123456789';
export const ADMIN_TOKEN = 'admin-token-0123456789';

export interface AlertOpts {
  sensor?: string;
  severity?: 'critical' | 'high' | 'medium' | 'low';
  src?: string;
  dest?: string;
  port?: number;
  appProto?: string | null;
  country?: string | null;
  asn?: number | null;
  org?: string | null;
  /** Minutes after 2026-03-02T00:00:00Z of the window start. */
  minute?: number;
  upload?: number;
  download?: number;
  communityIds?: string[];
  sni?: string;
}

/** An alert shaped like the sensor's ExfilAlert as JSON prints it; `i` makes the id and the time. */
export function makeAlert(i: number, o: AlertOpts = {}): WireAlert {
  const startMs = Date.parse('2026-03-02T00:00:00Z') + (o.minute ?? i * 15) * 60_000;
  const endMs = startMs + 15 * 60_000;
  const sensor = o.sensor ?? SENSOR;
  const up = o.upload ?? 100_000_000 + i;
  const down = o.download ?? 1_000_000;
  const src = o.src ?? `10.0.${Math.floor(i / 200)}.${(i % 200) + 1}`;
  const dest = o.dest ?? '203.0.113.7';
  const cids = o.communityIds ?? [`1:cid-${i}-a=`, `1:cid-${i}-b=`];
  return {
    id: `${sensor}-alert-${i}`,
    sensor_id: sensor,
    detection: 'window',
    severity: o.severity ?? 'medium',
    confidence: 0.8,
    rules_fired: ['ratio_volume'],
    notes: [],
    aggregate: {
      src_ip: src,
      dest_ip: dest,
      dest_port: o.port ?? 443,
      proto: 'TCP',
      app_proto: o.appProto === undefined ? 'tls' : o.appProto,
      window_start: new Date(startMs).toISOString(),
      window_end: new Date(endMs).toISOString(),
      window_start_ns: `${BigInt(startMs) * 1_000_000n}`,
      window_end_ns: `${BigInt(endMs) * 1_000_000n}`,
      flow_count: 3,
      unique_flows: 2,
      total_upload_bytes: up,
      total_download_bytes: down,
      upload_packets: 1000,
      download_packets: 500,
      largest_flow: { src_ip: src, src_port: 50000 + i, dest_ip: dest, dest_port: o.port ?? 443, proto: 'TCP', app_proto: 'tls', community_id: cids[0]!, upload_bytes: up },
      community_ids: cids,
      community_ids_total: cids.length,
      lower_bound: false,
      upload_mb: up / 1048576,
      download_mb: down / 1048576,
      upload_ratio: up / Math.max(1, down),
      pcr: (up - down) / (up + down),
      malicious_iocs: 0,
      iocs_checked: 1,
      dest_country: o.country === undefined ? 'NL' : o.country,
      dest_asn: o.asn === undefined ? 64500 : o.asn,
      dest_org: o.org === undefined ? 'Example Hosting BV' : o.org,
    },
    ioc_matches: [],
    risk: { composite_score: 0.61, risk_level: 'high', score_breakdown: [{ name: 'volume_anomaly', weight: 0.25, score: 1, explanation: 'x' }] },
    blast_radius: { sources_to_dest_ip: 1, sources_to_dest_org: null },
    destination_established: false,
    evidence: {
      sni: [o.sni ?? `upload-${i}.example.net`],
      ja3: ['771,4865-4866,0-23,29-23,0'],
      ja4: ['t13d1516h2_8daaf6152771_02713d6af862'],
      http_hosts: [],
      http_user_agents: ['curl/8.5.0'],
      dns_names: [o.sni ?? `upload-${i}.example.net`],
      ssh_client: [],
      ssh_server: [],
      file_types: [],
      alpn: ['h2'],
      sni_dns_mismatch: false,
    },
  };
}

export function makeWindow(i: number, o: { src?: string; dest?: string; up?: number; down?: number; minute?: number } = {}): WireWindow {
  const startMs = Date.parse('2026-03-02T00:00:00Z') + (o.minute ?? i * 15) * 60_000;
  return {
    src_ip: o.src ?? `10.1.0.${(i % 250) + 1}`,
    dest_ip: o.dest ?? '198.51.100.9',
    dest_port: 443,
    proto: 'TCP',
    app_proto: 'tls',
    window_start: new Date(startMs).toISOString(),
    window_end: new Date(startMs + 900_000).toISOString(),
    upload_bytes: o.up ?? 5000,
    download_bytes: o.down ?? 100_000,
    flow_count: 4,
  };
}

export function batchOf(records: { type: 'alert' | 'window'; body: unknown }[], opts: { sensor?: string; batchSeq?: number; firstSeq?: number } = {}): Record<string, unknown> {
  const first = opts.firstSeq ?? 1;
  return {
    schema: 1,
    sensor_id: opts.sensor ?? SENSOR,
    batch_seq: opts.batchSeq ?? 1,
    sent_at: '2026-03-02T12:00:00Z',
    records: records.map((r, i) => (r.type === 'alert' ? { type: 'alert', seq: first + i, alert: r.body } : { type: 'window', seq: first + i, window: r.body })),
  };
}

export interface StoreCase {
  name: 'sqlite' | 'postgres';
  skip: boolean;
  /** A fresh, migrated, empty store. */
  open(): Promise<SqlStore>;
}

let pgServer: Promise<PgServer> | null = null;
const tempDirs: string[] = [];

/** SQLite and PostgreSQL as one table for `describe.each`; PG skipped (loudly) when unavailable. */
export function storeCases(): StoreCase[] {
  const pgOk = pgAvailability();
  if (!pgOk.available) warnPgSkipped(pgOk.reason);
  return [
    {
      name: 'sqlite',
      skip: false,
      open: async () => {
        const dir = mkdtempSync(path.join(os.tmpdir(), 'exfil-collector-test-'));
        tempDirs.push(dir);
        return openStore({ kind: 'sqlite', path: path.join(dir, 'collector.db') });
      },
    },
    {
      name: 'postgres',
      skip: !pgOk.available,
      open: async () => {
        pgServer ??= startPostgres();
        const server = await pgServer;
        return openStore({ kind: 'postgres', url: await createDatabase(server.url), pool_max: 5 });
      },
    },
  ];
}

/** Stops the file's PostgreSQL server and removes SQLite folders (call from afterAll). */
export async function cleanupStores(): Promise<void> {
  if (pgServer) {
    const s = await pgServer.catch(() => null);
    pgServer = null;
    await s?.stop();
  }
  for (const d of tempDirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/**
 * Starts the real collector (`bin/exfil-collector.js`) with `args` and resolves with its URL once
 * it says it is listening; rejects if it exits first. The caller owns the process (kill it in
 * `afterAll`). Used by the tests and by bench/collector-load.ts.
 */
export function spawnCollector(args: string[], env: Record<string, string> = {}): Promise<{ proc: ChildProcess; url: string; stdout: () => string }> {
  const proc = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'exfil-collector.js'), ...args], {
    env: { ...process.env, EXFIL_COLLECTOR_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    proc.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ proc, url: m[1]!, stdout: () => out });
    });
    proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    proc.on('exit', (code) => reject(new Error(`collector exited ${code} before listening: ${err}`)));
  });
}

/** The collector on 127.0.0.1 with its embedded defaults and the test's data folder. */
export async function startCollectorProcess(dataDir: string, port = 0): Promise<{ proc: ChildProcess; url: string }> {
  const { proc, url } = await spawnCollector(['--host', '127.0.0.1', '--port', String(port)], { EXFIL_COLLECTOR_DATA: dataDir });
  return { proc, url };
}
