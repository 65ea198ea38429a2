/**
 * Plain text for people: numbers, spans of time and aligned columns, as the command line, the
 * data-quality report and the sweep's error messages print them. One set of rules, so a
 * duration reads the same in a backtest's table, a data-quality gap and a run's time limit.
 * Pure (no Node API): the pure layers and Deno may use it.
 */
import { DAY_MS, HOUR_MS, MINUTE_MS } from './time.js';

/** `12,345`: digits grouped, en-US, whatever the machine's locale. */
export function num(n: number): string {
  return n.toLocaleString('en-US');
}

const two = (x: number) => String(x).padStart(2, '0');

/**
 * A span of time for reading, in the units a person would say it in: three significant figures
 * under a second, tenths of a second under a minute, then whole seconds, minutes or hours
 * beside the larger unit; nothing at all reads `0 s`. `-` for null or a value that is not finite.
 *
 * @example duration(0.125)      // '0.125 ms'
 * @example duration(400)        // '400 ms'
 * @example duration(4000)       // '4 s'
 * @example duration(44_800)     // '44.8 s'
 * @example duration(180_000)    // '3m 00s'
 * @example duration(3_720_000)  // '1h 02m'
 * @example duration(273_600_000) // '3d 04h'
 */
export function duration(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '-';
  if (ms < 0) return `-${duration(-ms)}`;
  if (ms === 0) return '0 s';
  const small = +ms.toPrecision(3);
  if (small < 1000) return `${small} ms`;
  const tenths = Math.round(ms / 100) / 10;
  if (tenths < 60) return `${tenths} s`;
  const s = Math.round(ms / 1000);
  if (s * 1000 < HOUR_MS) return `${Math.floor(s / 60)}m ${two(s % 60)}s`;
  const m = Math.round(ms / MINUTE_MS);
  if (m * MINUTE_MS < DAY_MS) return `${Math.floor(m / 60)}h ${two(m % 60)}m`;
  const h = Math.round(ms / HOUR_MS);
  return `${Math.floor(h / 24)}d ${two(h % 24)}h`;
}

/**
 * Rows as text columns, two spaces apart and two in from the margin: left-aligned, or
 * right-aligned where `right[i]` (numbers). Rows may differ in length.
 *
 * @example table([['symbol', 'trades'], ['BTCUSDT', '12']], [false, true])
 * // ['  symbol   trades', '  BTCUSDT      12']
 */
export function table(rows: readonly (readonly string[])[], right: readonly boolean[] = []): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => `  ${r.map((c, i) => (right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd()}`);
}
