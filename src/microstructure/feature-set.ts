/**
 * The feature set of one symbol, driven event by event: best-level OFI, CVD, their rolling
 * z-scores fused into a score, side and consistency, divergence, and — when a bar is asked for —
 * bars, with the fused features as they stood at each bar's close. What `ofi-backtest features`
 * computes; pure and synchronous, so it runs the same in Node, Deno and a browser.
 *
 * Every part is an existing calculator fed the same merged stream of quotes and trades:
 * {@link FeatureFusion} (OFI and CVD over `flowWindow`, z-scores, fusion, divergence) and
 * {@link BarAggregator} (bars). Rows come out through a sink as one reused {@link FeatureRow}:
 *
 * - **Bar rows.** A time bar `[kΔ, (k+1)Δ)` closes when the first event at or after its end
 *   arrives; the row carries the fused features after the bar's last event — the bar is emitted
 *   before that next event reaches the fusion. An event bar closes on its N-th event, after the
 *   fusion has taken it. No row ever looks ahead of its bar's end. Empty time bars are skipped or
 *   emitted (levels carried, flows zero) as `emptyBars` says.
 * - **Update rows.** One per quote or trade, after the fusion has taken it.
 *
 * `ofi_norm` (with `normalize`) divides OFI by the average best-level depth (bid size + ask
 * size)/2 over the same quotes — a bar's quotes, or the quote itself — as Cont, Kukanov & Stoikov
 * (2014) do, since price impact is inversely proportional to depth. Quotes the update-id rule
 * skips (`quote-gate.ts`) are skipped by every part alike.
 *
 * @see Cont, Kukanov & Stoikov (2014), "The price impact of order book events", J. Financial Econometrics 12(1).
 */
import type { FeaturesConfig } from './config.js';
import type { PrintKind, QuoteEvent, TradeEvent } from '../core/events.js';
import { durationOrThrow, spanOrThrow, type Span } from '../core/spans.js';
import type { Bar } from './bar-columns.js';
import { BarAggregator } from './bars.js';
import type { CvdReset } from './cvd.js';
import { CvdKernel } from './cvd.js';
import type { DivergenceType } from './divergence.js';
import type { FeatureRow } from './feature-columns.js';
import { FeatureFusion } from './fusion.js';
import type { FusionOptions } from './fusion-options.js';
import { OfiState, ofiStep } from './ofi.js';
import { QuoteGate } from './quote-gate.js';

/** Options of {@link FeatureSet}. */
export interface FeatureSetOptions {
  /** `{ ms }` time bars, `{ events }` event bars, or `null` (default) for one row per update. */
  bar?: Span | null;
  /** Empty time bars: `'skip'` (default) or `'emit'`. */
  emptyBars?: 'skip' | 'emit';
  /** The fusion (its `updateIds` and `prints` apply to bars and update rows too). */
  fusion?: FusionOptions;
  /** Reset of the `cvd` column. Default `'none'`. */
  cvdReset?: CvdReset;
  /** Add `ofi_norm`. Default false. */
  normalize?: boolean;
}

const SESSIONS_PREFIX = 'sessions:';

/**
 * The `features` section of the configuration as feature-set options: span texts parsed
 * (`1s` → `{ ms: 1000 }`), names mapped to the calculators' options.
 */
export function featureSetOptionsFromConfig(f: FeaturesConfig): FeatureSetOptions {
  const reset = f.cvd_reset.trim();
  let cvdReset: CvdReset;
  if (reset === 'none' || reset === 'day') cvdReset = reset;
  else if (reset.startsWith(SESSIONS_PREFIX)) cvdReset = { sessions: reset.slice(SESSIONS_PREFIX.length).split(',') };
  else cvdReset = spanOrThrow(reset, 'features.cvd_reset');
  const fusion: FusionOptions = {
    flowWindow: spanOrThrow(f.flow_window, 'features.flow_window'),
    zscore: { window: spanOrThrow(f.zscore_window, 'features.zscore_window'), minPeriods: f.zscore_min_periods, robust: f.zscore_robust },
    weights: { ofi: f.weight_ofi, cvd: f.weight_cvd },
    threshold: f.threshold,
    updateIds: f.ofi_update_ids,
    prints: f.prints,
    divergence: f.divergence
      ? {
          flow: f.divergence_flow,
          sampleMs: durationOrThrow(f.divergence_sample, 'features.divergence_sample'),
          ttlMs: durationOrThrow(f.divergence_ttl, 'features.divergence_ttl', true),
          left: f.divergence_left,
          right: f.divergence_right,
          maxGap: f.divergence_max_gap,
          types: f.divergence_types as DivergenceType[],
        }
      : false,
  };
  return {
    bar: f.bar === 'none' ? null : spanOrThrow(f.bar, 'features.bar'),
    emptyBars: f.empty_bars,
    fusion,
    cvdReset,
    normalize: f.ofi_normalize,
  };
}

/** A quote as the feature set reads it; a `QuoteEvent` satisfies it. */
export type FeatureQuote = Pick<QuoteEvent, 'type' | 'ts' | 'bidPrice' | 'bidQty' | 'askPrice' | 'askQty'> & { updateId?: number };
/** A trade as the feature set reads it; a `TradeEvent` satisfies it. */
export type FeatureTrade = Pick<TradeEvent, 'type' | 'ts' | 'price' | 'qty' | 'side' | 'printKind'>;

/**
 * Features of one symbol's merged quote and trade stream, row by row into `sink`. The row object
 * is reused: copy what you keep. Call {@link FeatureSet.flush} at the end to close the last bar.
 *
 * @example
 * const rows: number[] = [];
 * const fs = new FeatureSet('BTCUSDT', { bar: { ms: 1000 } }, (r) => rows.push(r.bar!.close, r.score));
 * for (const e of events) fs.update(e);
 * fs.flush();
 */
export class FeatureSet {
  readonly fusion: FeatureFusion;
  readonly bars: BarAggregator | null;
  /** Rows emitted so far. */
  rows = 0;
  private readonly timed: boolean;
  private readonly normalize: boolean;
  private readonly row: FeatureRow;
  // update rows: the quote gate and OFI of the rows, and their CVD
  private readonly gate: QuoteGate;
  private readonly ofiSt = new OfiState({ updateIds: 'keep' });
  private readonly cvdK: CvdKernel;
  private readonly countAll: boolean;
  private mid = NaN;
  private spread = NaN;
  // bar rows: the depth of the open bar's quotes, for ofi_norm
  private depthSum = 0;
  private depthN = 0;
  // scratch events for the fusion and the bars
  private readonly q = { type: 'quote' as const, ts: 0, bidPrice: 0, bidQty: 0, askPrice: 0, askQty: 0, updateId: NaN };
  private readonly t = { type: 'trade' as const, ts: 0, price: 0, qty: 0, side: 'buy' as 'buy' | 'sell', printKind: 'MARKET' as PrintKind };

  constructor(
    readonly symbol: string,
    options: FeatureSetOptions,
    private readonly sink: (row: FeatureRow) => void,
  ) {
    this.fusion = new FeatureFusion(options.fusion ?? {});
    const r = this.fusion.resolved;
    const cvdReset = options.cvdReset ?? 'none';
    this.cvdK = new CvdKernel({ reset: cvdReset, prints: r.prints });
    this.countAll = r.prints === 'all';
    this.gate = new QuoteGate(r.updateIds);
    this.normalize = options.normalize ?? false;
    const bar = options.bar ?? null;
    this.timed = bar !== null && 'ms' in bar;
    this.bars = bar
      ? new BarAggregator({ bar, empty: options.emptyBars ?? 'skip', cvd: { reset: cvdReset, prints: r.prints }, ofi: { updateIds: r.updateIds } }, (b) => this.barRow(b))
      : null;
    this.row = {
      symbol,
      bar: null,
      ts: NaN,
      kind: 'quote',
      mid: NaN,
      spread: NaN,
      ofi: NaN,
      ofi_norm: NaN,
      price: NaN,
      qty: NaN,
      aggressor: 0,
      cvd: NaN,
      z_ofi: NaN,
      z_cvd: NaN,
      score: NaN,
      side: 0,
      consistency: NaN,
      div_type: null,
      div_bullish: 0,
      div_bearish: 0,
      div_strength: NaN,
      div_known_ts: NaN,
      fp: this.fusion.fp,
    };
  }

  /** One event of the symbol's merged stream. */
  update(e: FeatureQuote | FeatureTrade): void {
    if (e.type === 'quote') this.quote(e.ts, e.bidPrice, e.bidQty, e.askPrice, e.askQty, e.updateId ?? NaN);
    else this.trade(e.ts, e.price, e.qty, e.side === 'buy' ? 1 : -1, e.printKind);
  }

  /** One best bid/ask update. */
  quote(ts: number, bidPrice: number, bidQty: number, askPrice: number, askQty: number, updateId: number): void {
    const q = this.q;
    q.ts = ts;
    q.bidPrice = bidPrice;
    q.bidQty = bidQty;
    q.askPrice = askPrice;
    q.askQty = askQty;
    q.updateId = updateId;
    // the same rule, applied to the same quotes, as the fusion's and the bars' own gates
    const accepted = this.gate.accept(updateId, bidPrice, bidQty, askPrice, askQty);
    if (this.bars) {
      if (this.timed) {
        this.bars.update(q);
        if (accepted) this.addDepth(bidQty, askQty);
        this.fusion.update(q);
      } else {
        this.fusion.update(q);
        if (accepted) this.addDepth(bidQty, askQty);
        this.bars.update(q);
      }
      return;
    }
    this.fusion.update(q);
    let e = 0;
    if (accepted) {
      e = ofiStep(this.ofiSt, bidPrice, bidQty, askPrice, askQty, ts, NaN);
      this.mid = 0.5 * (bidPrice + askPrice);
      this.spread = askPrice - bidPrice;
    }
    const r = this.row;
    r.ts = ts;
    r.kind = 'quote';
    r.ofi = e;
    r.ofi_norm = accepted ? e / (0.5 * (bidQty + askQty)) : e;
    r.price = NaN;
    r.qty = NaN;
    r.aggressor = 0;
    this.updateRow();
  }

  /** One trade; `sign` +1 when the aggressor bought, −1 when it sold. */
  trade(ts: number, price: number, qty: number, sign: number, printKind: PrintKind): void {
    const t = this.t;
    t.ts = ts;
    t.price = price;
    t.qty = qty;
    t.side = sign > 0 ? 'buy' : 'sell';
    t.printKind = printKind;
    if (this.bars) {
      if (this.timed) {
        this.bars.update(t);
        this.fusion.update(t);
      } else {
        this.fusion.update(t);
        this.bars.update(t);
      }
      return;
    }
    this.fusion.update(t);
    this.cvdK.step(ts, price, qty, sign, this.countAll || printKind === 'MARKET');
    const r = this.row;
    r.ts = ts;
    r.kind = 'trade';
    r.ofi = 0;
    r.ofi_norm = 0;
    r.price = price;
    r.qty = qty;
    r.aggressor = sign > 0 ? 1 : -1;
    this.updateRow();
  }

  /** End of input: close the open bar (its row uses the features after the last event). */
  flush(): void {
    this.bars?.flush();
  }

  private addDepth(bidQty: number, askQty: number): void {
    this.depthSum += 0.5 * (bidQty + askQty);
    this.depthN++;
  }

  private updateRow(): void {
    const r = this.row;
    r.mid = this.mid;
    r.spread = this.spread;
    r.cvd = this.cvdK.ready ? this.cvdK.base : NaN;
    this.fused(r);
    this.rows++;
    this.sink(r);
  }

  private barRow(b: Bar): void {
    const r = this.row;
    r.bar = b;
    r.ts = b.end;
    const n = this.depthN;
    r.ofi_norm = n > 0 ? b.ofi / (this.depthSum / n) : b.ofi === 0 ? 0 : NaN;
    this.depthSum = 0;
    this.depthN = 0;
    this.fused(r);
    this.rows++;
    this.sink(r);
  }

  private fused(r: FeatureRow): void {
    const f = this.fusion.value;
    if (!f) {
      r.z_ofi = r.z_cvd = r.score = r.consistency = NaN;
      r.side = 0;
      r.div_type = null;
      r.div_bullish = r.div_bearish = 0;
      r.div_strength = r.div_known_ts = NaN;
      return;
    }
    r.z_ofi = f.z_ofi;
    r.z_cvd = f.z_cvd;
    r.score = f.fusion.score;
    r.side = f.fusion.side === 'buy' ? 1 : f.fusion.side === 'sell' ? -1 : 0;
    r.consistency = f.fusion.consistency;
    const d = f.divergence;
    if (d) {
      r.div_type = d.type;
      r.div_bullish = d.type.endsWith('bullish') ? 1 : 0;
      r.div_bearish = d.type.endsWith('bearish') ? 1 : 0;
      r.div_strength = d.strength;
      r.div_known_ts = d.knownTs;
    } else {
      r.div_type = null;
      r.div_bullish = r.div_bearish = 0;
      r.div_strength = r.div_known_ts = NaN;
    }
  }
}
