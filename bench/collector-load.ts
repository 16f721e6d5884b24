/**
 * Alerts/s from a sensor to the collector on loopback, SQLite and PostgreSQL (SPEC section 11).
 *
 * The collector runs as its own process (bin/exfil-collector.js, a temp config, port 0); this
 * process plays the sensor: alert batches are encoded before timing with the sensor's own encoder
 * (agent/transport/wire-schema.ts: spool payloads framed by `encodeBatch`, msgpack) and POSTed with
 * undici, `--concurrency` requests in flight. Each run stores fresh alert ids; afterwards the first
 * batches are sent again and must all come back as duplicates, and the API total must equal the
 * alerts sent. PostgreSQL: EXFIL_BENCH_PG_URL, else a throwaway cluster (test/helpers/postgres.ts).
 *
 *   npm run bench:collector -- [--alerts 50000] [--batch 500] [--concurrency 4] [--stores sqlite,postgres] [--runs 3]
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { encodeBatch, encodeRecordPayload, toWireAlert } from '../agent/transport/wire-schema.js';
import type { ExfilAlert } from '../agent/verdict/types.js';
import { makeAlert, spawnCollector } from '../test/helpers/collector.js';
import { createDatabase, pgAvailability, startPostgres, type PgServer } from '../test/helpers/postgres.js';
import { fixed, gitInfo, hostInfo, log, median, RESULTS_DIR } from './common.js';

const SENSOR = 'bench-sensor';
const TOKEN = 'bench-sensor-token-0123456789';
const ANALYST = 'bench-analyst-token-0123456789';

interface RunResult {
  store: string;
  alerts: number;
  seconds: number;
  alerts_per_s: number;
  mib_per_s: number;
  p50_ms: number;
  p99_ms: number;
  duplicates_on_resend: number;
  stored_total: number;
}

function batches(n: number, per: number, offset: number): { body: Buffer; count: number }[] {
  const out: { body: Buffer; count: number }[] = [];
  for (let first = 0; first < n; first += per) {
    const count = Math.min(per, n - first);
    const records = [];
    for (let i = 0; i < count; i++) {
      const k = offset + first + i;
      const w = makeAlert(k, { sensor: SENSOR, severity: k % 50 === 0 ? 'high' : 'medium', src: `10.${(k >> 16) & 255}.${(k >> 8) & 255}.${k & 255}` });
      const a = { ...w, aggregate: { ...w.aggregate, window_start_ns: BigInt(w.aggregate.window_start_ns), window_end_ns: BigInt(w.aggregate.window_end_ns) } } as unknown as ExfilAlert;
      records.push({ seq: k + 1, payload: encodeRecordPayload({ type: 'alert', alert: toWireAlert(a) }) });
    }
    out.push({ body: encodeBatch({ sensor_id: SENSOR, batch_seq: offset + first + 1, sent_at: new Date().toISOString() }, records, 'msgpack'), count });
  }
  return out;
}

async function stopCollector(proc: ChildProcess): Promise<void> {
  proc.removeAllListeners('exit');
  await new Promise<void>((resolve) => {
    proc.on('exit', () => resolve());
    proc.kill('SIGTERM');
  });
}

async function post(pool: Pool, body: Buffer): Promise<{ status: number; json: { accepted: number; duplicates: number } }> {
  const r = await pool.request({ path: '/api/v1/ingest', method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/msgpack' }, body });
  const text = await r.body.text();
  if (r.statusCode !== 200) throw new Error(`ingest answered ${r.statusCode}: ${text}`);
  return { status: r.statusCode, json: JSON.parse(text) as { accepted: number; duplicates: number } };
}

async function oneRun(store: string, storage: string, dir: string, n: number, per: number, concurrency: number): Promise<RunResult> {
  const cfg = path.join(dir, `collector-${store}.yaml`);
  writeFileSync(
    cfg,
    [
      'listen: {host: 127.0.0.1, port: 0}',
      storage,
      `sensors: [{id: ${SENSOR}, token: ${TOKEN}}]`,
      `users: [{name: bench, token: ${ANALYST}, role: admin}]`,
      'ingest: {max_body: "64 MiB"}',
      'logging: {level: warn}',
      '',
    ].join('\n'),
  );
  const work = batches(n, per, 0);
  const bytes = work.reduce((s, b) => s + b.body.length, 0);
  const { proc, url } = await spawnCollector(['--config', cfg]);
  const pool = new Pool(url, { connections: concurrency, pipelining: 1 });
  try {
    const lat: number[] = [];
    let next = 0;
    const t0 = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < work.length) {
          const b = work[next++]!;
          const s = process.hrtime.bigint();
          const r = await post(pool, b.body);
          lat.push(Number(process.hrtime.bigint() - s) / 1e6);
          if (r.json.accepted !== b.count || r.json.duplicates !== 0) throw new Error(`unexpected answer ${JSON.stringify(r.json)}`);
        }
      }),
    );
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    // At-least-once delivery: re-sent batches are all duplicates.
    let dup = 0;
    for (const b of work.slice(0, Math.min(4, work.length))) dup += (await post(pool, b.body)).json.duplicates;
    const list = await pool.request({ method: 'GET', path: '/api/v1/alerts?page=1', headers: { authorization: `Bearer ${ANALYST}` } });
    const total = ((await list.body.json()) as { total: number }).total;
    lat.sort((a, b) => a - b);
    return {
      store,
      alerts: n,
      seconds,
      alerts_per_s: n / seconds,
      mib_per_s: bytes / 1048576 / seconds,
      p50_ms: median(lat),
      p99_ms: lat[Math.min(lat.length - 1, Math.floor(lat.length * 0.99))]!,
      duplicates_on_resend: dup,
      stored_total: total,
    };
  } finally {
    await pool.close();
    await stopCollector(proc);
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      alerts: { type: 'string', default: '50000' },
      batch: { type: 'string', default: '500' },
      concurrency: { type: 'string', default: '4' },
      stores: { type: 'string', default: 'sqlite,postgres' },
      runs: { type: 'string', default: '3' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write('npm run bench:collector -- [--alerts 50000] [--batch 500] [--concurrency 4] [--stores sqlite,postgres] [--runs 3]\n');
    return 0;
  }
  const n = Number(values.alerts);
  const per = Number(values.batch);
  const conc = Number(values.concurrency);
  const runs = Number(values.runs);
  const stores = values.stores.split(',').map((s) => s.trim());
  const dir = mkdtempSync(path.join(os.tmpdir(), 'exfil-bench-collector-'));
  let pg: PgServer | null = null;
  const results: RunResult[] = [];
  try {
    for (const store of stores) {
      for (let r = 0; r < runs; r++) {
        let storage: string;
        if (store === 'sqlite') {
          storage = `storage: {kind: sqlite, path: ${path.join(dir, `run-${r}.db`)}}`;
        } else if (store === 'postgres') {
          if (!process.env.EXFIL_BENCH_PG_URL && !pg) {
            const ok = pgAvailability();
            if (!ok.available) {
              log(`postgres skipped: ${ok.reason}`);
              break;
            }
            pg = await startPostgres();
          }
          const admin = process.env.EXFIL_BENCH_PG_URL ?? pg!.url;
          storage = `storage: {kind: postgres, url: "${await createDatabase(admin, 'exfil_bench')}"}`;
        } else {
          throw new Error(`unknown store '${store}' (sqlite, postgres)`);
        }
        log(`${store} run ${r + 1}/${runs}: ${n} alerts in batches of ${per}, ${conc} in flight`);
        const res = await oneRun(store, storage, dir, n, per, conc);
        log(`  ${fixed(res.alerts_per_s, 0)} alerts/s (${fixed(res.seconds, 2)} s), stored ${res.stored_total}, duplicates on resend ${res.duplicates_on_resend}`);
        if (res.stored_total !== n) throw new Error(`stored ${res.stored_total} of ${n}`);
        results.push(res);
      }
    }
  } finally {
    await pg?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const lines = [
    `collector ingest, sensor -> collector on loopback (msgpack, ${per} alerts per request, ${conc} in flight, ${n} alerts per run, median of ${runs})`,
    '',
    '| store | alerts/s | MiB/s | request p50 ms | request p99 ms | stored | duplicates on resend |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const store of stores) {
    const rs = results.filter((r) => r.store === store);
    if (rs.length === 0) continue;
    lines.push(
      `| ${store} | ${fixed(median(rs.map((r) => r.alerts_per_s)), 0)} | ${fixed(median(rs.map((r) => r.mib_per_s)), 1)} | ${fixed(median(rs.map((r) => r.p50_ms)), 1)} | ${fixed(median(rs.map((r) => r.p99_ms)), 1)} | ${rs.map((r) => r.stored_total).join('/')} | ${rs.map((r) => r.duplicates_on_resend).join('/')} |`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(path.join(RESULTS_DIR, 'collector-load.json'), `${JSON.stringify({ host: hostInfo(), git: gitInfo(), params: { n, per, conc, runs }, results }, null, 2)}\n`);
  writeFileSync(path.join(RESULTS_DIR, 'collector-load.md'), `${lines.join('\n')}\n`);
  return 0;
}

main().then(
  (code) => (process.exitCode = code),
  (e: unknown) => {
    process.stderr.write(`bench:collector: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
