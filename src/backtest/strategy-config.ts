/**
 * The `strategy` section: how the default strategy (`strategies/default.ts`) turns signals and
 * risk decisions into orders, and when it gets out. Signals come from the `signal` section,
 * sizes and entry permission from `risk` (`checkRisk`); this section only says which signals are
 * taken, how entries are sent and what closes a position.
 *
 * Horizons and distances are set against what the captures in `../shared/data/binance-ws/usdm`
 * show (see `risk/config.ts`): the annualised volatility of 1 s mid returns was 0.66–0.68 on
 * BTCUSDT and ETHUSDT (August 2024), i.e. σ ≈ 0.68/√31,536,000 ≈ 1.2 bps a second, about
 * 6.6 bps over 30 s; Binance USD-M's standard taker fee is 5 bps a side, so a round trip of
 * market orders costs about 10 bps before any edge.
 *
 * @see https://www.binance.com/en/fee/futureFee (USDⓈ-M fee schedule: 0.02% maker, 0.05% taker at the base tier)
 */
import * as z from 'zod';

const nonNeg = () => z.number().min(0);

/** The `strategy` section. Flat keys, one environment variable each (`STRATEGY_TIME_STOP_SEC`). */
export const StrategySection = z
  .object({
    entry_order: z
      .enum(['market', 'limit'])
      .default('market')
      .describe('How entries are sent: market (takes whatever the book offers) or limit, a marketable IOC limit limit_offset_bps through the touch that bounds the slippage and lets the rest expire. Market by default, the order a flow signal with a seconds-long edge is traded with.'),
    limit_offset_bps: nonNeg()
      .max(1000)
      .default(2)
      .describe('With entry_order limit: the limit price this many bps beyond the touch (above the ask for a buy, below the bid for a sell), rounded to the tick away from the touch: 2 bps is over 100 ticks on BTCUSDT and the captures\' spread was under 2.1 bps 99.9% of the time, so the order still takes when the book moves during the order latency.'),
    confirmed_only: z
      .boolean()
      .default(true)
      .describe('Take only signals the signal layer confirmed (confirm: true). The signal layer emits unconfirmed signals too (for study), and risk.require_confirm is off because confirmation belongs to the signal layer, so the strategy is where an unconfirmed signal is left alone; off to trade on every ungated signal.'),
    exit_on_opposite: z
      .boolean()
      .default(true)
      .describe('Close a position on a signal against it (through checkRisk, which closes or, with risk.on_opposite reverse, reverses). Gates do not stop an exit (they guard new risk; reducing risk is never blocked), confirmation does when confirmed_only is on.'),
    time_stop_sec: nonNeg()
      .default(30)
      .describe('Close a position this many seconds after it was opened (0: no time stop). Order-flow imbalance explains price changes over seconds (Cont, Kukanov & Stoikov 2014 use 10 s intervals); 30 s is three signal cooldowns, past which the flow that opened the trade is old news.'),
    stop_loss_bps: nonNeg()
      .default(15)
      .describe('Close a position once the price at which it would exit (the bid for a long, the ask for a short) is this many bps against its average entry price (0: none): about 2.3 standard deviations of a 30 s move at the measured 1.2 bps a second, a loss the time stop\'s horizon rarely brings by chance.'),
    take_profit_bps: nonNeg()
      .default(20)
      .describe('Close a position once its exit price is this many bps in its favour (0: none): twice the 10 bps a round trip of taker orders costs, so a take-profit is a profit after fees.'),
    add_to_position: z
      .boolean()
      .default(true)
      .describe('Follow checkRisk\'s top-ups: a signal in the direction of an open position adds up to the risk target (risk.add_min_frac decides when it is worth it). Off to trade one entry per position.'),
  })
  .strict();

/** A resolved `strategy` section. */
export type StrategyConfig = z.infer<typeof StrategySection>;
/** A `strategy` section as given: any key may be left out. */
export type StrategyConfigInput = z.input<typeof StrategySection>;
