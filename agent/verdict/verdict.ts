/**
 * The verdict stage: scores every closed window's aggregates (SPEC section 4) and returns the
 * alerts. Pure apart from the baseline store; deterministic (same input, same state => same
 * output); time is window time only.
 *
 * Per window, in order:
 * 1. enrich each group: names (passive DNS + SNI), GeoIP, destination entity, IOC lookup;
 * 2. maintenance windows: hosts inside one are skipped entirely (no alert, no score, not in
 *    blast radius, consolidation or low-and-slow) and counted (`hosts_skipped_mw`);
 * 3. severity ladder (IOC => critical), backup-window downgrade (one tier, with a note; an IOC
 *    match is never downgraded), established destination (a tier keeps its severity with a note;
 *    without a tier there is no alert: the finding stays the informational
 *    `destination_novelty` reading), capture-loss note, confidence, risk score, blast radius;
 * 4. destination consolidation per (src, entity) across rotating IPs: alerts only when the sum
 *    reaches a higher tier than every member did on its own;
 * 5. low-and-slow on the rolling sum per (src, entity or dest IP);
 * 6. every aggregate (skipped ones too) is recorded into the baseline, after the reads, so
 *    reads never see the window being judged; then buckets older than the lookback expire.
 *
 * Alerts come back sorted by window, severity (critical first), id. The window is the one judged,
 * compared by `aggregate.window_end_ns`: a low-and-slow aggregate starts at the first window of its
 * sum but ends with the window that raised it.
 */
import { alertId, groupKey } from './alert-id.js';
import { BaselineStore, type GroupRecord, type WindowSample } from './baseline-store.js';
import { BlastRadius, describeEntity, destinationEntity, type DestEntity } from './blast-radius.js';
import { confidence } from './confidence.js';
import { consolidate, largestMember, sumAggregates } from './consolidation.js';
import { CidrSet } from './home-net.js';
import { nsToMs } from './local-time.js';
import { LowAndSlow } from './low-and-slow.js';
import type { VerdictOptions } from './options.js';
import {
  assetCriticality,
  combineRisk,
  connectionPattern,
  destinationNovelty,
  offHours,
  processRarity,
  volumeAnomaly,
  type Fingerprint,
  type RiskScore,
} from './risk-score.js';
import { classify, displayRatio, lowerTier, MB, pcr, severityRank, type SeverityResult } from './severity.js';
import type { ExfilAlert, IocMatch, IocMatcher, Severity, WindowAggregate } from './types.js';
import type { SuppressionHook, SuppressionStats } from './suppressions.js';
import { Schedules } from './windows.js';

export interface GeoInfo {
  country: string | null;
  asn: number | null;
  org: string | null;
}

/**
 * Per-group application evidence the main thread may know (from the EVE tls/http events of the
 * contributing flows). Everything is optional; without it the fingerprint factor is neutral and
 * "sustained" falls back to the window history.
 */
export interface GroupEvidence {
  sni?: string | null;
  ja4?: string | null;
  ja3?: string | null;
  user_agent?: string | null;
  /** Longest contributing flow segment so far, in seconds. */
  longest_segment_seconds?: number | null;
}

export interface VerdictDeps {
  sensorId: string;
  iocs?: IocMatcher;
  geo?: (ip: string) => GeoInfo | null;
  /** Names seen for a destination IP (passive DNS, SNI). */
  names?: (ip: string) => string[];
  evidence?: (aggregate: WindowAggregate) => GroupEvidence | null;
  /** Scoped suppressions with shadow accounting (suppressions.ts); suppressed alerts are not returned. */
  suppressions?: SuppressionHook;
}

export interface WindowVerdictStats {
  window_start: string;
  groups: number;
  groups_skipped_mw: number;
  hosts_skipped_mw: number;
  alerts: number;
}

export interface VerdictStats {
  windows: number;
  groups: number;
  groups_skipped_mw: number;
  hosts_skipped_mw: number;
  alerts: number;
  alerts_by_severity: Record<Severity, number>;
  alerts_by_detection: Record<ExfilAlert['detection'], number>;
  /** Shadow accounting of the suppressions (absent without `deps.suppressions`). */
  suppressions?: SuppressionStats;
}

interface Enriched {
  agg: WindowAggregate;
  key: string;
  names: string[];
  geo: GeoInfo | null;
  entity: DestEntity | null;
  iocs: { matches: IocMatch[]; checked: number };
  evidence: GroupEvidence | null;
  skippedBy: string | null;
  result: SeverityResult;
}

interface Candidate {
  detection: ExfilAlert['detection'];
  key: string;
  aggregate: WindowAggregate;
  /** The window being closed (for the clock and the sustained check). */
  windowStartNs: bigint;
  windowEndNs: bigint;
  /** The group whose evidence and port describe the candidate. */
  lead: Enriched;
  destIps: string[];
  names: string[];
  entity: DestEntity | null;
  iocs: { matches: IocMatch[]; checked: number };
  result: SeverityResult;
  notes: string[];
  blast: ExfilAlert['blast_radius'];
}

const round2down = (x: number): number => Math.floor(x * 100 + 1e-9) / 100;

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortMatches(m: readonly IocMatch[]): IocMatch[] {
  return [...m].sort(
    (a, b) => compareStrings(a.feed, b.feed) || compareStrings(a.kind, b.kind) || compareStrings(a.indicator, b.indicator),
  );
}

function pickFingerprint(e: GroupEvidence | null): Fingerprint | null {
  if (!e) return null;
  if (e.ja4) return { kind: 'ja4', value: e.ja4 };
  if (e.ja3) return { kind: 'ja3', value: e.ja3 };
  if (e.user_agent) return { kind: 'user_agent', value: e.user_agent };
  return null;
}

function fingerprintKey(f: Fingerprint): string {
  return `${f.kind}:${f.value}`;
}

export class Verdict {
  private opts: VerdictOptions;
  private readonly deps: VerdictDeps;
  private readonly store: BaselineStore;
  private schedules: Schedules;
  private readonly lowAndSlow: LowAndSlow;
  private assets: { set: CidrSet; entry: VerdictOptions['assets'][number] }[];
  private readonly totals: VerdictStats = {
    windows: 0,
    groups: 0,
    groups_skipped_mw: 0,
    hosts_skipped_mw: 0,
    alerts: 0,
    alerts_by_severity: { critical: 0, high: 0, medium: 0, low: 0 },
    alerts_by_detection: { window: 0, consolidated: 0, low_and_slow: 0 },
  };
  private last: WindowVerdictStats | null = null;

  constructor(opts: VerdictOptions, deps: VerdictDeps) {
    if (!deps.sensorId) throw new Error('Verdict needs a sensorId');
    this.opts = opts;
    this.deps = deps;
    this.schedules = new Schedules(opts);
    this.assets = opts.assets.map((entry) => ({ set: new CidrSet([entry.cidr]), entry }));
    this.store = new BaselineStore(opts.baseline);
    this.lowAndSlow = new LowAndSlow(opts, opts.baseline.max_pairs);
  }

  /**
   * Applies reloaded options from the next window on (SIGHUP / file change). Everything is
   * validated before anything changes; `baseline.path` needs a restart. Baseline, history and
   * low-and-slow state are kept.
   */
  reconfigure(opts: VerdictOptions): void {
    if (opts.baseline.path !== this.opts.baseline.path) {
      throw new Error(`baseline.path cannot change while running (${this.opts.baseline.path} -> ${opts.baseline.path}); restart the sensor`);
    }
    const schedules = new Schedules(opts);
    const assets = opts.assets.map((entry) => ({ set: new CidrSet([entry.cidr]), entry }));
    this.store.configure(opts.baseline);
    this.lowAndSlow.configure(opts, opts.baseline.max_pairs);
    this.opts = opts;
    this.schedules = schedules;
    this.assets = assets;
  }

  /** Cumulative counters (copies). */
  get stats(): VerdictStats {
    const s = structuredClone(this.totals);
    if (this.deps.suppressions) s.suppressions = this.deps.suppressions.stats();
    return s;
  }

  /** Counters of the last window judged. */
  get lastWindow(): WindowVerdictStats | null {
    return this.last ? { ...this.last } : null;
  }

  /** The baseline store (read-only use: tests, metrics). */
  get baseline(): BaselineStore {
    return this.store;
  }

  close(): void {
    this.store.close();
  }

  /**
   * Judges the aggregates of closed windows (normally one window; several are judged in window
   * order) and returns the alerts, sorted by window (end), severity, id.
   */
  onWindowClosed(aggregates: readonly WindowAggregate[]): ExfilAlert[] {
    const byWindow = new Map<bigint, WindowAggregate[]>();
    for (const a of aggregates) {
      let list = byWindow.get(a.window_start_ns);
      if (!list) byWindow.set(a.window_start_ns, (list = []));
      list.push(a);
    }
    const alerts: ExfilAlert[] = [];
    for (const start of [...byWindow.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
      alerts.push(...this.judgeWindow(byWindow.get(start) ?? []));
    }
    return alerts.sort(
      (a, b) =>
        (a.aggregate.window_end_ns < b.aggregate.window_end_ns ? -1 : a.aggregate.window_end_ns > b.aggregate.window_end_ns ? 1 : 0) ||
        severityRank(b.severity) - severityRank(a.severity) ||
        compareStrings(a.id, b.id),
    );
  }

  private judgeWindow(input: readonly WindowAggregate[]): ExfilAlert[] {
    const keyed = input.map((agg) => ({ agg, key: groupKey(agg) })).sort((a, b) => compareStrings(a.key, b.key));
    const aggs = keyed.map((k) => k.agg);
    const first = aggs[0];
    if (!first) return [];
    const startNs = first.window_start_ns;
    const endNs = aggs.reduce((m, a) => (a.window_end_ns > m ? a.window_end_ns : m), first.window_end_ns);

    // 1-2. Enrich; maintenance windows.
    const namesCache = new Map<string, string[]>();
    const geoCache = new Map<string, GeoInfo | null>();
    const iocCache = new Map<string, { matches: IocMatch[]; checked: number }>();
    const enriched: Enriched[] = keyed.map(({ agg, key }) => {
      const evidence = this.deps.evidence?.(agg) ?? null;
      let dnsNames = namesCache.get(agg.dest_ip);
      if (!dnsNames) namesCache.set(agg.dest_ip, (dnsNames = this.deps.names?.(agg.dest_ip) ?? []));
      const names = [...new Set([...(evidence?.sni ? [evidence.sni] : []), ...dnsNames].map((n) => n.toLowerCase()))].sort();
      let geo = geoCache.get(agg.dest_ip);
      if (geo === undefined) geoCache.set(agg.dest_ip, (geo = this.deps.geo?.(agg.dest_ip) ?? null));
      const iocKey = `${agg.dest_ip}\u001f${names.join('\u001f')}`;
      let iocs = iocCache.get(iocKey);
      if (!iocs) {
        const r = this.deps.iocs?.lookup(agg.dest_ip, names) ?? { matches: [], checked: 0 };
        iocCache.set(iocKey, (iocs = { matches: sortMatches(r.matches), checked: r.checked }));
      }
      const skippedBy = this.schedules.maintenanceFor(agg.src_ip, agg.window_start_ns, agg.window_end_ns);
      return {
        agg,
        key,
        names,
        geo,
        entity: destinationEntity(evidence?.sni, dnsNames, geo?.org),
        iocs,
        evidence,
        skippedBy,
        result: classify(agg.total_upload_bytes, agg.total_download_bytes, this.opts, iocs.matches),
      };
    });
    const active = enriched.filter((e) => e.skippedBy === null);
    const skippedHosts = new Set(enriched.filter((e) => e.skippedBy !== null).map((e) => e.agg.src_ip));

    const blast = new BlastRadius(
      active.map((e) => ({ src_ip: e.agg.src_ip, dest_ip: e.agg.dest_ip, entity: e.entity, upload_bytes: e.agg.total_upload_bytes })),
    );

    const candidates: Candidate[] = [];

    // 3. Per-group verdicts.
    for (const e of active) {
      if (e.result.severity === null) continue;
      candidates.push({
        detection: 'window',
        key: e.key,
        aggregate: e.agg,
        windowStartNs: startNs,
        windowEndNs: endNs,
        lead: e,
        destIps: [e.agg.dest_ip],
        names: e.names,
        entity: e.entity,
        iocs: e.iocs,
        result: e.result,
        notes: [],
        blast: blast.of(e.agg.dest_ip, e.entity),
      });
    }

    // 4. Consolidation across rotating IPs.
    if (this.opts.consolidation.enabled) {
      const byAgg = new Map(active.map((e) => [e.agg, e]));
      for (const g of consolidate(active.map((e) => ({ aggregate: e.agg, entity: e.entity })))) {
        const members = g.members.map((m) => byAgg.get(m)).filter((m): m is Enriched => m !== undefined);
        const memberRank = Math.max(...members.map((m) => severityRank(m.result.severity)));
        const result = classify(g.aggregate.total_upload_bytes, g.aggregate.total_download_bytes, this.opts);
        if (severityRank(result.severity) <= memberRank) continue;
        const lead = byAgg.get(largestMember(g.members));
        if (!lead) continue;
        const names = [...new Set(members.flatMap((m) => m.names))].sort();
        candidates.push({
          detection: 'consolidated',
          key: `cons|${g.key}`,
          aggregate: g.aggregate,
          windowStartNs: startNs,
          windowEndNs: endNs,
          lead,
          destIps: g.destIps,
          names,
          entity: g.entity,
          iocs: { matches: [], checked: members.reduce((n, m) => n + m.iocs.checked, 0) },
          result,
          notes: [
            `consolidated: ${g.members.length} groups to ${g.destIps.length} destination IPs of ${describeEntity(g.entity)} (${g.destIps.join(', ')}); no single group reached ${result.severity}`,
          ],
          blast: { sources_to_dest_ip: blast.sourcesToAnyIp(g.destIps), sources_to_dest_org: blast.sourcesToEntity(g.entity) },
        });
      }
    }

    // 5. Low-and-slow.
    if (this.opts.low_and_slow.enabled) {
      const byTarget = new Map<string, Enriched[]>();
      for (const e of active) {
        const key = `${e.agg.src_ip}|${e.entity ?? `ip:${e.agg.dest_ip}`}`;
        let list = byTarget.get(key);
        if (!list) byTarget.set(key, (list = []));
        list.push(e);
      }
      const entries = [...byTarget].map(([key, members]) => {
        const total = sumAggregates(members.map((m) => m.agg));
        const totalTier = classify(total.total_upload_bytes, total.total_download_bytes, this.opts).severity;
        return {
          key,
          members: members.map((m) => m.agg),
          reachedTier: totalTier !== null || members.some((m) => m.result.severity !== null),
        };
      });
      for (const f of this.lowAndSlow.observe(startNs, endNs, entries)) {
        const members = byTarget.get(f.key) ?? [];
        const lead = members.find((m) => m.agg === largestMember(members.map((x) => x.agg))) ?? members[0];
        if (!lead) continue;
        const hours = this.opts.low_and_slow.horizon_seconds / 3600;
        candidates.push({
          detection: 'low_and_slow',
          key: `las|${f.key}`,
          aggregate: f.aggregate,
          windowStartNs: startNs,
          windowEndNs: endNs,
          lead,
          destIps: [...new Set(members.map((m) => m.agg.dest_ip))].sort(),
          names: [...new Set(members.flatMap((m) => m.names))].sort(),
          entity: lead.entity,
          iocs: { matches: [], checked: members.reduce((n, m) => n + m.iocs.checked, 0) },
          result: f.result,
          notes: [
            `low-and-slow: ${f.windows} windows in the last ${hours} h to ${lead.entity ? describeEntity(lead.entity) : lead.agg.dest_ip}, each below the Low floor; their sum reaches ${f.result.severity}`,
          ],
          blast: lead.entity
            ? { sources_to_dest_ip: blast.sourcesToIp(lead.agg.dest_ip), sources_to_dest_org: blast.sourcesToEntity(lead.entity) }
            : blast.of(lead.agg.dest_ip, null),
        });
      }
    }

    // Score (reads happen before this window is recorded).
    const fpHostsCache = new Map<string, { others: number; otherHosts: number }>();
    const scored = candidates.map((c) => this.finish(c, fpHostsCache));
    // Suppressions: shadow-count the groups in scope, drop (and count) the alerts in scope.
    const sup = this.deps.suppressions;
    sup?.observeGroups(active, endNs);
    const alerts = sup ? sup.filterAlerts(scored.map((alert, i) => ({ alert, names: candidates[i]?.names ?? [], destIps: candidates[i]?.destIps ?? [] })), endNs) : scored;

    // 6. Record everything, then expire.
    const records: GroupRecord[] = enriched.map((e) => ({
      key: e.key,
      src: e.agg.src_ip,
      dest: e.agg.dest_ip,
      entity: e.entity,
      windowStartNs: e.agg.window_start_ns,
      upload: e.agg.total_upload_bytes,
      download: e.agg.total_download_bytes,
      flows: e.agg.unique_flows,
      largestCid: e.agg.largest_flow.community_id || null,
    }));
    this.store.record(records);
    const fps = enriched.flatMap((e) => {
      const f = pickFingerprint(e.evidence);
      return f ? [{ fp: fingerprintKey(f), src: e.agg.src_ip, atNs: e.agg.window_start_ns }] : [];
    });
    if (fps.length > 0) this.store.recordFingerprints(fps);
    this.store.expire(endNs);

    const groupsSkipped = enriched.length - active.length;
    this.last = {
      window_start: first.window_start,
      groups: enriched.length,
      groups_skipped_mw: groupsSkipped,
      hosts_skipped_mw: skippedHosts.size,
      alerts: alerts.length,
    };
    this.totals.windows++;
    this.totals.groups += enriched.length;
    this.totals.groups_skipped_mw += groupsSkipped;
    this.totals.hosts_skipped_mw += skippedHosts.size;
    this.totals.alerts += alerts.length;
    for (const a of alerts) {
      this.totals.alerts_by_severity[a.severity]++;
      this.totals.alerts_by_detection[a.detection]++;
    }
    return alerts;
  }

  /** Destination baseline for a candidate: the dest IP for window alerts, the entity (or IP) for the others. */
  private destinationState(c: Candidate): { flows: number; established: boolean; siteSources: number } {
    const src = c.aggregate.src_ip;
    if (c.detection === 'window') {
      const pb = this.store.established(src, c.aggregate.dest_ip, c.windowStartNs);
      const site = this.store.siteDestination(c.aggregate.dest_ip, src, c.windowStartNs);
      return { ...pb, siteSources: site.sources };
    }
    const lookbackNs = BigInt(this.opts.baseline.lookback_days * 86_400) * 1_000_000_000n;
    const from = c.aggregate.window_start_ns - lookbackNs;
    const target = c.entity ? { entity: c.entity } : { dest: c.aggregate.dest_ip };
    const flows = this.store
      .sourceHistory(src, target, from, c.aggregate.window_start_ns)
      .reduce((n, s) => n + s.flows, 0);
    const site = this.store.siteDestination(c.lead.agg.dest_ip, src, c.windowStartNs);
    return { flows, established: flows >= this.opts.baseline.established_min_flows, siteSources: site.sources };
  }

  private volumeHistory(c: Candidate): { history: number[]; unit: string; samples: WindowSample[] } {
    if (c.detection === 'window') {
      const samples = this.store.groupHistory(c.key, c.windowStartNs);
      return { history: samples.map((s) => s.upload), unit: 'window', samples };
    }
    const lookbackNs = BigInt(this.opts.baseline.lookback_days * 86_400) * 1_000_000_000n;
    const at = c.aggregate.window_start_ns;
    const target = c.entity ? { entity: c.entity } : { dest: c.aggregate.dest_ip };
    const samples = this.store.sourceHistory(c.aggregate.src_ip, target, at - lookbackNs, at);
    if (c.detection === 'consolidated') return { history: samples.map((s) => s.upload), unit: 'window', samples };
    // Low-and-slow sums span up to the horizon: compare with earlier totals per horizon-long period.
    const periodMs = this.opts.low_and_slow.horizon_seconds * 1000;
    const atMs = nsToMs(at);
    const perPeriod = new Map<number, number>();
    for (const s of samples) {
      const p = Math.floor((atMs - 1 - s.windowMs) / periodMs);
      perPeriod.set(p, (perPeriod.get(p) ?? 0) + s.upload);
    }
    const unit = periodMs === 86_400_000 ? 'day' : `${this.opts.low_and_slow.horizon_seconds / 3600} h period`;
    return { history: [...perPeriod.keys()].sort((a, b) => a - b).map((k) => perPeriod.get(k) ?? 0), unit, samples };
  }

  /** Why the candidate's session counts as sustained, or null. */
  private sustained(c: Candidate, samples: readonly WindowSample[]): string | null {
    const seg = c.lead.evidence?.longest_segment_seconds;
    if (seg !== null && seg !== undefined && seg >= this.opts.sustained_seconds) {
      return `longest flow segment ${Math.round(seg)} s (>= ${this.opts.sustained_seconds} s)`;
    }
    if (c.detection !== 'window') return null;
    const cid = c.aggregate.largest_flow.community_id;
    const lenMs = nsToMs(c.aggregate.window_end_ns) - nsToMs(c.aggregate.window_start_ns);
    if (!cid || lenMs <= 0) return null;
    const byStart = new Map(samples.map((s) => [s.windowMs, s]));
    let k = 0;
    for (let t = nsToMs(c.aggregate.window_start_ns) - lenMs; byStart.get(t)?.largestCid === cid; t -= lenMs) k++;
    // Present in this and the k previous consecutive windows: it lasted at least (k - 1) whole windows.
    const atLeastS = (Math.max(0, k - 1) * lenMs) / 1000;
    if (k >= 1 && atLeastS >= this.opts.sustained_seconds) {
      return `the same connection (${cid}) carried the largest upload in the ${k} previous consecutive windows: at least ${atLeastS} s`;
    }
    return null;
  }

  private assetOf(src: string): { tier: 1 | 2 | 3 | 4; matched: { cidr: string; name?: string } | null } {
    for (const a of this.assets) {
      if (a.set.contains(src)) {
        return { tier: a.entry.tier, matched: a.entry.name ? { cidr: a.entry.cidr, name: a.entry.name } : { cidr: a.entry.cidr } };
      }
    }
    return { tier: this.opts.default_asset_tier, matched: null };
  }

  private risk(
    c: Candidate,
    dest: { flows: number; established: boolean; siteSources: number },
    fpCache: Map<string, { others: number; otherHosts: number }>,
  ): RiskScore {
    const lookbackDays = this.opts.baseline.lookback_days;
    const vol = this.volumeHistory(c);
    const fp = pickFingerprint(c.lead.evidence);
    let prevalence = { others: 0, otherHosts: 0 };
    if (fp) {
      const k = `${fingerprintKey(fp)}\u001f${c.aggregate.src_ip}`;
      const hit = fpCache.get(k);
      if (hit) prevalence = hit;
      else {
        prevalence = this.store.fingerprintPrevalence(fingerprintKey(fp), c.aggregate.src_ip, c.windowStartNs);
        fpCache.set(k, prevalence);
      }
    }
    return combineRisk([
      destinationNovelty({
        established: dest.established,
        hostFlows: dest.flows,
        minFlows: this.opts.baseline.established_min_flows,
        lookbackDays,
        siteSources: dest.siteSources,
      }),
      volumeAnomaly({ upload: c.aggregate.total_upload_bytes, history: vol.history, unit: vol.unit, lookbackDays }),
      processRarity({ fingerprint: fp, others: prevalence.others, otherHosts: prevalence.otherHosts, lookbackDays }),
      offHours(this.schedules.clockAt(c.windowStartNs), this.opts.business_hours),
      assetCriticality(this.assetOf(c.aggregate.src_ip)),
      connectionPattern({
        proto: c.aggregate.proto,
        app_proto: c.aggregate.app_proto,
        dest_port: c.aggregate.dest_port,
        usualPorts: this.opts.usual_ports,
        sustained: this.sustained(c, vol.samples),
      }),
    ]);
  }

  private finish(c: Candidate, fpCache: Map<string, { others: number; otherHosts: number }>): ExfilAlert {
    const a = c.aggregate;
    const r = c.result;
    const notes = [...c.notes];
    let severity = r.severity ?? 'low';

    const backup = c.destIps
      .map((ip) => this.schedules.backupFor(a.src_ip, ip, c.names, c.windowStartNs, c.windowEndNs))
      .find((b) => b !== null);
    if (backup) {
      if (c.iocs.matches.length > 0) {
        notes.push(`backup window '${backup}' matches, but an IOC match on the destination keeps critical`);
      } else if (severity === 'low') {
        notes.push(`backup window '${backup}' (sanctioned upload): already at the lowest tier, kept`);
      } else {
        const lowered = lowerTier(severity);
        notes.push(`lowered from ${severity} to ${lowered}: inside backup window '${backup}' (sanctioned upload)`);
        severity = lowered;
      }
    }

    const dest = this.destinationState(c);
    if (dest.established) {
      const what = c.detection === 'window' ? 'destination' : `destination ${c.entity ? describeEntity(c.entity) : a.dest_ip}`;
      notes.push(
        `${what} established: ${dest.flows} flows from this host in the prior ${this.opts.baseline.lookback_days} days (>= ${this.opts.baseline.established_min_flows}); severity kept`,
      );
    }
    if (a.lower_bound) notes.push('the capture lost packets in this window: upload and download figures are lower bounds');

    const ratio = r.ratio;
    return {
      id: alertId(this.deps.sensorId, c.detection, c.key, a.window_start_ns),
      sensor_id: this.deps.sensorId,
      detection: c.detection,
      severity,
      confidence: confidence(r.behavioral, r.rungs, ratio, a.total_upload_bytes, c.iocs.matches.length > 0),
      rules_fired: [...r.rules_fired],
      notes,
      aggregate: {
        ...a,
        community_ids: [...a.community_ids],
        largest_flow: { ...a.largest_flow },
        upload_mb: round2down(a.total_upload_bytes / MB),
        download_mb: round2down(a.total_download_bytes / MB),
        upload_ratio: displayRatio(ratio),
        pcr: Math.round(pcr(a.total_upload_bytes, a.total_download_bytes) * 10_000) / 10_000,
        malicious_iocs: c.iocs.matches.length,
        iocs_checked: c.iocs.checked,
        dest_country: c.lead.geo?.country ?? null,
        dest_asn: c.lead.geo?.asn ?? null,
        dest_org: c.lead.geo?.org ?? null,
      },
      ioc_matches: c.iocs.matches.map((m) => ({ ...m })),
      risk: this.risk(c, dest, fpCache),
      blast_radius: { ...c.blast },
      destination_established: dest.established,
    };
  }
}
