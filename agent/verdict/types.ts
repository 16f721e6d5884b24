/**
 * Contracts of the verdict stage (SPEC section 4). The native engine produces one
 * `WindowAggregate` per (group, window) when the window closes; the main thread scores them.
 * Field names follow the runbook (`000_…` step 1) where one exists.
 */

/** One group's accounting in one tumbling window, exactly as the engine counted it. */
export interface WindowAggregate {
  /** Group key: internal source, external destination, destination port, app protocol. */
  src_ip: string;
  dest_ip: string;
  dest_port: number;
  /** IP protocol name as EVE prints it ("TCP", "UDP", ...): part of the key with app_proto. */
  proto: string;
  /** Suricata's spelling ("tls", "http", ...), "failed", or null while undecided. */
  app_proto: string | null;
  /** Window bounds, ISO-8601 as EVE prints times, and the same in ns for arithmetic. */
  window_start: string;
  window_end: string;
  window_start_ns: bigint;
  window_end_ns: bigint;
  /** Flow segments active in the window for the group. */
  flow_count: number;
  /** Distinct 5-tuples among them. */
  unique_flows: number;
  /** Client-to-server and server-to-client bytes (captured frame bytes, link header included). */
  total_upload_bytes: number;
  total_download_bytes: number;
  upload_packets: number;
  download_packets: number;
  /** The flow that uploaded the most in the window (its base section). */
  largest_flow: {
    src_ip: string;
    src_port: number;
    dest_ip: string;
    dest_port: number;
    proto: string;
    app_proto: string | null;
    community_id: string;
    upload_bytes: number;
  };
  /** Community IDs of contributing flows (bounded: see `community_ids_total`). */
  community_ids: string[];
  community_ids_total: number;
  /** The worker dropped packets it could not attribute during this window: sums are lower bounds. */
  lower_bound: boolean;
}

/** SPEC severity ladder tiers, highest first. */
export type Severity = 'critical' | 'high' | 'medium' | 'low';

/** Risk levels of the composite score (`001_…`). */
export type RiskLevel = 'informational' | 'low' | 'medium' | 'high' | 'critical';

export interface IocMatch {
  feed: string;
  kind: 'c2' | 'tidb' | 'repdb';
  indicator: string;
  category?: string;
  actor?: string;
}

/** The one interface the verdict uses to ask threat intelligence about a destination. */
export interface IocMatcher {
  /** Matches for an IP and the names seen for it (SNI, DNS); `checked` counts lookups made. */
  lookup(destIp: string, names: string[]): { matches: IocMatch[]; checked: number };
}

export interface ScoreFactor {
  name: 'destination_novelty' | 'volume_anomaly' | 'process_rarity' | 'off_hours' | 'asset_criticality' | 'connection_pattern';
  weight: number;
  /** 0..1 before weighting. */
  score: number;
  explanation: string;
}

/** An alert as the sensor emits it (EVE `event_type: "alert"`, `--alerts` lines, transport). */
export interface ExfilAlert {
  /** Deterministic: the same (sensor, group, window) always gives the same id. */
  id: string;
  sensor_id: string;
  /** Which detection produced it: per-group window, destination consolidation, low-and-slow. */
  detection: 'window' | 'consolidated' | 'low_and_slow';
  severity: Severity;
  confidence: number;
  rules_fired: string[];
  /** Why the verdict was lowered or annotated (backup window, established destination, lower bound...). */
  notes: string[];
  aggregate: WindowAggregate & {
    upload_mb: number;
    download_mb: number;
    upload_ratio: number;
    pcr: number;
    malicious_iocs: number;
    iocs_checked: number;
    dest_country: string | null;
    dest_asn: number | null;
    dest_org: string | null;
  };
  ioc_matches: IocMatch[];
  risk: { composite_score: number; risk_level: RiskLevel; score_breakdown: ScoreFactor[] };
  blast_radius: { sources_to_dest_ip: number; sources_to_dest_org: number | null };
  /** Destination baseline state for (src, dest) at detection time. */
  destination_established: boolean;
  /**
   * Session evidence of the group's flows (largest flow first), attached on the main thread
   * from the EVE evidence events (`agent/evidence/flow-evidence.ts`); absent when the sensor
   * ran without evidence. Lists deduplicated, at most 8 items each.
   */
  evidence?: AlertEvidence;
}

/** What the group's sessions said about client and endpoint (runbook `000_…` step 5). */
/**
 * Session evidence of an alert's flows (SPEC section 5; docs/session-evidence.md): deduplicated
 * lists of at most 8 items each, the largest flow's first. The fields after `alpn` up to
 * `dns_queries` came later: an alert from an older sensor may lack them.
 */
export interface AlertEvidence {
  sni: string[];
  ja3: string[];
  ja4: string[];
  http_hosts: string[];
  http_user_agents: string[];
  /** TLS/QUIC versions ("TLS 1.2"), JA3S hashes, certificate subject and issuer DNs (TLS <= 1.2). */
  tls_versions?: string[];
  ja3s?: string[];
  cert_subjects?: string[];
  cert_issuers?: string[];
  /** HTTP request methods, URLs, response content types and statuses (as text). */
  http_methods?: string[];
  http_urls?: string[];
  http_content_types?: string[];
  http_statuses?: string[];
  /** Names the group's DNS flows queried (DNS tunnelling: the names carry the data). */
  dns_queries?: string[];
  /** Passive-DNS names of dest_ip, live at the window's end (packet time). */
  dns_names: string[];
  ssh_client: string[];
  ssh_server: string[];
  file_types: string[];
  alpn: string[];
  /** SNI and DNS names both known and no SNI among the names dest_ip resolved to. */
  sni_dns_mismatch: boolean;
}
