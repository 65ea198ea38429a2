/**
 * The `backtest` section: how the `TradeSimulator` is assembled — starting cash, order
 * latency, fees, taker fills, maker queues, funding — and the seed of every draw.
 * `simulatorFromConfig` (`sim/from-config.ts`) builds a simulator from it.
 *
 * Measured on the real Binance USD-M captures in `../shared/data/binance-ws/usdm` (2024-08-08
 * BTCUSDT and ETHUSDT, 2024-07-18/19 BTCUSDT): the receive − exchange time above its 60 s
 * minimum (the feed's own delay, the recorder's clock offset removed) had a median of
 * 1.6–1.9 ms, p90 3–10 ms, p99 14–29 ms; the depth beyond the touch reached one touch size
 * about 1 bp from the touch (0.93 BTCUSDT, 1.01 ETHUSDT, 1.61 on the quiet July night) and
 * the distance grew as the square root of the size (see `TouchFill`).
 *
 * Keys are flat, one environment variable each (`BACKTEST_TAKER_BPS`).
 */
import * as z from 'zod';

/** Latency models by name. */
export const LATENCY_MODELS = ['constant', 'empirical'] as const;
/** Fee models by name. */
export const FEE_MODELS = ['maker_taker'] as const;
/** Taker fill models by name. */
export const FILL_MODELS = ['book_walk', 'touch'] as const;
/** Maker queue models by name. */
export const QUEUE_MODELS = ['risk_averse', 'probabilistic'] as const;

const ms = () => z.number().min(0).max(60_000);
const bps = () => z.number().min(-100).max(1000);

/** The `backtest` section. */
export const BacktestSection = z
  .object({
    starting_cash: z
      .number()
      .positive()
      .default(10_000)
      .describe('Wallet balance at the start, quote currency (USDT): equity, returns and the risk section\'s sizing are measured against it; 10,000 holds a 0.1 BTC position (about 6,000 USDT in August 2024) within the risk section\'s 2x leverage.'),
    latency_model: z
      .enum(LATENCY_MODELS)
      .default('constant')
      .describe('Order latency: constant (latency_ms every time, so two runs differ only in what was changed) or empirical (latency_ms plus a draw from the data\'s own recent feed delays above their rolling minimum, so orders are slow when the feed is).'),
    latency_ms: ms()
      .default(10)
      .describe('Order entry latency, strategy to venue, ms (the base of the empirical model): 10 ms is a research figure for a cloud host near the venue, not a co-located one, about five times the captures\' median feed delay above its minimum (1.6–1.9 ms) and near their p90 (3–10 ms).'),
    response_latency_ms: ms()
      .default(10)
      .describe('Order response latency, venue to strategy (acks, fills, expiries), ms: the same path back, so the same 10 ms.'),
    latency_mul: z
      .number()
      .min(0)
      .max(100)
      .default(1)
      .describe('Empirical model: the share of a drawn feed delay an order suffers on each leg (hftbacktest\'s entry_latency_mul): 1, orders share the feed\'s network path and are as late as it is.'),
    latency_window: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .default(4096)
      .describe('Empirical model: recent feed delays kept to draw from: 4,096 events is 15–30 s of the captures\' 130–250 events a second, recent enough to follow a burst, long enough that one stale print is a 1-in-4,096 draw.'),
    latency_baseline_sec: z
      .number()
      .int()
      .min(1)
      .max(3600)
      .default(60)
      .describe('Empirical model: seconds of receive − exchange times whose least value is taken as the clocks\' offset (the recorder ran 1.27–1.52 s behind Binance): the same minute as signal.lag_baseline_sec.'),
    fee_model: z.enum(FEE_MODELS).default('maker_taker').describe('Fee model: maker_taker, a rate per side of the book in bps of notional, as Binance charges.'),
    maker_bps: bps()
      .default(2)
      .describe('Maker fee, bps of notional (negative for a rebate): 2 = 0.0200%, Binance USDⓈ-M futures for a regular (VIP 0) account (https://www.binance.com/en/fee/futureFee), before the 10% BNB discount.'),
    taker_bps: z
      .number()
      .min(0)
      .max(1000)
      .default(5)
      .describe('Taker fee, bps of notional: 5 = 0.0500%, Binance USDⓈ-M futures for a regular (VIP 0) account (https://www.binance.com/en/fee/futureFee).'),
    fill_model: z
      .enum(FILL_MODELS)
      .default('book_walk')
      .describe('Taker fills: book_walk takes level after level of the local book when the data has depth, and falls back to touch when only the best bid and ask are known; touch fills the displayed touch size at the touch and the rest along the slippage curve.'),
    slippage_bps: z
      .number()
      .min(0)
      .max(1000)
      .default(1)
      .describe('Touch model: marginal price impact, bps of the touch price, one touch size beyond the touch: the captures\' books reached one touch size beyond the touch 0.93 (BTCUSDT), 1.01 (ETHUSDT) and 1.61 bps (quiet 18 July) from it, at the median.'),
    slippage_exponent: z
      .number()
      .positive()
      .max(4)
      .default(0.5)
      .describe('Touch model: how impact grows with size beyond the touch, (size / touch size)^exponent: 0.5, the square-root law; the captures\' books grew ×1.3–1.6 per doubling of size (exponents 0.4–0.7).'),
    queue_model: z
      .enum(QUEUE_MODELS)
      .default('risk_averse')
      .describe('Maker queue: risk_averse (hftbacktest\'s: the queue ahead moves only by trades at the price, so a profit never rests on a guess about cancellations) or probabilistic (part of each unexplained fall of the level is taken as cancellations ahead).'),
    queue_prob_fn: z
      .enum(['power', 'log'])
      .default('power')
      .describe('Probabilistic queue: the probability a cancellation was behind the order, f(back) / (f(back) + f(front)) with f(x) = x^n (power) or ln(1 + x) (log), as hftbacktest\'s PowerProbQueueModel / LogProbQueueModel.'),
    queue_prob_n: z
      .number()
      .positive()
      .max(10)
      .default(2)
      .describe('Probabilistic queue: n of the power function: 2, hftbacktest\'s SquareProbQueueModel: cancellations near the front of the queue are taken to come mostly from behind.'),
    queue_sample: z
      .boolean()
      .default(false)
      .describe('Probabilistic queue: draw each cancellation as wholly ahead or behind (seeded) instead of moving the queue by its expected share; off, hftbacktest\'s expected-value update, which needs no seed.'),
    funding: z
      .boolean()
      .default(true)
      .describe('Settle perpetual funding (position × mark × rate at each funding time) when the data has the mark-price stream; data without it pays none either way.'),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .default(1)
      .describe('Seed of every draw (empirical latency, sampled queue): the same data, configuration and seed give the same orders and fills, byte for byte.'),
  })
  .strict();

/** A resolved `backtest` section. */
export type BacktestConfig = z.infer<typeof BacktestSection>;
/** The section as a file may give it. */
export type BacktestConfigInput = z.input<typeof BacktestSection>;
