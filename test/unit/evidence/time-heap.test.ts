import { describe, expect, it } from 'vitest';
import { TimeHeap } from '../../../agent/evidence/time-heap.js';

describe('TimeHeap', () => {
  it('pops items in time order whatever the push order, with interleaved pushes and pops', () => {
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const heap = new TimeHeap<{ at: bigint; id: number }>();
    const model: bigint[] = [];
    for (let step = 0; step < 5000; step++) {
      if (rnd(3) > 0 || model.length === 0) {
        const at = BigInt(rnd(1000));
        heap.push({ at, id: step });
        model.push(at);
      } else {
        model.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        expect(heap.peekAt()).toBe(model[0]);
        expect(heap.pop()!.at).toBe(model.shift());
      }
      expect(heap.size).toBe(model.length);
    }
    model.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const at of model) expect(heap.pop()!.at).toBe(at);
    expect(heap.pop()).toBeUndefined();
    expect(heap.peekAt()).toBeNull();
  });
});
