/**
 * The SPEC severity ladder (section 4, runbook `000_…` step 2), applied mechanically:
 *
 * | severity | rule |
 * |---|---|
 * | critical | ratio >= 10 and upload >= 100 MB; or any IOC match on the destination |
 * | high     | (ratio >= 5 and upload >= 10 MB) or (ratio >= 2 and upload >= 100 MB) |
 * | medium   | ratio >= 2 and upload >= 10 MB |
 * | low      | ratio >= 2 and upload >= 1 MB (the floor: below it, no alert) |
 *
 * MB = 1,048,576 bytes; every boundary is inclusive; the ratio is upload / download capped at
 * `ratio_cap` (999.99), also when download is 0. The rungs come from `VerdictOptions.ladder`.
 */
import type { LadderRung, VerdictOptions } from './options.js';
import type { IocMatch, Severity } from './types.js';

/** 1 MB as the runbook defines it. */
export const MB = 1_048_576;

/** Highest first. */
export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low'];

/** critical = 4 ... low = 1, none = 0: for comparisons and sorting. */
export function severityRank(s: Severity | null): number {
  return s === null ? 0 : 4 - SEVERITIES.indexOf(s);
}

/** The tier one below (`low` stays `low`: the ladder has nothing under it but "no alert"). */
export function lowerTier(s: Severity): Severity {
  return SEVERITIES[Math.min(SEVERITIES.indexOf(s) + 1, SEVERITIES.length - 1)] ?? 'low';
}

/**
 * upload / download, capped at `cap`. Download 0 with upload > 0 gives the cap; nothing at all
 * (0 / 0) gives 0.
 */
export function uploadRatio(upload: number, download: number, cap: number): number {
  if (upload <= 0) return 0;
  if (download <= 0) return cap;
  return Math.min(upload / download, cap);
}

/** The ratio as alerts print it: two decimals, rounded down so a printed 2.00 really cleared 2. */
export function displayRatio(ratio: number): number {
  return Math.floor(ratio * 100 + 1e-9) / 100;
}

/** Producer-Consumer Ratio (up - down) / (up + down) in [-1, 1]; 0 when nothing moved. */
export function pcr(upload: number, download: number): number {
  const total = upload + download;
  return total > 0 ? (upload - download) / total : 0;
}

function formatVolume(bytes: number): string {
  if (bytes % MB === 0) return `${bytes / MB}MB`;
  return `${bytes}B`;
}

/** `ratio>=10&upload>=100MB` */
export function rungLabel(r: LadderRung): string {
  return `ratio>=${r.min_ratio}&upload>=${formatVolume(r.min_upload_bytes)}`;
}

/** Inclusive on both floors. */
export function rungHolds(r: LadderRung, ratio: number, upload: number): boolean {
  return ratio >= r.min_ratio && upload >= r.min_upload_bytes;
}

export interface SeverityResult {
  /** Final tier (IOC promotion included), or null below the Low floor without IOC. */
  severity: Severity | null;
  /** Tier from ratio and volume alone (null below Low). */
  behavioral: Severity | null;
  /** Rungs of the behavioral tier that hold, which confidence measures the clearance over. */
  rungs: LadderRung[];
  /** Rule labels: the behavioral tier's holding rungs, then `ioc:<kind>:<feed>` per feed. */
  rules_fired: string[];
  /** Capped ratio used for the decision. */
  ratio: number;
}

/** Places an upload on the ladder. IOC matches promote to critical regardless of the numbers. */
export function classify(
  upload: number,
  download: number,
  opts: Pick<VerdictOptions, 'ladder' | 'ratio_cap'>,
  iocMatches: readonly IocMatch[] = [],
): SeverityResult {
  const ratio = uploadRatio(upload, download, opts.ratio_cap);
  let behavioral: Severity | null = null;
  let rungs: LadderRung[] = [];
  for (const tier of SEVERITIES) {
    const holding = opts.ladder[tier].filter((r) => rungHolds(r, ratio, upload));
    if (holding.length > 0) {
      behavioral = tier;
      rungs = holding;
      break;
    }
  }
  const rules = rungs.map(rungLabel);
  const iocRules = [...new Set(iocMatches.map((m) => `ioc:${m.kind}:${m.feed}`))].sort();
  rules.push(...iocRules);
  return {
    severity: iocMatches.length > 0 ? 'critical' : behavioral,
    behavioral,
    rungs,
    rules_fired: rules,
    ratio,
  };
}
