/**
 * The toolkit's own strategy: features → `CoreAlgorithm` → `checkRisk` → orders, written
 * against {@link TradingContext} only, so the live driver runs the same object.
 *
 * - **Signals** come from `CoreAlgorithm` (the `signal` section) fed the stage-1 feature rows
 *   (`onFeatures`), or — with `inline` — the raw quotes and trades, computing its own features.
 *   Both give the same signals. The strategy mode of each symbol is a `StrategyModeManager`
 *   (`strategy_mode` section) fed every quote and trade, read by the signal's `mode` gate and
 *   handed to `checkRisk`.
 * - **Which signals are taken** (`strategy` section): a signal the signal layer did not confirm
 *   is left alone while `confirmed_only` is on (the signal layer emits them, `risk.require_confirm`
 *   is off); a gated signal opens nothing. A signal against the open position closes it through
 *   `checkRisk` when `exit_on_opposite` is on — gates do not stop an exit, they guard new risk
 *   (with `risk.on_opposite: reverse`, a gated signal closes without reversing).
 * - **Risk**: `checkRisk(signal, position, { ts, mid, spread_bps, vol: ewma.value, mode },
 *   riskStateFromWall(wall.state), cfg)` with one `EwmaVolatility` per symbol fed each quote's
 *   mid, a `DailyLossWall` fed the equity after every fill and at every quote while a position
 *   is open, and the risk section's lot and notional rules replaced by the symbol's own
 *   (`symbols` section) where known.
 * - **Orders**: entries market (IOC) or a marketable IOC limit `limit_offset_bps` through the
 *   touch, tagged with the signal's type (`strong_buy`, …); exits market reduce-only, tagged
 *   `exit:{why}`. One order per symbol in flight at a time.
 * - **Exits** besides opposite signals: a time stop `time_stop_sec` after the position opened,
 *   a stop-loss and a take-profit in bps of the average entry price, judged at the price the
 *   position would exit at (the bid for a long, the ask for a short) on every quote.
 *
 * Every signal gets a {@link SignalRecord} saying what was done and why.
 */
import type { MarkEvent, QuoteEvent, TradeEvent } from '../../core/events.js';
import type { InstrumentSpec } from '../../core/config/sections.js';
import { FeaturesSection } from '../../microstructure/config.js';
import { featureSetOptionsFromConfig } from '../../microstructure/feature-set.js';
import { checkRisk, riskStateFromWall } from '../../risk/check.js';
import { riskForInstrument, RiskSection, type RiskConfig } from '../../risk/config.js';
import { DailyLossWall } from '../../risk/loss-wall.js';
import { stepDecimals } from '../../risk/sizing.js';
import { StrategyModeManager } from '../../risk/strategy-mode.js';
import { StrategyModeSection, type StrategyMode, type StrategyModeConfig } from '../../risk/strategy-mode-config.js';
import { EwmaVolatility } from '../../risk/volatility.js';
import { CoreAlgorithm, type ModeSource, type ModeTracker } from '../../signals/core-algorithm.js';
import type { FeatureRowInput } from '../../signals/feature-input.js';
import type { Signal } from '../../signals/types.js';
import { TRADE } from '../data/columns.js';
import type { EventTable } from '../data/event-table.js';
import type { BacktestRunConfig, BacktestStrategy, SignalRecord } from '../driver.js';
import type { FeatureTable } from '../features-stage.js';
import { StrategySection, type StrategyConfig } from '../strategy-config.js';
import type { Fill, Order, OrderRequest, TradingContext } from '../types.js';
import type { SignalTape } from './signal-tape.js';

/** Options of {@link DefaultStrategy}. */
export interface DefaultStrategyOptions {
  /** Run id copied to every signal. Default `backtest`. */
  runId?: string;
  /** Compute features from the raw quotes and trades instead of taking stage-1 rows. */
  inline?: boolean;
  /**
   * Exchange time (ms) from which the strategy may trade: signals before it are recorded and
   * skipped, so the strategy is flat until then (exits only follow entries). A sweep's segment
   * runs over the data before the segment too, so features and signals are warm at its start,
   * and trades only inside it. Default: from the first event.
   */
  tradeFrom?: number;
  /**
   * Signals of the signal layer recorded by an earlier pass over the same feature rows under the
   * same `features`, `signal` and `strategy_mode` sections ({@link SignalTape}): a complete tape
   * is replayed at its rows instead of running the signal layer, and its strategy modes (and
   * volatilities, when they are of this strategy's `risk` settings) read instead of computed;
   * an empty one is recorded by this pass. Ignored with `inline` features.
   */
  signalTape?: SignalTape;
}

const TERMINAL = new Set(['FILLED', 'CANCELED', 'REJECTED', 'EXPIRED']);

/** One symbol's trading state. */
class SymbolState {
  readonly modes: StrategyModeManager;
  readonly vol: EwmaVolatility;
  /** Exchange time the open position was opened (its first fill from flat), ms. */
  openedTs = NaN;
  /** The order in flight (entry or exit), 0 when none. */
  inFlight = 0;
  /** Position after the latest fill reported. */
  qty = 0;
  /** The latest quote's mid and time: the volatility is fed only when the mid moves (see `onQuote`). */
  mid = NaN;
  quoteTs = NaN;
  /** With a signal tape: the symbol's quotes and trades seen, its mode after the latest (recorded or replayed), its changes on the tape and the next of them to replay. */
  seen = 0;
  mode: string;
  changes: { at: number[]; mode: string[] } | null = null;
  nextChange = 0;
  readonly risk: RiskConfig;
  readonly tick: number;

  constructor(modes: StrategyModeConfig, risk: RiskConfig, spec: InstrumentSpec | undefined) {
    this.modes = new StrategyModeManager(modes);
    this.mode = this.modes.mode;
    this.vol = new EwmaVolatility({ lambda: risk.vol_lambda, stepSec: risk.vol_step_sec, warmup: risk.vol_warmup });
    this.risk = riskForInstrument(risk, spec);
    this.tick = spec ? spec.tick_size : NaN;
  }
}

/**
 * See the module comment.
 *
 * @example
 * const result = await runBacktest({ stream: reader.chunks(), strategy: new DefaultStrategy(config), config });
 */
export class DefaultStrategy implements BacktestStrategy {
  readonly config: StrategyConfig;
  readonly risk: RiskConfig;
  readonly algo: CoreAlgorithm;
  readonly wantsFeatures: boolean;
  /** The best bid and ask are all it reads of a book. */
  readonly bookLevels = 0;
  private readonly modeConfig: StrategyModeConfig;
  private readonly symbols: Record<string, InstrumentSpec>;
  private readonly states = new Map<string, SymbolState>();
  private readonly wall: DailyLossWall;
  private readonly records: SignalRecord[] = [];
  private readonly modes = new Map<number, string>();
  private ctx: TradingContext | null = null;
  /** Latest exchange time seen, ms. */
  private lastTs = NaN;
  private lastName = '';
  private last: SymbolState | null = null;
  private tradeFrom: number;
  /** The tape this pass records (`replay` false) or replays (true); null: neither. */
  private readonly tape: SignalTape | null;
  private readonly replay: boolean;
  /** Replaying a tape whose volatilities are of this strategy's settings: the volatility is not fed, the tape's is read. */
  private readonly tapedVol: boolean;
  /** Feature rows fed so far; the tape's key of a signal emitted now (see {@link SignalTape.rows}): the rows fed, counting the current one, or at an `onEnd` minus the rows fed, minus 1. */
  private rowsFed = 0;
  private rowKey = 0;
  /** The next signal of the tape to replay. */
  private played = 0;

  constructor(config: BacktestRunConfig = {}, options: DefaultStrategyOptions = {}) {
    this.config = StrategySection.parse(config.strategy ?? {});
    this.risk = RiskSection.parse(config.risk ?? {});
    this.modeConfig = StrategyModeSection.parse(config.strategy_mode ?? {});
    this.symbols = config.symbols ?? {};
    this.wall = new DailyLossWall(this.risk);
    this.wantsFeatures = options.inline !== true;
    this.tradeFrom = options.tradeFrom ?? -Infinity;
    this.tape = this.wantsFeatures ? (options.signalTape ?? null) : null;
    this.replay = this.tape !== null && this.tape.complete;
    const volKey = `${this.risk.vol_lambda}/${this.risk.vol_step_sec}/${this.risk.vol_warmup}`;
    if (this.tape !== null && !this.replay) this.tape.volKey = volKey;
    this.tapedVol = this.replay && this.tape!.volKey === volKey;
    const modes: ModeSource = { create: (symbol) => this.proxy(symbol), config: this.modeConfig };
    this.algo = new CoreAlgorithm(
      {
        runId: options.runId ?? 'backtest',
        signal: config.signal ?? {},
        features: featureSetOptionsFromConfig(FeaturesSection.parse(config.features ?? {})),
        modes,
      },
      { write: (s) => this.heard(s), flush: () => undefined, close: () => undefined },
    );
  }

  /** The signal layer's mode tracker for a symbol: this strategy's own manager, fed here with each event before the signal layer judges it. */
  private proxy(symbol: string): ModeTracker {
    const m = this.state(symbol).modes;
    return {
      update: () => m.mode,
      get mode() {
        return m.mode;
      },
    };
  }

  private state(symbol: string): SymbolState {
    if (symbol === this.lastName && this.last !== null) return this.last;
    let st = this.states.get(symbol);
    if (!st) {
      this.states.set(symbol, (st = new SymbolState(this.modeConfig, this.risk, this.symbols[symbol])));
      const tape = this.tape;
      if (tape !== null) {
        let c = tape.modeChanges.get(symbol);
        if (c === undefined && !this.replay) tape.modeChanges.set(symbol, (c = { at: [], mode: [] }));
        st.changes = c ?? null;
      }
    }
    this.lastName = symbol;
    this.last = st;
    return st;
  }

  onStart(ctx: TradingContext): void {
    this.ctx = ctx;
    this.wall.update(ctx.now, ctx.equity());
  }

  /**
   * Each quote moves the mode clock; a quote that moves the mid feeds the volatility (an
   * unchanged mid only moves its clock, which {@link EwmaVolatility.valueAt} accounts for when
   * the value is read, without changing it) and, while the symbol is held, the loss wall
   * (equity changes with the mid only).
   */
  onQuote(q: QuoteEvent, ctx: TradingContext): void {
    const st = this.state(q.symbol);
    this.lastTs = q.ts;
    st.quoteTs = q.ts;
    this.modeEvent(st, q);
    const mid = 0.5 * (q.bidPrice + q.askPrice);
    const moved = mid !== st.mid;
    if (moved) {
      st.mid = mid;
      if (!this.tapedVol) st.vol.observeQuote(q);
    }
    if (!this.wantsFeatures) this.algo.quote(q.symbol, q.ts, q.recvTs, q.bidPrice, q.bidQty, q.askPrice, q.askQty, q.updateId);
    if (st.qty !== 0) {
      if (moved) this.wall.update(q.ts, ctx.equity());
      this.exits(st, q, ctx);
    }
  }

  /** A mark price moves the equity of a held symbol. */
  onMark(m: MarkEvent, ctx: TradingContext): void {
    if (this.state(m.symbol).qty !== 0) this.wall.update(m.ts, ctx.equity());
  }

  onTrade(t: TradeEvent, ctx: TradingContext): void {
    const st = this.state(t.symbol);
    this.lastTs = t.ts;
    this.modeEvent(st, t);
    if (!this.wantsFeatures) this.algo.trade(t.symbol, t.ts, t.recvTs, t.price, t.qty, t.side === 'buy' ? 1 : -1, t.printKind);
    if (st.qty !== 0) this.exits(st, t, ctx);
  }

  onFeatures(row: FeatureRowInput): void {
    const k = ++this.rowsFed;
    if (this.replay) return this.replayTo(k);
    this.rowKey = k;
    this.algo.updateFeatures(row);
  }

  /** An update row of a stage-1 table, by index: the same row `onFeatures` would get, without the object. */
  onFeatureRow(f: FeatureTable, r: number, t: EventTable): void {
    const k = ++this.rowsFed;
    if (this.replay) return this.replayTo(k);
    this.rowKey = k;
    const i = f.at[r]!;
    const trade = t.kind[i] === TRADE;
    this.algo.updateRowAt(t.symbols[t.sym[i]!]!, trade, f, r, t.ts, i, trade ? t.trade.recvTs : t.quote.recvTs, t.row[i]!);
  }

  onFill(fill: Fill, ctx: TradingContext): void {
    const st = this.state(fill.symbol);
    const q = ctx.position(fill.symbol).qty;
    const before = st.qty;
    st.qty = q;
    if (q === 0) st.openedTs = NaN;
    else if (before === 0 || Math.sign(before) !== Math.sign(q)) st.openedTs = fill.ts;
    this.wall.update(fill.ts, ctx.equity());
  }

  onOrder(order: Order): void {
    if (!TERMINAL.has(order.status)) return;
    const st = this.state(order.symbol);
    if (st.inFlight === order.id) st.inFlight = 0;
  }

  onEnd(): void {
    // the end of a run (also at a restart, between segments of one pass): its key is the rows fed so far, negated
    if (this.replay) return this.replayTo(-this.rowsFed - 1);
    this.rowKey = -this.rowsFed - 1;
    this.algo.flush();
  }

  /**
   * The end of a pass with a {@link DefaultStrategyOptions.signalTape}, after its last `onEnd`
   * (`BacktestDriver.finish`): a tape recorded is complete (the next strategies given it replay
   * it); a tape replayed is checked to have been replayed over as many feature rows as it was
   * recorded over, else this throws (the signals would not be this pass's).
   */
  closeTape(): void {
    const tape = this.tape;
    if (tape === null) return;
    if (!this.replay) tape.total = this.rowsFed;
    else if (tape.total !== this.rowsFed) throw new Error(`signal tape: recorded over ${tape.total} feature rows, replayed over ${this.rowsFed}`);
  }

  /** A signal of the signal layer: recorded on the tape, if any, with its symbol's volatility, and acted on. */
  private heard(s: Signal): void {
    const tape = this.tape;
    if (tape !== null) {
      const st = this.state(s.symbol);
      tape.rows.push(this.rowKey);
      tape.signals.push(s);
      tape.vols.push(st.vol.valueAt(st.quoteTs));
    }
    this.onSignal(s, -1);
  }

  /** The tape's signals emitted at row key `k` (see {@link SignalTape.rows}), acted on as if heard now. */
  private replayTo(k: number): void {
    const tape = this.tape!;
    const rows = tape.rows;
    let p = this.played;
    while (p < rows.length && rows[p]! === k) {
      this.onSignal(tape.signals[p]!, p);
      p++;
    }
    this.played = p;
  }

  /**
   * A quote or trade of the symbol for its strategy modes: fed to its manager (the changes
   * recorded on a tape being recorded), or, replaying a tape, counted (the tape's changes say
   * the mode: {@link modeNow}).
   */
  private modeEvent(st: SymbolState, e: QuoteEvent | TradeEvent): void {
    if (this.replay) {
      st.seen++;
      return;
    }
    st.modes.update(e);
    const c = st.changes;
    if (c === null) return;
    st.seen++;
    const m = st.modes.mode;
    if (m !== st.mode) {
      st.mode = m;
      c.at.push(st.seen);
      c.mode.push(m);
    }
  }

  /** The symbol's strategy mode now. */
  private modeNow(st: SymbolState): string {
    if (!this.replay) return st.modes.mode;
    const c = st.changes;
    if (c !== null) while (st.nextChange < c.at.length && c.at[st.nextChange]! <= st.seen) st.mode = c.mode[st.nextChange++]!;
    return st.mode;
  }

  /**
   * A new run on the same market (`BacktestDriver.restart`): positions, orders in flight, the
   * loss wall (started again at `startTs` with the context's equity, as `onStart` does), the
   * signal records and the order modes are forgotten; the signal layer, the strategy modes,
   * the volatility and the latest quotes carry on, as none of them depends on what was
   * traded. Exact with stage-1 rows (`onFeatureRow`, `onFeatures`); with `inline` features
   * the `onEnd` of the run that ended has flushed the open bars.
   */
  restart(ctx: TradingContext, at: { startTs: number; tradeFrom: number }): void {
    this.ctx = ctx;
    this.tradeFrom = at.tradeFrom;
    this.wall.reset();
    this.wall.update(at.startTs, ctx.equity());
    this.records.length = 0;
    this.modes.clear();
    for (const st of this.states.values()) {
      st.openedTs = NaN;
      st.inFlight = 0;
      st.qty = 0;
    }
  }

  signalRecords(): readonly SignalRecord[] {
    return this.records;
  }

  modeOf(orderId: number): string {
    return this.modes.get(orderId) ?? '';
  }

  /**
   * Stop-loss, take-profit and time stop at event `e`: a quote's bid or ask, a trade's time (the
   * time stop only). The event itself is passed, not its numbers: this runs on every event while
   * a position is open, and a number passed to a call V8 does not inline is boxed.
   */
  private exits(st: SymbolState, e: QuoteEvent | TradeEvent, ctx: TradingContext): void {
    if (st.inFlight !== 0) return;
    const symbol = e.symbol;
    const ts = e.ts;
    const p = ctx.position(symbol);
    if (p.qty === 0) return;
    const c = this.config;
    const long = p.qty > 0;
    const px = e.type === 'quote' ? (long ? e.bidPrice : e.askPrice) : NaN;
    if (px === px && p.avgPrice > 0) {
      const bps = ((long ? px - p.avgPrice : p.avgPrice - px) / p.avgPrice) * 1e4;
      if (c.stop_loss_bps > 0 && bps <= -c.stop_loss_bps) return this.exit(symbol, st, 'stop_loss', ctx);
      if (c.take_profit_bps > 0 && bps >= c.take_profit_bps) return this.exit(symbol, st, 'take_profit', ctx);
    }
    if (c.time_stop_sec > 0 && ts - st.openedTs >= c.time_stop_sec * 1000) this.exit(symbol, st, 'time_stop', ctx);
  }

  private exit(symbol: string, st: SymbolState, why: string, ctx: TradingContext): void {
    const q = ctx.position(symbol).qty;
    this.send(ctx, { symbol, side: q > 0 ? 'sell' : 'buy', type: 'market', qty: lots(Math.abs(q), st.risk.lot_step), reduceOnly: true, tag: `exit:${why}` }, st, this.modeNow(st));
  }

  private send(ctx: TradingContext, req: OrderRequest, st: SymbolState, mode: string): Order {
    const o = ctx.submit(req);
    this.modes.set(o.id, mode);
    if (o.status !== 'REJECTED') st.inFlight = o.id;
    return o;
  }

  /** A signal from the signal layer (synchronously, inside an event's delivery), or the `p`-th of the tape replayed (−1: heard). */
  private onSignal(s: Signal, p: number): void {
    const ctx = this.ctx!;
    const c = this.config;
    const rec: SignalRecord = {
      seq: s.seq,
      ts: s.ts_ms,
      localTs: ctx.now,
      symbol: s.symbol,
      signal_type: s.signal_type,
      confirm: s.confirm,
      score: s.score,
      gating_blocked: s.gating_blocked,
      gating_reasons: s.gating_reasons,
      strategy_mode: s.strategy_mode,
      action: 'skip',
      reason: '',
      qty: 0,
      orderId: 0,
    };
    this.records.push(rec);
    const dir = s.signal_type === 'buy' || s.signal_type === 'strong_buy' ? 1 : s.signal_type === 'sell' || s.signal_type === 'strong_sell' ? -1 : 0;
    if (dir === 0) return void (rec.reason = 'neutral signal');
    if (s.ts_ms < this.tradeFrom) return void (rec.reason = 'before the trading start');
    if (c.confirmed_only && !s.confirm) return void (rec.reason = 'not confirmed');
    const st = this.state(s.symbol);
    const pos = ctx.position(s.symbol);
    const opposite = pos.qty !== 0 && Math.sign(pos.qty) !== dir;
    if (opposite && !c.exit_on_opposite) return void (rec.reason = 'opposite signal: exit_on_opposite off');
    if (!opposite && s.gating_blocked) return void (rec.reason = `gated: ${s.gating_reasons.join(', ')}`);
    if (!opposite && pos.qty !== 0 && !c.add_to_position) return void (rec.reason = 'position open: add_to_position off');
    if (st.inFlight !== 0) return void (rec.reason = `order ${st.inFlight} in flight`);
    const book = ctx.book(s.symbol);
    const mid = 0.5 * (book.bidPrice + book.askPrice);
    const ts = this.lastTs === this.lastTs ? Math.max(this.lastTs, s.ts_ms) : s.ts_ms;
    const equity = ctx.equity();
    this.wall.update(ts, equity);
    const d = checkRisk(
      s,
      { qty: pos.qty, avg_price: pos.avgPrice, unrealized_pnl: pos.qty === 0 ? 0 : pos.qty * (mid - pos.avgPrice), equity },
      { ts, mid, spread_bps: ((book.askPrice - book.bidPrice) / mid) * 1e4, vol: this.tapedVol ? this.tape!.vols[p]! : st.vol.valueAt(st.quoteTs), mode: s.strategy_mode as StrategyMode },
      riskStateFromWall(this.wall.state),
      st.risk,
    );
    rec.action = d.action;
    rec.reason = d.reason;
    if (!d.allow || d.side === null || !(d.qty > 0)) return;
    let qty = d.qty;
    let action = d.action;
    if (action === 'reverse' && s.gating_blocked) {
      qty = lots(Math.abs(pos.qty), st.risk.lot_step);
      action = 'close';
      rec.action = 'close';
      rec.reason += `; no reversal: gated (${s.gating_reasons.join(', ')})`;
    }
    let o: Order;
    if (action === 'close') {
      o = this.send(ctx, { symbol: s.symbol, side: d.side, type: 'market', qty, reduceOnly: true, tag: 'exit:signal' }, st, s.strategy_mode);
    } else {
      o = this.send(ctx, this.entry(s, d.side, qty, book.bidPrice, book.askPrice, st), st, s.strategy_mode);
    }
    rec.qty = qty;
    rec.orderId = o.id;
    if (o.status === 'REJECTED') rec.reason += `; order rejected: ${o.reason}`;
  }

  /** An entry order as the `strategy` section asks: market, or a marketable limit through the touch. */
  private entry(s: Signal, side: 'buy' | 'sell', qty: number, bid: number, ask: number, st: SymbolState): OrderRequest {
    const c = this.config;
    if (c.entry_order === 'market') return { symbol: s.symbol, side, type: 'market', qty, tag: s.signal_type };
    const touch = side === 'buy' ? ask : bid;
    let price = touch * (1 + ((side === 'buy' ? 1 : -1) * c.limit_offset_bps) / 1e4);
    const tick = st.tick;
    if (tick > 0) {
      const k = price / tick;
      price = (side === 'buy' ? Math.ceil(k - 1e-9) : Math.floor(k + 1e-9)) * tick;
      price = Number(price.toFixed(stepDecimals(tick)));
    }
    return { symbol: s.symbol, side, type: 'limit', qty, price, timeInForce: 'IOC', tag: s.signal_type };
  }
}

/** A position's size in whole lots (fills summed in floating point drift by 1e-18). */
function lots(q: number, step: number): number {
  return Number(q.toFixed(stepDecimals(step)));
}
