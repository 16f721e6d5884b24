/**
 * A flow worker: owns exactly one native FlowEngine for its shard of the traffic. Packets arrive
 * as (shared chunk, index region) pairs; finished flow records go back as one transferred
 * ArrayBuffer per task. No JS object is made per packet or per flow here.
 */
import { workerData } from 'node:worker_threads';
import { native } from '../native/index.js';
import { FLOW_RECORD_SIZE, INDEX_ENTRY_SIZE } from '../native/layout.js';
import type { WorkerInit, WorkerResult, WorkerTask } from './messages.js';

const init = workerData as WorkerInit;
const engine = new native.FlowEngine(init.engineConfig);

function drainAll(): WorkerResult {
  const pending = engine.pending();
  if (pending === 0) return { records: null, length: 0 };
  const buf = new ArrayBuffer(pending * FLOW_RECORD_SIZE);
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
