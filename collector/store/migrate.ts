/**
 * Numbered migrations (`migrations/NNN-name.sql`), applied in order, each in its own transaction,
 * recorded in `schema_migrations`. The same files run on SQLite and PostgreSQL.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { CollectorError, CollectorErrorCodes } from '../errors.js';
import type { SqlDriver } from './driver.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** The migrations folder: beside this module in the sources, or the sources' folder from dist/. */
export function migrationsDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.join(here, 'migrations'), path.resolve(here, '../../../collector/store/migrations')];
  const found = candidates.find((d) => existsSync(d));
  if (!found) throw new CollectorError(CollectorErrorCodes.MIGRATION, `migrations folder not found (looked in ${candidates.join(', ')})`);
  return found;
}

export function readMigrations(dir = migrationsDir()): Migration[] {
  const out: Migration[] = [];
  for (const f of readdirSync(dir).sort()) {
    const m = /^(\d{3})-([a-z0-9-]+)\.sql$/.exec(f);
    if (!m) continue;
    out.push({ version: Number(m[1]), name: m[2]!, sql: readFileSync(path.join(dir, f), 'utf8') });
  }
  out.forEach((m, i) => {
    if (m.version !== i + 1) throw new CollectorError(CollectorErrorCodes.MIGRATION, `${dir}: migration ${m.version} out of sequence (expected ${i + 1})`);
  });
  return out;
}

/** Applies the pending migrations; returns the versions applied now. */
export async function migrate(db: SqlDriver, migrations = readMigrations()): Promise<number[]> {
  await db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
  const applied: number[] = [];
  for (const m of migrations) {
    const done = await db.tx(async (t) => {
      // Two collectors starting on one PostgreSQL database: one migrates, the other waits.
      if (t.dialect === 'postgres') await t.all('SELECT pg_advisory_xact_lock(8780001)');
      const rows = await t.all<{ version: number }>('SELECT version FROM schema_migrations WHERE version = ?', [m.version]);
      if (rows.length > 0) return false;
      try {
        await t.exec(m.sql);
      } catch (e) {
        throw new CollectorError(CollectorErrorCodes.MIGRATION, `migration ${String(m.version).padStart(3, '0')}-${m.name} failed: ${(e as Error).message}`, { cause: e });
      }
      await t.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [m.version, m.name, Date.now()]);
      return true;
    });
    if (done) applied.push(m.version);
  }
  return applied;
}
