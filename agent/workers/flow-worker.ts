/**
 * A flow worker: owns exactly one native FlowEngine for its shard of the traffic. Packets arrive
 * as (shared chunk, index region) pairs; finished flow records and closed-window records go
 * back, in the order the engine produced them, in reused transferred ArrayBuffers (see below).
 * No JS object is made per packet, flow or window here.
 */
import { workerData } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { native } from '../native/index.js';
import { INDEX_ENTRY_SIZE } from '../native/layout.js';
import type { WorkerInit, WorkerResult, WorkerTask } from './messages.js';

const init = workerData as WorkerInit;
const engine = new native.FlowEngine(init.engineConfig);

/**
 * Record buffers are reused, not allocated per task: a task's result carries filled buffers to
 * the main thread (transferred), which gives them back with a later task for this shard
 * (`give`). A fresh ArrayBuffer per task made RSS climb to ~600 MiB under a SYN flood: the main
 * heap is small, so V8 rarely collected the dead off-heap buffers.
 */
export const RECORD_BUFFER_BYTES = 1024 * 1024;
/** Buffers this shard allocates before each further one is counted and logged as over cap. */
export const RECORD_BUFFER_CAP = 64;
const spare: ArrayBuffer[] = [];
let buffersAllocated = 0;
let buffersOverCap = 0;
let buffersOversize = 0;

function takeBuffer(): ArrayBuffer {
  const b = spare.pop();
  if (b) return b;
  buffersAllocated += 1;
  if (buffersAllocated > RECORD_BUFFER_CAP) {
    buffersOverCap += 1;
    if (buffersOverCap === 1 || buffersOverCap % 1024 === 0) {
      process.emitWarning(
        `flow worker allocated ${buffersAllocated} record buffers (cap ${RECORD_BUFFER_CAP}); the main thread is not giving them back fast enough`,
        { code: 'RECORD_BUFFER_CAP' },
      );
    }
  }
  return new ArrayBuffer(RECORD_BUFFER_BYTES);
}

/** Buffers the main thread gave back; kept only up to the cap, in the standard size. */
function takeBack(give: ArrayBuffer[] | undefined): void {
  if (!give) return;
  for (const b of give) {
    if (b.byteLength === RECORD_BUFFER_BYTES && spare.length < RECORD_BUFFER_CAP) spare.push(b);
  }
}

/**
 * Buffers one `finish` / `drain` task fills at most: the end-of-replay flush (every tracked flow
 * at once, ~50 MiB of records for a full 64 MiB memcap) goes back in several tasks, each
 * delivered before the next is asked for, not in one burst.
 */
export const FINISH_ROUND_BUFFERS = 8;

/** Drain pending records, all of them or (with `maxBuffers`) the first so many buffers' worth. */
function drainAll(maxBuffers = Infinity): WorkerResult {
  const records: ArrayBuffer[] = [];
  const lengths: number[] = [];
  // `drain` never splits a record: take buffers in rounds until nothing is pending.
  while (records.length < maxBuffers && engine.pending() > 0) {
    let buf = takeBuffer();
    let length = engine.drain(new Uint8Array(buf));
    if (length === 0) {
      // The next record alone is larger than a standard buffer: one exact-size buffer for the
      // rest (counted; not kept for reuse).
      spare.push(buf);
      buffersOversize += 1;
      buf = new ArrayBuffer(engine.pendingBytes());
      length = engine.drain(new Uint8Array(buf));
      if (length === 0) throw new Error(`flow worker: drain wrote nothing into ${buf.byteLength} bytes with ${engine.pending()} record(s) pending`);
    }
    records.push(buf);
    lengths.push(length);
  }
  return { records, lengths, more: engine.pending() > 0 };
}

/** A result whose record buffers move to the main thread rather than being copied. */
function moved(result: WorkerResult): WorkerResult {
  if (result.records.length === 0) return result;
  return Piscina.move({
    [Piscina.transferableSymbol]: result.records,
    [Piscina.valueSymbol]: result,
  } as unknown as Parameters<typeof Piscina.move>[0]) as unknown as WorkerResult;
}

function withCounters(r: WorkerResult, asked: boolean | undefined): WorkerResult {
  if (asked) r.counters = readCounters();
  return r;
}

function readCounters(): Record<string, number> {
  const names = engine.counterNames().split('\n');
  const values = new BigUint64Array(names.length);
  engine.counters(values);
  const out: Record<string, number> = {};
  names.forEach((n, i) => {
    out[n] = Number(values[i]);
  });
  out.record_buffers_allocated = buffersAllocated;
  out.record_buffers_over_cap = buffersOverCap;
  out.record_buffers_oversize = buffersOversize;
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
  takeBack(task.give);
  const wait = turn(task.seq);
  if (wait) await wait;
  try {
    return moved(execute(task));
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
      return withCounters(drainAll(), task.counters);
    }
    case 'advance':
      engine.advance(task.nowNs);
      return withCounters(drainAll(), task.counters);
    case 'finish':
    case 'drain': {
      if (task.op === 'finish') engine.flushAll();
      const result = drainAll(FINISH_ROUND_BUFFERS);
      // Counters go with the last round (the main thread asks for `drain` while `more`).
      if (!result.more) result.counters = readCounters();
      return result;
    }
  }
}
