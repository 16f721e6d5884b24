/**
 * Alert confidence in [0.40, 0.99]: how far a group clears the floors of its tier.
 *
 * Formula. For the behavioral tier T and each of its rungs r that holds
 * (ratio >= r.min_ratio and upload >= r.min_upload_bytes):
 *
 *     clear(r) = 1/2 * min(1, log10(ratio  / r.min_ratio))
 *              + 1/2 * min(1, log10(upload / r.min_upload_bytes))
 *
 * i.e. the log-margin over each floor, normalized so that one decade (10x) above the floor earns
 * that axis its full half (a floor of 0 counts as fully cleared). c = max over the holding rungs,
 * in [0, 1]. Then
 *
 *     confidence = base(T) + span(T) * c
 *
 * with low 0.40 + 0.15c, medium 0.55 + 0.15c, high 0.70 + 0.15c, critical 0.85 + 0.13c (so
 * behavioral evidence alone tops out at 0.98), and **any IOC match sets 0.99**. Rounded to four
 * decimals (rounding is monotonic).
 *
 * Monotonic: with download fixed, more upload raises the ratio and the volume, so every term is
 * non-decreasing, the set of holding rungs only grows, and the tier only rises; the top of each
 * band (base + span) equals the base of the band above, so crossing into a higher tier never
 * lowers the value. The same holds for a higher ratio at a fixed volume.
 *
 * Confidence describes the ladder reading; policy adjustments made afterwards (backup-window
 * downgrade, established destination) are stated in the alert's notes and do not change it.
 */
import type { LadderRung } from './options.js';
import type { Severity } from './types.js';

export const CONFIDENCE_MIN = 0.4;
export const CONFIDENCE_MAX = 0.99;
/** Highest confidence behavioral evidence alone can reach. */
export const CONFIDENCE_BEHAVIORAL_MAX = 0.98;

const BANDS: Record<Severity, { base: number; span: number }> = {
  low: { base: 0.4, span: 0.15 },
  medium: { base: 0.55, span: 0.15 },
  high: { base: 0.7, span: 0.15 },
  critical: { base: 0.85, span: 0.13 },
};

function axis(value: number, floor: number): number {
  if (floor <= 0) return 1;
  if (value <= floor) return 0;
  return Math.min(1, Math.log10(value / floor));
}

/** Normalized clearance of one rung, in [0, 1] (0 when the rung does not hold). */
export function rungClearance(r: LadderRung, ratio: number, upload: number): number {
  if (ratio < r.min_ratio || upload < r.min_upload_bytes) return 0;
  return 0.5 * axis(ratio, r.min_ratio) + 0.5 * axis(upload, r.min_upload_bytes);
}

/**
 * Confidence of a ladder reading. `tier` is the behavioral tier (null below Low: only possible
 * with an IOC match), `rungs` its holding rungs.
 */
export function confidence(
  tier: Severity | null,
  rungs: readonly LadderRung[],
  ratio: number,
  upload: number,
  iocMatched: boolean,
): number {
  if (iocMatched) return CONFIDENCE_MAX;
  if (tier === null) return CONFIDENCE_MIN;
  const c = rungs.reduce((best, r) => Math.max(best, rungClearance(r, ratio, upload)), 0);
  const band = BANDS[tier];
  const value = band.base + band.span * c;
  return Math.round(Math.min(CONFIDENCE_BEHAVIORAL_MAX, Math.max(CONFIDENCE_MIN, value)) * 10_000) / 10_000;
}
