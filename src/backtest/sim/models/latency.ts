/**
 * Order latency: how long an order (or a cancel) takes from the strategy to the venue (entry),
 * and how long the venue's answer (an ack, a fill, an expiry) takes back (response). Feed
 * latency, from the venue's event to the strategy seeing it, is in the data itself (`ts` and
 * `recvTs`) and is the driver's business.
 *
 * @see https://hftbacktest.readthedocs.io/en/v1.8.4/latency_models.html (feed, order entry and order response latency)
 */
import { BucketWindow } from '../../../signals/bucket-window.js';
import { SeededRandom } from './random.js';

/** Entry and response latency of orders, ms. */
export interface LatencyModel {
  readonly name: string;
  /** Ms from a submit or cancel at local time `localTs` to the venue receiving it (≥ 0). */
  entry(localTs: number): number;
  /** Ms from a venue event at exchange time `venueTs` to the strategy learning of it (≥ 0). */
  response(venueTs: number): number;
  /** A market event's exchange and receive times, for models that learn from the data; the simulator calls it for every event when present. */
  observe?(ts: number, recvTs: number): void;
  /** Draw again from the start of the seed, keeping what was learnt from the data: a new run on the same market (`TradeSimulator.restart`). */
  restart?(): void;
}

/**
 * The same latency every time: the model to compare runs with, since a difference in results
 * is then never a difference in draws.
 * @example
 * new ConstantLatency(10).entry(0) // 10
 * new ConstantLatency(10, 25).response(0) // 25
 */
export class ConstantLatency implements LatencyModel {
  readonly name = 'constant';

  constructor(
    readonly entryMs = 10,
    readonly responseMs = entryMs,
  ) {
    if (!(entryMs >= 0) || !(responseMs >= 0) || !Number.isFinite(entryMs) || !Number.isFinite(responseMs)) {
      throw new RangeError(`latency ${entryMs}/${responseMs} ms: expected finite numbers ≥ 0`);
    }
  }

  entry(): number {
    return this.entryMs;
  }

  response(): number {
    return this.responseMs;
  }
}

export interface EmpiricalLatencyOptions {
  /** Entry latency when the feed is at its fastest, ms. Default 10. */
  entryBaseMs?: number;
  /** Response latency when the feed is at its fastest, ms. Default: `entryBaseMs`. */
  responseBaseMs?: number;
  /** How much of the feed's excess delay an order's entry suffers (hftbacktest's `entry_latency_mul`). Default 1. */
  entryMul?: number;
  /** The same for responses. Default 1. */
  responseMul?: number;
  /** Seed of the draws. Default 1. */
  seed?: number;
  /** Excess delays kept to draw from (the most recent ones). Default 4096. */
  window?: number;
  /** Seconds of receive−exchange times whose least value is taken as the clocks' offset. Default 60. */
  baselineSec?: number;
}

/**
 * Latency drawn from the data's own delays. The receive time minus the exchange time of each
 * market event is the feed's delay plus the offset between the recorder's clock and the
 * venue's (the Binance captures' recorder ran about 1.27 s behind, so the raw difference is
 * negative). The offset is removed as `CoreAlgorithm`'s lag gate removes it: the least
 * difference over the last `baselineSec` seconds is the baseline, and what lies above it is
 * delay. An order then waits `base + mul × d`, where `d` is drawn (uniformly, from a seeded
 * generator) from the most recent `window` excess delays: when the feed is slow, orders are
 * slow too, as they share the network path and the venue's gateway.
 *
 * hftbacktest's `BackwardFeedLatency` uses the last feed latency the same way (`entry =
 * entry_latency_mul × feed_latency + entry_latency`); drawing from a window of recent ones
 * instead keeps one stale print from setting every latency, and the seed keeps runs identical.
 *
 * Until the first event is observed the draws are the bases alone. {@link EmpiricalLatency.fromSamples}
 * builds one from excess delays measured elsewhere.
 *
 * @see https://hftbacktest.readthedocs.io/en/v1.8.4/latency_models.html (BackwardFeedLatency)
 * @see src/signals/core-algorithm.ts (the lag baseline: receive − exchange over its rolling minimum)
 */
export class EmpiricalLatency implements LatencyModel {
  readonly name = 'empirical';
  readonly entryBaseMs: number;
  readonly responseBaseMs: number;
  readonly entryMul: number;
  readonly responseMul: number;
  private readonly rng: SeededRandom;
  private readonly ring: Float64Array;
  private count = 0;
  private at = 0;
  private readonly baseline: BucketWindow;

  constructor(options: EmpiricalLatencyOptions = {}) {
    this.entryBaseMs = options.entryBaseMs ?? 10;
    this.responseBaseMs = options.responseBaseMs ?? this.entryBaseMs;
    this.entryMul = options.entryMul ?? 1;
    this.responseMul = options.responseMul ?? 1;
    for (const [k, v] of Object.entries({ entryBaseMs: this.entryBaseMs, responseBaseMs: this.responseBaseMs, entryMul: this.entryMul, responseMul: this.responseMul })) {
      if (!(v >= 0) || !Number.isFinite(v)) throw new RangeError(`EmpiricalLatency ${k} ${v}: expected a finite number ≥ 0`);
    }
    const window = options.window ?? 4096;
    if (!Number.isInteger(window) || window < 1) throw new RangeError(`EmpiricalLatency window ${window}: expected an integer ≥ 1`);
    const baselineSec = options.baselineSec ?? 60;
    if (!(baselineSec > 0)) throw new RangeError(`EmpiricalLatency baselineSec ${baselineSec}: expected > 0`);
    this.rng = new SeededRandom(options.seed ?? 1);
    this.ring = new Float64Array(window);
    this.baseline = new BucketWindow(baselineSec * 1000, 1000, 'min');
  }

  /** A model that draws from excess delays already measured (ms above the fastest), e.g. from another run. */
  static fromSamples(excessMs: ArrayLike<number>, options: EmpiricalLatencyOptions = {}): EmpiricalLatency {
    const m = new EmpiricalLatency({ window: Math.max(1, excessMs.length), ...options });
    for (let i = 0; i < excessMs.length; i++) {
      const v = excessMs[i]!;
      if (v >= 0 && Number.isFinite(v)) m.push(v);
    }
    return m;
  }

  /** Excess delays held now. */
  get samples(): number {
    return this.count;
  }

  observe(ts: number, recvTs: number): void {
    const d = recvTs - ts;
    // NaN (a source without receive times) fails the comparison and is skipped
    if (!(d === d) || !Number.isFinite(ts)) return;
    this.baseline.add(ts, d);
    this.push(d - this.baseline.value);
  }

  private push(v: number): void {
    this.ring[this.at] = v;
    this.at = this.at + 1 === this.ring.length ? 0 : this.at + 1;
    if (this.count < this.ring.length) this.count++;
  }

  private draw(): number {
    if (this.count === 0) return 0;
    return this.ring[Math.floor(this.rng.next() * this.count)]!;
  }

  entry(): number {
    return this.entryBaseMs + this.entryMul * this.draw();
  }

  response(): number {
    return this.responseBaseMs + this.responseMul * this.draw();
  }

  /** The draws start again from the seed; the delays measured so far stay (they are the market's). */
  restart(): void {
    this.rng.reset();
  }
}
