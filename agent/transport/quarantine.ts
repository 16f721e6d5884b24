/**
 * Records the collector will not take (a 4xx other than 408/429, 501, or a record rejected in a
 * 200 body) are moved out of the spool into a JSON-lines file, one line per record:
 * `{quarantined_at, reason, status, code, seq, record}` (`record` is the WireRecord; a payload
 * that does not decode is kept as `payload_base64`). An operator can fix the cause and replay
 * them; nothing is retried automatically.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
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

export class Quarantine {
  readonly file: string;
  readonly #log: Logger | null;

  constructor(file: string, log: Logger | null = null) {
    this.file = file;
    this.#log = log;
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
    try {
      mkdirSync(path.dirname(this.file), { recursive: true });
      appendFileSync(this.file, `${lines.join('\n')}\n`);
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
