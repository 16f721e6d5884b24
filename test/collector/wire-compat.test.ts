/**
 * The sensor's encoder (agent/transport/wire-schema.ts) against the collector's decoder and
 * validator: the same bodies, both encodings, alerts with bigint fields and windows.
 */
import { describe, expect, it } from 'vitest';
import { encodeBatch, encodeRecordPayload, toWireAlert, toWireWindow } from '../../agent/transport/wire-schema.js';
import type { ExfilAlert } from '../../agent/verdict/types.js';
import { decodeBody, validateBatch, validateRecords } from '../../collector/ingest/validate.js';
import { makeAlert } from '../helpers/collector.js';

/** An ExfilAlert as the verdict builds it (bigint ns bounds), from the wire fixture. */
function sensorAlert(i: number): ExfilAlert {
  const w = makeAlert(i, { sensor: 'wire-sensor' });
  return { ...w, aggregate: { ...w.aggregate, window_start_ns: BigInt(w.aggregate.window_start_ns), window_end_ns: BigInt(w.aggregate.window_end_ns) } } as unknown as ExfilAlert;
}

describe.each(['msgpack', 'json'] as const)('sensor encoder -> collector decoder (%s)', (encoding) => {
  it('every record decodes and validates, values intact', () => {
    const alerts = [1, 2, 3].map(sensorAlert);
    const records = [
      ...alerts.map((a, i) => ({ seq: 10 + i, payload: encodeRecordPayload({ type: 'alert', alert: toWireAlert(a) }) })),
      { seq: 13, payload: encodeRecordPayload({ type: 'window', window: toWireWindow(alerts[0]!.aggregate) }) },
    ];
    const body = encodeBatch({ sensor_id: 'wire-sensor', batch_seq: 10, sent_at: '2026-03-02T00:00:00.000Z' }, records, encoding);
    const batch = validateBatch(decodeBody(body, encoding), 1000);
    const { valid, rejected } = validateRecords(batch);
    expect(rejected).toEqual([]);
    expect(valid.map((v) => [v.type, v.seq])).toEqual([['alert', 10], ['alert', 11], ['alert', 12], ['window', 13]]);
    const first = valid[0]!;
    expect(first.type === 'alert' && first.alert).toEqual(makeAlert(1, { sensor: 'wire-sensor' }));
    const win = valid[3]!;
    expect(win.type === 'window' && win.window.upload_bytes).toBe(alerts[0]!.aggregate.total_upload_bytes);
  });
});

describe('msgpack from other encoders', () => {
  it('64-bit integers (bigint on the sender) arrive as decimal strings; extensions are refused', async () => {
    const { Packr } = await import('msgpackr');
    const a = makeAlert(1, { sensor: 'wire-sensor' }) as unknown as { aggregate: Record<string, unknown> };
    a.aggregate.window_start_ns = 1772409600000000000n;
    a.aggregate.window_end_ns = 1772410500000000000n;
    const body = new Packr({ useRecords: false }).pack({ schema: 1, sensor_id: 'wire-sensor', batch_seq: 1, sent_at: '2026-03-02T00:00:00Z', records: [{ type: 'alert', seq: 1, alert: a }] });
    const { valid, rejected } = validateRecords(validateBatch(decodeBody(body, 'msgpack'), 10));
    expect(rejected).toEqual([]);
    const v = valid[0]!;
    expect(v.type === 'alert' && v.alert.aggregate.window_start_ns).toBe('1772409600000000000');
    // An extension value where the batch should be: refused as a whole (400), nothing partial.
    expect(() => validateBatch(decodeBody(Buffer.from([0xd4, 0x42, 0x01]), 'msgpack'), 10)).toThrow(expect.objectContaining({ code: 'COLLECTOR_ERR_BAD_BATCH', status: 400 }));
    expect(() => decodeBody(Buffer.from([0xc1, 0xff, 0x00, 0x13]), 'msgpack')).toThrow(expect.objectContaining({ code: 'COLLECTOR_ERR_BAD_BODY', status: 400 }));
  });
});
