/**
 * Trading sessions on a 24-hour market: the UTC day cut at fixed times of day. Crypto futures
 * never close, so "the session" is a convention: Asia/Europe/US thirds at 00:00, 08:00 and
 * 16:00 UTC, the funding windows of Binance USD-M (funding at 00:00, 08:00, 16:00 UTC), or just
 * the UTC day. A cumulative flow that resets per session forgets yesterday's imbalance.
 *
 * @see https://www.binance.com/en/support/faq/introduction-to-binance-futures-funding-rates-360033525031
 */
import { UserInputError } from '../core/errors.js';
import { DAY_MS } from '../core/time.js';

const TIME_OF_DAY_RE = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/;

/**
 * `'HH:MM'`, `'HH:MM:SS'` or `'HH:MM:SS.mmm'` (UTC) to milliseconds after midnight.
 * Throws a {@link UserInputError} naming the value when it is not a time of day.
 *
 * @example parseTimeOfDay('08:00') // 28_800_000
 */
export function parseTimeOfDay(text: string, field = 'session start'): number {
  const m = TIME_OF_DAY_RE.exec(text.trim());
  const h = m ? Number(m[1]) : NaN;
  const min = m ? Number(m[2]) : NaN;
  const s = m?.[3] ? Number(m[3]) : 0;
  const ms = m?.[4] ? Number(m[4].padEnd(3, '0')) : 0;
  if (!m || h > 23 || min > 59 || s > 59) {
    throw new UserInputError(`${field}: expected a UTC time of day 'HH:MM' (00:00–23:59), got '${text}'`, 'E_OPTION');
  }
  return ((h * 60 + min) * 60 + s) * 1000 + ms;
}

/**
 * Maps a timestamp to the session it falls in, for a list of session start times of day.
 * A session runs from one start to the next; the last of the day runs to the first start of
 * the next day, so times before the first start belong to yesterday's last session.
 *
 * Consecutive timestamps nearly always fall in the same session, so {@link SessionClock.advance}
 * tests the cached bounds first and only recomputes when a timestamp leaves them: a hot loop pays
 * two comparisons per event.
 *
 * @example
 * const c = new SessionClock(['00:00', '08:00', '16:00']);
 * c.advance(Date.UTC(2024, 7, 8, 9)); // true (first session seen)
 * c.start === Date.UTC(2024, 7, 8, 8); // true
 */
export class SessionClock {
  /** Session starts, milliseconds after midnight UTC, ascending and distinct. */
  readonly starts: Float64Array;
  /** Start of the current session (inclusive), ms since epoch; `NaN` before the first timestamp. */
  start = NaN;
  /** End of the current session (exclusive). */
  end = NaN;

  constructor(starts: readonly string[]) {
    if (starts.length === 0) throw new UserInputError('sessions: expected at least one start time, got an empty list', 'E_OPTION');
    const ms = starts.map((s, i) => parseTimeOfDay(s, `sessions[${i}]`)).sort((a, b) => a - b);
    for (let i = 1; i < ms.length; i++) {
      if (ms[i] === ms[i - 1]) throw new UserInputError(`sessions: start times must be distinct, got ${JSON.stringify(starts)}`, 'E_OPTION');
    }
    this.starts = Float64Array.from(ms);
  }

  /**
   * Move to the session of `ts`. Returns true when a new session began (the first timestamp, or
   * one at or after the current session's end). A timestamp before the current session's start
   * (a late print) stays in the current session: sessions only move forward.
   */
  advance(ts: number): boolean {
    if (ts < this.end || Number.isNaN(ts)) return false;
    this.locate(ts);
    return true;
  }

  /** Forget the current session. */
  reset(): void {
    this.start = NaN;
    this.end = NaN;
  }

  private locate(ts: number): void {
    const k = this.starts.length;
    const day = Math.floor(ts / DAY_MS) * DAY_MS;
    const tod = ts - day;
    let j = k - 1;
    while (j >= 0 && this.starts[j]! > tod) j--;
    if (j < 0) {
      this.start = day - DAY_MS + this.starts[k - 1]!;
      this.end = day + this.starts[0]!;
    } else {
      this.start = day + this.starts[j]!;
      this.end = j + 1 < k ? day + this.starts[j + 1]! : day + DAY_MS + this.starts[0]!;
    }
  }
}
