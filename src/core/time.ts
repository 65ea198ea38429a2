/**
 * Clocks and time units. Everything inside the toolkit is milliseconds since the Unix epoch
 * as a `number`; recorders write receive times in nanoseconds, microseconds, milliseconds or
 * fractional seconds, and this module tells them apart by magnitude and converts them once.
 */

/** Units a recorder may write its receive time in. */
export type TimeUnit = 's' | 'ms' | 'us' | 'ns';

/** Milliseconds in one minute. */
export const MINUTE_MS = 60_000;
/** Milliseconds in one hour. */
export const HOUR_MS = 3_600_000;
/** Milliseconds in one UTC day. */
export const DAY_MS = 86_400_000;

/** Plausible epochs: 2000-01-01 to 2100-01-01, in seconds. */
const MIN_EPOCH_S = 946_684_800;
const MAX_EPOCH_S = 4_102_444_800;

const UNIT_SCALE: Record<TimeUnit, number> = { s: 1, ms: 1e3, us: 1e6, ns: 1e9 };

/**
 * The unit of an epoch timestamp, told by its magnitude: a date between 2000 and 2100 is
 * about 1e9 in seconds, 1e12 in ms, 1e15 in µs and 1e18 in ns, so the ranges never overlap.
 * Returns `null` when the value fits no unit.
 *
 * @example detectTimeUnit(1721347020984480942) // 'ns'
 * @example detectTimeUnit(1626992741.06217)    // 's'
 */
export function detectTimeUnit(value: number): TimeUnit | null {
  if (!Number.isFinite(value) || value <= 0) return null;
  for (const unit of ['s', 'ms', 'us', 'ns'] as const) {
    const s = value / UNIT_SCALE[unit];
    if (s >= MIN_EPOCH_S && s < MAX_EPOCH_S) return unit;
  }
  return null;
}

/**
 * An epoch timestamp written as decimal text, in the given unit, to milliseconds.
 * Integer nanosecond and microsecond text is split before conversion so the result is the
 * nearest double to the exact value (a nanosecond epoch itself exceeds 2^53).
 * Returns `NaN` for text that is not a number.
 */
export function epochTextToMs(text: string, unit: TimeUnit): number {
  if (unit === 'ns' || unit === 'us') {
    const digits = unit === 'ns' ? 6 : 3;
    if (text.length > digits && isAllDigits(text)) {
      const head = text.slice(0, text.length - digits);
      const tail = text.slice(text.length - digits);
      return Number(head) + Number(tail) / 10 ** digits;
    }
  }
  const v = Number(text);
  if (text.length === 0 || !Number.isFinite(v)) return NaN;
  return (v * 1e3) / UNIT_SCALE[unit];
}

function isAllDigits(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** UTC day number (days since epoch) of a ms timestamp. */
export function utcDay(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

/** `YYYY-MM-DD` of a UTC day number. */
export function dayToDate(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** `YYYY-MM-DD` (UTC) of a ms timestamp: the date partition of an event. */
export function utcDate(ms: number): string {
  return dayToDate(utcDay(ms));
}

/**
 * Parse a time given by a user: epoch ms, epoch in any unit {@link detectTimeUnit} knows,
 * or an ISO-8601 date / date-time (UTC unless it names a zone). `null` if unparsable.
 */
export function parseTimeArg(text: string): number | null {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) {
    const unit = detectTimeUnit(Number(t));
    return unit ? epochTextToMs(t, unit) : null;
  }
  const iso = /^\d{4}-\d{2}-\d{2}$/.test(t) ? `${t}T00:00:00Z` : /[zZ]|[+-]\d{2}:?\d{2}$/.test(t) ? t : `${t}Z`;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms;
}
