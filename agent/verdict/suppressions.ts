/**
 * Scoped suppressions (SPEC section 6 "Allowlists and suppressions") applied by the verdict, with
 * shadow accounting.
 *
 * Sources: the config's `allowlist:` entries (ids `config:<name>`) and the list the collector's
 * analysts created, pulled by the transport (`onSuppressions`, ids `collector:<id>`). A pulled list
 * replaces the previous pulled list as a whole; config entries are replaced on reload.
 *
 * Scope: every key that is given must match; absent keys match anything; an entry needs at least
 * one key (an empty scope would hide everything, so it is refused).
 * - `src`: source IP in any of the CIDRs (v4 or v6; a bare address is a host route);
 * - `dest`: destination IP in any of the CIDRs (a consolidated alert spans several IPs: all must match);
 * - `domain_regex` (config: `dest_domain_regex`): case-insensitive regex, at most 200 characters, on
 *   any destination name: the SNI and passive-DNS names the verdict knows, plus the alert's session
 *   evidence (sni, dns_names, http_hosts) when the sensor has it (`alertNames`);
 * - `port`: destination port, one of the list; `app_proto`: equal (case-insensitive).
 *
 * Expiry is packet time: an entry with `expires_at` is in force for a window that ends at or
 * before that instant (never wall clock, so a replay of last year's capture behaves as it did
 * then). A warning is logged once per entry when packet time comes within `expiryWarningSeconds`
 * of the expiry, and an info line once when it lapses.
 *
 * Shadow accounting: suppressed groups are still judged, recorded in the baseline and counted.
 * Per entry: `groups_matched` (group windows in its scope), `alerts_suppressed` (alerts it kept
 * from being raised, hence from being sent) and the last window it matched, so an entry that
 * matches nothing or too much is visible in the stats and in the end-of-replay log. When several
 * entries match, each is credited; the totals count the group or alert once.
 */
import type { Logger } from 'pino';
import type { AllowlistEntry } from '../config/types.js';
import { compileDomainRegex } from '../config/value-kinds.js';
import { ErrorCodes } from '../errors.js';
import { logger } from '../obs/logger.js';
import { CidrSet } from './home-net.js';
import { nsToMs } from './local-time.js';
import type { ExfilAlert, WindowAggregate } from './types.js';

/** The scope as the collector sends it (docs/collector-api.md). */
export interface SuppressionScope {
  src?: string | string[];
  dest?: string | string[];
  domain_regex?: string;
  port?: number | number[];
  app_proto?: string;
}

/** A pulled suppression (same shape as `RemoteSuppression` of the transport). */
export interface PulledSuppression {
  id: string | number;
  scope: SuppressionScope;
  reason: string;
  owner: string;
  expires_at: string | null;
}

export type SuppressionSource = 'config' | 'collector';

export interface SuppressionEntryStats {
  id: string;
  source: SuppressionSource;
  reason: string;
  owner: string;
  expires_at: string | null;
  /** Still in the current list (config or last pull). */
  listed: boolean;
  /** Packet time has passed its expiry. */
  lapsed: boolean;
  groups_matched: number;
  alerts_suppressed: number;
  /** window_start of the last window it matched (a group or an alert). */
  last_match: string | null;
}

export interface SuppressionStats {
  entries: number;
  groups_suppressed: number;
  alerts_suppressed: number;
  /** Pulled entries refused (bad CIDR or regex, empty or unknown scope); logged. */
  rejected: number;
  expiry_warnings: number;
  by_id: SuppressionEntryStats[];
}

/** What the verdict hands over for one alert. */
export interface AlertToJudge {
  alert: ExfilAlert;
  /** Names the verdict knows for the destination(s): SNI and passive DNS. */
  names: readonly string[];
  /** Destination IPs the alert covers (several for a consolidated alert). */
  destIps: readonly string[];
}

/** What the verdict needs (VerdictDeps.suppressions). */
export interface SuppressionHook {
  /** Shadow accounting of the window's groups; also advances packet time (expiry warnings). */
  observeGroups(groups: readonly { agg: WindowAggregate; names: readonly string[] }[], windowEndNs: bigint): void;
  /** The alerts not suppressed, in the same order; suppressed ones are counted. */
  filterAlerts(alerts: readonly AlertToJudge[], windowEndNs: bigint): ExfilAlert[];
  stats(): SuppressionStats;
}

interface Entry {
  id: string;
  source: SuppressionSource;
  reason: string;
  owner: string;
  expiresAt: string | null;
  expiresMs: number | null;
  src: CidrSet | null;
  dest: CidrSet | null;
  domain: RegExp | null;
  ports: Set<number> | null;
  appProto: string | null;
}

interface Counters {
  stats: SuppressionEntryStats;
  warned: boolean;
}

const SCOPE_KEYS = new Set(['src', 'dest', 'domain_regex', 'dest_domain_regex', 'port', 'app_proto']);

function asList<T>(v: T | T[] | undefined): T[] | null {
  if (v === undefined || v === null) return null;
  return Array.isArray(v) ? v : [v];
}

function compileEntry(
  id: string,
  source: SuppressionSource,
  e: { reason: string; owner: string; expires_at?: string | null },
  scope: Record<string, unknown>,
): Entry {
  const unknown = Object.keys(scope).filter((k) => !SCOPE_KEYS.has(k));
  if (unknown.length > 0) throw new Error(`unknown scope key(s) ${unknown.join(', ')}`);
  const src = asList(scope.src as string | string[] | undefined);
  const dest = asList(scope.dest as string | string[] | undefined);
  const regex = (scope.domain_regex ?? scope.dest_domain_regex) as string | undefined;
  const ports = asList(scope.port as number | number[] | undefined);
  const appProto = scope.app_proto as string | undefined;
  if (!src?.length && !dest?.length && regex === undefined && !ports?.length && appProto === undefined) {
    throw new Error('empty scope (it would suppress everything)');
  }
  for (const p of ports ?? []) {
    if (!Number.isInteger(p) || p < 0 || p > 65535) throw new Error(`port ${String(p)} is not 0..65535`);
  }
  if (appProto !== undefined && typeof appProto !== 'string') throw new Error('app_proto is not a string');
  if (regex !== undefined && typeof regex !== 'string') throw new Error('domain_regex is not a string');
  let expiresMs: number | null = null;
  if (e.expires_at) {
    expiresMs = Date.parse(e.expires_at);
    if (Number.isNaN(expiresMs)) throw new Error(`expires_at '${e.expires_at}' is not a date`);
  }
  return {
    id,
    source,
    reason: e.reason,
    owner: e.owner,
    expiresAt: e.expires_at ? new Date(expiresMs ?? 0).toISOString() : null,
    expiresMs,
    src: src?.length ? new CidrSet(src) : null,
    dest: dest?.length ? new CidrSet(dest) : null,
    domain: regex !== undefined ? compileDomainRegex(regex) : null,
    ports: ports?.length ? new Set(ports) : null,
    appProto: appProto !== undefined ? appProto.toLowerCase() : null,
  };
}

function inForce(e: Entry, windowEndMs: number): boolean {
  return e.expiresMs === null || windowEndMs <= e.expiresMs;
}

function matches(e: Entry, src: string, destIps: readonly string[], port: number, appProto: string | null, names: readonly string[]): boolean {
  if (e.src && !e.src.contains(src)) return false;
  if (e.dest && (destIps.length === 0 || !destIps.every((ip) => e.dest?.contains(ip)))) return false;
  if (e.ports && !e.ports.has(port)) return false;
  if (e.appProto !== null && (appProto ?? '').toLowerCase() !== e.appProto) return false;
  if (e.domain) {
    const re = e.domain;
    if (!names.some((n) => re.test(n.endsWith('.') ? n.slice(0, -1) : n))) return false;
  }
  return true;
}

export interface SuppressionsOptions {
  /** The config's `allowlist:` entries (names resolved). */
  config?: readonly AllowlistEntry[];
  /** `allowlist_expiry_warning`: warn this long (packet time) before an entry lapses. */
  expiryWarningSeconds?: number;
  /** More destination names for an alert (the sensor's session evidence: sni, dns_names, http_hosts). */
  alertNames?: (a: ExfilAlert) => readonly string[];
  log?: Logger | null;
}

export class Suppressions implements SuppressionHook {
  #config: Entry[] = [];
  #remote: Entry[] = [];
  readonly #counters = new Map<string, Counters>();
  readonly #warningMs: number;
  readonly #log: Logger | null;
  #alertNames: ((a: ExfilAlert) => readonly string[]) | null;
  #totals = { groups_suppressed: 0, alerts_suppressed: 0, rejected: 0, expiry_warnings: 0 };

  constructor(o: SuppressionsOptions = {}) {
    this.#warningMs = (o.expiryWarningSeconds ?? 7 * 86_400) * 1000;
    this.#log = o.log === undefined ? logger('suppressions') : o.log;
    this.#alertNames = o.alertNames ?? null;
    this.setConfig(o.config ?? []);
  }

  /** Extra names for an alert's destination (set by the sensor once its session evidence exists). */
  set alertNames(f: ((a: ExfilAlert) => readonly string[]) | null) {
    this.#alertNames = f;
  }

  /**
   * Config entries (validated by the config loader, so an error here is a bug and throws);
   * replaces the previous config entries (reload).
   */
  setConfig(entries: readonly AllowlistEntry[]): void {
    this.#config = entries.map((a) => {
      const scope: Record<string, unknown> = {};
      for (const k of ['src', 'dest', 'dest_domain_regex', 'port', 'app_proto'] as const) if (a[k] !== undefined) scope[k] = a[k];
      return compileEntry(`config:${a.name}`, 'config', a, scope);
    });
    this.#register(this.#config);
  }

  /**
   * A pulled list (transport `onSuppressions`): replaces the previous pulled list. Entries that
   * cannot be applied are refused one by one (logged, counted); the rest apply.
   */
  setRemote(list: readonly PulledSuppression[]): void {
    const next: Entry[] = [];
    for (const s of list) {
      const id = `collector:${String(s?.id)}`;
      try {
        if (!s || typeof s !== 'object' || !s.scope || typeof s.scope !== 'object') throw new Error('no scope object');
        next.push(compileEntry(id, 'collector', { reason: String(s.reason ?? ''), owner: String(s.owner ?? ''), expires_at: s.expires_at ?? null }, s.scope as Record<string, unknown>));
      } catch (e) {
        this.#totals.rejected++;
        this.#log?.warn({ code: ErrorCodes.CONFIG_INVALID, suppression: id, err: (e as Error).message, rejected: this.#totals.rejected }, 'pulled suppression refused; it does not apply');
      }
    }
    const before = new Set(this.#remote.map((e) => e.id));
    this.#remote = next;
    this.#register(next);
    const added = next.filter((e) => !before.has(e.id)).map((e) => e.id);
    const removed = [...before].filter((id) => !next.some((e) => e.id === id));
    if (added.length > 0 || removed.length > 0) this.#log?.info({ entries: next.length, added, removed }, 'pulled suppressions applied');
  }

  #register(entries: readonly Entry[]): void {
    for (const e of entries) {
      const c = this.#counters.get(e.id);
      if (c) {
        // Same id, maybe edited: keep the counters, show the current terms; a new expiry warns again.
        if (c.stats.expires_at !== e.expiresAt) Object.assign(c, { warned: false }, { stats: { ...c.stats, lapsed: false } });
        Object.assign(c.stats, { reason: e.reason, owner: e.owner, expires_at: e.expiresAt });
        continue;
      }
      this.#counters.set(e.id, {
        warned: false,
        stats: { id: e.id, source: e.source, reason: e.reason, owner: e.owner, expires_at: e.expiresAt, listed: true, lapsed: false, groups_matched: 0, alerts_suppressed: 0, last_match: null },
      });
    }
  }

  #entries(): Entry[] {
    return this.#config.length === 0 ? this.#remote : this.#remote.length === 0 ? this.#config : [...this.#config, ...this.#remote];
  }

  /** Expiry warnings and lapses at packet time `nowMs`. */
  #clock(nowMs: number): void {
    for (const e of this.#entries()) {
      if (e.expiresMs === null) continue;
      const c = this.#counters.get(e.id);
      if (!c) continue;
      if (nowMs > e.expiresMs) {
        if (!c.stats.lapsed) {
          c.stats.lapsed = true;
          this.#log?.info({ suppression: e.id, expires_at: e.expiresAt, packet_time: new Date(nowMs).toISOString(), groups_matched: c.stats.groups_matched, alerts_suppressed: c.stats.alerts_suppressed }, 'suppression lapsed (packet time); its scope alerts again');
        }
      } else if (!c.warned && e.expiresMs - nowMs <= this.#warningMs) {
        c.warned = true;
        this.#totals.expiry_warnings++;
        const hours = (e.expiresMs - nowMs) / 3_600_000;
        this.#log?.warn({ suppression: e.id, reason: e.reason, owner: e.owner, expires_at: e.expiresAt, packet_time: new Date(nowMs).toISOString(), hours_left: Number(hours.toFixed(1)) }, 'suppression expires soon (packet time); renew it or let its scope alert again');
      }
    }
  }

  observeGroups(groups: readonly { agg: WindowAggregate; names: readonly string[] }[], windowEndNs: bigint): void {
    const entries = this.#entries();
    if (entries.length === 0) return;
    const endMs = nsToMs(windowEndNs);
    this.#clock(endMs);
    const live = entries.filter((e) => inForce(e, endMs));
    if (live.length === 0) return;
    for (const g of groups) {
      const a = g.agg;
      let hit = false;
      for (const e of live) {
        if (!matches(e, a.src_ip, [a.dest_ip], a.dest_port, a.app_proto, g.names)) continue;
        hit = true;
        const c = this.#counters.get(e.id);
        if (c) {
          c.stats.groups_matched++;
          c.stats.last_match = a.window_start;
        }
      }
      if (hit) this.#totals.groups_suppressed++;
    }
  }

  filterAlerts(alerts: readonly AlertToJudge[], windowEndNs: bigint): ExfilAlert[] {
    const entries = this.#entries();
    if (entries.length === 0) return alerts.map((x) => x.alert);
    const endMs = nsToMs(windowEndNs);
    const live = entries.filter((e) => inForce(e, endMs));
    const kept: ExfilAlert[] = [];
    for (const x of alerts) {
      const a = x.alert.aggregate;
      let names: readonly string[] = x.names;
      if (live.some((e) => e.domain !== null)) {
        const ev = x.alert.evidence;
        const extra = [...(ev ? [...ev.sni, ...ev.dns_names, ...ev.http_hosts] : []), ...(this.#alertNames?.(x.alert) ?? [])];
        if (extra.length > 0) names = [...new Set([...x.names, ...extra.map((n) => n.toLowerCase())])];
      }
      let hit = false;
      for (const e of live) {
        if (!matches(e, a.src_ip, x.destIps, a.dest_port, a.app_proto, names)) continue;
        hit = true;
        const c = this.#counters.get(e.id);
        if (c) {
          c.stats.alerts_suppressed++;
          c.stats.last_match = a.window_start;
        }
      }
      if (hit) this.#totals.alerts_suppressed++;
      else kept.push(x.alert);
    }
    return kept;
  }

  stats(): SuppressionStats {
    const listed = new Set(this.#entries().map((e) => e.id));
    const byId = [...this.#counters.values()]
      .filter((c) => listed.has(c.stats.id) || c.stats.groups_matched > 0 || c.stats.alerts_suppressed > 0)
      .map((c) => ({ ...c.stats, listed: listed.has(c.stats.id) }));
    return { entries: listed.size, ...this.#totals, by_id: byId };
  }
}

/**
 * The end-of-run report of the shadow counters: one info line per entry (with its share of all
 * groups judged, so an entry hiding too much stands out) and a warning for a listed entry that
 * matched nothing.
 */
export function logShadowAccounting(log: Logger, s: SuppressionStats, groupsJudged: number): void {
  if (s.by_id.length === 0) return;
  for (const e of s.by_id) {
    const share = groupsJudged > 0 ? Number((e.groups_matched / groupsJudged).toFixed(4)) : 0;
    const fields = { suppression: e.id, source: e.source, reason: e.reason, owner: e.owner, expires_at: e.expires_at, groups_matched: e.groups_matched, share_of_groups: share, alerts_suppressed: e.alerts_suppressed, last_match: e.last_match, lapsed: e.lapsed, listed: e.listed };
    if (e.listed && e.groups_matched === 0 && e.alerts_suppressed === 0) log.warn(fields, 'suppression matched nothing in this run');
    else log.info(fields, 'suppression shadow accounting');
  }
  log.info({ entries: s.entries, groups_suppressed: s.groups_suppressed, alerts_suppressed: s.alerts_suppressed, rejected: s.rejected, expiry_warnings: s.expiry_warnings }, 'suppressions: groups in scope still counted, their alerts not raised or sent');
}
