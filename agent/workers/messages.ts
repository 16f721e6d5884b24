/** Messages between the main thread and flow workers (structured-cloned; buffers are shared). */
/**
 * `seq` numbers a shard's tasks from 0; the worker runs them in that order whatever order they
 * arrive in (see flow-worker.ts). ShardPool assigns it.
 */
export type WorkerTask = {
  seq: number;
  /** Record buffers the main thread has decoded and gives back to this shard (transferred). */
  give?: ArrayBuffer[];
  /** `process` / `advance`: also return the engine's counters (live metrics; a few per second). */
  counters?: boolean;
} & (
  | {
      op: 'process';
      /** The chunk of capture bytes, shared by every shard's worker (read-only for them). */
      chunk: SharedArrayBuffer;
      chunkLength: number;
      /** The index buffer; this shard's entries start at `indexOffset`. */
      index: SharedArrayBuffer;
      indexOffset: number;
      count: number;
      /** Packet time reached by the whole capture so far (ns): every shard's clock follows it. */
      nowNs: bigint;
    }
  | { op: 'advance'; nowNs: bigint }
  /** Flush every flow (reason "shutdown"); records come back in rounds, see `more`. */
  | { op: 'finish' }
  /** The next round of records after a `finish` whose result had `more`. */
  | { op: 'drain' }
);

/** A task as callers hand it to ShardPool (the pool numbers it). */
export type ShardTask = WorkerTask extends infer T ? (T extends { seq: number } ? Omit<T, 'seq'> : never) : never;

/**
 * What a worker returns: drained records, in order, in `records[i]` up to `lengths[i]` bytes
 * (transferred; give them back with a later task), and, with the last round after `finish`,
 * its counters.
 */
export interface WorkerResult {
  records: ArrayBuffer[];
  lengths: number[];
  /** `finish` / `drain` only: records are still pending; ask again with `drain`. */
  more: boolean;
  /** With the last round after `finish`, and with a `process` / `advance` that asked for them. */
  counters?: Record<string, number>;
}

export interface WorkerInit {
  /** `key=value` lines for `EngineConfig::parse`. */
  engineConfig: string;
}
