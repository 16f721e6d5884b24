/**
 * SQLite through better-sqlite3 (synchronous, one connection, WAL). The async interface is kept
 * for parity with PostgreSQL; a lock serializes transactions (an `await` inside a transaction
 * must not let another request's statement into it).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Param, SqlDriver } from './driver.js';
import { splitStatements } from './driver.js';

class Lock {
  #tail: Promise<void> = Promise.resolve();
  #held = false;
  get held(): boolean {
    return this.#held;
  }
  async acquire(): Promise<() => void> {
    let release!: () => void;
    const next = new Promise<void>((r) => (release = r));
    const prev = this.#tail;
    this.#tail = prev.then(() => next);
    await prev;
    this.#held = true;
    return () => {
      this.#held = false;
      release();
    };
  }
  /** Resolves when no transaction holds the lock (statements outside transactions wait here). */
  async idle(): Promise<void> {
    while (this.#held) await this.#tail;
  }
}

export class SqliteDriver implements SqlDriver {
  readonly dialect = 'sqlite' as const;
  readonly db: Database.Database;
  readonly #lock = new Lock();
  readonly #stmts: Map<string, Database.Statement> = new Map();
  readonly #inTx: boolean;

  /** `shared`: the connection, lock and statement cache of the driver a transaction runs on. */
  constructor(file: string, shared?: { db: Database.Database; lock: Lock; stmts: Map<string, Database.Statement> }) {
    if (shared) {
      this.db = shared.db;
      this.#lock = shared.lock;
      this.#stmts = shared.stmts;
      this.#inTx = true;
      return;
    }
    this.#inTx = false;
    if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('foreign_keys = OFF');
  }

  #prepare(sql: string): Database.Statement {
    let s = this.#stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      if (this.#stmts.size > 500) this.#stmts.clear();
      this.#stmts.set(sql, s);
    }
    return s;
  }

  // Outside a transaction a statement waits until none is open. The check is the last thing before
  // the (synchronous) statement, with no await in between, so no transaction can start in between.
  async all<T>(sql: string, params: readonly Param[] = []): Promise<T[]> {
    while (!this.#inTx && this.#lock.held) await this.#lock.idle();
    return this.#prepare(sql).all(...params) as T[];
  }

  async run(sql: string, params: readonly Param[] = []): Promise<number> {
    while (!this.#inTx && this.#lock.held) await this.#lock.idle();
    return this.#prepare(sql).run(...params).changes;
  }

  async exec(script: string): Promise<void> {
    for (const s of splitStatements(script)) this.db.exec(s);
  }

  async tx<T>(fn: (d: SqlDriver) => Promise<T>): Promise<T> {
    if (this.#inTx) return fn(this);
    const release = await this.#lock.acquire();
    const inner = new SqliteDriver('', { db: this.db, lock: this.#lock, stmts: this.#stmts });
    try {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const r = await fn(inner);
        this.db.exec('COMMIT');
        return r;
      } catch (e) {
        this.db.exec('ROLLBACK');
        throw e;
      }
    } finally {
      release();
    }
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
