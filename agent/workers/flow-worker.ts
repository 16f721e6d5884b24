/**
 * A flow worker: owns exactly one native FlowEngine for its shard of the traffic. Packets arrive
 * as (shared chunk, index region) pairs; finished flow records and closed-window records go
 * back, in the order the engine produced them, as one transferred ArrayBuffer per task. No JS
 * object is made per packet, flow or window here.
 */
import { workerData } from 'node:worker_threads';
import { native } from '../native/index.js';
import { INDEX_ENTRY_SIZE } from '../native/layout.js';
import type { WorkerInit, WorkerResult, WorkerTask } from './messages.js';

const init = workerData as WorkerInit;
const engine = new native.FlowEngine(init.engineConfig);

function drainAll(): WorkerResult {
  // Records differ in size (window records carry a Community ID list): ask for the exact total.
  const bytes = engine.pendingBytes();
  if (bytes === 0) return { records: null, length: 0 };
  const buf = new ArrayBuffer(bytes);
  const length = engine.drain(new Uint8Array(buf));
  return { records: buf, length };
}

function readCounters(): Record<string, number> {
  const names = engine.counterNames().split('\n');
  const values = new BigUint64Array(names.length);
  engine.counters(values);
  const out: Record<string, number> = {};
  names.forEach((n, i) => {
    out[n] = Number(values[i]);
  });
  return out;
}

/**
 * Piscina may deliver queued tasks out of order (seen here), and an engine must see its chunks
 * in capture order. Several tasks are in flight per worker so it never idles waiting for the
 * main thread; each waits here for its turn by sequence number, then runs to completion.
 */
let nextSeq = 0;
const waiting = new Map<number, () => void>();

function turn(seq: number): Promise<void> | null {
  if (seq === nextSeq) return null;
  return new Promise((resolve) => waiting.set(seq, resolve));
}

function done(): void {
  nextSeq += 1;
  const wake = waiting.get(nextSeq);
  if (wake) {
    waiting.delete(nextSeq);
    wake();
  }
}

export default async function run(task: WorkerTask): Promise<WorkerResult> {
  const wait = turn(task.seq);
  if (wait) await wait;
  try {
    return execute(task);
  } finally {
    done();
  }
}

function execute(task: WorkerTask): WorkerResult {
  switch (task.op) {
    case 'process': {
      const chunk = new Uint8Array(task.chunk, 0, task.chunkLength);
      const index = new Uint8Array(task.index, task.indexOffset, task.count * INDEX_ENTRY_SIZE);
      engine.process(chunk, index, task.count, task.nowNs);
      return drainAll();
    }
    case 'advance':
      engine.advance(task.nowNs);
      return drainAll();
    case 'finish': {
      engine.flushAll();
      const result = drainAll();
      result.counters = readCounters();
      return result;
    }
  }
}
