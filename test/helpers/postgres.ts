/**
 * A throwaway PostgreSQL server for tests. With EXFIL_TEST_PG_URL set, that server is used;
 * otherwise initdb + pg_ctl start a cluster in a temp folder on a free loopback port (as root the
 * server runs as the `postgres` user through runuser), stopped and deleted by `stop()`. Without
 * PostgreSQL binaries the PG tests are skipped, and the reason is printed loudly.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

export interface PgServer {
  /** Admin URL (database `postgres`). */
  url: string;
  stop(): Promise<void>;
}

/** The folder holding initdb/pg_ctl, or null. */
export function findPgBin(): string | null {
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    const versions = readdirSync(base)
      .filter((v) => existsSync(path.join(base, v, 'bin', 'pg_ctl')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions[0]) return path.join(base, versions[0], 'bin');
  }
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const f = path.join(dir, 'pg_ctl');
    if (dir && existsSync(f) && existsSync(path.join(dir, 'initdb'))) return path.dirname(realpathSync(f));
  }
  return null;
}

/** Whether PG tests can run here, and if not, why (printed by the caller). */
export function pgAvailability(): { available: true } | { available: false; reason: string } {
  if (process.env.EXFIL_TEST_PG_URL) return { available: true };
  if (!findPgBin()) {
    return { available: false, reason: 'no PostgreSQL binaries (initdb, pg_ctl in /usr/lib/postgresql/*/bin or PATH) and EXFIL_TEST_PG_URL is not set' };
  }
  if (process.getuid?.() === 0) {
    const r = spawnSync('id', ['-u', 'postgres']);
    if (r.status !== 0) return { available: false, reason: 'running as root and there is no `postgres` user to run the server as' };
  }
  return { available: true };
}

export function warnPgSkipped(reason: string): void {
  const bar = '!'.repeat(100);
  process.stderr.write(`\n${bar}\n!! PostgreSQL store tests SKIPPED: ${reason}\n!! (CI installs postgresql; set EXFIL_TEST_PG_URL to use an existing server)\n${bar}\n\n`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export async function startPostgres(): Promise<PgServer> {
  if (process.env.EXFIL_TEST_PG_URL) return { url: process.env.EXFIL_TEST_PG_URL, stop: async () => undefined };
  const bin = findPgBin();
  if (!bin) throw new Error('PostgreSQL binaries not found');
  const root = process.getuid?.() === 0;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'exfil-pg-'));
  const data = path.join(dir, 'data');
  const logFile = path.join(dir, 'server.log');
  if (root) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
    chmodSync(dir, 0o700);
  }
  const run = (cmd: string, args: string[]): void => {
    const full = root ? ['runuser', ['-u', 'postgres', '--', path.join(bin, cmd), ...args]] : [path.join(bin, cmd), args];
    const r = spawnSync(full[0] as string, full[1] as string[], { encoding: 'utf8', cwd: dir });
    if (r.status !== 0) {
      const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-2000) : '';
      throw new Error(`${cmd} failed (${r.status}): ${r.stderr}${r.stdout}\n${log}`);
    }
  };
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--locale=C']);
  const port = await freePort();
  const opts = [`-p ${port}`, `-k ${dir}`, "-c listen_addresses='127.0.0.1'", '-c fsync=off', '-c synchronous_commit=off', '-c full_page_writes=off', '-c max_connections=200'];
  run('pg_ctl', ['start', '-D', data, '-w', '-t', '60', '-l', logFile, '-o', opts.join(' ')]);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: async () => {
      try {
        run('pg_ctl', ['stop', '-D', data, '-m', 'immediate', '-w']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

let dbCounter = 0;

/** A fresh, empty database on the server; returns its URL. */
export async function createDatabase(adminUrl: string, prefix = 'exfil_test'): Promise<string> {
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}_${++dbCounter}`;
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    await c.query(`CREATE DATABASE ${name}`);
  } finally {
    await c.end();
  }
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}
