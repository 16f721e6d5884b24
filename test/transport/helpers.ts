/** Shared bits of the transport tests: temp dirs, a log capture, deterministic payloads. */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino, type Logger } from 'pino';

export function tempDir(prefix = 'exfil-transport-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export interface LogCapture {
  log: Logger;
  lines: Record<string, unknown>[];
  messages(level?: string): string[];
}

const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

export function captureLog(): LogCapture {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'trace' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  return {
    log,
    lines,
    messages: (level) => lines.filter((l) => level === undefined || LEVELS[l.level as number] === level).map((l) => String(l.msg)),
  };
}

/** A payload whose bytes are a function of (seq, size): checkable after a crash. */
export function payloadFor(seq: number, size: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (seq * 31 + i * 7) & 0xff;
  return b;
}

import type { ExfilAlert } from '../../agent/verdict/types.js';
import type { TransportOptions } from '../../agent/transport/transport.js';

/** An alert with the given id (content is irrelevant to the transport). */
export function makeAlert(id: string, upload = 5_000_000): ExfilAlert {
  const agg = {
    src_ip: '10.0.0.5',
    dest_ip: '203.0.113.9',
    dest_port: 443,
    proto: 'TCP',
    app_proto: 'tls',
    window_start: '2026-01-01T00:00:00.000000+0000',
    window_end: '2026-01-01T00:15:00.000000+0000',
    window_start_ns: 1767225600000000000n,
    window_end_ns: 1767226500000000000n,
    flow_count: 1,
    unique_flows: 1,
    total_upload_bytes: upload,
    total_download_bytes: 1000,
    upload_packets: 10,
    download_packets: 4,
    largest_flow: { src_ip: '10.0.0.5', src_port: 50000, dest_ip: '203.0.113.9', dest_port: 443, proto: 'TCP', app_proto: 'tls', community_id: '1:abc=', upload_bytes: upload },
    community_ids: ['1:abc='],
    community_ids_total: 1,
    lower_bound: false,
  };
  return {
    id,
    sensor_id: 's1',
    detection: 'window',
    severity: 'high',
    confidence: 0.9,
    rules_fired: ['ratio'],
    notes: [],
    aggregate: { ...agg, upload_mb: 4.77, download_mb: 0, upload_ratio: 5000, pcr: 0.99, malicious_iocs: 0, iocs_checked: 1, dest_country: null, dest_asn: null, dest_org: null },
    ioc_matches: [],
    risk: { composite_score: 50, risk_level: 'medium', score_breakdown: [] },
    blast_radius: { sources_to_dest_ip: 1, sources_to_dest_org: null },
    destination_established: false,
  };
}

/** Transport options for tests: small batches, fast retries, no suppression pull. */
export function testTransportOptions(url: string, spoolDir: string, over: Partial<TransportOptions> = {}): TransportOptions {
  return {
    sensorId: 's1',
    url,
    token: 'tok-s1',
    spool: { dir: spoolDir, maxBytes: 64 << 20, segmentBytes: 1 << 20 },
    queueMax: 1000,
    batch: { maxRecords: 3, maxBytes: 1 << 20, maxAgeMs: 20 },
    retry: { initialMs: 50, maxMs: 200, maxRetryAfterMs: 60_000 },
    maxInFlight: 1,
    requestTimeoutMs: 10_000,
    encoding: 'msgpack',
    sendWindows: true,
    suppressionsIntervalMs: 0,
    log: null,
    ...over,
  };
}
