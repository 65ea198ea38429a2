/**
 * JSON text whose bytes depend on the value alone: what the toolkit writes for results that are
 * compared byte for byte (a run's `metrics.json`, a sweep's `scoreboard.json`). Pure.
 */

/**
 * JSON text of a value with keys in the order given, two-space indentation and a final
 * newline; NaN and ±Infinity become null and −0 becomes 0, so equal values give equal bytes.
 *
 * @example stableJson({ a: NaN, b: -0 }) // '{\n  "a": null,\n  "b": 0\n}\n'
 */
export function stableJson(value: unknown): string {
  return `${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' ? (Number.isFinite(v) ? (Object.is(v, -0) ? 0 : v) : null) : v), 2)}\n`;
}
