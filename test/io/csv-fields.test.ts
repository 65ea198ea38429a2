import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BoolText, Decimal, IntText, SecondsText, UIntText } from '../../src/core/wire.js';
import { CsvFields, scanBool, scanDecimal, scanInt, scanSecondsToMs, scanUInt } from '../../src/io/csv-fields.js';

// text made of the characters that matter to number syntax, so near-misses are frequent
const numberish = fc.string({ unit: fc.constantFrom(...'0123456789.-eE+ xtrueTfalsF'.split('')), maxLength: 12 });
// well-formed decimals with long and short mantissas
const decimals = fc
  .tuple(fc.boolean(), fc.stringMatching(/^\d{1,20}$/), fc.option(fc.stringMatching(/^\d{0,12}$/)), fc.option(fc.stringMatching(/^[eE][-+]?\d{1,3}$/)))
  .map(([neg, int, frac, exp]) => `${neg ? '-' : ''}${int}${frac === null ? '' : `.${frac}`}${exp ?? ''}`);
const anyText = fc.oneof(numberish, decimals);

describe('CSV field scanners agree with the zod schemas that explain refusals', () => {
  it('scanDecimal accepts what Decimal accepts, with the same double', () => {
    fc.assert(
      fc.property(anyText, (s) => {
        const v = scanDecimal(`,${s},`, 1, s.length + 1);
        const z = Decimal.safeParse(s);
        expect(!Number.isNaN(v), s).toBe(z.success);
        if (z.success) expect(Object.is(v, z.data), s).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('scanUInt / scanInt accept what UIntText / IntText accept', () => {
    fc.assert(
      fc.property(fc.oneof(numberish, fc.stringMatching(/^-?\d{1,20}$/)), (s) => {
        const u = scanUInt(s, 0, s.length);
        const zu = UIntText.safeParse(s);
        expect(!Number.isNaN(u), s).toBe(zu.success);
        if (zu.success) expect(u, s).toBe(zu.data);
        const i = scanInt(s, 0, s.length);
        const zi = IntText.safeParse(s);
        expect(!Number.isNaN(i), s).toBe(zi.success);
        if (zi.success) expect(Object.is(i, zi.data), s).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('scanBool accepts what BoolText accepts', () => {
    for (const s of ['true', 'false', 'True', 'False', 'TRUE', 'tru', 'falsey', '', '1', '0', 'yes']) {
      expect(scanBool(s, 0, s.length) >= 0, s).toBe(BoolText.safeParse(s).success);
    }
    expect(scanBool('x,True,y', 2, 6)).toBe(1);
    expect(scanBool('x,false', 2, 7)).toBe(0);
  });

  it('scanSecondsToMs accepts what SecondsText accepts, to the nanosecond', () => {
    fc.assert(
      fc.property(fc.oneof(numberish, fc.stringMatching(/^\d{1,5}(\.\d{1,9})?$/)), (s) => {
        const v = scanSecondsToMs(s, 0, s.length);
        const z = SecondsText.safeParse(s);
        expect(!Number.isNaN(v), s).toBe(z.success);
        if (z.success) expect(Math.abs(v - z.data * 1000), s).toBeLessThan(1e-6);
      }),
      { numRuns: 3000 },
    );
    expect(scanSecondsToMs('34200.017459617', 0, 15)).toBe(34200017.459617);
  });

  it('CsvFields cuts a line at its commas and parses fields in place', () => {
    const f = new CsvFields();
    expect(f.split('1,2.5,,true')).toBe(4);
    expect([f.uint(0), f.decimal(1), f.text(2), f.bool(3)]).toEqual([1, 2.5, '', 1]);
    expect(Number.isNaN(f.uint(2)), 'an empty field is not 0').toBe(true);
    const wide = Array.from({ length: 200 }, (_, i) => i).join(',');
    expect(f.split(wide)).toBe(200);
    expect(f.uint(199)).toBe(199);
    expect(f.split('')).toBe(1);
  });
});
