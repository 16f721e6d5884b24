/**
 * Low-and-slow (SPEC section 4): a rolling upload total per (src, destination entity, or the
 * destination IP when the entity is unknown) over `horizon_seconds` (24 h by default) that alerts
 * when every window stayed below the Low floor but their sum does not. The floor is the ladder's
 * Low tier applied to the rolling sums of upload and download (ratio and volume); the full
 * ladder is applied, so a sum can read higher than Low.
 *
 * Accumulation restarts after any alert on the key: a window that reached a tier on its own (any
 * group of the key, or the key's window total, or an IOC) and a low-and-slow alert both move the
 * start of the next sum past their window. A steady trickle therefore alerts once per Low floor's
 * worth, and every window in a sum is below Low.
 *
 * State is in memory (lost on restart), bounded by `maxKeys` (keys whose latest window is oldest
 * are dropped first). Observing the same window again replaces its numbers, and re-observing the
 * window that fired re-fires identically, so replays are deterministic.
 */
import { classify, type SeverityResult } from './severity.js';
import { sumAggregates } from './consolidation.js';
import type { VerdictOptions } from './options.js';
import type { WindowAggregate } from './types.js';

export interface LowAndSlowEntry {
  /** `src|dom:…`, `src|org:…` or `src|ip:…` */
  key: string;
  /** This window's aggregates for the key (all of the same window). */
  members: WindowAggregate[];
  /** Some group of the key (or its total) reached a tier on its own in this window. */
  reachedTier: boolean;
}

export interface LowAndSlowFinding {
  key: string;
  /** Synthetic aggregate over the windows summed (window_start = first of them). */
  aggregate: WindowAggregate;
  windows: number;
  result: SeverityResult;
}

interface WindowSlot {
  startNs: bigint;
  endNs: bigint;
  total: WindowAggregate;
  reachedTier: boolean;
}

interface KeyState {
  windows: Map<bigint, WindowSlot>;
  /** Windows starting before this are not summed (after an alert). */
  resetNs: bigint;
  lastFire: { windowNs: bigint; prevResetNs: bigint } | null;
  latestNs: bigint;
}

export class LowAndSlow {
  private horizonNs = 0n;
  private opts!: Pick<VerdictOptions, 'ladder' | 'ratio_cap' | 'low_and_slow'>;
  private readonly keys = new Map<string, KeyState>();

  constructor(
    opts: Pick<VerdictOptions, 'ladder' | 'ratio_cap' | 'low_and_slow'>,
    private maxKeys = 1_000_000,
  ) {
    this.configure(opts, maxKeys);
  }

  /** Applies reloaded settings; the accumulated windows are kept. */
  configure(opts: Pick<VerdictOptions, 'ladder' | 'ratio_cap' | 'low_and_slow'>, maxKeys = this.maxKeys): void {
    this.opts = opts;
    this.maxKeys = maxKeys;
    this.horizonNs = BigInt(Math.round(opts.low_and_slow.horizon_seconds * 1e9));
  }

  /** Tracked keys (for tests and metrics). */
  get size(): number {
    return this.keys.size;
  }

  /**
   * Adds one closed window (all entries share its bounds) and returns the keys whose rolling sum
   * now reaches a tier while none of its windows did, sorted by key.
   */
  observe(windowStartNs: bigint, windowEndNs: bigint, entries: readonly LowAndSlowEntry[]): LowAndSlowFinding[] {
    const findings: LowAndSlowFinding[] = [];
    const horizonStart = windowEndNs - this.horizonNs;
    for (const e of [...entries].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) {
      if (e.members.length === 0) continue;
      let st = this.keys.get(e.key);
      if (!st) this.keys.set(e.key, (st = { windows: new Map(), resetNs: -1n, lastFire: null, latestNs: windowStartNs }));
      st.windows.set(windowStartNs, {
        startNs: windowStartNs,
        endNs: windowEndNs,
        total: sumAggregates(e.members),
        reachedTier: e.reachedTier,
      });
      if (windowStartNs > st.latestNs) st.latestNs = windowStartNs;
      const replayOfFire = st.lastFire !== null && st.lastFire.windowNs === windowStartNs;
      let reset = replayOfFire && st.lastFire ? st.lastFire.prevResetNs : st.resetNs;
      if (e.reachedTier) {
        st.resetNs = reset > windowEndNs ? reset : windowEndNs;
        continue;
      }
      // Windows that reached a tier between the reset and now restart the sum after them.
      const slots = [...st.windows.values()]
        .filter((w) => w.startNs >= horizonStart && w.startNs <= windowStartNs)
        .sort((a, b) => (a.startNs < b.startNs ? -1 : 1));
      for (const w of slots) if (w.reachedTier && w.endNs > reset) reset = w.endNs;
      const summed = slots.filter((w) => w.startNs >= reset);
      if (summed.length < 2) continue;
      const aggregate = sumAggregates(summed.map((w) => w.total));
      const result = classify(aggregate.total_upload_bytes, aggregate.total_download_bytes, this.opts);
      if (result.severity === null) continue;
      st.lastFire = { windowNs: windowStartNs, prevResetNs: reset };
      st.resetNs = windowEndNs;
      findings.push({ key: e.key, aggregate, windows: summed.length, result });
    }
    this.prune(horizonStart);
    return findings;
  }

  private prune(horizonStart: bigint): void {
    for (const [key, st] of this.keys) {
      for (const [start, w] of st.windows) if (w.startNs < horizonStart) st.windows.delete(start);
      if (st.windows.size === 0 && st.resetNs <= horizonStart) this.keys.delete(key);
    }
    if (this.keys.size > this.maxKeys) {
      const victims = [...this.keys]
        .sort((a, b) => (a[1].latestNs !== b[1].latestNs ? (a[1].latestNs < b[1].latestNs ? -1 : 1) : a[0] < b[0] ? -1 : 1))
        .slice(0, this.keys.size - this.maxKeys);
      for (const [key] of victims) this.keys.delete(key);
    }
  }
}
