/**
 * Packet time read on a configured wall clock (IANA zone) through Intl, DST included. The
 * verdict never asks the machine for the time: every instant here comes from packet or window
 * timestamps.
 */

/** ns since the epoch -> ms (integer, floor for times after 1970). */
export function nsToMs(ns: bigint): number {
  return Number(ns / 1_000_000n);
}

/** Local weekday (Monday = 1 ... Sunday = 7) and minutes after local midnight. */
export interface LocalClock {
  weekday: number;
  minute: number;
  /** `2024-03-31 02:30` in the zone, for explanations. */
  text: string;
}

const WEEKDAYS: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };
export const WEEKDAY_NAMES = ['', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      weekday: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Throws when the zone is not an IANA name Intl knows. */
export function assertTimeZone(timeZone: string): void {
  try {
    formatter(timeZone);
  } catch {
    throw new Error(`'${timeZone}' is not a known IANA time zone (e.g. "UTC", "Europe/Berlin")`);
  }
}

interface Fields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number;
}

function fields(ms: number, timeZone: string): Fields {
  const out: Record<string, string> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(ms))) out[p.type] = p.value;
  return {
    year: Number(out.year),
    month: Number(out.month),
    day: Number(out.day),
    hour: Number(out.hour) % 24,
    minute: Number(out.minute),
    second: Number(out.second),
    weekday: WEEKDAYS[out.weekday ?? ''] ?? 0,
  };
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** The local clock of an instant given in milliseconds since the epoch. */
export function localClock(ms: number, timeZone: string): LocalClock {
  const f = fields(ms, timeZone);
  return {
    weekday: f.weekday,
    minute: f.hour * 60 + f.minute,
    text: `${f.year}-${pad(f.month)}-${pad(f.day)} ${pad(f.hour)}:${pad(f.minute)}`,
  };
}

/** Offset of the zone from UTC at an instant, in milliseconds (local = utc + offset). */
function offsetMs(ms: number, timeZone: string): number {
  const f = fields(ms, timeZone);
  const asUtc = Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, f.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/**
 * Parses an ISO-8601 date-time. With `Z` or an offset it is absolute; without one it is read
 * as local time in `timeZone` (a nonexistent local time in a DST gap moves forward by the gap,
 * an ambiguous one takes the earlier instant). Returns ms since the epoch; throws on bad text.
 */
export function parseZonedIso(text: string, timeZone: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(text.trim());
  if (!m) throw new Error(`'${text}' is not an ISO-8601 date-time (e.g. "2024-03-12T02:00:00Z")`);
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const msPart = frac ? Math.floor(Number(`0.${frac}`) * 1000) : 0;
  const wall = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0), msPart);
  if (Number.isNaN(wall)) throw new Error(`'${text}' is not a valid date-time`);
  if (zone === 'Z') return wall;
  if (zone) {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    return wall - sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  // Local wall time: try the offsets in force a day before and a day after. A candidate is valid
  // when the zone really has that offset at it; two valid ones = ambiguous (take the earlier),
  // none = a DST gap (take the later, i.e. move forward by the gap).
  const day = 86_400_000;
  const candidates = [wall - offsetMs(wall - day, timeZone), wall - offsetMs(wall + day, timeZone)];
  const valid = candidates.filter((c) => c + offsetMs(c, timeZone) === wall);
  return valid.length > 0 ? Math.min(...valid) : Math.max(...candidates);
}
