/**
 * Queue models for resting (maker) orders: how much displayed size stands ahead of an order at
 * its price, and how that shrinks. Market data shows the total size at a price (market by price),
 * not who is first, so the position in the queue is an estimate. The simulator keeps a
 * {@link QueuePosition} per resting order and calls the model when a trade prints at the order's
 * price or the displayed size there changes; when `ahead` falls below zero the order executes
 * that much (up to what the trade left), hftbacktest's `is_filled`.
 *
 * Independently of the queue, a resting order fills entirely, at its own price, when a trade
 * prints through it (below a bid, above an ask) or the opposite best price moves onto it:
 * everything ahead of it was taken. That is the simulator's rule (hftbacktest's
 * `PartialFillExchange`), the same for every queue model.
 *
 * @see https://hftbacktest.readthedocs.io/en/v1.8.4/reference/queue_models.html
 * @see https://docs.rs/crate/hftbacktest/latest/source/src/backtest/models/queue.rs
 */
import { SeededRandom } from './random.js';

/** Estimated standing of one resting order. */
export class QueuePosition {
  /** Displayed size ahead of the order at its price; `Infinity` when unknown; below 0 means that much of the order has executed. */
  ahead = Infinity;
  /** Traded at the price since the last depth change (the probabilistic model subtracts it so a trade is not counted twice). */
  traded = 0;
}

/** How the queue ahead of a resting order evolves. */
export interface QueueModel {
  readonly name: string;
  /** The order starts resting; `displayed` is the size shown at its price at that moment (0 for a new price level, `NaN` when not known). */
  join(q: QueuePosition, displayed: number): void;
  /** Trades of `qty` printed at the order's price against its side (sells for a bid, buys for an ask). */
  trade(q: QueuePosition, qty: number): void;
  /** The displayed size at the order's price changed from `prev` (`NaN` when not known before) to `next`. */
  depth(q: QueuePosition, prev: number, next: number): void;
  /** Draw again from the start of the seed: a new run on the same market (`TradeSimulator.restart`). */
  restart?(): void;
}

/**
 * hftbacktest's risk-averse model: the queue starts at the whole displayed size and moves only
 * when trades print at the order's price; a shrinking level is taken to be cancellations
 * behind the order, except that the queue ahead can never exceed what is displayed (when the
 * level shrinks below it, those ahead must have left). The most pessimistic reading of
 * market-by-price data, and the default: a strategy that profits under it does not owe its
 * profit to a guess about cancellations.
 *
 * An order joining a price whose size is not known (a price behind the touch with no depth
 * data) starts behind everything (`Infinity`) until a quote or depth update shows the level.
 *
 * @see https://hftbacktest.readthedocs.io/en/v1.8.4/reference/queue_models.html (RiskAverseQueueModel)
 * @example
 * // join behind 5; trades of 3 then 4 at the price: ahead 2, then −2 → 2 executes
 */
export class RiskAverseQueue implements QueueModel {
  readonly name = 'risk_averse';

  join(q: QueuePosition, displayed: number): void {
    q.ahead = displayed >= 0 ? displayed : Infinity;
    q.traded = 0;
  }

  trade(q: QueuePosition, qty: number): void {
    q.ahead -= qty;
  }

  depth(q: QueuePosition, _prev: number, next: number): void {
    if (next < q.ahead) q.ahead = next;
  }
}

/** Shape of the probability that a decrease happened behind the order: `power` `f(x) = x^n`, `log` `f(x) = ln(1 + x)`, both as `f(back) / (f(back) + f(front))`. */
export type QueueProbability = 'power' | 'log';

export interface ProbabilisticQueueOptions {
  /** Probability function. Default `power`. */
  fn?: QueueProbability;
  /** Exponent of `power`. Default 2 (hftbacktest's `SquareProbQueueModel`). */
  n?: number;
  /**
   * Draw each decrease as wholly ahead of or wholly behind the order (with the model's
   * probability, from a seeded generator) instead of moving the queue by its expected share.
   * Default false (hftbacktest's expected-value update).
   */
  sample?: boolean;
  /** Seed of the draws when `sample` is on. Default 1. */
  seed?: number;
}

/**
 * hftbacktest's probabilistic model (after Rigtorp's estimator): when the displayed size at
 * the order's price falls by more than the trades there explain, part of the fall is
 * cancellations ahead of the order. With `front` ahead and `back` behind, the probability that
 * a cancellation was behind is `p = f(back) / (f(back) + f(front))`; the queue ahead moves to
 * `front − (1 − p) × chg + min(0, back − p × chg)` (never more than what is displayed). With
 * `f(x) = x^n` a larger `n` puts cancellations further back when the order is near the front,
 * and near the back a cancellation is almost surely ahead. An increase never moves the queue
 * (new orders join behind).
 *
 * @see https://rigtorp.se/2013/06/08/estimating-order-queue-position.html
 * @see https://quant.stackexchange.com/questions/3782/how-do-we-estimate-position-of-our-order-in-order-book
 * @see https://hftbacktest.readthedocs.io/en/v1.8.4/reference/queue_models.html (ProbQueueModel, PowerProbQueueModel, LogProbQueueModel)
 * @example
 * // front 4, back 6 (displayed 10), the level falls to 8 with no trade; power n = 2:
 * // p = 36 / (36 + 16) = 0.692; ahead = 4 − 0.308 × 2 = 3.385
 */
export class ProbabilisticQueue implements QueueModel {
  readonly name = 'probabilistic';
  readonly fn: QueueProbability;
  readonly n: number;
  readonly sample: boolean;
  private readonly rng: SeededRandom | null;

  constructor(options: ProbabilisticQueueOptions = {}) {
    this.fn = options.fn ?? 'power';
    this.n = options.n ?? 2;
    if (this.fn !== 'power' && this.fn !== 'log') throw new RangeError(`queue probability ${String(this.fn)}: expected power or log`);
    if (!(this.n > 0) || !Number.isFinite(this.n)) throw new RangeError(`queue probability exponent ${this.n}: expected a finite number > 0`);
    this.sample = options.sample ?? false;
    this.rng = this.sample ? new SeededRandom(options.seed ?? 1) : null;
  }

  /** The draws start again from the seed. */
  restart(): void {
    this.rng?.reset();
  }

  private f(x: number): number {
    return this.fn === 'power' ? Math.pow(x, this.n) : Math.log1p(x);
  }

  /** Probability that a decrease at the level happened behind an order with `front` ahead and `back` behind. */
  prob(front: number, back: number): number {
    const b = this.f(back);
    const p = b / (b + this.f(front));
    // 0/0 (nothing either side) or ∞/∞: hftbacktest takes such a decrease as behind
    return Number.isFinite(p) ? p : 1;
  }

  join(q: QueuePosition, displayed: number): void {
    q.ahead = displayed >= 0 ? displayed : Infinity;
    q.traded = 0;
  }

  trade(q: QueuePosition, qty: number): void {
    q.ahead -= qty;
    q.traded += qty;
  }

  depth(q: QueuePosition, prev: number, next: number): void {
    const chg = prev - next - q.traded;
    q.traded = 0;
    // an increase, or a level not known before: the queue ahead moves only to fit what is shown
    if (!(chg > 0) || !Number.isFinite(q.ahead)) {
      if (next < q.ahead) q.ahead = next;
      return;
    }
    const front = q.ahead > 0 ? q.ahead : 0;
    const back = Math.max(0, prev - front);
    const p = this.prob(front, back);
    let est: number;
    if (this.rng) {
      // the whole decrease on one side of the order, ahead with probability 1 − p
      est = this.rng.next() < p ? front + Math.min(0, back - chg) : front - chg;
    } else {
      est = front - (1 - p) * chg + Math.min(0, back - p * chg);
    }
    q.ahead = Math.min(est < 0 ? 0 : est, next);
  }
}
