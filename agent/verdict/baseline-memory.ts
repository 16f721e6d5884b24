/**
 * The baseline store held in JS memory: the backend for `baseline.path: ":memory:"` (the
 * default: nothing is kept across restarts). Same tables, same answers as the SQLite backend
 * (baseline-store.ts documents the semantics; a differential test runs both on the same
 * operations), without SQL: recording a window of thousands of groups costs Map updates
 * instead of five indexed SQLite statements per group (the verdict's largest cost on a replay).
 *
 * It mirrors the SQLite rows one for one, down to the details that decide answers at the edges:
 * pair ids are reused like SQLite rowids (max + 1), group windows stay attached to the pair id
 * they were recorded under (eviction deletes by pair id), and a day bucket moved by +d then -d
 * keeps its zero row (which keeps the pair from expiring).
 */
import type { GroupRecord, PairBaseline, WindowSample } from './baseline-store.js';
import { nsToMs } from './local-time.js';

const DAY_MS = 86_400_000;

interface Pair {
  id: number;
  src: string;
  dest: string;
  /** `src \u001f dest`: the key of `pairsByKey` and `bySrcDest`. */
  key: string;
  lastSeenMs: number;
  lastWindowMs: number;
  lastWindowFlows: number;
  /** Flows per UTC day bucket (`pair_days`). */
  days: Map<number, number>;
}

interface GroupWindow {
  gkey: string;
  windowMs: number;
  pairId: number;
  src: string;
  dest: string;
  /** `src \u001f dest` (shared with the pair). */
  srcDest: string;
  entity: string | null;
  upload: number;
  download: number;
  flows: number;
  largestCid: string | null;
}

interface Sighting {
  fp: string;
  src: string;
  lastSeenMs: number;
}

/**
 * A multimap index: a key holds its only member directly and a Set from the second member on
 * (most keys of a window index have one member: a Set per key was the record's largest
 * allocation). Members are plain objects, never Sets; iteration keeps insertion order.
 */
type Index<K, V extends object> = Map<K, V | Set<V>>;

function addTo<K, V extends object>(m: Index<K, V>, k: K, v: V): void {
  const s = m.get(k);
  if (s === undefined) m.set(k, v);
  else if (s instanceof Set) s.add(v);
  else if (s !== v) m.set(k, new Set([s, v]));
}

function removeFrom<K, V extends object>(m: Index<K, V>, k: K, v: V): void {
  const s = m.get(k);
  if (s === undefined) return;
  if (s instanceof Set) {
    s.delete(v);
    if (s.size === 0) m.delete(k);
  } else if (s === v) m.delete(k);
}

/** The members of one index entry (none when absent). */
function members<V extends object>(s: V | Set<V> | undefined): Iterable<V> {
  return s === undefined ? [] : s instanceof Set ? s : [s];
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export class MemoryBaseline {
  private lookbackMs = 0;
  private minFlows = 0;
  private maxPairs = 0;

  private readonly pairsByKey = new Map<string, Pair>();
  private readonly pairsById = new Map<number, Pair>();
  /** Largest pair id in use (SQLite gives a new row max(rowid) + 1); null = recompute. */
  private maxId: number | null = 0;
  /** Pairs without a day bucket (candidates for expiry). */
  private readonly dayless = new Set<Pair>();
  /** Pair ids per day bucket. */
  private readonly byDay: Index<number, Pair> = new Map();

  private readonly byGroup = new Map<string, Map<number, GroupWindow>>();
  private readonly byPairId: Index<number, GroupWindow> = new Map();
  private readonly byDest: Index<string, GroupWindow> = new Map();
  private readonly bySrcDest: Index<string, GroupWindow> = new Map();
  private readonly bySrcEntity: Index<string, GroupWindow> = new Map();
  private readonly byWindow: Index<number, GroupWindow> = new Map();

  /** Fingerprint sightings by fp, then src. */
  private readonly fps = new Map<string, Map<string, Sighting>>();
  private fpCount = 0;

  configure(lookbackMs: number, minFlows: number, maxPairs: number): void {
    this.lookbackMs = lookbackMs;
    this.minFlows = minFlows;
    this.maxPairs = maxPairs;
  }

  private firstDay(atMs: number): number {
    return Math.floor((atMs - this.lookbackMs) / DAY_MS);
  }

  pairs(): number {
    return this.pairsById.size;
  }

  record(groups: readonly GroupRecord[]): void {
    for (const g of groups) this.recordOne(g);
    this.enforceBound();
  }

  private newPair(key: string, src: string, dest: string, windowMs: number): Pair {
    if (this.maxId === null) {
      let m = 0;
      for (const id of this.pairsById.keys()) if (id > m) m = id;
      this.maxId = m;
    }
    const pair: Pair = { id: ++this.maxId, src, dest, key, lastSeenMs: windowMs, lastWindowMs: windowMs, lastWindowFlows: 0, days: new Map() };
    this.pairsByKey.set(key, pair);
    this.pairsById.set(pair.id, pair);
    this.dayless.add(pair);
    return pair;
  }

  private deletePair(p: Pair): void {
    this.pairsByKey.delete(p.key);
    this.pairsById.delete(p.id);
    this.dayless.delete(p);
    for (const day of p.days.keys()) removeFrom(this.byDay, day, p);
    if (p.id === this.maxId) this.maxId = null;
  }

  private addDay(p: Pair, day: number, delta: number): void {
    const had = p.days.get(day);
    if (had === undefined) {
      p.days.set(day, delta);
      addTo(this.byDay, day, p);
      this.dayless.delete(p);
    } else p.days.set(day, had + delta);
  }

  private putWindow(w: GroupWindow): void {
    let perGroup = this.byGroup.get(w.gkey);
    if (!perGroup) this.byGroup.set(w.gkey, (perGroup = new Map()));
    const old = perGroup.get(w.windowMs);
    if (old) this.unindex(old);
    perGroup.set(w.windowMs, w);
    addTo(this.byPairId, w.pairId, w);
    addTo(this.byDest, w.dest, w);
    addTo(this.bySrcDest, w.srcDest, w);
    if (w.entity !== null) addTo(this.bySrcEntity, `${w.src}\u001f${w.entity}`, w);
    addTo(this.byWindow, w.windowMs, w);
  }

  /** Removes a group window from every index but `byGroup`. */
  private unindex(w: GroupWindow): void {
    removeFrom(this.byPairId, w.pairId, w);
    removeFrom(this.byDest, w.dest, w);
    removeFrom(this.bySrcDest, w.srcDest, w);
    if (w.entity !== null) removeFrom(this.bySrcEntity, `${w.src}\u001f${w.entity}`, w);
    removeFrom(this.byWindow, w.windowMs, w);
  }

  private deleteWindow(w: GroupWindow): void {
    this.unindex(w);
    const perGroup = this.byGroup.get(w.gkey);
    if (perGroup?.get(w.windowMs) === w) {
      perGroup.delete(w.windowMs);
      if (perGroup.size === 0) this.byGroup.delete(w.gkey);
    }
  }

  private recordOne(g: GroupRecord): void {
    const windowMs = nsToMs(g.windowStartNs);
    const srcDest = `${g.src}\u001f${g.dest}`;
    const pair = this.pairsByKey.get(srcDest) ?? this.newPair(srcDest, g.src, g.dest, windowMs);
    const old = this.byGroup.get(g.key)?.get(windowMs);
    const delta = g.flows - (old?.flows ?? 0);
    this.putWindow({
      gkey: g.key,
      windowMs,
      pairId: pair.id,
      src: g.src,
      dest: g.dest,
      srcDest: pair.key,
      entity: g.entity,
      upload: g.upload,
      download: g.download,
      flows: g.flows,
      largestCid: g.largestCid,
    });
    if (delta !== 0) this.addDay(pair, Math.floor(windowMs / DAY_MS), delta);
    if (windowMs > pair.lastWindowMs) {
      pair.lastWindowMs = windowMs;
      pair.lastWindowFlows = g.flows;
    } else if (windowMs === pair.lastWindowMs) {
      pair.lastWindowFlows += delta;
    }
    pair.lastSeenMs = Math.max(pair.lastSeenMs, windowMs);
  }

  recordFingerprints(items: readonly { fp: string; src: string; atNs: bigint }[]): void {
    for (const it of items) {
      const atMs = nsToMs(it.atNs);
      let bySrc = this.fps.get(it.fp);
      if (!bySrc) this.fps.set(it.fp, (bySrc = new Map()));
      const s = bySrc.get(it.src);
      if (s) s.lastSeenMs = Math.max(s.lastSeenMs, atMs);
      else {
        bySrc.set(it.src, { fp: it.fp, src: it.src, lastSeenMs: atMs });
        this.fpCount++;
      }
    }
    if (this.fpCount > this.maxPairs) {
      const all = [...this.fps.values()].flatMap((m) => [...m.values()]);
      all.sort((a, b) => a.lastSeenMs - b.lastSeenMs || cmp(a.fp, b.fp) || cmp(a.src, b.src));
      for (const s of all.slice(0, this.fpCount - this.maxPairs)) this.deleteSighting(s);
    }
  }

  private deleteSighting(s: Sighting): void {
    const bySrc = this.fps.get(s.fp);
    if (!bySrc?.delete(s.src)) return;
    if (bySrc.size === 0) this.fps.delete(s.fp);
    this.fpCount--;
  }

  established(src: string, dest: string, atNs: bigint): PairBaseline {
    const atMs = nsToMs(atNs);
    const pair = this.pairsByKey.get(`${src}\u001f${dest}`);
    if (!pair) return { flows: 0, established: false };
    const today = Math.floor(atMs / DAY_MS);
    const first = this.firstDay(atMs);
    let flows = 0;
    for (const [day, n] of pair.days) if (day >= first && day <= today) flows += n;
    if (pair.lastWindowMs >= atMs && Math.floor(pair.lastWindowMs / DAY_MS) <= today) flows -= pair.lastWindowFlows;
    flows = Math.max(0, flows);
    return { flows, established: flows >= this.minFlows };
  }

  groupHistory(key: string, atNs: bigint): WindowSample[] {
    const atMs = nsToMs(atNs);
    const from = atMs - this.lookbackMs;
    const out: WindowSample[] = [];
    for (const w of this.byGroup.get(key)?.values() ?? []) {
      if (w.windowMs >= from && w.windowMs < atMs) out.push({ windowMs: w.windowMs, upload: w.upload, flows: w.flows, largestCid: w.largestCid });
    }
    return out.sort((a, b) => a.windowMs - b.windowMs);
  }

  sourceHistory(src: string, target: { entity: string } | { dest: string }, fromNs: bigint, atNs: bigint): WindowSample[] {
    const set = 'entity' in target ? this.bySrcEntity.get(`${src}\u001f${target.entity}`) : this.bySrcDest.get(`${src}\u001f${target.dest}`);
    const from = nsToMs(fromNs);
    const at = nsToMs(atNs);
    const per = new Map<number, WindowSample>();
    for (const w of members(set)) {
      if (w.windowMs < from || w.windowMs >= at) continue;
      const s = per.get(w.windowMs);
      if (s) {
        s.upload += w.upload;
        s.flows += w.flows;
      } else per.set(w.windowMs, { windowMs: w.windowMs, upload: w.upload, flows: w.flows, largestCid: null });
    }
    return [...per.values()].sort((a, b) => a.windowMs - b.windowMs);
  }

  siteDestination(dest: string, excludeSrc: string, atNs: bigint): { sources: number; flows: number } {
    const atMs = nsToMs(atNs);
    const from = atMs - this.lookbackMs;
    const sources = new Set<string>();
    let flows = 0;
    for (const w of members(this.byDest.get(dest))) {
      if (w.src === excludeSrc || w.windowMs < from || w.windowMs >= atMs) continue;
      sources.add(w.src);
      flows += w.flows;
    }
    return { sources: sources.size, flows };
  }

  fingerprintPrevalence(fp: string, src: string, atNs: bigint): { others: number; otherHosts: number } {
    const since = nsToMs(atNs) - this.lookbackMs;
    let others = 0;
    for (const s of this.fps.get(fp)?.values() ?? []) if (s.src !== src && s.lastSeenMs >= since) others++;
    const hosts = new Set<string>();
    for (const bySrc of this.fps.values()) {
      for (const s of bySrc.values()) if (s.src !== src && s.lastSeenMs >= since) hosts.add(s.src);
    }
    return { others, otherHosts: hosts.size };
  }

  expire(nowNs: bigint): void {
    const nowMs = nsToMs(nowNs);
    const firstDay = this.firstDay(nowMs);
    for (const [day, pairs] of [...this.byDay]) {
      if (day >= firstDay) continue;
      this.byDay.delete(day);
      for (const p of members(pairs)) {
        p.days.delete(day);
        if (p.days.size === 0) this.dayless.add(p);
      }
    }
    const cutoff = nowMs - this.lookbackMs;
    for (const [ms, ws] of [...this.byWindow]) if (ms < cutoff) for (const w of [...members(ws)]) this.deleteWindow(w);
    const seenBefore = firstDay * DAY_MS;
    for (const p of [...this.dayless]) if (p.lastSeenMs < seenBefore) this.deletePair(p);
    for (const bySrc of [...this.fps.values()]) for (const s of [...bySrc.values()]) if (s.lastSeenMs < cutoff) this.deleteSighting(s);
  }

  /** Drops the least recently seen pairs (ties by src, dest) beyond `max_pairs`. */
  enforceBound(): void {
    const extra = this.pairsById.size - this.maxPairs;
    if (extra <= 0) return;
    // Bucket by last seen (few distinct window times); sort only the buckets that are cut into.
    const buckets = new Map<number, Pair[]>();
    for (const p of this.pairsById.values()) {
      const b = buckets.get(p.lastSeenMs);
      if (b) b.push(p);
      else buckets.set(p.lastSeenMs, [p]);
    }
    const victims: Pair[] = [];
    for (const seen of [...buckets.keys()].sort((a, b) => a - b)) {
      const b = buckets.get(seen)!;
      b.sort((x, y) => cmp(x.src, y.src) || cmp(x.dest, y.dest));
      for (const p of b) {
        if (victims.length >= extra) break;
        victims.push(p);
      }
      if (victims.length >= extra) break;
    }
    for (const v of victims) {
      for (const w of [...members(this.byPairId.get(v.id))]) this.deleteWindow(w);
      this.deletePair(v);
    }
  }
}
