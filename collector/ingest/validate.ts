/**
 * Decoding and validation of an ingest body. The batch envelope must be valid as a whole (else
 * 400, nothing stored); each record is then checked on its own so one bad record is rejected with
 * its index and reason while the others are stored.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { Unpackr } from 'msgpackr';
import { CollectorError, CollectorErrorCodes, type CollectorErrorCode } from '../errors.js';
import { WIRE_ALERT_SCHEMA, WIRE_BATCH_SCHEMA, WIRE_WINDOW_SCHEMA, type WireAlert, type WireBatch, type WireWindow } from './wire.js';

export type BodyEncoding = 'msgpack' | 'json';

/** `application/msgpack` (and the x-/vnd. spellings) or `application/json`; null for anything else. */
export function encodingOf(contentType: string | undefined): BodyEncoding | null {
  const t = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (t === 'application/msgpack' || t === 'application/x-msgpack' || t === 'application/vnd.msgpack') return 'msgpack';
  if (t === 'application/json') return 'json';
  return null;
}

/**
 * Plain msgpack as the contract says: maps with string keys become objects; a 64-bit integer
 * (a bigint on the sender's side) comes back as its decimal string, the form the schema wants
 * for `window_*_ns`; no records/structures (an extension is a decoding error, 400).
 */
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'string' });

export function decodeBody(body: Buffer, enc: BodyEncoding): unknown {
  try {
    if (enc === 'json') return JSON.parse(body.toString('utf8'));
    return unpackr.unpack(body);
  } catch (e) {
    throw new CollectorError(CollectorErrorCodes.BAD_BODY, `body is not valid ${enc}: ${(e as Error).message}`);
  }
}

let compiled: { batch: ValidateFunction; alert: ValidateFunction; window: ValidateFunction } | null = null;
function validators(): NonNullable<typeof compiled> {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true });
    ajv.addKeyword({
      keyword: 'isoTime',
      schemaType: 'boolean',
      validate: (_: boolean, data: unknown) => typeof data !== 'string' || Number.isFinite(Date.parse(data)),
      errors: false,
    });
    compiled = { batch: ajv.compile(WIRE_BATCH_SCHEMA), alert: ajv.compile(WIRE_ALERT_SCHEMA), window: ajv.compile(WIRE_WINDOW_SCHEMA) };
  }
  return compiled;
}

function ajvReason(prefix: string, errors: ErrorObject[] | null | undefined): string {
  const e = errors?.[0];
  if (!e) return `${prefix}: invalid`;
  const where = `${prefix}${e.instancePath.replaceAll('/', '.')}`;
  if (e.keyword === 'required') return `${where}.${String((e.params as { missingProperty: string }).missingProperty)}: required key is missing`;
  if (e.keyword === 'isoTime') return `${where}: not an ISO-8601 time`;
  if (e.keyword === 'enum') return `${where}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
  return `${where}: ${e.message ?? e.keyword}`;
}

/** Checks the envelope; throws 400 BAD_BATCH naming the key at fault. */
export function validateBatch(doc: unknown, maxRecords: number): WireBatch {
  const v = validators().batch;
  if (!v(doc)) throw new CollectorError(CollectorErrorCodes.BAD_BATCH, `batch ${ajvReason('', v.errors).replace(/^\./, '')}`);
  const b = doc as WireBatch;
  if (b.records.length > maxRecords) {
    throw new CollectorError(CollectorErrorCodes.BAD_BATCH, `batch holds ${b.records.length} records; at most ${maxRecords} per request (ingest.max_records)`);
  }
  return b;
}

export type ValidRecord = { index: number; type: 'alert'; seq: number; alert: WireAlert } | { index: number; type: 'window'; seq: number; window: WireWindow };

export interface Rejection {
  index: number;
  seq: number | null;
  code: CollectorErrorCode;
  reason: string;
}

/** Splits the records into valid ones and rejections (index, seq, code, reason). */
export function validateRecords(batch: WireBatch): { valid: ValidRecord[]; rejected: Rejection[] } {
  const { alert: va, window: vw } = validators();
  const valid: ValidRecord[] = [];
  const rejected: Rejection[] = [];
  batch.records.forEach((rec, index) => {
    const r = rec as Record<string, unknown> | null;
    const seq = r && typeof r === 'object' && Number.isInteger(r.seq) && (r.seq as number) >= 0 ? (r.seq as number) : null;
    const reject = (reason: string, code: CollectorErrorCode = CollectorErrorCodes.BAD_RECORD): void => {
      rejected.push({ index, seq, code, reason });
    };
    if (r === null || typeof r !== 'object' || Array.isArray(r)) return reject(`records[${index}]: must be a mapping`);
    if (seq === null) return reject(`records[${index}].seq: must be an integer >= 0`);
    if (r.type === 'alert') {
      if (!va(r.alert)) return reject(ajvReason(`records[${index}].alert`, va.errors));
      const a = r.alert as WireAlert;
      if (a.sensor_id !== batch.sensor_id) {
        return reject(`records[${index}].alert.sensor_id: '${a.sensor_id}' is not the batch's sensor '${batch.sensor_id}'`, CollectorErrorCodes.SENSOR_MISMATCH);
      }
      if (Date.parse(a.aggregate.window_end) < Date.parse(a.aggregate.window_start)) {
        return reject(`records[${index}].alert.aggregate.window_end: before window_start`);
      }
      valid.push({ index, type: 'alert', seq, alert: a });
    } else if (r.type === 'window') {
      if (!vw(r.window)) return reject(ajvReason(`records[${index}].window`, vw.errors));
      const w = r.window as WireWindow;
      if (Date.parse(w.window_end) < Date.parse(w.window_start)) return reject(`records[${index}].window.window_end: before window_start`);
      valid.push({ index, type: 'window', seq, window: w });
    } else {
      reject(`records[${index}].type: must be "alert" or "window"`);
    }
  });
  return { valid, rejected };
}
