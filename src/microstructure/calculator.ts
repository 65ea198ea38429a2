/**
 * The one streaming contract every calculator keeps, so a signal loop, a backtest and a
 * notebook can drive any of them the same way and a shared contract test can check them all.
 *
 * A calculator also has a columnar face: a function over typed arrays that writes into a
 * preallocated output. Both faces call one per-step kernel, so they agree exactly.
 *
 * @see trading-signals `add` / `getResult` / `isStable`; nautilus_trader `Indicator` (`initialized`, `reset`).
 */
export interface StreamingCalculator<In, Out> {
  /** Feed one input; returns the value after it (`null` while warming up). */
  update(input: In): Out | null;
  /** The latest value, `null` until warm. */
  readonly value: Out | null;
  /** True once enough input has arrived for `value` to be meaningful. */
  readonly isReady: boolean;
  /** Forget everything, as if newly constructed with the same options. */
  reset(): void;
}

/** Best bid/ask as calculators read it; a `QuoteEvent` satisfies it, and so does a reused scratch object. */
export interface TopOfBook {
  bidPrice: number;
  bidQty: number;
  askPrice: number;
  askQty: number;
}

/** Columns of best bid/ask, as typed arrays of one length. */
export interface TopOfBookColumns {
  bidPrice: Float64Array;
  bidQty: Float64Array;
  askPrice: Float64Array;
  askQty: Float64Array;
}
