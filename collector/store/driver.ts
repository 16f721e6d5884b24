/**
 * The few SQL operations the store needs, over SQLite (better-sqlite3) and PostgreSQL (pg).
 * Statements are written once with `?` placeholders in the dialect-neutral subset of
 * `migrations/`; the PostgreSQL driver numbers them ($1, $2, ...). BIGINT and NUMERIC come back
 * as JS numbers on both (every stored integer is below 2^53: bytes, epoch milliseconds, counts).
 */
export type Param = string | number | null;

export interface SqlDriver {
  readonly dialect: 'sqlite' | 'postgres';
  all<T = Record<string, unknown>>(sql: string, params?: readonly Param[]): Promise<T[]>;
  /** Runs a write; resolves to the number of rows changed. */
  run(sql: string, params?: readonly Param[]): Promise<number>;
  /** Runs several `;`-separated statements without parameters (migrations). */
  exec(script: string): Promise<void>;
  /** Runs `fn` in one transaction on one connection; rolls back when it throws. */
  tx<T>(fn: (d: SqlDriver) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** `?` -> `$n` (the statements hold no `?` inside string literals). */
export function numberPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** Splits a migration script into statements: `;` at the end of a line ends one; `--` lines are comments. */
export function splitStatements(script: string): string[] {
  const out: string[] = [];
  let cur: string[] = [];
  for (const line of script.split('\n')) {
    const t = line.trim();
    if (t.startsWith('--') || t === '') continue;
    cur.push(line);
    if (t.endsWith(';')) {
      out.push(cur.join('\n').trim().replace(/;$/, ''));
      cur = [];
    }
  }
  if (cur.join('').trim()) out.push(cur.join('\n').trim());
  return out;
}
