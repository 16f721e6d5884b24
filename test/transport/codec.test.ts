import { describe, expect, it } from 'vitest';
import { Unpackr } from 'msgpackr';
import { crc32c } from '../../agent/transport/crc32c.js';
import {
  decodeBatch,
  decodeRecordPayload,
  encodeBatch,
  encodeRecordPayload,
  toWireAlert,
  toWireWindow,
} from '../../agent/transport/wire-schema.js';
import type { ExfilAlert, WindowAggregate } from '../../agent/verdict/types.js';

describe('crc32c', () => {
  // RFC 3720 appendix B.4 and the common check value.
  it.each([
    ['123456789', Buffer.from('123456789'), 0xe3069283],
    ['32 zero bytes', Buffer.alloc(32, 0), 0x8a9136aa],
    ['32 0xff bytes', Buffer.alloc(32, 0xff), 0x62a8ab43],
    ['32 incrementing bytes', Buffer.from(Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e],
    ['32 decrementing bytes', Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c],
    ['empty', Buffer.alloc(0), 0],
  ])('%s', (_name, data, want) => {
    expect(crc32c(data)).toBe(want);
  });

  it('continues over split input with the previous value as seed', () => {
    const b = Buffer.from('The quick brown fox jumps over the lazy dog');
    expect(crc32c(b.subarray(17), crc32c(b.subarray(0, 17)))).toBe(crc32c(b));
  });
});

function aggregate(): WindowAggregate {
  return {
    src_ip: '10.0.0.5',
    dest_ip: '203.0.113.9',
    dest_port: 443,
    proto: 'TCP',
    app_proto: 'tls',
    window_start: '2026-01-01T00:00:00.000000+0000',
    window_end: '2026-01-01T00:15:00.000000+0000',
    window_start_ns: 1767225600000000000n,
    window_end_ns: 1767226500000000000n,
    flow_count: 3,
    unique_flows: 2,
    total_upload_bytes: 6_000_000_000,
    total_download_bytes: 1234,
    upload_packets: 10,
    download_packets: 4,
    largest_flow: { src_ip: '10.0.0.5', src_port: 50000, dest_ip: '203.0.113.9', dest_port: 443, proto: 'TCP', app_proto: 'tls', community_id: '1:abc=', upload_bytes: 5 },
    community_ids: ['1:abc='],
    community_ids_total: 1,
    lower_bound: false,
  };
}

function alert(): ExfilAlert {
  return {
    id: 'a1',
    sensor_id: 's1',
    detection: 'window',
    severity: 'high',
    confidence: 0.9,
    rules_fired: ['ratio'],
    notes: [],
    aggregate: { ...aggregate(), upload_mb: 5722, download_mb: 0, upload_ratio: 100, pcr: 0.99, malicious_iocs: 0, iocs_checked: 1, dest_country: null, dest_asn: null, dest_org: null },
    ioc_matches: [],
    risk: { composite_score: 50, risk_level: 'medium', score_breakdown: [] },
    blast_radius: { sources_to_dest_ip: 1, sources_to_dest_org: null },
    destination_established: false,
  };
}

describe('wire schema', () => {
  it('alerts travel as JSON prints them, bigints as decimal strings', () => {
    const w = toWireAlert(alert());
    const agg = w.aggregate as Record<string, unknown>;
    expect(agg.window_start_ns).toBe('1767225600000000000');
    expect(agg.window_end_ns).toBe('1767226500000000000');
    expect(agg.total_upload_bytes).toBe(6_000_000_000);
    expect(w.id).toBe('a1');
  });

  it('windows carry the documented fields only', () => {
    expect(Object.keys(toWireWindow(aggregate())).sort()).toEqual(
      ['app_proto', 'dest_ip', 'dest_port', 'download_bytes', 'flow_count', 'proto', 'src_ip', 'upload_bytes', 'window_end', 'window_start'].sort(),
    );
  });

  it('a batch framed from spool payloads decodes, with a plain msgpack decoder, to the same object as the JSON body', () => {
    const a = toWireAlert(alert());
    const win = toWireWindow(aggregate());
    const records = [
      { seq: 7, payload: encodeRecordPayload({ type: 'alert', alert: a }) },
      { seq: 8, payload: encodeRecordPayload({ type: 'window', window: win }) },
      { seq: 2 ** 33, payload: encodeRecordPayload({ type: 'window', window: { ...win, dest_port: 80 } }) },
    ];
    const meta = { sensor_id: 's1', batch_seq: 7, sent_at: '2026-01-01T00:00:00.000Z' };
    const packed = encodeBatch(meta, records, 'msgpack');
    const json = encodeBatch(meta, records, 'json');
    const want = {
      schema: 1,
      ...meta,
      records: [
        { type: 'alert', seq: 7, alert: a },
        { type: 'window', seq: 8, window: win },
        { type: 'window', seq: 2 ** 33, window: { ...win, dest_port: 80 } },
      ],
    };
    // A decoder that knows nothing of msgpackr's records/structures extensions.
    const plain = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });
    expect(plain.unpack(packed)).toEqual(want);
    expect(JSON.parse(json.toString('utf8'))).toEqual(want);
    expect(decodeBatch(packed, 'msgpack')).toEqual(want);
    expect(decodeRecordPayload(records[0]!.payload, 7)).toEqual({ type: 'alert', seq: 7, alert: a });
  });

  it('an unknown record tag is an error naming the seq', () => {
    expect(() => decodeRecordPayload(Buffer.from([9, 0xc0]), 42)).toThrow(/seq 42: unknown record tag 9/);
  });
});
