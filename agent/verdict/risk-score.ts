/**
 * The weighted risk score of `001_…` ("Alert-to-Risk Score Drill-Down"), adapted to a network
 * sensor. Six factors, each scored in [0, 1] and weighted:
 *
 * | factor | weight | score |
 * |---|---|---|
 * | destination_novelty | 0.25 | 0 when the destination is established for the host (>= established_min_flows flows in the lookback); otherwise `(1 - flows/min) * (1 - 0.4 * min(1, other_sources/3))`: new to the host, and less novel when other internal hosts already reach it |
 * | volume_anomaly | 0.25 | `clamp01(log10(upload / mean))` against the group's prior windows in the lookback (at or below the mean = 0, ten times the mean = 1); 0.5 (neutral) without history |
 * | process_rarity | 0.15 | a sensor sees no process: client-fingerprint rarity instead (JA4, else JA3, else HTTP user agent), `1 - share of the site's other fingerprinted hosts that presented it`; 0.5 (neutral) when the group has no fingerprint or the site none to compare with |
 * | off_hours | 0.10 | 1 outside business hours (days and [start, end) in the configured zone, DST via Intl), else 0 |
 * | asset_criticality | 0.10 | `(4 - tier) / 3` from the asset list (tier 1 = 1.0 ... tier 4 = 0) |
 * | connection_pattern | 0.15 | 0.6 for a known app_proto on a port not usual for it, or 0.6 for raw TCP (app_proto null or failed); plus 0.4 for a sustained session; capped at 1 |
 *
 * `composite_score = sum(weight * score)` in [0, 1] (weights sum to 1), rounded to 4 decimals.
 * Risk levels: [0, 0.2) informational, [0.2, 0.4) low, [0.4, 0.6) medium, [0.6, 0.8) high,
 * [0.8, 1] critical.
 */
import type { RiskLevel, ScoreFactor } from './types.js';
import { inRecurring } from './windows.js';
import { WEEKDAY_NAMES, type LocalClock } from './local-time.js';
import type { VerdictOptions } from './options.js';

export const RISK_WEIGHTS: Readonly<Record<ScoreFactor['name'], number>> = {
  destination_novelty: 0.25,
  volume_anomaly: 0.25,
  process_rarity: 0.15,
  off_hours: 0.1,
  asset_criticality: 0.1,
  connection_pattern: 0.15,
};

/** Lower bounds of each level, highest first. */
export const RISK_LEVEL_FLOORS: readonly { level: RiskLevel; min: number }[] = [
  { level: 'critical', min: 0.8 },
  { level: 'high', min: 0.6 },
  { level: 'medium', min: 0.4 },
  { level: 'low', min: 0.2 },
  { level: 'informational', min: 0 },
];

export function riskLevel(score: number): RiskLevel {
  for (const f of RISK_LEVEL_FLOORS) if (score >= f.min) return f.level;
  return 'informational';
}

const clamp01 = (x: number): number => (Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : x > 0 ? 1 : 0);
const r4 = (x: number): number => Math.round(x * 10_000) / 10_000;
const mb = (b: number): string => `${(b / 1_048_576).toFixed(2)} MB`;

function factor(name: ScoreFactor['name'], score: number, explanation: string): ScoreFactor {
  return { name, weight: RISK_WEIGHTS[name], score: r4(clamp01(score)), explanation };
}

export interface NoveltyInput {
  established: boolean;
  /** Flows from this host to the destination in the lookback (current window excluded). */
  hostFlows: number;
  minFlows: number;
  lookbackDays: number;
  /** Other internal sources that reached the destination in the lookback. */
  siteSources: number;
}

export function destinationNovelty(n: NoveltyInput): ScoreFactor {
  if (n.established) {
    return factor(
      'destination_novelty',
      0,
      `established destination: ${n.hostFlows} flows from this host in the prior ${n.lookbackDays} days (>= ${n.minFlows}); informational`,
    );
  }
  const host = n.minFlows > 0 ? 1 - Math.min(1, n.hostFlows / n.minFlows) : 0;
  const site = Math.min(1, n.siteSources / 3);
  const score = host * (1 - 0.4 * site);
  const siteText =
    n.siteSources > 0 ? `${n.siteSources} other internal host(s) reached it` : 'no other internal host reached it';
  return factor(
    'destination_novelty',
    score,
    `${n.hostFlows === 0 ? 'new destination for this host' : `only ${n.hostFlows} flows from this host`} in the prior ${n.lookbackDays} days (established at ${n.minFlows}); ${siteText}`,
  );
}

export interface VolumeInput {
  upload: number;
  /** Upload of each prior period in the lookback (only periods with activity). */
  history: readonly number[];
  /** What a history sample is, for the explanation ("window", "day"). */
  unit: string;
  lookbackDays: number;
}

export function volumeAnomaly(v: VolumeInput): ScoreFactor {
  if (v.history.length === 0) {
    return factor('volume_anomaly', 0.5, `no ${v.lookbackDays}-day history for this group: neutral (uploaded ${mb(v.upload)})`);
  }
  const mean = v.history.reduce((a, b) => a + b, 0) / v.history.length;
  const score = mean > 0 ? Math.log10(v.upload / mean) : v.upload > 0 ? 1 : 0;
  const times = mean > 0 ? `${(v.upload / mean).toFixed(1)}x` : 'above zero';
  return factor(
    'volume_anomaly',
    score,
    `uploaded ${mb(v.upload)}, ${times} the ${v.lookbackDays}-day mean of ${mb(mean)} per ${v.unit} over ${v.history.length} active ${v.unit}(s)`,
  );
}

export interface Fingerprint {
  kind: 'ja4' | 'ja3' | 'user_agent';
  value: string;
}

export interface RarityInput {
  fingerprint: Fingerprint | null;
  /** Other hosts that presented this fingerprint in the lookback. */
  others: number;
  /** Other hosts that presented any fingerprint in the lookback. */
  otherHosts: number;
  lookbackDays: number;
}

const FP_NAMES: Record<Fingerprint['kind'], string> = { ja4: 'JA4', ja3: 'JA3', user_agent: 'user agent' };

export function processRarity(r: RarityInput): ScoreFactor {
  const prefix = 'a network sensor sees no process; client-fingerprint rarity across the site stands in';
  if (!r.fingerprint) {
    return factor('process_rarity', 0.5, `${prefix}: no JA4/JA3/user agent known for this group: neutral`);
  }
  const label = `${FP_NAMES[r.fingerprint.kind]} ${r.fingerprint.value}`;
  if (r.otherHosts === 0) {
    return factor('process_rarity', 0.5, `${prefix}: ${label}; no other fingerprinted host in the prior ${r.lookbackDays} days: neutral`);
  }
  const share = Math.min(1, r.others / r.otherHosts);
  return factor(
    'process_rarity',
    1 - share,
    `${prefix}: ${label} seen on ${r.others} of ${r.otherHosts} other fingerprinted hosts in the prior ${r.lookbackDays} days`,
  );
}

export function offHours(clock: LocalClock, hours: VerdictOptions['business_hours']): ScoreFactor {
  const business = inRecurring(clock, {
    days: new Set(hours.days),
    start: hours.start_min % 1440,
    end: hours.end_min % 1440,
  });
  const hhmm = (m: number): string => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
  const span = `${hhmm(hours.start_min)}-${hhmm(hours.end_min)} ${hours.days.map((d) => WEEKDAY_NAMES[d]).join(',')}`;
  return factor(
    'off_hours',
    business ? 0 : 1,
    `window starts ${WEEKDAY_NAMES[clock.weekday]} ${clock.text} ${hours.timezone}: ${business ? 'inside' : 'outside'} business hours (${span})`,
  );
}

export interface AssetInput {
  tier: 1 | 2 | 3 | 4;
  /** The asset-list entry that matched, or null for the default tier. */
  matched: { cidr: string; name?: string } | null;
}

export function assetCriticality(a: AssetInput): ScoreFactor {
  const from = a.matched ? `asset ${a.matched.name ? `${a.matched.name} ` : ''}(${a.matched.cidr})` : 'not in the asset list (default tier)';
  return factor('asset_criticality', (4 - a.tier) / 3, `tier ${a.tier}: ${from}`);
}

export interface PatternInput {
  proto: string;
  app_proto: string | null;
  dest_port: number;
  usualPorts: Readonly<Record<string, number[]>>;
  /** Why the session counts as sustained, or null. */
  sustained: string | null;
}

export function connectionPattern(p: PatternInput): ScoreFactor {
  let score = 0;
  const reasons: string[] = [];
  const raw = p.app_proto === null || p.app_proto === 'failed';
  if (raw && p.proto.toUpperCase() === 'TCP') {
    score += 0.6;
    reasons.push(`raw TCP (app_proto ${p.app_proto ?? 'null'}) to port ${p.dest_port}`);
  } else if (!raw && p.app_proto) {
    const usual = p.usualPorts[p.app_proto];
    if (usual && !usual.includes(p.dest_port)) {
      score += 0.6;
      reasons.push(`${p.app_proto} on unusual port ${p.dest_port} (usual: ${usual.join(', ')})`);
    }
  }
  if (p.sustained) {
    score += 0.4;
    reasons.push(`sustained session: ${p.sustained}`);
  }
  return factor('connection_pattern', score, reasons.length > 0 ? reasons.join('; ') : 'usual port for the protocol, no sustained session');
}

export interface RiskScore {
  composite_score: number;
  risk_level: RiskLevel;
  score_breakdown: ScoreFactor[];
}

/** Combines the six factors (in the order of `001_…`). */
export function combineRisk(factors: readonly ScoreFactor[]): RiskScore {
  const composite = r4(clamp01(factors.reduce((sum, f) => sum + f.weight * f.score, 0)));
  return { composite_score: composite, risk_level: riskLevel(composite), score_breakdown: [...factors] };
}
