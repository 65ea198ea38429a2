/**
 * The contract every calculator passes, written once (CONVENTIONS.md point 5):
 * - streaming equals columnar, to 1e-12, on random input (fast-check) and on real data, whether
 *   the columnar face gets the whole input in one call or in random chunks with its state
 *   carried from one call to the next;
 * - `update` returns what `value` then reads, and `isReady` is true exactly when it is not null;
 * - `reset()` gives the same outputs as a fresh instance;
 * - warm-up: `null` before the calculator is ready, then a value.
 *
 * Call {@link testCalculatorContract} from a test file; it declares a `describe` block.
 *
 * @see trading-signals' shared indicator tests; arrow's generated-data validators (the same idea).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { StreamingCalculator } from '../../src/microstructure/calculator.js';

/** What a calculator's contract test needs to know about it. */
export interface CalculatorContract<In, Out, S, C extends StreamingCalculator<never, Out> = StreamingCalculator<In, Out>> {
  /** A fresh streaming calculator. */
  make: () => C;
  /** Feed one input to the streaming face (default: `calc.update(input)`); time windows pass a timestamp here. */
  feed?: (calc: C, input: In) => Out | null;
  /**
   * The columnar face over one chunk of inputs: turn the chunk into columns, call the columnar
   * function with `state` (which it must carry on), and give back one output per input
   * (`null` where the output column holds NaN).
   */
  columnar: (chunk: readonly In[], state: S) => (Out | null)[];
  /** A fresh state for the columnar face (what one call hands to the next). */
  state: () => S;
  /** Random input sequences. */
  inputs: fc.Arbitrary<In[]>;
  /** Real input (from ../shared/data), when the calculator has a real source. */
  realInputs?: () => In[] | Promise<In[]>;
  /** Are two outputs the same? Default: numbers equal to 1e-12 (relative above 1), deeply through arrays and objects. */
  compare?: (a: Out, b: Out) => boolean;
  /** Copy an output so later updates cannot change it (default: deep copy); for calculators that reuse an output buffer. */
  snapshot?: (v: Out) => Out;
  /** Inputs that have no value before the first one that does, when that is fixed by the options. */
  warmup?: number;
  /** fast-check runs per property (default 100). */
  numRuns?: number;
}

/** Numbers equal to 1e-12 (relative to their size when above 1); NaN equals NaN. */
export function close(a: number, b: number, tol = 1e-12): boolean {
  if (a === b) return true;
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  return Math.abs(a - b) <= tol * Math.max(1, Math.abs(a), Math.abs(b));
}

/** Deep sameness of outputs: numbers by {@link close}, arrays and typed arrays element-wise, objects key-wise. */
export function sameDeep(a: unknown, b: unknown, tol = 1e-12): boolean {
  if (a === null || b === null || a === undefined || b === undefined) return a === b;
  if (typeof a === 'number' && typeof b === 'number') return close(a, b, tol);
  if (typeof a !== 'object' || typeof b !== 'object') return a === b;
  if (ArrayBuffer.isView(a) || Array.isArray(a)) {
    const xa = a as ArrayLike<unknown>;
    const xb = b as ArrayLike<unknown>;
    if (xa.length !== xb.length) return false;
    for (let i = 0; i < xa.length; i++) if (!sameDeep(xa[i], xb[i], tol)) return false;
    return true;
  }
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  if (ka.length !== kb.length) return false;
  for (const k of ka) if (!sameDeep((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], tol)) return false;
  return true;
}

/** Deep copy of numbers, arrays, typed arrays and plain objects. */
export function deepCopy<T>(v: T): T {
  if (v === null || typeof v !== 'object') return v;
  if (ArrayBuffer.isView(v)) return (v as unknown as Float64Array).slice() as unknown as T;
  if (Array.isArray(v)) return v.map(deepCopy) as unknown as T;
  const o: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as object)) o[k] = deepCopy(x);
  return o as T;
}

function show(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (ArrayBuffer.isView(x) ? Array.from(x as Float64Array) : typeof x === 'number' && !Number.isFinite(x) ? String(x) : x));
}

/** Throw naming the first index where two output sequences differ. */
export function expectSameOutputs<Out>(got: (Out | null)[], want: (Out | null)[], label: string, same: (a: Out, b: Out) => boolean): void {
  if (got.length !== want.length) throw new Error(`${label}: ${got.length} outputs, expected ${want.length}`);
  for (let i = 0; i < got.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    const ok = g === null || w === null ? g === w : same(g, w);
    if (!ok) throw new Error(`${label}: output ${i} differs: ${show(g)} vs ${show(w)}`);
  }
}

/** Split `n` inputs into chunks whose sizes cycle through `sizes` (each at least 1). */
export function chunkBounds(n: number, sizes: readonly number[]): number[] {
  const bounds = [0];
  let at = 0;
  for (let i = 0; at < n; i++) {
    at = Math.min(n, at + Math.max(1, sizes[i % sizes.length] ?? 1));
    bounds.push(at);
  }
  return bounds;
}

/** Declare the contract tests of one calculator. */
export function testCalculatorContract<In, Out, S, C extends StreamingCalculator<never, Out> = StreamingCalculator<In, Out>>(
  name: string,
  spec: CalculatorContract<In, Out, S, C>,
): void {
  const same = spec.compare ?? ((a: Out, b: Out) => sameDeep(a, b));
  const snap = spec.snapshot ?? deepCopy;
  const feed = spec.feed ?? ((calc: C, input: In) => (calc as unknown as StreamingCalculator<In, Out>).update(input));
  const runs = { numRuns: spec.numRuns ?? 100 };

  const stream = (calc: C, xs: readonly In[], check = true): (Out | null)[] => {
    const outs: (Out | null)[] = [];
    for (let i = 0; i < xs.length; i++) {
      const v = feed(calc, xs[i]!);
      const copy = v === null ? null : snap(v);
      if (check) {
        const cur = calc.value;
        if ((cur === null) !== (v === null) || (cur !== null && v !== null && !same(cur, v))) {
          throw new Error(`${name}: update ${i} returned ${show(v)} but value reads ${show(cur)}`);
        }
        if (calc.isReady !== (v !== null)) throw new Error(`${name}: update ${i} returned ${show(v)} but isReady is ${calc.isReady}`);
      }
      outs.push(copy);
    }
    return outs;
  };
  const columnarAll = (xs: readonly In[], sizes: readonly number[] | null): (Out | null)[] => {
    const st = spec.state();
    if (!sizes) return spec.columnar(xs, st).map((v) => (v === null ? null : snap(v)));
    const bounds = chunkBounds(xs.length, sizes);
    const outs: (Out | null)[] = [];
    for (let b = 0; b + 1 < bounds.length; b++) {
      for (const v of spec.columnar(xs.slice(bounds[b], bounds[b + 1]), st)) outs.push(v === null ? null : snap(v));
    }
    return outs;
  };

  describe(`${name}: calculator contract`, () => {
    it('streaming equals columnar in one call (random input)', () => {
      fc.assert(
        fc.property(spec.inputs, (xs) => {
          expectSameOutputs(columnarAll(xs, null), stream(spec.make(), xs), `${name} columnar vs streaming`, same);
        }),
        runs,
      );
    });

    it('streaming equals columnar over random chunks, state carried (random input)', () => {
      fc.assert(
        fc.property(spec.inputs, fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 12 }), (xs, sizes) => {
          expectSameOutputs(columnarAll(xs, sizes), stream(spec.make(), xs, false), `${name} chunked columnar vs streaming`, same);
        }),
        runs,
      );
    });

    it('update, value and isReady agree; a fresh calculator has no value', () => {
      const calc = spec.make();
      expect(calc.value, 'value before any input').toBeNull();
      expect(calc.isReady, 'isReady before any input').toBe(false);
      fc.assert(
        fc.property(spec.inputs, (xs) => {
          stream(spec.make(), xs, true);
        }),
        runs,
      );
    });

    it('reset gives the same outputs as a fresh instance', () => {
      fc.assert(
        fc.property(spec.inputs, spec.inputs, (a, b) => {
          const calc = spec.make();
          stream(calc, a, false);
          calc.reset();
          expect(calc.value, 'value after reset').toBeNull();
          expect(calc.isReady, 'isReady after reset').toBe(false);
          expectSameOutputs(stream(calc, b, false), stream(spec.make(), b, false), `${name} after reset vs fresh`, same);
        }),
        runs,
      );
    });

    if (spec.warmup !== undefined) {
      const warm = spec.warmup;
      it(`warm-up: no value for the first ${warm} inputs, then a value`, () => {
        fc.assert(
          fc.property(spec.inputs, (xs) => {
            const outs = stream(spec.make(), xs, false);
            for (let i = 0; i < Math.min(warm, outs.length); i++) {
              if (outs[i] !== null) throw new Error(`${name}: output ${i} is ${show(outs[i])} during warm-up`);
            }
            if (outs.length > warm && outs[warm] === null) throw new Error(`${name}: output ${warm} is null after warm-up`);
          }),
          runs,
        );
      });
    }

    if (spec.realInputs) {
      const real = spec.realInputs;
      it('streaming equals columnar on real data, in one call and in chunks', async () => {
        const xs = await real();
        expect(xs.length, 'real input is not empty').toBeGreaterThan(0);
        const want = stream(spec.make(), xs, true);
        expectSameOutputs(columnarAll(xs, null), want, `${name} real: one call`, same);
        expectSameOutputs(columnarAll(xs, [1, 7, 4096, 3, 65_536, 250]), want, `${name} real: chunks`, same);
        const nonNull = want.filter((v) => v !== null).length;
        expect(nonNull, 'real data gives values after warm-up').toBeGreaterThan(0);
      });
    }
  });
}
