/** Sizes and durations written with units, as operators write them (`128 MiB`, `15m`). */

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

/** `"128 MiB"` -> 134217728. Throws a message naming the accepted units on anything else. */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = (m?.[2] ?? '').toLowerCase() || 'b';
  const factor = SIZE_UNITS[unit];
  if (!m || factor === undefined) {
    throw new Error(`'${text}' is not a size; use a number with B, KB, MB, GB, KiB, MiB, GiB or TiB (e.g. "128 MiB")`);
  }
  return Math.round(Number(m[1]) * factor);
}

const DURATION_UNITS: Record<string, number> = { ms: 1e-3, s: 1, m: 60, h: 3600, d: 86400 };

/** `"15m"` -> 900 (seconds). */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(text);
  const factor = m ? DURATION_UNITS[m[2] ?? ''] : undefined;
  if (!m || factor === undefined) {
    throw new Error(`'${text}' is not a duration; use a number with ms, s, m, h or d (e.g. "15m")`);
  }
  return Number(m[1]) * factor;
}

/** `"08:30"` -> 510 (minutes after midnight). `"24:00"` (1440) is accepted only where `allowEndOfDay`. */
export function parseClock(text: string, allowEndOfDay = false): number {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
  if (m) return Number(m[1]) * 60 + Number(m[2]);
  if (allowEndOfDay && text === '24:00') return 1440;
  throw new Error(`'${text}' is not a time of day; use HH:MM on a 24-hour clock (e.g. "08:00")`);
}

/** Day names as the config writes them, Monday = 1 ... Sunday = 7 (ISO 8601). */
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export function weekdayNumber(day: Weekday): number {
  return WEEKDAYS.indexOf(day) + 1;
}
