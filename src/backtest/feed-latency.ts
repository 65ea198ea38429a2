/**
 * Feed latency: how long after its exchange time a market event reaches the strategy. The
 * order latency models (`sim/models/latency.ts`) cover orders and their answers; the feed's
 * delay is in the data itself, as the gap between the receive time and the exchange time, and
 * is the driver's business.
 *
 * A recorder's clock is not the exchange's (the Binance captures' ran 1.27–1.52 s behind), so
 * the raw gap is not a delay. {@link RecordedFeedLatency} takes the least gap over a trailing
 * window as the clocks' offset and what lies above it as the delay, as `CoreAlgorithm`'s lag gate
 * and `EmpiricalLatency` do; the captures' excess had a median of 1.6–1.9 ms and a p99 of
 * 14–29 ms (`backtest/config.ts`). It draws nothing, so runs stay identical.
 *
 * @see https://hftbacktest.readthedocs.io/en/v1.8.4/latency_models.html (feed latency from the data's local timestamps)
 */
import { BucketWindow } from '../signals/bucket-window.js';

/** Ms from an event's exchange time to the strategy seeing it (≥ 0). */
export interface FeedLatency {
  readonly name: string;
  delay(ts: number, recvTs: number): number;
  /**
   * {@link delay} of `n` events at once: `ts` their exchange times, `io` their receive times on
   * entry and their delays on return. Optional (the driver calls `delay` per event without it):
   * one call a chunk passes no time as a number, which a call V8 does not inline boxes, an
   * allocation per event.
   */
  delays?(ts: Float64Array, io: Float64Array, n: number): void;
}

/**
 * The same delay for every event (0: the strategy sees each event at its exchange time).
 * @example new ConstantFeedLatency(5).delay(1_000, NaN) // 5
 */
export class ConstantFeedLatency implements FeedLatency {
  readonly name = 'constant';
  constructor(readonly ms = 0) {
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new RangeError(`feed latency ${ms} ms: expected a finite number ≥ 0`);
  }
  delay(): number {
    return this.ms;
  }

  delays(_ts: Float64Array, io: Float64Array, n: number): void {
    io.fill(this.ms, 0, n);
  }
}

/** Options of {@link RecordedFeedLatency}. */
export interface RecordedFeedLatencyOptions {
  /** Added to every delay, ms (the fastest the feed can be). Default 0. */
  baseMs?: number;
  /** Seconds of gaps whose least value is the clocks' offset. Default 60. */
  baselineSec?: number;
}

/**
 * The data's own delay: `baseMs` + (receive − exchange time − its least value over the last
 * `baselineSec`). An event without a receive time (LOBSTER, dumps) gets `baseMs`.
 *
 * @example
 * const f = new RecordedFeedLatency();
 * f.delay(1_000, -270); // 0: the first gap is its own baseline
 * f.delay(1_010, -255); // 5: 5 ms above the least gap seen
 */
export class RecordedFeedLatency implements FeedLatency {
  readonly name = 'recorded';
  readonly baseMs: number;
  private readonly min: BucketWindow;

  constructor(options: RecordedFeedLatencyOptions = {}) {
    this.baseMs = options.baseMs ?? 0;
    if (!(this.baseMs >= 0) || !Number.isFinite(this.baseMs)) throw new RangeError(`baseMs ${this.baseMs}: expected a finite number ≥ 0`);
    const sec = options.baselineSec ?? 60;
    if (!(sec > 0)) throw new RangeError(`baselineSec ${sec}: expected > 0`);
    this.min = new BucketWindow(sec * 1000, 1000, 'min');
  }

  delay(ts: number, recvTs: number): number {
    const d = recvTs - ts;
    if (!(d === d) || !(ts === ts)) return this.baseMs;
    this.min.add(ts, d);
    const x = d - this.min.value;
    return this.baseMs + (x > 0 ? x : 0);
  }

  delays(ts: Float64Array, io: Float64Array, n: number): void {
    for (let i = 0; i < n; i++) io[i] = this.delay(ts[i]!, io[i]!);
  }
}
