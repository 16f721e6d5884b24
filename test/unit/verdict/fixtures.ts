/** Builders shared by the verdict unit tests. */
import { DEFAULT_VERDICT_OPTIONS, type VerdictOptions } from '../../../agent/verdict/options.js';
import type { WindowAggregate } from '../../../agent/verdict/types.js';

export const MB = 1_048_576;
export const NS_PER_S = 1_000_000_000n;
export const WINDOW_S = 900;
export const WINDOW_NS = BigInt(WINDOW_S) * NS_PER_S;
export const DAY_NS = 86_400n * NS_PER_S;

/** ns of an ISO instant. */
export function nsOf(iso: string): bigint {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`bad iso ${iso}`);
  return BigInt(ms) * 1_000_000n;
}

export function isoOfNs(ns: bigint): string {
  return new Date(Number(ns / 1_000_000n)).toISOString();
}

/** 2024-03-12 (a Tuesday) 10:00 UTC: inside default business hours. */
export const T0 = nsOf('2024-03-12T10:00:00Z');

let cidSeq = 0;

export interface AggSpec extends Partial<Omit<WindowAggregate, 'largest_flow'>> {
  up?: number;
  down?: number;
  start?: bigint;
  cid?: string;
}

/** A window aggregate with sensible defaults: 10.0.0.5 -> 203.0.113.10:443 tls, window at T0. */
export function agg(spec: AggSpec = {}): WindowAggregate {
  const start = spec.start ?? spec.window_start_ns ?? T0;
  const end = start + WINDOW_NS;
  const up = spec.up ?? spec.total_upload_bytes ?? 0;
  const down = spec.down ?? spec.total_download_bytes ?? 0;
  const src = spec.src_ip ?? '10.0.0.5';
  const dest = spec.dest_ip ?? '198.51.100.10';
  const port = spec.dest_port ?? 443;
  const proto = spec.proto ?? 'TCP';
  const app = spec.app_proto === undefined ? 'tls' : spec.app_proto;
  const cid = spec.cid ?? `1:cid${++cidSeq}=`;
  return {
    src_ip: src,
    dest_ip: dest,
    dest_port: port,
    proto,
    app_proto: app,
    window_start: isoOfNs(start),
    window_end: isoOfNs(end),
    window_start_ns: start,
    window_end_ns: end,
    flow_count: spec.flow_count ?? 1,
    unique_flows: spec.unique_flows ?? 1,
    total_upload_bytes: up,
    total_download_bytes: down,
    upload_packets: spec.upload_packets ?? Math.ceil(up / 1400),
    download_packets: spec.download_packets ?? Math.ceil(down / 1400),
    largest_flow: {
      src_ip: src,
      src_port: 50_000,
      dest_ip: dest,
      dest_port: port,
      proto,
      app_proto: app,
      community_id: cid,
      upload_bytes: up,
    },
    community_ids: spec.community_ids ?? [cid],
    community_ids_total: spec.community_ids_total ?? 1,
    lower_bound: spec.lower_bound ?? false,
  };
}

/** Default options with an in-memory baseline, overridable per test. */
export function options(over: Partial<VerdictOptions> = {}): VerdictOptions {
  const base = structuredClone(DEFAULT_VERDICT_OPTIONS);
  return { ...base, ...over, baseline: { ...base.baseline, path: ':memory:', ...(over.baseline ?? {}) } };
}
