/**
 * The destination baseline and per-group history, in an embedded SQLite file (better-sqlite3,
 * WAL journal) so it survives restarts (SPEC section 4, `001_…` "Unknown destination baseline").
 *
 * Tables:
 * - `pairs`: one row per (src, dest IP) with the window time it was last seen (the eviction key)
 *   and the flows it had in the latest recorded window (so a read can exclude that window).
 * - `pair_days`: flows per (pair, UTC day bucket): what "established" counts.
 * - `group_windows`: per group and window: upload, download, flows, destination entity and the
 *   largest flow's community_id. Feeds volume_anomaly (the group's 7-day history), site-wide
 *   destination novelty and the sustained-session proxy.
 * - `fingerprints`: which internal hosts presented which client fingerprint (JA4/JA3/UA), last
 *   seen: process_rarity across the site.
 *
 * Flows are counted as `unique_flows` per window: a connection that spans several windows counts
 * once in each (a "flow sample" in `001_…`'s words).
 *
 * Time is window time only (ms since the epoch, from the aggregates); there is no wall clock.
 * Lookback with day buckets: a bucket counts while it is no older than the UTC day containing
 * `at - lookback_days`, so a flow is remembered for at least `lookback_days` days and less than
 * one day more.
 *
 * Recording is idempotent per (group, window): recording the same aggregate again replaces its
 * row and moves the day counters by the difference only, so a replayed window leaves the same state.
 *
 * Bounded: at most `max_pairs` (src, dest) pairs; beyond that the least recently seen pairs (ties
 * by src, dest) are dropped with their buckets and group history. Fingerprint sightings are held
 * to the same bound.
 *
 * Two backends answer alike: SQLite (this file) for a file path, and plain JS maps
 * (baseline-memory.ts) for `":memory:"`, where SQLite's indexed writes were the verdict's largest
 * cost and nothing is kept anyway. better-sqlite3 is loaded only when a file is opened.
 */
import type Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ErrorCodes, SensorError } from '../errors.js';
import { nsToMs } from './local-time.js';
import type { VerdictOptions } from './options.js';
import { MemoryBaseline } from './baseline-memory.js';

export const DAY_MS = 86_400_000;


/** One group's window, as recorded. */
export interface GroupRecord {
  /** Group key (see `groupKey`). */
  key: string;
  src: string;
  dest: string;
  /** Destination entity (`dom:` / `org:`), or null. */
  entity: string | null;
  windowStartNs: bigint;
  upload: number;
  download: number;
  /** Flows counted toward the destination baseline (the aggregate's `unique_flows`). */
  flows: number;
  /** community_id of the window's largest flow. */
  largestCid: string | null;
}

export interface WindowSample {
  windowMs: number;
  upload: number;
  flows: number;
  largestCid: string | null;
}

export interface PairBaseline {
  /** Flows from src to dest over the lookback, excluding windows starting at or after `at`. */
  flows: number;
  established: boolean;
}

const SCHEMA_VERSION = 1;

type BaselineSettings = VerdictOptions['baseline'];

/** Checked settings, shared by both backends. */
function checkSettings(settings: BaselineSettings): { lookbackDays: number; lookbackMs: number; minFlows: number; maxPairs: number } {
  if (!(settings.lookback_days > 0)) throw new Error('baseline.lookback_days must be > 0');
  if (!(settings.max_pairs >= 1)) throw new Error('baseline.max_pairs must be >= 1');
  return {
    lookbackDays: settings.lookback_days,
    lookbackMs: Math.round(settings.lookback_days * DAY_MS),
    minFlows: settings.established_min_flows,
    maxPairs: Math.floor(settings.max_pairs),
  };
}

const inMemory = (p: string): boolean => p === ':memory:' || p === '';

/** The baseline store: picks the backend by path (see the file comment); the API is the same. */
export class BaselineStore {
  readonly path: string;
  private readonly impl: SqliteBaselineStore | MemoryBaseline;
  private lookbackDays: number;

  constructor(settings: BaselineSettings) {
    this.path = settings.path;
    const c = checkSettings(settings);
    this.lookbackDays = c.lookbackDays;
    if (inMemory(settings.path)) {
      const m = new MemoryBaseline();
      m.configure(c.lookbackMs, c.minFlows, c.maxPairs);
      this.impl = m;
    } else {
      this.impl = new SqliteBaselineStore(settings);
    }
  }

  /** Applies reloaded thresholds (lookback, established_min_flows, max_pairs); the path needs a restart. */
  configure(settings: BaselineSettings): void {
    if (settings.path !== this.path) {
      throw new Error(`baseline.path cannot change while running (${this.path} -> ${settings.path}); restart the sensor`);
    }
    const c = checkSettings(settings);
    this.lookbackDays = c.lookbackDays;
    if (this.impl instanceof MemoryBaseline) {
      this.impl.configure(c.lookbackMs, c.minFlows, c.maxPairs);
      this.impl.enforceBound();
    } else this.impl.configure(settings);
  }

  /** Records one window's groups (every group, not only alerting ones), then applies `max_pairs`. */
  record(groups: readonly GroupRecord[]): void {
    this.impl.record(groups);
  }

  /** Records that `src` presented client fingerprint `fp` in the window starting at `atNs`. */
  recordFingerprints(items: readonly { fp: string; src: string; atNs: bigint }[]): void {
    this.impl.recordFingerprints(items);
  }

  /** See `SqliteBaselineStore.established`. */
  established(src: string, dest: string, atNs: bigint): PairBaseline {
    return this.impl.established(src, dest, atNs);
  }

  /** The group's recorded windows in [at - lookback, at), oldest first. */
  groupHistory(key: string, atNs: bigint): WindowSample[] {
    return this.impl.groupHistory(key, atNs);
  }

  /** Per-window totals from `src` to an entity (or, with `dest`, to one IP) in [from, at). */
  sourceHistory(src: string, target: { entity: string } | { dest: string }, fromNs: bigint, atNs: bigint): WindowSample[] {
    return this.impl.sourceHistory(src, target, fromNs, atNs);
  }

  /** Other internal sources that reached `dest` in [at - lookback, at), and their flows. */
  siteDestination(dest: string, excludeSrc: string, atNs: bigint): { sources: number; flows: number } {
    return this.impl.siteDestination(dest, excludeSrc, atNs);
  }

  /** Site prevalence of a client fingerprint over the lookback (see the SQLite backend). */
  fingerprintPrevalence(fp: string, src: string, atNs: bigint): { others: number; otherHosts: number } {
    return this.impl.fingerprintPrevalence(fp, src, atNs);
  }

  /** Drops day buckets, group history and fingerprints older than the lookback at `nowNs`. */
  expire(nowNs: bigint): void {
    this.impl.expire(nowNs);
  }

  /** Stored (src, dest) pairs. */
  pairs(): number {
    return this.impl.pairs();
  }

  /** Lookback in whole days, for explanations. */
  get lookback(): number {
    return this.lookbackDays;
  }

  close(): void {
    if (this.impl instanceof SqliteBaselineStore) this.impl.close();
  }
}

/** The SQLite backend (a file path; also usable on ":memory:", which the differential test does). */
export class SqliteBaselineStore {
  readonly path: string;
  private readonly db: Database.Database;
  private lookbackMs = 0;
  private lookbackDays = 0;
  private minFlows = 0;
  private maxPairs = 0;
  private pairCount: number;
  private fpCount: number;
  private readonly st: ReturnType<SqliteBaselineStore['prepare']>;

  constructor(settings: BaselineSettings) {
    this.path = settings.path;
    this.applySettings(settings);
    try {
      // The baseline is sensor state: create its folder the first time, as a state dir.
      if (settings.path !== ':memory:' && settings.path !== '') mkdirSync(path.dirname(settings.path), { recursive: true });
      const open = createRequire(import.meta.url)('better-sqlite3') as typeof Database;
      this.db = new open(settings.path);
    } catch (e) {
      throw new SensorError(ErrorCodes.STATE_OPEN, `cannot open the baseline store '${settings.path}': ${(e as Error).message}`, { cause: e });
    }
    if (settings.path !== ':memory:' && settings.path !== '') {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
    }
    this.migrate();
    this.st = this.prepare();
    this.pairCount = (this.st.countPairs.get() as { n: number }).n;
    this.fpCount = (this.st.countFp.get() as { n: number }).n;
  }

  private applySettings(settings: BaselineSettings): void {
    const c = checkSettings(settings);
    this.lookbackDays = c.lookbackDays;
    this.lookbackMs = c.lookbackMs;
    this.minFlows = c.minFlows;
    this.maxPairs = c.maxPairs;
  }

  /**
   * Applies reloaded thresholds (lookback, established_min_flows, max_pairs) to the open store;
   * the file path cannot change without a restart.
   */
  configure(settings: BaselineSettings): void {
    if (settings.path !== this.path) {
      throw new Error(`baseline.path cannot change while running (${this.path} -> ${settings.path}); restart the sensor`);
    }
    this.applySettings(settings);
    this.enforceBound();
  }

  private migrate(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (version !== 0 && version !== SCHEMA_VERSION) {
      throw new Error(`baseline store ${this.path} has schema version ${version}; this sensor reads ${SCHEMA_VERSION}`);
    }
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS pairs (
        id INTEGER PRIMARY KEY,
        src TEXT NOT NULL,
        dest TEXT NOT NULL,
        last_seen_ms INTEGER NOT NULL,
        last_window_ms INTEGER NOT NULL,
        last_window_flows INTEGER NOT NULL,
        UNIQUE (src, dest)
      );
      CREATE INDEX IF NOT EXISTS pairs_seen ON pairs (last_seen_ms, src, dest);
      CREATE TABLE IF NOT EXISTS pair_days (
        pair_id INTEGER NOT NULL,
        day INTEGER NOT NULL,
        flows INTEGER NOT NULL,
        PRIMARY KEY (pair_id, day)
      ) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS pair_days_day ON pair_days (day);
      CREATE TABLE IF NOT EXISTS group_windows (
        gkey TEXT NOT NULL,
        window_ms INTEGER NOT NULL,
        pair_id INTEGER NOT NULL,
        src TEXT NOT NULL,
        dest TEXT NOT NULL,
        entity TEXT,
        upload INTEGER NOT NULL,
        download INTEGER NOT NULL,
        flows INTEGER NOT NULL,
        largest_cid TEXT,
        PRIMARY KEY (gkey, window_ms)
      ) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS gw_pair ON group_windows (pair_id);
      CREATE INDEX IF NOT EXISTS gw_dest ON group_windows (dest, window_ms);
      CREATE INDEX IF NOT EXISTS gw_entity ON group_windows (src, entity, window_ms);
      CREATE INDEX IF NOT EXISTS gw_window ON group_windows (window_ms);
      CREATE TABLE IF NOT EXISTS fingerprints (
        fp TEXT NOT NULL,
        src TEXT NOT NULL,
        last_seen_ms INTEGER NOT NULL,
        PRIMARY KEY (fp, src)
      ) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS fp_seen ON fingerprints (last_seen_ms, fp, src);
      CREATE INDEX IF NOT EXISTS fp_src ON fingerprints (src, last_seen_ms);
    `);
    this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }

  private prepare() {
    const d = this.db;
    return {
      countPairs: d.prepare('SELECT count(*) AS n FROM pairs'),
      countFp: d.prepare('SELECT count(*) AS n FROM fingerprints'),
      getPair: d.prepare('SELECT id, last_seen_ms, last_window_ms, last_window_flows FROM pairs WHERE src = ? AND dest = ?'),
      insertPair: d.prepare(
        'INSERT INTO pairs (src, dest, last_seen_ms, last_window_ms, last_window_flows) VALUES (?, ?, ?, ?, 0)',
      ),
      updatePair: d.prepare('UPDATE pairs SET last_seen_ms = ?, last_window_ms = ?, last_window_flows = ? WHERE id = ?'),
      getGroupWindow: d.prepare('SELECT flows FROM group_windows WHERE gkey = ? AND window_ms = ?'),
      putGroupWindow: d.prepare(
        `INSERT OR REPLACE INTO group_windows
           (gkey, window_ms, pair_id, src, dest, entity, upload, download, flows, largest_cid)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      addDay: d.prepare(
        `INSERT INTO pair_days (pair_id, day, flows) VALUES (?, ?, ?)
         ON CONFLICT (pair_id, day) DO UPDATE SET flows = flows + excluded.flows`,
      ),
      pairFlows: d.prepare('SELECT coalesce(sum(flows), 0) AS n FROM pair_days WHERE pair_id = ? AND day >= ? AND day <= ?'),
      groupHistory: d.prepare(
        `SELECT window_ms AS windowMs, upload, flows, largest_cid AS largestCid FROM group_windows
         WHERE gkey = ? AND window_ms >= ? AND window_ms < ? ORDER BY window_ms`,
      ),
      entityHistory: d.prepare(
        `SELECT window_ms AS windowMs, sum(upload) AS upload, sum(flows) AS flows FROM group_windows
         WHERE src = ? AND entity = ? AND window_ms >= ? AND window_ms < ? GROUP BY window_ms ORDER BY window_ms`,
      ),
      destHistory: d.prepare(
        `SELECT window_ms AS windowMs, sum(upload) AS upload, sum(flows) AS flows FROM group_windows
         WHERE src = ? AND dest = ? AND window_ms >= ? AND window_ms < ? GROUP BY window_ms ORDER BY window_ms`,
      ),
      siteDest: d.prepare(
        `SELECT count(DISTINCT src) AS sources, coalesce(sum(flows), 0) AS flows FROM group_windows
         WHERE dest = ? AND src <> ? AND window_ms >= ? AND window_ms < ?`,
      ),
      putFp: d.prepare(
        `INSERT INTO fingerprints (fp, src, last_seen_ms) VALUES (?, ?, ?)
         ON CONFLICT (fp, src) DO UPDATE SET last_seen_ms = max(last_seen_ms, excluded.last_seen_ms)`,
      ),
      hasFp: d.prepare('SELECT 1 FROM fingerprints WHERE fp = ? AND src = ?'),
      fpHosts: d.prepare('SELECT count(*) AS n FROM fingerprints WHERE fp = ? AND src <> ? AND last_seen_ms >= ?'),
      fpAllHosts: d.prepare('SELECT count(DISTINCT src) AS n FROM fingerprints WHERE src <> ? AND last_seen_ms >= ?'),
      oldestPairs: d.prepare('SELECT id FROM pairs ORDER BY last_seen_ms, src, dest LIMIT ?'),
      delPairDays: d.prepare('DELETE FROM pair_days WHERE pair_id = ?'),
      delPairWindows: d.prepare('DELETE FROM group_windows WHERE pair_id = ?'),
      delPair: d.prepare('DELETE FROM pairs WHERE id = ?'),
      oldestFp: d.prepare('SELECT fp, src FROM fingerprints ORDER BY last_seen_ms, fp, src LIMIT ?'),
      delFp: d.prepare('DELETE FROM fingerprints WHERE fp = ? AND src = ?'),
      expireDays: d.prepare('DELETE FROM pair_days WHERE day < ?'),
      expireWindows: d.prepare('DELETE FROM group_windows WHERE window_ms < ?'),
      expirePairs: d.prepare(
        'DELETE FROM pairs WHERE last_seen_ms < ? AND NOT EXISTS (SELECT 1 FROM pair_days WHERE pair_id = pairs.id)',
      ),
      expireFp: d.prepare('DELETE FROM fingerprints WHERE last_seen_ms < ?'),
    };
  }

  /** First day bucket inside the lookback of `atMs`. */
  private firstDay(atMs: number): number {
    return Math.floor((atMs - this.lookbackMs) / DAY_MS);
  }

  /**
   * Records one window's groups (every group, not only alerting ones) in one transaction, then
   * applies the `max_pairs` bound.
   */
  record(groups: readonly GroupRecord[]): void {
    const tx = this.db.transaction((items: readonly GroupRecord[]) => {
      for (const g of items) this.recordOne(g);
    });
    tx(groups);
    this.enforceBound();
  }

  private recordOne(g: GroupRecord): void {
    const windowMs = nsToMs(g.windowStartNs);
    let pair = this.st.getPair.get(g.src, g.dest) as
      | { id: number; last_seen_ms: number; last_window_ms: number; last_window_flows: number }
      | undefined;
    if (!pair) {
      const info = this.st.insertPair.run(g.src, g.dest, windowMs, windowMs);
      pair = { id: Number(info.lastInsertRowid), last_seen_ms: windowMs, last_window_ms: windowMs, last_window_flows: 0 };
      this.pairCount++;
    }
    const old = this.st.getGroupWindow.get(g.key, windowMs) as { flows: number } | undefined;
    const delta = g.flows - (old?.flows ?? 0);
    this.st.putGroupWindow.run(
      g.key, windowMs, pair.id, g.src, g.dest, g.entity, g.upload, g.download, g.flows, g.largestCid,
    );
    if (delta !== 0) this.st.addDay.run(pair.id, Math.floor(windowMs / DAY_MS), delta);
    let lastWindowMs = pair.last_window_ms;
    let lastWindowFlows = pair.last_window_flows;
    if (windowMs > lastWindowMs) {
      lastWindowMs = windowMs;
      lastWindowFlows = g.flows;
    } else if (windowMs === lastWindowMs) {
      lastWindowFlows += delta;
    }
    this.st.updatePair.run(Math.max(pair.last_seen_ms, windowMs), lastWindowMs, lastWindowFlows, pair.id);
  }

  /** Records that `src` presented client fingerprint `fp` in the window starting at `atNs`. */
  recordFingerprints(items: readonly { fp: string; src: string; atNs: bigint }[]): void {
    const tx = this.db.transaction(() => {
      for (const it of items) {
        if (this.st.hasFp.get(it.fp, it.src) === undefined) this.fpCount++;
        this.st.putFp.run(it.fp, it.src, nsToMs(it.atNs));
      }
    });
    tx();
    if (this.fpCount > this.maxPairs) {
      const extra = this.st.oldestFp.all(this.fpCount - this.maxPairs) as { fp: string; src: string }[];
      this.db.transaction(() => {
        for (const r of extra) this.st.delFp.run(r.fp, r.src);
      })();
      this.fpCount -= extra.length;
    }
  }

  /**
   * Flows from src to dest over the prior lookback, excluding the window starting at `atNs` when
   * it is the latest one recorded for the pair (the current window); established when the count
   * reaches `established_min_flows`.
   */
  established(src: string, dest: string, atNs: bigint): PairBaseline {
    const atMs = nsToMs(atNs);
    const pair = this.st.getPair.get(src, dest) as
      | { id: number; last_window_ms: number; last_window_flows: number }
      | undefined;
    if (!pair) return { flows: 0, established: false };
    const today = Math.floor(atMs / DAY_MS);
    let flows = (this.st.pairFlows.get(pair.id, this.firstDay(atMs), today) as { n: number }).n;
    if (pair.last_window_ms >= atMs && Math.floor(pair.last_window_ms / DAY_MS) <= today) {
      flows -= pair.last_window_flows;
    }
    flows = Math.max(0, flows);
    return { flows, established: flows >= this.minFlows };
  }

  /** The group's recorded windows in [at - lookback, at), oldest first. */
  groupHistory(key: string, atNs: bigint): WindowSample[] {
    const atMs = nsToMs(atNs);
    return this.st.groupHistory.all(key, atMs - this.lookbackMs, atMs) as WindowSample[];
  }

  /** Per-window totals from `src` to an entity (or, with `dest`, to one IP) in [from, at). */
  sourceHistory(src: string, target: { entity: string } | { dest: string }, fromNs: bigint, atNs: bigint): WindowSample[] {
    const rows =
      'entity' in target
        ? this.st.entityHistory.all(src, target.entity, nsToMs(fromNs), nsToMs(atNs))
        : this.st.destHistory.all(src, target.dest, nsToMs(fromNs), nsToMs(atNs));
    return (rows as { windowMs: number; upload: number; flows: number }[]).map((r) => ({ ...r, largestCid: null }));
  }

  /** Other internal sources that reached `dest` in [at - lookback, at), and their flows. */
  siteDestination(dest: string, excludeSrc: string, atNs: bigint): { sources: number; flows: number } {
    const atMs = nsToMs(atNs);
    return this.st.siteDest.get(dest, excludeSrc, atMs - this.lookbackMs, atMs) as { sources: number; flows: number };
  }

  /**
   * Site prevalence of a client fingerprint over the lookback: hosts other than `src` that
   * presented it, and hosts other than `src` that presented any fingerprint.
   */
  fingerprintPrevalence(fp: string, src: string, atNs: bigint): { others: number; otherHosts: number } {
    const since = nsToMs(atNs) - this.lookbackMs;
    return {
      others: (this.st.fpHosts.get(fp, src, since) as { n: number }).n,
      otherHosts: (this.st.fpAllHosts.get(src, since) as { n: number }).n,
    };
  }

  /** Drops day buckets, group history and fingerprints older than the lookback at `nowNs`. */
  expire(nowNs: bigint): void {
    const nowMs = nsToMs(nowNs);
    const firstDay = this.firstDay(nowMs);
    this.db.transaction(() => {
      this.st.expireDays.run(firstDay);
      this.st.expireWindows.run(nowMs - this.lookbackMs);
      const gone = this.st.expirePairs.run(firstDay * DAY_MS);
      this.pairCount -= gone.changes;
      const fpGone = this.st.expireFp.run(nowMs - this.lookbackMs);
      this.fpCount -= fpGone.changes;
    })();
  }

  /** Drops the least recently seen pairs beyond `max_pairs`. */
  private enforceBound(): void {
    if (this.pairCount <= this.maxPairs) return;
    const victims = this.st.oldestPairs.all(this.pairCount - this.maxPairs) as { id: number }[];
    this.db.transaction(() => {
      for (const v of victims) {
        this.st.delPairDays.run(v.id);
        this.st.delPairWindows.run(v.id);
        this.st.delPair.run(v.id);
      }
    })();
    this.pairCount -= victims.length;
  }

  /** Stored (src, dest) pairs. */
  pairs(): number {
    return this.pairCount;
  }

  /** Lookback in whole days, for explanations. */
  get lookback(): number {
    return this.lookbackDays;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
