/** Messages between the main thread and flow workers (structured-cloned; buffers are shared). */
export type WorkerTask =
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
  | { op: 'finish' };

/** What a worker returns: drained records (transferred) and, after `finish`, its counters. */
export interface WorkerResult {
  records: ArrayBuffer | null;
  length: number;
  counters?: Record<string, number>;
}

export interface WorkerInit {
  /** `key=value` lines for `EngineConfig::parse`. */
  engineConfig: string;
}
