/**
 * The resolved sensor config: what `loadConfig` returns once the file has passed validation and
 * every unit string has been converted. The YAML keys are in schema.ts; a value written with a
 * unit is stored under its key plus the unit (`memcap: "128 MiB"` -> `memcap_bytes`,
 * `length: "15m"` -> `length_seconds`, `start: "08:00"` -> `start_min`, `lookback: "7d"` ->
 * `lookback_days`). CIDRs are canonical text (`10.0.0.0/8`, RFC 5952 for IPv6), time zones
 * canonical IANA names, relative paths resolved against the config file's directory.
 */
import type { VerdictOptions } from '../verdict/options.js';
import type { APP_PROTOS, EVE_TYPES, LOG_LEVELS } from './schema.js';

export type Cidr = string;
export type AppProto = (typeof APP_PROTOS)[number];
export type EveType = (typeof EVE_TYPES)[number];
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Seconds per flow state (whole seconds); emergency values apply in emergency mode. */
export interface FlowTimeouts {
  new_seconds: number;
  established_seconds: number;
  closed_seconds: number;
  emergency_new_seconds: number;
  emergency_established_seconds: number;
  emergency_closed_seconds: number;
}

export type TimeoutClass = 'tcp' | 'udp' | 'icmp' | 'default';

export interface FeedConfig {
  name: string;
  kind: 'c2' | 'tidb' | 'repdb';
  path: string;
  format: 'plain' | 'csv';
  category?: string;
  enabled: boolean;
}

/** A suppression. Scope keys that are present must all match; absent ones match anything. */
export interface AllowlistEntry {
  /** Given name, or `allowlist[N]` (its position in the file). */
  name: string;
  reason: string;
  owner: string;
  /** ISO-8601 in UTC; absent = permanent. */
  expires_at?: string;
  src?: Cidr[];
  dest?: Cidr[];
  /** Regex source (<= 200 chars), applied case-insensitive; see compileDomainRegex. */
  dest_domain_regex?: string;
  port?: number[];
  app_proto?: AppProto;
}

export interface SensorConfig {
  sensor_id: string;
  /** Internal networks; the file's list replaces the RFC-1918 default. */
  home_net: Cidr[];
  window: { length_seconds: number; grace_seconds: number; max_groups: number; memcap_bytes: number };
  collector: { url: string | null; token: string | null; ca: string | null; cert: string | null; key: string | null };
  capture: {
    interface: string | null;
    bpf_filter: string;
    snaplen: number;
    promiscuous: boolean;
    batch: { size_bytes: number; max_age_seconds: number; slots: number };
    idle_tick_seconds: number;
  };
  /** Resolved: "auto" became the number of available cores. */
  workers: number;
  flow: {
    memcap_bytes: number;
    hash_seed: number;
    emergency_recovery: number;
    emergency_syn_only: boolean;
    vlan_tracking: boolean;
    recursion_tracking: boolean;
    udp_tunnel_detection: boolean;
    icmp_error_flows: boolean;
    timeouts: Record<TimeoutClass, FlowTimeouts>;
  };
  community_id: { seed: number; base64: boolean };
  app_layer: { enabled: boolean; memcap_bytes: number; stream_depth_bytes: number };
  evidence: { max_flows: number; passive_dns: { max_entries: number; ttl_floor_seconds: number; ttl_ceiling_seconds: number } };
  verdict: VerdictOptions;
  intel: {
    feeds: FeedConfig[];
    watch: boolean;
    geoip: { country_db: string | null; asn_db: string | null };
  };
  allowlist: AllowlistEntry[];
  allowlist_expiry_warning_seconds: number;
  transport: {
    queue: { max_alerts: number };
    spool: { path: string; max_size_bytes: number; segment_size_bytes: number };
    batch: { max_alerts: number; max_size_bytes: number; max_age_seconds: number };
    retry: { initial_backoff_seconds: number; max_backoff_seconds: number; max_retry_after_seconds: number };
    max_in_flight: number;
    request_timeout_seconds: number;
    encoding: 'msgpack' | 'json';
    send_windows: boolean;
    drain_timeout_seconds: number;
    quarantine_max_size_bytes: number;
    suppressions: { pull_interval_seconds: number };
  };
  metrics: { listen: string | null };
  logging: { level: LogLevel };
  outputs: {
    eve: { path: string | null; types: EveType[] };
    alerts: { path: string | null };
  };
}

export type { ConfigIssue } from '../errors.js';
