/**
 * Spans as people type them — `100ms`, `1s`, `1m`, `500ev` — parsed once at the edge (flags,
 * environment, configuration files) into the `{ ms }` / `{ events }` shapes the calculators take,
 * and written back the same way, so a default can be shown as `1s` and read back unchanged.
 *
 * A time span is a positive number and a unit (`ms`, `s`, `m`, `h`); an event span is a positive
 * integer followed by `ev`. Anything else is refused with a message saying what was expected.
 */
import { UserInputError } from './errors.js';
import { HOUR_MS, MINUTE_MS } from './time.js';

/** A span counted in events or in milliseconds (the shape of rolling windows and bars). */
export type Span = { ms: number } | { events: number };

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: MINUTE_MS, h: HOUR_MS };
const DURATION_RE = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/;
const EVENTS_RE = /^(\d+)\s*ev$/;

/** What a duration looks like, for messages. */
export const DURATION_HELP = 'a duration such as 100ms, 1s, 1m or 1h';
/** What a span looks like, for messages. */
export const SPAN_HELP = 'a duration (100ms, 1s, 1m) or an event count (500ev)';

/**
 * Milliseconds of a duration text, or `null` when it is not one (or not above zero, unless
 * `allowZero`).
 * @example parseDuration('1.5s') // 1500
 */
export function parseDuration(text: string, allowZero = false): number | null {
  const m = DURATION_RE.exec(String(text).trim());
  if (!m) return null;
  const ms = Number(m[1]) * UNIT_MS[m[2]!]!;
  if (!Number.isFinite(ms) || ms < 0 || (ms === 0 && !allowZero)) return null;
  return ms;
}

/**
 * A span text (`1s`, `500ev`) as `{ ms }` or `{ events }`, or `null` when it is neither.
 * @example parseSpan('500ev') // { events: 500 }
 */
export function parseSpan(text: string): Span | null {
  const t = String(text).trim();
  const e = EVENTS_RE.exec(t);
  if (e) {
    const n = Number(e[1]);
    return Number.isSafeInteger(n) && n >= 1 ? { events: n } : null;
  }
  const ms = parseDuration(t);
  return ms === null ? null : { ms };
}

/**
 * Like {@link parseSpan}, but throws a one-line {@link UserInputError} naming `field` and the value.
 * @example spanOrThrow('1x', '--bar') // throws "--bar: expected a duration (100ms, 1s, 1m) or an event count (500ev), got '1x'"
 */
export function spanOrThrow(text: string, field: string): Span {
  const s = parseSpan(text);
  if (!s) throw new UserInputError(`${field}: expected ${SPAN_HELP}, got '${text}'`, 'E_OPTION');
  return s;
}

/**
 * Milliseconds of a duration text; throws a one-line {@link UserInputError} naming `field` and the value.
 * @example durationOrThrow('30m', '--exclude-open-close') // 1_800_000
 */
export function durationOrThrow(text: string, field: string, allowZero = false): number {
  const ms = parseDuration(text, allowZero);
  if (ms === null) throw new UserInputError(`${field}: expected ${DURATION_HELP}${allowZero ? ' (0s for none)' : ''}, got '${text}'`, 'E_OPTION');
  return ms;
}

/**
 * A duration in the largest unit that divides it exactly.
 * @example formatDuration(60_000) // '1m'
 * @example formatDuration(1500) // '1500ms'
 */
export function formatDuration(ms: number): string {
  for (const unit of ['h', 'm', 's'] as const) {
    const u = UNIT_MS[unit]!;
    if (ms > 0 && ms % u === 0) return `${ms / u}${unit}`;
  }
  return `${ms}ms`;
}

/**
 * A span as text, the inverse of {@link parseSpan}.
 * @example formatSpan({ events: 500 }) // '500ev'
 */
export function formatSpan(s: Span): string {
  return 'events' in s ? `${s.events}ev` : formatDuration(s.ms);
}
