/**
 * One single-thread piscina pool per shard. Piscina has no worker affinity, and a flow must
 * always be handled by the worker that holds its state, so each shard gets its own pool with
 * exactly one thread. Piscina does not run queued tasks in submission order (seen here: with
 * several tasks queued, later ones ran first), so the pool numbers each shard's tasks and the
 * worker runs them in that order (flow-worker.ts); up to `inFlight` tasks per shard are handed
 * over at once so the worker never waits for the main thread between chunks.
 * A worker that dies takes its flows with it: the caller aborts (`destroy`) rather than let a
 * replacement worker wait for a sequence number that will never come.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { ShardTask, WorkerInit, WorkerResult, WorkerTask } from './messages.js';

/** The compiled worker script (piscina needs JavaScript; tests import the TS sources). */
function workerFile(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const compiled = here.includes(`${path.sep}dist${path.sep}`)
    ? path.join(here, 'flow-worker.js')
    : path.resolve(here, '../../dist/agent/workers/flow-worker.js');
  if (!existsSync(compiled)) {
    throw new Error(`worker script ${compiled} is missing: run 'npm run build:ts'`);
  }
  return compiled;
}

export class ShardPool {
  readonly shards: number;
  #pools: Piscina[];
  /** Next sequence number per shard. */
  #seq: number[];

  constructor(shards: number, init: WorkerInit, inFlight = 8, maxQueue = 64) {
    this.shards = shards;
    const filename = workerFile();
    this.#pools = Array.from(
      { length: shards },
      () =>
        new Piscina({
          filename,
          minThreads: 1,
          maxThreads: 1,
          concurrentTasksPerWorker: inFlight,
          maxQueue,
          idleTimeout: 2 ** 31 - 1,
          workerData: init,
        }),
    );
    this.#seq = this.#pools.map(() => 0);
  }

  run(shard: number, task: ShardTask): Promise<WorkerResult> {
    const pool = this.#pools[shard];
    if (!pool) throw new RangeError(`shard ${shard} out of range 0..${this.shards - 1}`);
    const seq = this.#seq[shard]!;
    this.#seq[shard] = seq + 1;
    // Record buffers given back move to the worker (they are detached here afterwards).
    const transferList = task.give && task.give.length > 0 ? task.give : undefined;
    return pool.run({ ...task, seq } as WorkerTask, { transferList }) as Promise<WorkerResult>;
  }

  /** Stop every worker now, abandoning queued tasks (after a worker was lost). */
  async destroy(): Promise<void> {
    await Promise.all(this.#pools.map((p) => p.destroy()));
  }

  async close(): Promise<void> {
    await Promise.all(this.#pools.map((p) => p.close()));
  }
}
