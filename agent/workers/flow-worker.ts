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

export default function run(task: WorkerTask): WorkerResult {
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
