/**
 * Operator-tunable verdict settings, as the validated config hands them to the scoring code.
 * YAML spelling is snake_case under `verdict:` (see config/sensor.yaml); units are resolved
 * (durations in seconds, sizes in bytes, times as minutes after midnight) before they get here.
 */

/** A CIDR as text ("10.0.0.0/8", "2001:db8:1000::/48"). */
export type Cidr = string;

/** One rung of the severity ladder: ratio and upload floors (bytes; MB = 1,048,576). */
export interface LadderRung {
  min_ratio: number;
  min_upload_bytes: number;
}

export interface VerdictOptions {
  /** SPEC ladder; each tier fires when any of its rungs holds (boundaries inclusive). */
  ladder: {
    critical: LadderRung[];
    high: LadderRung[];
    medium: LadderRung[];
    low: LadderRung[];
  };
  /** Cap of upload_ratio (also used when download is 0). */
  ratio_cap: number;
  business_hours: {
    /** Minutes after local midnight, [start, end). */
    start_min: number;
    end_min: number;
    /** Monday = 1 ... Sunday = 7. */
    days: number[];
    /** IANA time zone, e.g. "UTC", "Europe/Berlin". */
    timezone: string;
  };
  /** Asset criticality: the first matching entry wins; default tier when none matches. */
  assets: { cidr: Cidr; tier: 1 | 2 | 3 | 4; name?: string }[];
  default_asset_tier: 1 | 2 | 3 | 4;
  baseline: {
    /** Flows from a host to a destination over the lookback that make it "established". */
    established_min_flows: number;
    lookback_days: number;
    /** SQLite file; ":memory:" keeps it in memory (tests). */
    path: string;
    /** Upper bound on stored (src, dest) pairs; the least recently seen are dropped beyond it. */
    max_pairs: number;
  };
  maintenance_windows: MaintenanceWindow[];
  backup_windows: BackupWindow[];
  low_and_slow: { enabled: boolean; horizon_seconds: number };
  consolidation: { enabled: boolean };
  /** Ports considered normal per app_proto, for connection_pattern. */
  usual_ports: Record<string, number[]>;
  /** A flow segment at least this long counts as "sustained" for connection_pattern. */
  sustained_seconds: number;
}

/** A recurring or one-off period during which hosts are skipped entirely. */
export interface MaintenanceWindow {
  name: string;
  hosts: Cidr[];
  /** One-off: ISO start and end. Recurring: cron-like days + minutes (local to business_hours.timezone). */
  start?: string;
  end?: string;
  days?: number[];
  start_min?: number;
  end_min?: number;
}

/** A sanctioned backup: matching uploads are downgraded with a stated reason, never dropped. */
export interface BackupWindow {
  name: string;
  sources: Cidr[];
  /** Destination CIDRs or domain suffixes (matched against SNI / DNS names when known). */
  destinations: string[];
  days?: number[];
  start_min: number;
  end_min: number;
}

export const DEFAULT_VERDICT_OPTIONS: VerdictOptions = {
  ladder: {
    critical: [{ min_ratio: 10, min_upload_bytes: 100 * 1_048_576 }],
    high: [
      { min_ratio: 5, min_upload_bytes: 10 * 1_048_576 },
      { min_ratio: 2, min_upload_bytes: 100 * 1_048_576 },
    ],
    medium: [{ min_ratio: 2, min_upload_bytes: 10 * 1_048_576 }],
    low: [{ min_ratio: 2, min_upload_bytes: 1 * 1_048_576 }],
  },
  ratio_cap: 999.99,
  business_hours: { start_min: 8 * 60, end_min: 18 * 60, days: [1, 2, 3, 4, 5], timezone: 'UTC' },
  assets: [],
  default_asset_tier: 3,
  baseline: { established_min_flows: 10, lookback_days: 7, path: ':memory:', max_pairs: 1_000_000 },
  maintenance_windows: [],
  backup_windows: [],
  low_and_slow: { enabled: true, horizon_seconds: 24 * 3600 },
  consolidation: { enabled: true },
  usual_ports: { tls: [443, 8443, 993, 995, 465, 636, 853], http: [80, 8080, 8000, 3128], ssh: [22], dns: [53], smtp: [25, 587, 465], ftp: [21], smb: [445, 139], quic: [443] },
  sustained_seconds: 600,
};
