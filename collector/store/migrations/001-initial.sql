-- Collector schema v1. Dialect-neutral subset: runs unchanged on SQLite (3.35+) and PostgreSQL
-- (12+). Times are Unix epoch milliseconds (BIGINT); ids are text made by the collector; JSON is
-- kept as TEXT (the full alert as received). Statements are separated by ";" at line ends.

CREATE TABLE sensors (
  id TEXT PRIMARY KEY,
  first_seen BIGINT NOT NULL,
  last_seen BIGINT NOT NULL,
  last_batch_seq BIGINT,
  last_record_seq BIGINT,
  alerts_stored BIGINT NOT NULL DEFAULT 0,
  windows_stored BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE alerts (
  id TEXT PRIMARY KEY,
  sensor_id TEXT NOT NULL,
  record_seq BIGINT NOT NULL,
  detection TEXT NOT NULL,
  severity TEXT NOT NULL,
  severity_rank INTEGER NOT NULL,
  confidence DOUBLE PRECISION NOT NULL,
  status TEXT NOT NULL,
  src_ip TEXT NOT NULL,
  dest_ip TEXT NOT NULL,
  dest_port INTEGER NOT NULL,
  proto TEXT NOT NULL,
  app_proto TEXT,
  window_start TEXT NOT NULL,
  window_end TEXT NOT NULL,
  window_start_ms BIGINT NOT NULL,
  window_end_ms BIGINT NOT NULL,
  upload_bytes BIGINT NOT NULL,
  download_bytes BIGINT NOT NULL,
  upload_ratio DOUBLE PRECISION NOT NULL,
  dest_country TEXT,
  dest_asn BIGINT,
  dest_org TEXT,
  sni TEXT,
  incident_id TEXT,
  received_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  search_text TEXT NOT NULL,
  alert_json TEXT NOT NULL
);
CREATE INDEX alerts_window ON alerts (window_start_ms, id);
CREATE INDEX alerts_status ON alerts (status, window_start_ms);
CREATE INDEX alerts_severity ON alerts (severity, window_start_ms);
CREATE INDEX alerts_src ON alerts (src_ip, window_start_ms);
CREATE INDEX alerts_dest ON alerts (dest_ip, window_start_ms);
CREATE INDEX alerts_country ON alerts (dest_country);
CREATE INDEX alerts_asn ON alerts (dest_asn);
CREATE INDEX alerts_app_proto ON alerts (app_proto);
CREATE INDEX alerts_received ON alerts (received_at);
CREATE INDEX alerts_incident ON alerts (incident_id);

CREATE TABLE alert_community_ids (
  alert_id TEXT NOT NULL,
  community_id TEXT NOT NULL,
  PRIMARY KEY (alert_id, community_id)
);
CREATE INDEX alert_community_ids_cid ON alert_community_ids (community_id);

CREATE TABLE alert_history (
  id TEXT PRIMARY KEY,
  alert_id TEXT NOT NULL,
  action TEXT NOT NULL,
  actor TEXT NOT NULL,
  at BIGINT NOT NULL,
  note TEXT
);
CREATE INDEX alert_history_alert ON alert_history (alert_id, at);

CREATE TABLE risk_scores (
  alert_id TEXT PRIMARY KEY,
  sensor_id TEXT NOT NULL,
  src_ip TEXT NOT NULL,
  scored_at BIGINT NOT NULL,
  composite_score DOUBLE PRECISION NOT NULL,
  risk_level TEXT NOT NULL,
  breakdown_json TEXT NOT NULL
);
CREATE INDEX risk_scores_at ON risk_scores (scored_at);

CREATE TABLE incidents (
  id TEXT PRIMARY KEY,
  sensor_id TEXT NOT NULL,
  src_ip TEXT NOT NULL,
  severity TEXT NOT NULL,
  severity_rank INTEGER NOT NULL,
  status TEXT NOT NULL,
  title TEXT NOT NULL,
  opened_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  resolved_at BIGINT,
  resolved_by TEXT
);
CREATE INDEX incidents_open ON incidents (sensor_id, src_ip, status);
CREATE INDEX incidents_opened ON incidents (opened_at);

CREATE TABLE incident_alerts (
  incident_id TEXT NOT NULL,
  alert_id TEXT NOT NULL,
  PRIMARY KEY (incident_id, alert_id)
);
CREATE INDEX incident_alerts_alert ON incident_alerts (alert_id);

CREATE TABLE suppressions (
  id TEXT PRIMARY KEY,
  sensor_id TEXT,
  scope_src TEXT,
  scope_dest TEXT,
  scope_domain_regex TEXT,
  scope_port INTEGER,
  scope_app_proto TEXT,
  reason TEXT NOT NULL,
  owner TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT,
  source_alert_id TEXT
);
CREATE INDEX suppressions_sensor ON suppressions (sensor_id, expires_at);

CREATE TABLE windows (
  sensor_id TEXT NOT NULL,
  src_ip TEXT NOT NULL,
  dest_ip TEXT NOT NULL,
  dest_port INTEGER NOT NULL,
  proto TEXT NOT NULL,
  app_proto TEXT NOT NULL,
  window_start_ms BIGINT NOT NULL,
  window_end_ms BIGINT NOT NULL,
  upload_bytes BIGINT NOT NULL,
  download_bytes BIGINT NOT NULL,
  flow_count BIGINT NOT NULL,
  received_at BIGINT NOT NULL,
  PRIMARY KEY (sensor_id, src_ip, dest_ip, dest_port, proto, app_proto, window_start_ms)
);
CREATE INDEX windows_dest ON windows (dest_ip, window_start_ms);
CREATE INDEX windows_start ON windows (window_start_ms);
