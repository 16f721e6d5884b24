/**
 * EVE `window` and `alert` events. Field names follow the runbook's windowed aggregate
 * (`000_…` step 1) under `window` / `exfil`; the top level carries the base section of the
 * group's largest flow, as EVE events carry their flow's tuple and community_id.
 */
import { MB, pcr, uploadRatio } from '../verdict/severity.js';
import type { ExfilAlert, WindowAggregate } from '../verdict/types.js';

const round = (x: number, digits: number): number => Number(x.toFixed(digits));

/** Derived figures every window reading shows (MB = 1,048,576 bytes; ratio capped). */
export function windowFigures(a: WindowAggregate, ratioCap: number): { upload_mb: number; download_mb: number; upload_ratio: number; pcr: number } {
  return {
    upload_mb: round(a.total_upload_bytes / MB, 3),
    download_mb: round(a.total_download_bytes / MB, 3),
    upload_ratio: round(uploadRatio(a.total_upload_bytes, a.total_download_bytes, ratioCap), 2),
    pcr: round(pcr(a.total_upload_bytes, a.total_download_bytes), 4),
  };
}

export function windowEvent(a: WindowAggregate, ratioCap: number): Record<string, unknown> {
  const { window_start_ns: _s, window_end_ns: _e, ...fields } = a;
  return {
    timestamp: a.window_end,
    event_type: 'window',
    src_ip: a.src_ip,
    dest_ip: a.dest_ip,
    dest_port: a.dest_port,
    proto: a.proto,
    app_proto: a.app_proto,
    window: { ...fields, ...windowFigures(a, ratioCap) },
  };
}

/** EVE-style numeric severity: 1 is the most severe, as Suricata prints alert.severity. */
const EVE_SEVERITY = { critical: 1, high: 2, medium: 3, low: 4 } as const;

export function alertSignature(a: ExfilAlert): string {
  const g = a.aggregate;
  const what = a.detection === 'low_and_slow' ? 'Low-and-slow data exfiltration' : a.detection === 'consolidated' ? 'Data exfiltration (consolidated destination)' : 'Data exfiltration';
  return `${what}: ${g.upload_mb.toFixed(1)} MB uploaded at ${g.upload_ratio.toFixed(2)}:1 to ${g.dest_ip}:${g.dest_port}`;
}

export function alertEvent(a: ExfilAlert): Record<string, unknown> {
  const base = a.aggregate.largest_flow;
  return {
    timestamp: a.aggregate.window_end,
    event_type: 'alert',
    src_ip: base.src_ip,
    src_port: base.src_port,
    dest_ip: base.dest_ip,
    dest_port: base.dest_port,
    proto: base.proto,
    app_proto: base.app_proto,
    community_id: base.community_id,
    alert: {
      action: 'allowed',
      signature: alertSignature(a),
      category: 'Data Exfiltration',
      severity: EVE_SEVERITY[a.severity],
    },
    exfil: a,
  };
}
