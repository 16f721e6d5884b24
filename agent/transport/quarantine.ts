/**
 * Records the collector will not take (a 4xx other than 408/429, 501, or a record rejected in a
 * 200 body) are moved out of the spool into a JSON-lines file, one line per record:
 * `{quarantined_at, reason, status, code, seq, record}` (`record` is the WireRecord; a payload
 * that does not decode is kept as `payload_base64`). An operator can fix the cause and replay
 * them; nothing is retried automatically.
 *
 * The file is bounded: when an append would take it past `maxBytes`, it is renamed to `<file>.1`
 * (replacing the previous `.1`) and a new file starts, so at most about twice the cap is kept on
 * disk. The records of a replaced `.1` are lost: counted (`dropped`) and logged as an error.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { ErrorCodes } from '../errors.js';
import { decodeRecordPayload, type StoredRecord } from './wire-schema.js';

export interface QuarantineReason {
  reason: string;
  /** HTTP status, or null when the collector was never reached. */
  status: number | null;
  /** The collector's error code when it gave one. */
  code: string | null;
}

/** Default cap of the quarantine file (transport.quarantine_max_size). */
export const QUARANTINE_MAX_BYTES = 64 * 1024 * 1024;

export class Quarantine {
  readonly file: string;
  readonly maxBytes: number;
  readonly #log: Logger | null;
  /** Records lost when a full rotated file was replaced. */
  dropped = 0;
  rotations = 0;

  constructor(file: string, log: Logger | null = null, maxBytes = QUARANTINE_MAX_BYTES) {
    this.file = file;
    this.#log = log;
    this.maxBytes = maxBytes;
  }

  /** Make room for `bytes` more: rotate the file to `.1` when it would pass the cap. */
  #rotateFor(bytes: number): void {
    const size = existsSync(this.file) ? statSync(this.file).size : 0;
    if (size === 0 || size + bytes <= this.maxBytes) return;
    const old = `${this.file}.1`;
    if (existsSync(old)) {
      const lost = readFileSync(old, 'utf8').split('\n').filter((l) => l !== '').length;
      this.dropped += lost;
      this.#log?.error(
        { code: ErrorCodes.TRANSPORT_SPOOL, file: old, records_lost: lost, dropped_total: this.dropped, max_bytes: this.maxBytes },
        'quarantine file full: the oldest quarantined records are deleted (raise transport.quarantine_max_size, or move the file away after fixing the cause)',
      );
    }
    renameSync(this.file, old);
    this.rotations += 1;
  }

  /** Append records with their reasons; returns how many lines were written. */
  add(items: readonly { record: StoredRecord; why: QuarantineReason }[]): number {
    if (items.length === 0) return 0;
    const at = new Date().toISOString();
    const lines = items.map(({ record, why }) => {
      let body: Record<string, unknown>;
      try {
        body = { record: decodeRecordPayload(record.payload, record.seq) };
      } catch {
        body = { payload_base64: record.payload.toString('base64') };
      }
      return JSON.stringify({ quarantined_at: at, reason: why.reason, status: why.status, code: why.code, seq: record.seq, ...body });
    });
    const text = `${lines.join('\n')}\n`;
    try {
      mkdirSync(path.dirname(this.file), { recursive: true });
      this.#rotateFor(Buffer.byteLength(text));
      appendFileSync(this.file, text);
    } catch (e) {
      // Nowhere to keep them: say so loudly, with what is lost.
      this.#log?.error(
        { code: ErrorCodes.TRANSPORT_SPOOL, file: this.file, err: (e as Error).message, seqs: items.map((i) => i.record.seq) },
        'cannot write the quarantine file; these records are lost',
      );
      return 0;
    }
    return items.length;
  }
}
