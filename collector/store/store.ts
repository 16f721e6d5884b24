/**
 * The collector's storage interface. Two implementations share it: SQLite (better-sqlite3,
 * WAL; the default) and PostgreSQL (pg), with the same schema and migrations. Both are built by
 * `openStore` (`./open.ts`); the behaviour lives once in `SqlStore` over a small driver.
 */
import type { ValidRecord } from '../ingest/validate.js';
import type { WireAlert } from '../ingest/wire.js';

export type AlertStatus = 'new' | 'investigating' | 'resolved_confirmed' | 'resolved_false_positive';
export const ALERT_STATUSES: readonly AlertStatus[] = ['new', 'investigating', 'resolved_confirmed', 'resolved_false_positive'];
export type IncidentStatus = 'open' | 'investigating' | 'resolved_confirmed' | 'resolved_false_positive';
export type AlertAction = 'investigate' | 'resolve_confirmed' | 'resolve_false_positive' | 'suppress';
export const ALERT_ACTIONS: readonly AlertAction[] = ['investigate', 'resolve_confirmed', 'resolve_false_positive', 'suppress'];
export type IncidentAction = 'investigate' | 'resolve_confirmed' | 'resolve_false_positive';

export interface AlertRow {
  id: string;
  sensor_id: string;
  severity: string;
  confidence: number;
  status: AlertStatus;
  detection: string;
  src_ip: string;
  dest_ip: string;
  dest_port: number;
  proto: string;
  app_proto: string | null;
  window_start: string;
  window_end: string;
  upload_bytes: number;
  download_bytes: number;
  upload_ratio: number;
  dest_country: string | null;
  dest_asn: number | null;
  dest_org: string | null;
  sni: string | null;
  risk_score: number | null;
  incident_id: string | null;
  received_at: string;
}

export interface AlertFilter {
  severity?: string[];
  status?: string[];
  /** Window start bounds, epoch ms: from inclusive, to exclusive. */
  from?: number;
  to?: number;
  src?: string;
  dest?: string;
  country?: string;
  asn?: number;
  app_proto?: string;
  community_id?: string;
  sensor_id?: string;
  incident_id?: string;
  /** Free text, matched case-insensitively against ids, addresses, names, SNI, JA3/JA4, user agents, notes. */
  q?: string;
}

export interface HistoryEntry {
  action: string;
  actor: string;
  at: string;
  note: string | null;
}

export interface AlertDetail {
  alert: WireAlert;
  row: AlertRow;
  history: HistoryEntry[];
  /** The stored risk score (kept for `retention.risk_scores`; null once purged). */
  risk: { composite_score: number; risk_level: string; score_breakdown: unknown[]; scored_at: string } | null;
}

export interface Incident {
  id: string;
  sensor_id: string;
  src_ip: string;
  severity: string;
  status: IncidentStatus;
  title: string;
  opened_at: string;
  updated_at: string;
  resolved_at: string | null;
  resolved_by: string | null;
  alert_count: number;
  open_alerts: number;
}

export interface SuppressionScope {
  src?: string;
  dest?: string;
  domain_regex?: string;
  port?: number;
  app_proto?: string;
}

export interface Suppression {
  id: string;
  /** null = every sensor (account-wide); a sensor id = that sensor only. */
  sensor_id: string | null;
  scope: SuppressionScope;
  reason: string;
  owner: string;
  expires_at: string | null;
  created_at: string;
  source_alert_id: string | null;
}

export interface NewSuppression {
  sensor_id: string | null;
  scope: SuppressionScope;
  reason: string;
  owner: string;
  /** epoch ms; null = permanent. */
  expires_at: number | null;
  source_alert_id?: string | null;
}

export interface IngestResult {
  accepted: number;
  duplicates: number;
  alerts_stored: number;
  windows_stored: number;
}

export interface ActionResult {
  id: string;
  ok: boolean;
  status?: string;
  code?: string;
  error?: string;
  suppression_id?: string;
}

export interface TopDestination {
  dest_ip: string;
  dest_org: string | null;
  dest_country: string | null;
  alerts: number;
  sources: number;
  upload_bytes: number;
}

export interface PcrBucket {
  bucket: string;
  label: string;
  /** PCR range [min, max] of the bucket (PCR = (up - down) / (up + down), -1..1). */
  min: number;
  max: number;
  groups: number;
  upload_bytes: number;
}

export interface Baseline {
  dest_ip: string;
  sensors: number;
  sources: number;
  windows: number;
  flow_count: number;
  upload_bytes: number;
  download_bytes: number;
}

export interface SensorState {
  id: string;
  first_seen: string;
  last_seen: string;
  last_batch_seq: number | null;
  last_record_seq: number | null;
  alerts_stored: number;
  windows_stored: number;
}

export interface RetentionPolicy {
  alerts_s: number;
  risk_scores_s: number;
  windows_s: number;
}

export interface PurgeResult {
  alerts: number;
  risk_scores: number;
  windows: number;
  incidents: number;
  suppressions: number;
}

export interface ActionOptions {
  note?: string | null;
  /** For `suppress`: the suppression to create (already checked against the scope rules). */
  suppression?: NewSuppression;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** Stores valid records of one batch in one transaction; an alert id already present is a duplicate. */
  ingest(sensorId: string, batchSeq: number, records: readonly ValidRecord[], now: number): Promise<IngestResult>;
  listAlerts(filter: AlertFilter, page: number, perPage: number): Promise<{ total: number; alerts: AlertRow[] }>;
  getAlert(id: string): Promise<AlertDetail | null>;
  /** Applies one action to each id (each checked on its own); resolutions cascade to incidents. */
  alertAction(ids: readonly string[], action: AlertAction, actor: string, opts: ActionOptions & { suppressionFor?: (row: AlertRow) => NewSuppression }, now: number): Promise<ActionResult[]>;
  listIncidents(filter: { status?: string[]; page: number; perPage: number }): Promise<{ total: number; incidents: Incident[] }>;
  getIncident(id: string): Promise<{ incident: Incident; alerts: AlertRow[] } | null>;
  /** Resolving an incident resolves its open alerts (the reverse cascade). */
  incidentAction(id: string, action: IncidentAction, actor: string, note: string | null, now: number): Promise<ActionResult>;
  listSuppressions(filter: { sensor_id?: string; active_at?: number }): Promise<Suppression[]>;
  getSuppression(id: string): Promise<Suppression | null>;
  createSuppression(s: NewSuppression, now: number): Promise<Suppression>;
  deleteSuppression(id: string): Promise<boolean>;
  topDestinations(from: number, to: number, limit: number): Promise<TopDestination[]>;
  pcr(from: number, to: number): Promise<PcrBucket[]>;
  baseline(destIp: string, from: number, to: number): Promise<Baseline>;
  sensors(): Promise<SensorState[]>;
  purge(now: number, policy: RetentionPolicy): Promise<PurgeResult>;
  /** Cheap liveness check of the database. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
