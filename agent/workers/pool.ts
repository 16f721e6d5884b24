/**
 * One single-thread piscina pool per shard. Piscina has no worker affinity, and a flow must
 * always be handled by the worker that holds its state, so each shard gets its own pool with
 * exactly one thread; tasks for a shard run in submission order. A worker that dies is
 * replaced by piscina; the flows it held are lost, which is counted (`workerLost`) and logged.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { WorkerInit, WorkerResult, WorkerTask } from './messages.js';

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
  workerLost = 0;

  constructor(shards: number, init: WorkerInit, maxQueue = 64) {
    this.shards = shards;
    const filename = workerFile();
    this.#pools = Array.from(
      { length: shards },
      () =>
        new Piscina({
          filename,
          minThreads: 1,
          maxThreads: 1,
          concurrentTasksPerWorker: 1,
          maxQueue,
          idleTimeout: 2 ** 31 - 1,
          workerData: init,
        }),
    );
  }

  run(shard: number, task: WorkerTask): Promise<WorkerResult> {
    const pool = this.#pools[shard];
    if (!pool) throw new RangeError(`shard ${shard} out of range 0..${this.shards - 1}`);
    return pool.run(task) as Promise<WorkerResult>;
  }

  async close(): Promise<void> {
    await Promise.all(this.#pools.map((p) => p.close()));
  }
}
