/**
 * Gathers the window aggregates the workers emit and hands each window to the verdict once,
 * complete. Every worker closes a window when its clock passes end + grace, and every worker's
 * clock follows the capture's packet time, so once all shards have processed packets up to
 * `nowNs` (`sync`), each window with end + grace < nowNs has been closed everywhere: nothing more
 * can arrive for it. Aggregates are sorted by group key so the verdict's input does not depend
 * on which worker finished first.
 */
import type { WindowAggregate } from './types.js';

export class WindowCollector {
  #pending = new Map<bigint, WindowAggregate[]>();
  #graceNs: bigint;
  #onClosed: (window: WindowAggregate[]) => void;

  constructor(graceSeconds: number, onClosed: (window: WindowAggregate[]) => void) {
    this.#graceNs = BigInt(Math.round(graceSeconds * 1e9));
    this.#onClosed = onClosed;
  }

  add(a: WindowAggregate): void {
    const list = this.#pending.get(a.window_start_ns);
    if (list) list.push(a);
    else this.#pending.set(a.window_start_ns, [a]);
  }

  /** Every shard has processed the capture up to `nowNs`. */
  sync(nowNs: bigint): void {
    this.#release((end) => end + this.#graceNs < nowNs);
  }

  /** End of input: every open window is complete. */
  flush(): void {
    this.#release(() => true);
  }

  get pendingWindows(): number {
    return this.#pending.size;
  }

  #release(done: (endNs: bigint) => boolean): void {
    const ready = [...this.#pending.entries()]
      .filter(([, aggs]) => aggs.length > 0 && done(aggs[0]!.window_end_ns))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (const [start, aggs] of ready) {
      this.#pending.delete(start);
      // Each group's sort key built once, not twice per comparison (same order: sort is stable).
      const keyed = aggs.map((agg) => ({ key: groupOrder(agg), agg }));
      keyed.sort((x, y) => x.key.localeCompare(y.key));
      for (let i = 0; i < keyed.length; i++) aggs[i] = keyed[i]!.agg;
      this.#onClosed(aggs);
    }
  }
}

function groupOrder(a: WindowAggregate): string {
  return `${a.src_ip}\u001f${a.dest_ip}\u001f${String(a.dest_port).padStart(5, '0')}\u001f${a.proto}\u001f${a.app_proto ?? ''}`;
}
