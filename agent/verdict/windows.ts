/**
 * Scheduled periods that change a verdict (SPEC section 4, `001_…`, runbook `000_…` step 6):
 *
 * - **Maintenance windows** (per host or subnet; one-off ISO start/end, or recurring days +
 *   minutes): hosts inside one are skipped entirely (no alert, no score) and counted as
 *   `hosts_skipped_mw`.
 * - **Backup windows** (source subnets, destinations as CIDRs or domain suffixes, recurring days +
 *   minutes): a matching upload is lowered one tier with a stated note, never dropped.
 *
 * Recurring periods are read in `business_hours.timezone` (DST through Intl); `end_min <=
 * start_min` wraps past midnight and `days` names the day the period starts on (Monday = 1);
 * equal minutes mean the whole day; no `days` means every day. One-off times without an offset are
 * local to the same zone.
 *
 * A window is "in" a period when the period overlaps any part of it: exactly for one-off periods,
 * at minute resolution (each minute boundary of the window is tested) for recurring ones.
 */
import { CidrSet, parseCidr } from './home-net.js';
import { assertTimeZone, localClock, nsToMs, parseZonedIso, type LocalClock } from './local-time.js';
import type { BackupWindow, MaintenanceWindow, VerdictOptions } from './options.js';

export interface Recurring {
  days: ReadonlySet<number> | null;
  start: number;
  end: number;
}

/** True when a local clock reading falls inside a recurring period. */
export function inRecurring(c: Pick<LocalClock, 'weekday' | 'minute'>, r: Recurring): boolean {
  const on = (d: number): boolean => r.days === null || r.days.has(d);
  if (r.start === r.end) return on(c.weekday);
  if (r.start < r.end) return on(c.weekday) && c.minute >= r.start && c.minute < r.end;
  const prev = c.weekday === 1 ? 7 : c.weekday - 1;
  return (on(c.weekday) && c.minute >= r.start) || (on(prev) && c.minute < r.end);
}

function recurring(name: string, days: number[] | undefined, start: number | undefined, end: number | undefined): Recurring {
  if (start === undefined || end === undefined) throw new Error(`window '${name}': give start_min and end_min (or start and end)`);
  for (const m of [start, end]) {
    if (!Number.isInteger(m) || m < 0 || m > 1440) throw new Error(`window '${name}': minutes must be 0..1440, got ${m}`);
  }
  for (const d of days ?? []) {
    if (!Number.isInteger(d) || d < 1 || d > 7) throw new Error(`window '${name}': days are 1 (Monday) .. 7 (Sunday), got ${d}`);
  }
  return { days: days && days.length > 0 ? new Set(days) : null, start: start % 1440, end: end % 1440 };
}

interface CompiledMaintenance {
  name: string;
  hosts: CidrSet;
  oneOff: { startMs: number; endMs: number } | null;
  recurring: Recurring | null;
}

interface CompiledBackup {
  name: string;
  sources: CidrSet;
  destCidrs: CidrSet;
  destSuffixes: string[];
  recurring: Recurring;
}

function normalizeName(n: string): string {
  return n.trim().toLowerCase().replace(/\.$/, '');
}

function isCidr(text: string): boolean {
  try {
    parseCidr(text);
    return true;
  } catch {
    return false;
  }
}

/** The compiled maintenance and backup schedules. Throws on a malformed entry, naming it. */
export class Schedules {
  private readonly tz: string;
  private readonly maintenance: CompiledMaintenance[];
  private readonly backups: CompiledBackup[];
  private cacheKey = '';
  private cacheClocks: LocalClock[] = [];

  constructor(opts: Pick<VerdictOptions, 'maintenance_windows' | 'backup_windows' | 'business_hours'>) {
    this.tz = opts.business_hours.timezone;
    assertTimeZone(this.tz);
    this.maintenance = opts.maintenance_windows.map((w) => this.compileMaintenance(w));
    this.backups = opts.backup_windows.map((w) => this.compileBackup(w));
  }

  private compileMaintenance(w: MaintenanceWindow): CompiledMaintenance {
    const hosts = new CidrSet(w.hosts);
    if (w.start !== undefined || w.end !== undefined) {
      if (w.start === undefined || w.end === undefined) throw new Error(`maintenance window '${w.name}': one-off needs both start and end`);
      const startMs = parseZonedIso(w.start, this.tz);
      const endMs = parseZonedIso(w.end, this.tz);
      if (!(endMs > startMs)) throw new Error(`maintenance window '${w.name}': end must be after start`);
      return { name: w.name, hosts, oneOff: { startMs, endMs }, recurring: null };
    }
    return { name: w.name, hosts, oneOff: null, recurring: recurring(`maintenance ${w.name}`, w.days, w.start_min, w.end_min) };
  }

  private compileBackup(w: BackupWindow): CompiledBackup {
    const cidrs = w.destinations.filter(isCidr);
    const suffixes = w.destinations.filter((d) => !isCidr(d)).map((d) => normalizeName(d).replace(/^\*?\./, ''));
    return {
      name: w.name,
      sources: new CidrSet(w.sources),
      destCidrs: new CidrSet(cidrs),
      destSuffixes: suffixes.filter((s) => s.length > 0),
      recurring: recurring(`backup ${w.name}`, w.days, w.start_min, w.end_min),
    };
  }

  /** Local clocks at the start of each minute overlapping [start, end) (cached for the last window). */
  private clocks(startNs: bigint, endNs: bigint): LocalClock[] {
    const key = `${startNs}:${endNs}`;
    if (key === this.cacheKey) return this.cacheClocks;
    const startMs = nsToMs(startNs);
    const endMs = Math.max(startMs + 1, nsToMs(endNs));
    const out: LocalClock[] = [localClock(startMs, this.tz)];
    for (let t = Math.floor(startMs / 60_000) * 60_000 + 60_000; t < endMs; t += 60_000) out.push(localClock(t, this.tz));
    this.cacheKey = key;
    this.cacheClocks = out;
    return out;
  }

  private overlapsRecurring(r: Recurring, startNs: bigint, endNs: bigint): boolean {
    return this.clocks(startNs, endNs).some((c) => inRecurring(c, r));
  }

  /** Name of the first maintenance window covering `src` during [start, end), or null. */
  maintenanceFor(src: string, startNs: bigint, endNs: bigint): string | null {
    for (const w of this.maintenance) {
      if (!w.hosts.contains(src)) continue;
      if (w.oneOff) {
        const s = nsToMs(startNs);
        const e = Math.max(s + 1, nsToMs(endNs));
        if (w.oneOff.startMs < e && s < w.oneOff.endMs) return w.name;
      } else if (w.recurring && this.overlapsRecurring(w.recurring, startNs, endNs)) {
        return w.name;
      }
    }
    return null;
  }

  /** The first backup window matching the source, the destination (IP or any name) and the time. */
  backupFor(src: string, destIp: string, names: readonly string[], startNs: bigint, endNs: bigint): string | null {
    for (const w of this.backups) {
      if (!w.sources.contains(src)) continue;
      const destOk =
        w.destCidrs.contains(destIp) ||
        names.some((n) => {
          const h = normalizeName(n);
          return w.destSuffixes.some((s) => h === s || h.endsWith(`.${s}`));
        });
      if (!destOk) continue;
      if (this.overlapsRecurring(w.recurring, startNs, endNs)) return w.name;
    }
    return null;
  }

  /** Local clock at an instant in the configured zone. */
  clockAt(ns: bigint): LocalClock {
    return localClock(nsToMs(ns), this.tz);
  }
}
