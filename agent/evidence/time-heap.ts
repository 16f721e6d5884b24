/**
 * A binary min-heap of items ordered by a packet time (`at`, ns). Passive DNS pops expired
 * answers and flow evidence pops ended flows with it instead of scanning every entry; both
 * leave stale items in and check them when popped (lazy deletion).
 */
export interface Timed {
  at: bigint;
}

export class TimeHeap<T extends Timed> {
  private items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  /** The earliest time held, or null when empty. */
  peekAt(): bigint | null {
    return this.items.length > 0 ? this.items[0]!.at : null;
  }

  clear(): void {
    this.items = [];
  }

  push(item: T): void {
    const h = this.items;
    let i = h.push(item) - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]!.at <= item.at) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = item;
  }

  /** Removes and returns the earliest item (undefined when empty). */
  pop(): T | undefined {
    const h = this.items;
    const top = h[0];
    const last = h.pop();
    if (top === undefined || last === undefined) return undefined;
    if (h.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= h.length) break;
        const c = l + 1 < h.length && h[l + 1]!.at < h[l]!.at ? l + 1 : l;
        if (h[c]!.at >= last.at) break;
        h[i] = h[c]!;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}
