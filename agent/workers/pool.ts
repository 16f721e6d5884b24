/**
 * One single-thread piscina pool per shard. Piscina has no worker affinity, and a flow must
 * always be handled by the worker that holds its state, so each shard gets its own pool with
 * exactly one thread. Piscina does not run queued tasks in submission order (seen here: with
 * several tasks queued, later ones ran first), and a flow engine must see packets in order, so
 * each shard's tasks are chained: a task is handed to piscina only when the previous one for
 * that shard has finished. The main thread still reads ahead into free chunk slots meanwhile.
 * A worker that dies is replaced by piscina; the flows it held are lost, which the caller
 * counts and reports.
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
  /** The last task handed out per shard; the next one starts after it settles. */
  #tails: Promise<unknown>[];

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
    this.#tails = this.#pools.map(() => Promise.resolve());
  }

  run(shard: number, task: WorkerTask): Promise<WorkerResult> {
    const pool = this.#pools[shard];
    if (!pool) throw new RangeError(`shard ${shard} out of range 0..${this.shards - 1}`);
    const run = this.#tails[shard]!.then(
      () => pool.run(task) as Promise<WorkerResult>,
      () => pool.run(task) as Promise<WorkerResult>,
    );
    this.#tails[shard] = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    await Promise.all(this.#pools.map((p) => p.close()));
  }
}
