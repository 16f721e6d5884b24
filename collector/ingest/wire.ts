/**
 * The wire schema of `docs/collector-api.md` (v1) as TypeScript types and JSON schemas. The
 * schemas check what the collector indexes and shows; unknown extra keys are allowed (a newer
 * sensor may add fields), so the alert is stored as received.
 */
import type { ExfilAlert } from '../../agent/verdict/types.js';

/** `ExfilAlert` as JSON prints it: the ns bounds as decimal strings, plus optional evidence. */
export type WireAlert = Omit<ExfilAlert, 'aggregate'> & {
  aggregate: Omit<ExfilAlert['aggregate'], 'window_start_ns' | 'window_end_ns'> & { window_start_ns: string; window_end_ns: string };
  evidence?: Record<string, unknown>;
};

// One definition of the window record's shape: the sensor's wire schema, which produces it.
import type { WireWindow } from '../../agent/transport/wire-schema.js';
export type { WireWindow };

export type WireRecord = { type: 'alert'; seq: number; alert: WireAlert } | { type: 'window'; seq: number; window: WireWindow };

export interface WireBatch {
  schema: 1;
  sensor_id: string;
  batch_seq: number;
  sent_at: string;
  records: unknown[];
}

const str = (max = 1024) => ({ type: 'string', maxLength: max });
const ip = { type: 'string', minLength: 2, maxLength: 64, pattern: '^[0-9A-Fa-f:.]+$' };
const iso = { type: 'string', minLength: 10, maxLength: 40, isoTime: true };
const count = { type: 'number', minimum: 0, maximum: 9007199254740991 };
const port = { type: 'integer', minimum: 0, maximum: 65535 };
const ns = { anyOf: [{ type: 'string', pattern: '^[0-9]{1,20}$' }, { type: 'integer', minimum: 0 }] };
const nullableStr = (max = 256) => ({ type: ['string', 'null'], maxLength: max });

export const WIRE_BATCH_SCHEMA = {
  type: 'object',
  required: ['schema', 'sensor_id', 'batch_seq', 'sent_at', 'records'],
  properties: {
    schema: { const: 1 },
    sensor_id: { type: 'string', minLength: 1, maxLength: 128 },
    batch_seq: { type: 'integer', minimum: 0 },
    sent_at: iso,
    records: { type: 'array' },
  },
} as const;

export const WIRE_ALERT_SCHEMA = {
  type: 'object',
  required: ['id', 'sensor_id', 'detection', 'severity', 'confidence', 'rules_fired', 'notes', 'aggregate', 'ioc_matches', 'risk', 'blast_radius'],
  properties: {
    id: { type: 'string', minLength: 1, maxLength: 256 },
    sensor_id: { type: 'string', minLength: 1, maxLength: 128 },
    detection: { enum: ['window', 'consolidated', 'low_and_slow'] },
    severity: { enum: ['critical', 'high', 'medium', 'low'] },
    confidence: { type: 'number', minimum: 0, maximum: 1 },
    rules_fired: { type: 'array', maxItems: 256, items: str(256) },
    notes: { type: 'array', maxItems: 256, items: str(2048) },
    aggregate: {
      type: 'object',
      required: [
        'src_ip', 'dest_ip', 'dest_port', 'proto', 'app_proto', 'window_start', 'window_end', 'window_start_ns', 'window_end_ns',
        'total_upload_bytes', 'total_download_bytes', 'upload_ratio', 'community_ids',
      ],
      properties: {
        src_ip: ip,
        dest_ip: ip,
        dest_port: port,
        proto: { type: 'string', minLength: 1, maxLength: 16 },
        app_proto: nullableStr(64),
        window_start: iso,
        window_end: iso,
        window_start_ns: ns,
        window_end_ns: ns,
        flow_count: count,
        total_upload_bytes: count,
        total_download_bytes: count,
        upload_ratio: { type: 'number', minimum: 0 },
        dest_country: nullableStr(64),
        dest_asn: { type: ['integer', 'null'], minimum: 0, maximum: 4294967295 },
        dest_org: nullableStr(512),
        community_ids: { type: 'array', maxItems: 100000, items: str(128) },
        largest_flow: { type: 'object' },
      },
    },
    ioc_matches: {
      type: 'array',
      maxItems: 1024,
      items: {
        type: 'object',
        required: ['feed', 'kind', 'indicator'],
        properties: { feed: str(256), kind: { enum: ['c2', 'tidb', 'repdb'] }, indicator: str(1024) },
      },
    },
    risk: {
      type: 'object',
      required: ['composite_score', 'risk_level', 'score_breakdown'],
      properties: {
        composite_score: { type: 'number', minimum: 0, maximum: 1 },
        risk_level: { enum: ['informational', 'low', 'medium', 'high', 'critical'] },
        score_breakdown: { type: 'array', maxItems: 64, items: { type: 'object' } },
      },
    },
    blast_radius: { type: 'object' },
    destination_established: { type: 'boolean' },
    evidence: { type: 'object' },
  },
} as const;

export const WIRE_WINDOW_SCHEMA = {
  type: 'object',
  required: ['src_ip', 'dest_ip', 'dest_port', 'proto', 'app_proto', 'window_start', 'window_end', 'upload_bytes', 'download_bytes', 'flow_count'],
  properties: {
    src_ip: ip,
    dest_ip: ip,
    dest_port: port,
    proto: { type: 'string', minLength: 1, maxLength: 16 },
    app_proto: nullableStr(64),
    window_start: iso,
    window_end: iso,
    upload_bytes: count,
    download_bytes: count,
    flow_count: count,
  },
} as const;
