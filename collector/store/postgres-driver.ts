/** PostgreSQL through a `pg` pool; a transaction runs on one checked-out client. */
import pg from 'pg';
import type { Param, SqlDriver } from './driver.js';
import { numberPlaceholders, splitStatements } from './driver.js';

const toNumber = (v: string): number => Number(v);
/** int8 (20) and numeric (1700) as numbers: every value the store keeps is below 2^53. */
const TYPES = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20 || oid === 1700) return toNumber;
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

type Queryable = pg.Pool | pg.PoolClient;

export class PostgresDriver implements SqlDriver {
  readonly dialect = 'postgres' as const;
  readonly #q: Queryable;
  readonly #pool: pg.Pool | null;

  constructor(url: string | null, opts: { max?: number; client?: pg.PoolClient } = {}) {
    if (opts.client) {
      this.#q = opts.client;
      this.#pool = null;
    } else {
      this.#pool = new pg.Pool({ connectionString: url ?? undefined, max: opts.max ?? 10, types: TYPES as pg.CustomTypesConfig });
      // An idle client that loses its server must not crash the process; the next query reconnects.
      this.#pool.on('error', () => undefined);
      this.#q = this.#pool;
    }
  }

  async all<T>(sql: string, params: readonly Param[] = []): Promise<T[]> {
    const r = await this.#q.query(numberPlaceholders(sql), params as Param[]);
    return r.rows as T[];
  }

  async run(sql: string, params: readonly Param[] = []): Promise<number> {
    const r = await this.#q.query(numberPlaceholders(sql), params as Param[]);
    return r.rowCount ?? 0;
  }

  async exec(script: string): Promise<void> {
    for (const s of splitStatements(script)) await this.#q.query(s);
  }

  async tx<T>(fn: (d: SqlDriver) => Promise<T>): Promise<T> {
    if (!this.#pool) return fn(this);
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      try {
        const r = await fn(new PostgresDriver(null, { client }));
        await client.query('COMMIT');
        return r;
      } catch (e) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw e;
      }
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.#pool?.end();
  }
}
