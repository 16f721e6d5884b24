/**
 * Replay of capture files through the worker pool.
 *
 * Data flow, per chunk: the native CaptureReader reads the next stretch of the file into a
 * shared chunk and writes one index region per shard (which packet goes to which worker, by the
 * symmetric host-pair hash); each shard's worker processes its region straight out of the
 * shared chunk. A fixed ring of chunk slots bounds memory: a slot is refilled only after every
 * shard has returned it, which is also what makes sharing the memory sound (see the SAFETY
 * notes in native/napi/src/engine.rs). Every worker's clock follows the capture's packet time.
 */
import { CaptureFileError, ErrorCodes, SensorError } from '../errors.js';
import { native, type NativeCaptureReader } from '../native/index.js';
import type { EvidenceEvent } from '../evidence/types.js';
import { decodeRecords, INDEX_ENTRY_SIZE, type FlowRecord } from '../native/layout.js';
import type { CommunityIdFormat } from '../output/eve.js';
import type { WindowAggregate } from '../verdict/types.js';
import type { WorkerResult } from '../workers/messages.js';
import { ShardPool } from '../workers/pool.js';

export interface ReplayOptions {
  workers: number;
  /** `key=value` engine config (see EngineConfig::parse). */
  engineConfig?: string;
  /** Bytes per chunk read from the file (default 8 MiB). */
  chunkBytes?: number;
  /** Chunks in flight (default 4). */
  slots?: number;
  shardSeed?: bigint;
  vlanTracking?: boolean;
  onProgress?: (p: ReplayProgress) => void;
  /**
   * Every shard has processed the capture up to this packet time (called in increasing order
   * after each chunk): whatever the workers close at that time has been delivered.
   */
  onSynced?: (nowNs: bigint) => void;
  /**
   * App-layer evidence (tls, http, dns, ssh, quic, fileinfo events), in the order each worker
   * produced it; a flow's evidence comes before its flow record. May return a promise
   * (backpressure), like `onFlow`.
   */
  onEvidence?: (e: EvidenceEvent) => void | Promise<void>;
  /** Community ID text of window and evidence records (default base64). */
  communityId?: CommunityIdFormat;
  /**
   * Live engine counters (summed over shards, as `ReplaySummary.counters`) for metrics: asked
   * of the workers with at most one chunk every `countersEveryMs` (wall clock, default 1000)
   * and passed here after that chunk is delivered; the final counters always come last.
   */
  onCounters?: (counters: Record<string, number>) => void;
  countersEveryMs?: number;
}

export interface ReplayProgress {
  file: string;
  fileIndex: number;
  files: number;
  position: number;
  size: number;
  /** Packets and capture bytes read so far, over every file. */
  packets: number;
  fileBytes: number;
}

export interface ReplaySummary {
  packets: number;
  /** Bytes of capture file read (headers included). */
  fileBytes: number;
  flows: number;
  /** Window records delivered (0 without an `onWindow` callback). */
  windows: number;
  /** Evidence records delivered (0 without an `onEvidence` callback). */
  evidence: number;
  fileErrors: CaptureFileError[];
  /** Engine counters summed over workers, plus `worker_lost`. */
  counters: Record<string, number>;
}

interface Slot {
  chunk: SharedArrayBuffer;
  chunkView: Uint8Array;
  index: SharedArrayBuffer;
  indexView: Uint8Array;
  counts: Uint32Array;
}

/**
 * Replay `files` in order. Finished flows go to `onFlow`; with `onWindow`, the engines also
 * account bytes per (group, tumbling window) (`emit_windows=true` is put before
 * `opts.engineConfig`, which may still turn it off or set home_net / window_seconds / ...) and
 * every closed window's aggregate goes to `onWindow`, in the order each worker produced it.
 * Either callback may return a promise to hold the reader back (backpressure).
 */
export async function replayFiles(
  files: string[],
  opts: ReplayOptions,
  onFlow: (r: FlowRecord) => void | Promise<void>,
  onWindow?: (w: WindowAggregate) => void | Promise<void>,
): Promise<ReplaySummary> {
  const shards = opts.workers;
  if (!Number.isInteger(shards) || shards < 1 || shards > 64) {
    throw new RangeError(`workers must be an integer in 1..64, got ${shards}`);
  }
  const chunkBytes = opts.chunkBytes ?? 8 * 1024 * 1024;
  const slotCount = opts.slots ?? 4;
  // Room for one index entry per 64 bytes of chunk in every shard's region.
  const regionBytes = Math.ceil(chunkBytes / 64) * INDEX_ENTRY_SIZE;
  const slots: Slot[] = Array.from({ length: slotCount }, () => {
    const chunk = new SharedArrayBuffer(chunkBytes);
    const index = new SharedArrayBuffer(regionBytes * shards);
    return { chunk, chunkView: new Uint8Array(chunk), index, indexView: new Uint8Array(index), counts: new Uint32Array(shards) };
  });
  const free: Slot[] = [...slots];
  let wakeFree: (() => void) | null = null;

  const engineConfig = onWindow ? `emit_windows=true\n${opts.engineConfig ?? ''}` : (opts.engineConfig ?? '');
  const pool = new ShardPool(shards, { engineConfig });
  const summary: ReplaySummary = { packets: 0, fileBytes: 0, flows: 0, windows: 0, evidence: 0, fileErrors: [], counters: {} };
  const onEvidence = opts.onEvidence;
  const inFlight = new Set<Promise<void>>();
  let workerLost = 0;
  let failure: unknown = null;

  // The consumer (an EVE writer) may ask us to wait: the next chunk is read only after it has room.
  let backpressure: Promise<void> | undefined;
  // Decoded record buffers wait here until the next task for their shard carries them back.
  const giveBack: ArrayBuffer[][] = Array.from({ length: shards }, () => []);
  const give = (s: number): ArrayBuffer[] | undefined => {
    const g = giveBack[s]!;
    if (g.length === 0) return undefined;
    giveBack[s] = [];
    return g;
  };
  // Latest counters per shard (live metrics); summed like the final ones.
  const shardCounters: (Record<string, number> | undefined)[] = Array.from({ length: shards }, () => undefined);
  const sumCounters = (): Record<string, number> => {
    const sum: Record<string, number> = {};
    for (const c of shardCounters) {
      for (const [k, v] of Object.entries(c ?? {})) {
        // Per-flow cost is a property of the build, not a sum over workers.
        sum[k] = k === 'bytes_per_flow' ? v : (sum[k] ?? 0) + v;
      }
    }
    sum.worker_lost = workerLost;
    return sum;
  };
  const onCounters = opts.onCounters;
  const countersEveryMs = opts.countersEveryMs ?? 1000;
  let countersAskedAt = -Infinity;
  const deliver = (r: WorkerResult, shard: number): void => {
    if (r.counters) shardCounters[shard] = r.counters;
    r.records.forEach((buf, i) => {
      const length = r.lengths[i] ?? 0;
      if (length > 0) {
        decodeRecords(
          buf,
          length,
          (rec) => {
            summary.flows += 1;
            const wait = onFlow(rec);
            if (wait) backpressure = wait;
          },
          onWindow &&
            ((w) => {
              summary.windows += 1;
              const wait = onWindow(w);
              if (wait) backpressure = wait;
            }),
          opts.communityId,
          onEvidence &&
            ((e) => {
              summary.evidence += 1;
              const wait = onEvidence(e);
              if (wait) backpressure = wait;
            }),
        );
      }
      giveBack[shard]!.push(buf);
    });
  };
  // A worker that dies takes its flows with it, and its replacement would wait forever for the
  // lost tasks' sequence numbers: count it, wake the main loop, and abort the replay.
  let onFailure: () => void = () => undefined;
  const failed = new Promise<void>((resolve) => {
    onFailure = resolve;
  });
  const guard = (p: Promise<WorkerResult>): Promise<WorkerResult | null> =>
    p.catch((e: unknown) => {
      workerLost += 1;
      failure ??= e;
      onFailure();
      const w = wakeFree;
      wakeFree = null;
      w?.();
      return null;
    });
  // Results are delivered strictly in chunk order, shard by shard, and a chunk's `onSynced`
  // runs before anything of the next chunk is delivered. piscina may hand the main thread several
  // finished tasks in one turn; without this chain, evidence of chunk k+1 could reach the
  // session state before the windows synced at chunk k are judged, and alerts would depend on
  // thread timing.
  let delivered: Promise<void> = Promise.resolve();
  const workerLostError = (): SensorError =>
    new SensorError(ErrorCodes.WORKER_LOST, `${workerLost} worker task(s) failed; their flows are lost`, { cause: failure });

  try {
    let nowNs = 0n;
    for (const [fileIndex, file] of files.entries()) {
      let reader: NativeCaptureReader;
      try {
        reader = new native.CaptureReader(file, shards, opts.shardSeed ?? 0x5eedn, opts.vlanTracking ?? true);
      } catch (e) {
        const err = e as Error & { code?: string };
        throw new SensorError(
          err.code === ErrorCodes.CAPTURE_FORMAT ? ErrorCodes.CAPTURE_FORMAT : ErrorCodes.CAPTURE_OPEN,
          err.message,
          { cause: e },
        );
      }
      const size = reader.size();
      let consumedTo = 0;
      for (;;) {
        let slot = free.pop();
        while (!slot && failure === null) {
          await new Promise<void>((resolve) => {
            wakeFree = resolve;
          });
          slot = free.pop();
        }
        if (failure !== null || !slot) throw workerLostError();
        if (backpressure) {
          await backpressure;
          backpressure = undefined;
        }
        const res = reader.fill(slot.chunkView, slot.indexView, slot.counts);
        summary.packets += res.packets;
        // Bytes of the file consumed (a record cut at a chunk's end is read again next time).
        summary.fileBytes += res.position - consumedTo;
        consumedTo = res.position;
        if (res.maxTsNs > nowNs) nowNs = res.maxTsNs;
        const held = slot;
        if (res.packets > 0) {
          const tasks: Promise<WorkerResult | null>[] = [];
          const askCounters = onCounters !== undefined && performance.now() - countersAskedAt >= countersEveryMs;
          if (askCounters) countersAskedAt = performance.now();
          for (let s = 0; s < shards; s++) {
            const count = held.counts[s] ?? 0;
            tasks.push(
              guard(
                count > 0
                  ? pool.run(s, {
                      op: 'process',
                      chunk: held.chunk,
                      chunkLength: res.bytes,
                      index: held.index,
                      indexOffset: s * regionBytes,
                      count,
                      nowNs,
                      give: give(s),
                      counters: askCounters,
                    })
                  : pool.run(s, { op: 'advance', nowNs, give: give(s), counters: askCounters }),
              ),
            );
          }
          const syncedTo = nowNs;
          const results = Promise.all(tasks);
          const done = delivered.then(async () => {
            (await results).forEach((r, s) => {
              if (r) deliver(r, s);
            });
            if (askCounters) onCounters?.(sumCounters());
            opts.onSynced?.(syncedTo);
            free.push(held);
            inFlight.delete(done);
            const w = wakeFree;
            wakeFree = null;
            w?.();
          });
          delivered = done;
          inFlight.add(done);
        } else {
          free.push(held);
        }
        opts.onProgress?.({ file, fileIndex, files: files.length, position: res.position, size, packets: summary.packets, fileBytes: summary.fileBytes });
        if (res.error !== null) {
          summary.fileErrors.push(new CaptureFileError(file, res.errorOffset ?? res.position, res.error));
        }
        if (res.finished) break;
      }
    }
    await Promise.race([Promise.all(inFlight), failed]);
    if (failure !== null) throw workerLostError();
    // End of replay: every flow ends with reason "shutdown"; collect counters.
    const finals = await Promise.all(Array.from({ length: shards }, (_, s) => pool.run(s, { op: 'finish', give: give(s) })));
    for (const [s, first] of finals.entries()) {
      // Shard by shard, in rounds of bounded size, each delivered before the next is asked for.
      let r = first;
      deliver(r, s);
      while (r.more) {
        if (backpressure) {
          await backpressure;
          backpressure = undefined;
        }
        r = await pool.run(s, { op: 'drain', give: give(s) });
        deliver(r, s);
      }
    }
  } finally {
    if (failure !== null) await pool.destroy();
    else await pool.close();
  }
  // The last round of each shard carried its final counters (deliver kept them).
  summary.counters = sumCounters();
  onCounters?.(summary.counters);
  return summary;
}
