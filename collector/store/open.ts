/** Opens the configured store and brings its schema up to date. */
import { CollectorError, CollectorErrorCodes } from '../errors.js';
import type { SqlDriver } from './driver.js';
import { migrate } from './migrate.js';
import { PostgresDriver } from './postgres-driver.js';
import { SqliteDriver } from './sqlite-driver.js';
import { SqlStore } from './sql-store.js';

export type StorageConfig = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string; pool_max?: number };

export async function openStore(cfg: StorageConfig): Promise<SqlStore> {
  let driver: SqlDriver;
  try {
    driver = cfg.kind === 'sqlite' ? new SqliteDriver(cfg.path) : new PostgresDriver(cfg.url, { max: cfg.pool_max ?? 10 });
  } catch (e) {
    throw new CollectorError(CollectorErrorCodes.STORE_OPEN, `cannot open the ${cfg.kind} store ${cfg.kind === 'sqlite' ? cfg.path : redact(cfg.url)}: ${(e as Error).message}`, { cause: e });
  }
  try {
    await migrate(driver);
  } catch (e) {
    await driver.close().catch(() => undefined);
    if (e instanceof CollectorError) throw e;
    throw new CollectorError(CollectorErrorCodes.STORE_OPEN, `cannot open the ${cfg.kind} store ${cfg.kind === 'sqlite' ? cfg.path : redact(cfg.url)}: ${(e as Error).message}`, { cause: e });
  }
  return new SqlStore(driver);
}

/** A database URL without its password, for messages. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
