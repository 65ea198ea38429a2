import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { duration, num, table } from '../../src/core/text.js';

describe('duration', () => {
  it('says a span in the units a person would use', () => {
    const cases: [number | null, string][] = [
      [null, '-'],
      [NaN, '-'],
      [Infinity, '-'],
      [0, '0 s'],
      [-0, '0 s'],
      [0.125, '0.125 ms'],
      [12.3456, '12.3 ms'],
      [400, '400 ms'],
      [999.4, '999 ms'],
      [999.6, '1 s'],
      [4000, '4 s'],
      [44_849, '44.8 s'],
      [59_960, '1m 00s'],
      [180_000.44, '3m 00s'],
      [344_800, '5m 45s'],
      [3_599_600, '1h 00m'],
      [3_720_000, '1h 02m'],
      [86_340_000, '23h 59m'],
      [86_399_999, '1d 00h'],
      [273_600_000, '3d 04h'],
      [-4000, '-4 s'],
    ];
    for (const [ms, text] of cases) expect(duration(ms), String(ms)).toBe(text);
  });

  it('never reads a longer span in a smaller unit', () => {
    const unitOf = (t: string) => (t.endsWith(' ms') ? 0 : t.endsWith(' s') ? 1 : t.endsWith('s') ? 2 : t.endsWith('m') ? 3 : 4);
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e10, noNaN: true }), fc.double({ min: 0, max: 1e10, noNaN: true }), (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        fc.pre(lo > 0); // nothing at all reads `0 s`
        expect(unitOf(duration(lo))).toBeLessThanOrEqual(unitOf(duration(hi)));
      }),
    );
  });
});

describe('num and table', () => {
  it('groups digits in en-US and aligns columns, numbers to the right', () => {
    expect(num(1234567.5)).toBe('1,234,567.5');
    expect(table([['symbol', 'trades'], ['BTCUSDT', '12'], ['ETH']], [false, true])).toEqual(['  symbol   trades', '  BTCUSDT      12', '  ETH']);
  });
});
