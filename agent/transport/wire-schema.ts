/**
 * The sensor -> collector wire schema, v1 (the contract is `docs/collector-api.md`; keep both in
 * sync). One body shape, two encodings (`Content-Type: application/msgpack` or
 * `application/json`):
 *
 * ```
 * WireBatch  = { schema: 1, sensor_id: string, batch_seq: number, sent_at: string (ISO-8601),
 *                records: WireRecord[] }
 * WireRecord = { type: "alert",  seq: number, alert: WireAlert }
 *            | { type: "window", seq: number, window: WireWindow }
 * WireAlert  = ExfilAlert (agent/verdict/types.ts) exactly as JSON.stringify prints it, with the
 *              bigint fields (aggregate.window_start_ns / window_end_ns) as decimal strings;
 *              whatever the alert carries (an `evidence` object once it is attached) travels too.
 * WireWindow = { src_ip, dest_ip, dest_port, proto, app_proto, window_start, window_end,
 *                upload_bytes, download_bytes, flow_count }   (bytes as numbers)
 * ```
 *
 * - `seq` is the record's spool sequence number: unique and increasing per sensor (a spool
 *   wiped by hand restarts it; the collector dedups alerts by `alert.id`, not by seq).
 * - `batch_seq` is the seq of the batch's first record, so a re-sent batch has the same one.
 * - msgpack is plain msgpack (msgpackr with `useRecords: false`, undefined written as nil, no
 *   extension types): maps with string keys, strings, numbers (integers up to 2^32 as msgpack
 *   ints, larger ones as float64, exact below 2^53), booleans, nil, arrays. Any msgpack decoder
 *   reads it.
 *
 * On disk (the spool) a record's payload is one tag byte (1 = alert, 2 = window) followed by the
 * msgpack of the WireAlert / WireWindow; `encodeBatch` frames stored payloads into a body
 * without decoding them again (the msgpack of a map is its header followed by key/value
 * encodings, so the pieces concatenate).
 */
import { Packr, Unpackr } from 'msgpackr';
import { ErrorCodes, SensorError } from '../errors.js';
import type { ExfilAlert, WindowAggregate } from '../verdict/types.js';

export const WIRE_SCHEMA_VERSION = 1;

/** An ExfilAlert as JSON prints it (bigints as decimal strings). */
export type WireAlert = Record<string, unknown> & { id: string; sensor_id: string };

export interface WireWindow {
  src_ip: string;
  dest_ip: string;
  dest_port: number;
  proto: string;
  app_proto: string | null;
  window_start: string;
  window_end: string;
  upload_bytes: number;
  download_bytes: number;
  flow_count: number;
}

export type WireRecord = { type: 'alert'; seq: number; alert: WireAlert } | { type: 'window'; seq: number; window: WireWindow };

export interface WireBatch {
  schema: typeof WIRE_SCHEMA_VERSION;
  sensor_id: string;
  batch_seq: number;
  sent_at: string;
  records: WireRecord[];
}

/** The 200 body of the ingest endpoint. */
export interface IngestResponse {
  accepted: number;
  duplicates: number;
  rejected: { index: number; seq: number; code: string; reason: string }[];
}

export type WireEncoding = 'msgpack' | 'json';

export const CONTENT_TYPES: Record<WireEncoding, string> = {
  msgpack: 'application/msgpack',
  json: 'application/json',
};

function bigintAsString(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

export function toWireAlert(a: ExfilAlert): WireAlert {
  return JSON.parse(JSON.stringify(a, bigintAsString)) as WireAlert;
}

export function toWireWindow(agg: WindowAggregate): WireWindow {
  return {
    src_ip: agg.src_ip,
    dest_ip: agg.dest_ip,
    dest_port: agg.dest_port,
    proto: agg.proto,
    app_proto: agg.app_proto,
    window_start: agg.window_start,
    window_end: agg.window_end,
    upload_bytes: agg.total_upload_bytes,
    download_bytes: agg.total_download_bytes,
    flow_count: agg.flow_count,
  };
}

// Plain msgpack both ways: no records/structures (ext 0x72), no undefined extension.
const packr = new Packr({ useRecords: false, encodeUndefinedAsNil: true, variableMapSize: true });
const unpackr = new Unpackr({ useRecords: false, int64AsType: 'number' });

/** msgpack of one value, copied out of the packer's shared buffer. */
export function packValue(v: unknown): Buffer {
  return Buffer.from(packr.pack(v));
}

export function unpackValue(b: Uint8Array): unknown {
  return unpackr.unpack(b);
}

const TAG_ALERT = 1;
const TAG_WINDOW = 2;

export type RecordBody = { type: 'alert'; alert: WireAlert } | { type: 'window'; window: WireWindow };

/** The spool payload of one record: tag byte + msgpack of the alert / window. */
export function encodeRecordPayload(r: RecordBody): Buffer {
  const body = packr.pack(r.type === 'alert' ? r.alert : r.window);
  const out = Buffer.allocUnsafe(1 + body.length);
  out[0] = r.type === 'alert' ? TAG_ALERT : TAG_WINDOW;
  out.set(body, 1);
  return out;
}

/** A spool payload that is not a record this schema knows (its seq locates it). */
export class PayloadError extends SensorError {
  constructor(message: string) {
    super(ErrorCodes.TRANSPORT_PAYLOAD, message);
    this.name = 'PayloadError';
  }
}

function payloadType(payload: Uint8Array, seq: number): 'alert' | 'window' {
  if (payload[0] === TAG_ALERT) return 'alert';
  if (payload[0] === TAG_WINDOW) return 'window';
  throw new PayloadError(`spool record seq ${seq}: unknown record tag ${String(payload[0])}`);
}

export function decodeRecordPayload(payload: Uint8Array, seq: number): WireRecord {
  const type = payloadType(payload, seq);
  const value = unpackr.unpack(payload.subarray(1));
  return type === 'alert' ? { type, seq, alert: value as WireAlert } : { type, seq, window: value as WireWindow };
}

export interface StoredRecord {
  seq: number;
  payload: Buffer;
}

export interface BatchMeta {
  sensor_id: string;
  batch_seq: number;
  sent_at: string;
}

function mapHeader(n: number): Buffer {
  if (n < 16) return Buffer.from([0x80 | n]);
  const b = Buffer.allocUnsafe(3);
  b[0] = 0xde;
  b.writeUInt16BE(n, 1);
  return b;
}

function arrayHeader(n: number): Buffer {
  const b = Buffer.allocUnsafe(5);
  b[0] = 0xdd;
  b.writeUInt32BE(n, 1);
  return b;
}

const K_TYPE = packValue('type');
const K_SEQ = packValue('seq');
const V_TYPE: Record<'alert' | 'window', Buffer> = { alert: packValue('alert'), window: packValue('window') };

/** Encoded size of a batch's envelope without its records (for the byte cap). */
export const BATCH_OVERHEAD_BYTES = 256;
/** Encoded bytes one record adds to a batch besides its payload (upper bound). */
export const RECORD_OVERHEAD_BYTES = 32;

/** A request body for `records` (spool payloads) in the chosen encoding. */
export function encodeBatch(meta: BatchMeta, records: readonly StoredRecord[], encoding: WireEncoding): Buffer {
  if (encoding === 'json') {
    const batch: WireBatch = { schema: WIRE_SCHEMA_VERSION, ...meta, records: records.map((r) => decodeRecordPayload(r.payload, r.seq)) };
    return Buffer.from(JSON.stringify(batch));
  }
  const parts: Buffer[] = [
    mapHeader(5),
    packValue('schema'),
    packValue(WIRE_SCHEMA_VERSION),
    packValue('sensor_id'),
    packValue(meta.sensor_id),
    packValue('batch_seq'),
    packValue(meta.batch_seq),
    packValue('sent_at'),
    packValue(meta.sent_at),
    packValue('records'),
    arrayHeader(records.length),
  ];
  for (const r of records) {
    const type = payloadType(r.payload, r.seq);
    parts.push(mapHeader(3), K_TYPE, V_TYPE[type], K_SEQ, packValue(r.seq), V_TYPE[type], r.payload.subarray(1));
  }
  return Buffer.concat(parts);
}

/** Decode a request body (tests, tools). */
export function decodeBatch(body: Uint8Array, encoding: WireEncoding): WireBatch {
  if (encoding === 'json') return JSON.parse(Buffer.from(body).toString('utf8')) as WireBatch;
  return unpackr.unpack(body) as WireBatch;
}
