/**
 * The `risk` section: volatility-target sizing, position caps, lot rounding, the daily loss
 * wall and what each strategy mode lets through. `checkRisk` (`src/risk/check.ts`) reads it.
 *
 * Sizing targets an annualised volatility of the position's value relative to equity
 * (Moreira & Muir 2017, "Volatility-Managed Portfolios"; Harvey et al. 2018, "The Impact of
 * Volatility Targeting"); realised volatility is the RiskMetrics EWMA of mid-price log returns
 * on a fixed clock (J.P. Morgan/Reuters, RiskMetrics Technical Document, 4th ed. 1996, §5.2).
 *
 * Measured on the real USD-M captures (`../shared/data/binance-ws/usdm`): the annualised
 * volatility of 1 s mid returns was 0.68 (BTCUSDT) and 0.66 (ETHUSDT) over 2024-08-08
 * 23:54–00:00, 0.33 on BTCUSDT 2024-07-19 00:00–00:05; the median notional at the best level was
 * about 50,000 USDT on BTCUSDT and 10,000 USDT on ETHUSDT.
 */
import * as z from 'zod';
import type { InstrumentSpec } from '../core/config/sections.js';

/** What a mode lets through as new risk: nothing, strong signals only, or every signal. */
export const MODE_ENTRIES = ['none', 'strong', 'all'] as const;
export type ModeEntries = (typeof MODE_ENTRIES)[number];

const frac = () => z.number().min(0).max(1);
const nonNeg = () => z.number().min(0);

/** The `risk` section. Flat keys, one environment variable each (`RISK_DAILY_LOSS_PCT`). */
export const RiskSection = z
  .object({
    target_vol: z
      .number()
      .positive()
      .max(10)
      .default(0.2)
      .describe('Annualised volatility the position should give equity: 20%, a third of the 0.66–0.68 measured on BTCUSDT and ETHUSDT (1 s mids, August 2024), so a typical day moves equity about 1% (0.2/√365).'),
    vol_lambda: z
      .number()
      .gt(0)
      .lt(1)
      .default(0.99)
      .describe('RiskMetrics EWMA decay per vol_step_sec sample: 0.99 on 1 s returns remembers about 100 s (half-life 69 s). RiskMetrics\' 0.94 is for daily data; on 1 s samples it would forget in 17 s and resize on every burst.'),
    vol_step_sec: z
      .number()
      .positive()
      .max(3600)
      .default(1)
      .describe('Clock the mid is sampled on for volatility returns, seconds: 1 s, fine enough to estimate in minutes, coarse enough that most steps see a move (a fixed clock, not every tick, so bursts of quotes do not count as more variance).'),
    vol_warmup: z
      .number()
      .int()
      .min(2)
      .default(120)
      .describe('Returns the volatility needs before any sizing (allow false, "warming up"): the first 120 give an equal-weighted seed whose relative error is about √(2/120) ≈ 13% for normal returns, then the EWMA takes over.'),
    vol_floor: nonNeg()
      .default(0.05)
      .describe('Least annualised volatility sizing divides by: a frozen book (zero returns for minutes) would otherwise ask for an unbounded position; 5% is below anything measured on BTCUSDT.'),
    max_leverage: z
      .number()
      .positive()
      .default(2)
      .describe('Position notional per unit of equity at most: at 2x an isolated long survives a fall of about 50%, beyond BTC\'s worst day since 2020 (−39%, 12 March 2020).'),
    max_position_qty: nonNeg().default(0).describe('Largest position in base units (BTC, ETH); 0 for none, since a base unit means something different on every symbol: set it per run.'),
    max_position_notional: nonNeg()
      .default(50_000)
      .describe('Largest position in quote currency (USDT); 0 for none. About the median notional at BTCUSDT\'s best level in the captures (50,000 USDT; ETHUSDT 10,000), so an entry mostly fills at the touch.'),
    lot_step: z.number().positive().default(0.001).describe('Quantity step orders are rounded down to: Binance USD-M LOT_SIZE stepSize for BTCUSDT and ETHUSDT (exchangeInfo).'),
    min_qty: nonNeg().default(0.001).describe('Smallest order quantity: LOT_SIZE minQty of BTCUSDT and ETHUSDT; a smaller size is no order.'),
    min_notional: nonNeg().default(100).describe('Smallest order notional in USDT: Binance USD-M MIN_NOTIONAL of BTCUSDT (ETHUSDT: 20); an order below it is refused by the exchange.'),
    weak_size: frac().default(0.5).describe('Size of a buy or sell signal relative to a strong one: a weaker edge gets half the risk.'),
    add_min_frac: frac()
      .default(0.25)
      .describe('A signal in the direction of an open position tops it up to the target only when the shortfall is at least this share of the target: smaller top-ups pay fees for little change of exposure.'),
    on_opposite: z
      .enum(['close', 'reverse'])
      .default('close')
      .describe('An opposite signal against an open position closes it (close), or closes it and opens the other way in one order (reverse) when a new entry would be allowed.'),
    require_confirm: z.boolean().default(false).describe('Take only signals marked confirmed: off, since the signal layer\'s own confirmation rules already gate; on for a stricter run.'),
    max_signal_age_sec: nonNeg()
      .default(5)
      .describe('A signal older than this against the market time opens nothing (0 for no limit): at BTCUSDT\'s 30–160 trades a second, five seconds old is a different market.'),
    max_spread_bps: nonNeg()
      .default(2)
      .describe('No entry while the quoted spread is wider than this many bps (0 for no limit): over 100 ticks on BTCUSDT; the captures\' widest instant was 3.9 bps, the 95th percentile 0.03.'),
    daily_loss_pct: frac()
      .default(0.03)
      .describe('Daily loss wall as a share of start-of-day equity (0 for none): 3%, about three daily standard deviations of a book run at target_vol 0.2 (1.05% a day), a loss that says the model is broken, not unlucky.'),
    daily_loss_abs: nonNeg().default(0).describe('Daily loss wall in quote currency (0 for none); with both walls set, the smaller loss trips.'),
    loss_rearm: z
      .enum(['next_day', 'recovery'])
      .default('next_day')
      .describe('What re-arms new risk after the wall is hit: the next UTC day only (the prop-desk rule), or also a recovery of the day\'s loss (recover_frac) after a cool-off.'),
    recover_frac: frac()
      .default(0.5)
      .describe('With loss_rearm recovery: new risk resumes once the day\'s loss is back to this share of the wall, or less; half the wall leaves room for another loss before the next breach.'),
    cooloff_sec: nonNeg()
      .default(1800)
      .describe('With loss_rearm recovery: the least time after a breach before recovery can re-arm: half an hour, so a quick bounce does not re-arm a losing streak.'),
    quiet_entries: z.enum(MODE_ENTRIES).default('none').describe('New risk in quiet mode: none, since in a thin market spread and impact eat the edge and flow on a few prints is noise.'),
    quiet_size: frac().default(0.5).describe('Size multiplier in quiet mode, when quiet_entries allows entries.'),
    normal_entries: z.enum(MODE_ENTRIES).default('all').describe('New risk in normal mode: every signal.'),
    normal_size: frac().default(1).describe('Size multiplier in normal mode.'),
    active_entries: z.enum(MODE_ENTRIES).default('all').describe('New risk in active mode: every signal, since bursts are where order flow predicts price best.'),
    active_size: frac().default(1).describe('Size multiplier in active mode: the volatility target already shrinks positions as volatility rises.'),
    aggressive_entries: z.enum(MODE_ENTRIES).default('strong').describe('New risk in aggressive mode: strong signals only, since cascades run over ordinary flow signals.'),
    aggressive_size: frac().default(0.5).describe('Size multiplier in aggressive mode: half, since slippage grows with the pace of the market.'),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    if (cfg.min_qty > 0 && cfg.max_position_qty > 0 && cfg.max_position_qty < cfg.min_qty) {
      ctx.addIssue({ code: 'custom', path: ['max_position_qty'], message: `expected ≥ min_qty (${cfg.min_qty}) or 0` });
    }
  });

/** A resolved `risk` section. */
export type RiskConfig = z.infer<typeof RiskSection>;
/** A `risk` section as given: any key may be left out. */
export type RiskConfigInput = z.input<typeof RiskSection>;

/**
 * The risk section for one instrument: its lot step, minimum quantity and minimum notional
 * (the `symbols` section, from Binance's exchangeInfo LOT_SIZE and MIN_NOTIONAL filters)
 * replace the section's own, so sizing rounds as the exchange would. No spec: unchanged.
 */
export function riskForInstrument(risk: RiskConfig, spec: InstrumentSpec | undefined): RiskConfig {
  return spec ? { ...risk, lot_step: spec.lot_step, min_qty: spec.min_qty, min_notional: spec.min_notional } : risk;
}
