/**
 * `CoreAlgorithm`: fused order-flow features to typed signals, per symbol — the step between
 * `microstructure/` and `risk/` that the backtest and the live loop share. Pure and
 * synchronous: it never reads a clock or a random source, so the same input gives the same
 * signals, byte for byte, in Node, Deno or a browser.
 *
 * Input, one symbol at a time or many interleaved (state is kept per symbol):
 * - raw quotes and trades (`update(event)`, or `quote(…)`/`trade(…)` without an object per
 *   event): each symbol gets its own {@link FeatureSet} and the rows it makes are judged;
 * - feature rows (`updateFeatures(row)`) as `ofi-backtest features` writes them, update rows or
 *   bar rows; or update rows read by index from typed columns (`updateRowAt(…)`, a backtest's
 *   stage-1 table), with no row object.
 *
 * Each ready row (the fusion has both z-scores) is judged:
 * - **type**: score ≥ `strong_buy_threshold` strong_buy, ≥ `buy_threshold` buy, ≤ −`sell_threshold`
 *   sell, ≤ −`strong_sell_threshold` strong_sell, else neutral (no signal, unless `emit_neutral`);
 * - **confirm**: fusion consistency ≥ `min_consistency`, the last `agree_updates` ready rows' scores
 *   all of the signal's sign, and the divergence rule (`veto`: no divergence in force against the
 *   signal; `confirm`: one in force with it; `ignore`);
 * - **gates**, in this order in `gating_reasons`: `spread` (quoted spread > `max_spread_bps`),
 *   `lag` (receive − exchange time above its rolling minimum by > `max_lag_ms`; only where events
 *   carry a receive time), `stale` (no quote for > `stale_ms`), `warmup` (less than `warmup_sec`
 *   since the symbol's first row, or since its features were last not ready), `low_activity`
 *   (trades or quotes a second over `activity_window_sec` below `min_trade_rate` /
 *   `min_quote_rate`), `mode` (the strategy mode is one of `blocked_modes`);
 * - **emission** by the cooldown and de-duplication rule of `dedup.ts`. A gated signal is still
 *   emitted, with `gating_blocked` and its reasons, so the blocked ones can be studied; the
 *   de-duplication applies to it too.
 *
 * The strategy mode comes from a tracker per symbol made by `options.modes` (the risk layer's
 * `StrategyModeManager` fits), fed every event (or, from feature rows, each update's quote and
 * trade, a bar's counts); without one every signal is in `normal` mode.
 *
 * `config_hash` is the fingerprint (`fingerprint.ts`) of what decides the signals — the signal
 * rules, the resolved feature options, the mode configuration and {@link SIGNALS_VERSION} — unless
 * the caller gives one; `run_id` is the caller's.
 *
 * @example
 * const sink = new MemorySink();
 * const algo = new CoreAlgorithm({ runId: 'r1', signal: { cooldown_sec: 5 } }, sink);
 * for (const e of events) algo.update(e); // QuoteEvent | TradeEvent, any symbols
 * algo.flush();
 * sink.signals[0]; // { seq: 0, ts_ms: …, symbol: 'BTCUSDT', signal_type: 'buy', … }
 */
import type { PrintKind } from '../core/events.js';
import { DIVERGENCE_TYPES, type DivergenceType } from '../microstructure/divergence.js';
import type { FeatureRow } from '../microstructure/feature-columns.js';
import { FeatureSet, type FeatureQuote, type FeatureSetOptions, type FeatureTrade } from '../microstructure/feature-set.js';
import { fingerprint } from '../microstructure/fingerprint.js';
import { FeatureFusion } from '../microstructure/fusion.js';
import { sideOf, type FusionSide } from '../microstructure/fusion-options.js';
import { BucketWindow } from './bucket-window.js';
import { GATING_REASONS, SignalSection, signalRules, type GatingReason, type SignalConfig, type SignalConfigInput } from './config.js';
import { EmissionRule } from './dedup.js';
import type { FeatureRowInput, MaybeNumber } from './feature-input.js';
import { SIGNAL_TYPES, type Signal, type SignalSink, type SignalType } from './types.js';

/** Version of the signal semantics, part of every `config_hash`: bumped when an output would change. */
export const SIGNALS_VERSION = 1;

/** The least of an event a mode tracker reads (the risk layer's `ActivityInput`). */
export interface ModeEvent {
  type: string;
  ts: number;
  bidPrice?: number;
  askPrice?: number;
}

/** A strategy-mode tracker for one symbol; the risk layer's `StrategyModeManager` is one. */
export interface ModeTracker {
  update(e: ModeEvent): string;
  readonly mode: string;
}

/** Makes a tracker per symbol; `config` (any plain value) enters the configuration hash. */
export interface ModeSource {
  create(symbol: string): ModeTracker;
  config?: unknown;
}

/** Options of {@link CoreAlgorithm}. */
export interface CoreAlgorithmOptions {
  /** The run's id, copied to every signal. */
  runId: string;
  /** The `signal` section (any subset; defaults fill the rest). */
  signal?: SignalConfigInput;
  /** Feature options for raw events (the `features` section through `featureSetOptionsFromConfig`). */
  features?: FeatureSetOptions;
  /** Strategy-mode trackers; none: every signal in normal mode. */
  modes?: ModeSource | null;
  /** Only these symbols (others are skipped); all when absent. */
  symbols?: readonly string[] | null;
  /** Overrides the computed configuration hash. */
  configHash?: string;
}

/** What happened to one symbol's rows. */
export interface SymbolSignalStats {
  symbol: string;
  /** Feature rows judged, ready or not. */
  rows: number;
  /** Rows with fused features. */
  readyRows: number;
  /** Ready rows beyond a threshold (a signal if the cooldown rule let it through). */
  candidates: number;
  signals: number;
  /** Exchange time of the first and last row, ms. */
  firstTs: number;
  lastTs: number;
  types: Record<SignalType, number>;
  confirmed: number;
  blocked: number;
  /** Confirmed and not gated. */
  actionable: number;
  /** Emitted signals gated by each reason. */
  reasons: Record<GatingReason, number>;
  /** Candidate rows gated by each reason (before the cooldown rule). */
  gatedRows: Record<GatingReason, number>;
}

const QUOTE = 0;
const TRADE = 1;
const BAR = 2;
const SECOND = 1000;

/** Reason bits, in `GATING_REASONS` order. */
const SPREAD = 1;
const LAG = 2;
const STALE = 4;
const WARMUP = 8;
const LOW_ACTIVITY = 16;
const MODE = 32;

const zeroReasons = () => Object.fromEntries(GATING_REASONS.map((r) => [r, 0])) as Record<GatingReason, number>;

/** One symbol's state. */
class SymbolState {
  features: FeatureSet | null = null;
  readonly quotes: BucketWindow;
  readonly trades: BucketWindow;
  readonly lagMin: BucketWindow;
  /** Receive − exchange time of the latest event less its rolling minimum, ms; NaN when unknown. */
  lag = NaN;
  lastQuoteTs = NaN;
  warmFrom = NaN;
  wasReady = false;
  runSign = 0;
  run = 0;
  neutralSent = true;
  readonly rule: EmissionRule;
  readonly stats: SymbolSignalStats;

  constructor(
    readonly symbol: string,
    c: SignalConfig,
    readonly mode: ModeTracker | null,
  ) {
    this.quotes = new BucketWindow(c.activity_window_sec * SECOND, SECOND, 'sum');
    this.trades = new BucketWindow(c.activity_window_sec * SECOND, SECOND, 'sum');
    this.lagMin = new BucketWindow(c.lag_baseline_sec * SECOND, SECOND, 'min');
    this.rule = new EmissionRule(c.cooldown_sec * SECOND);
    this.stats = {
      symbol,
      rows: 0,
      readyRows: 0,
      candidates: 0,
      signals: 0,
      firstTs: NaN,
      lastTs: NaN,
      types: Object.fromEntries(SIGNAL_TYPES.map((t) => [t, 0])) as Record<SignalType, number>,
      confirmed: 0,
      blocked: 0,
      actionable: 0,
      reasons: zeroReasons(),
      gatedRows: zeroReasons(),
    };
  }
}

/** The row being judged (scratch, reused). */
// The scratch objects of the per-row path are class instances, not object literals: a literal
// shares its hidden class with other literals of the same keys, and one of those holding a
// non-number would make V8 box every number written here (an allocation per row).

class RowScratch {
  ts = NaN;
  kind = 0;
  quotes = 0;
  trades = 0;
  mid = NaN;
  spread = NaN;
  z_ofi = NaN;
  z_cvd = NaN;
  score = NaN;
  side = 0;
  consistency = NaN;
  divType: string | null = null;
  divStrength = NaN;
  fp = '';
}

/**
 * The columns of stage-1 update rows {@link CoreAlgorithm.updateRowAt} reads, row by index (a
 * backtest's `FeatureTable` is one): the fused fields of each row, `side` +1/−1/0, `divType` an
 * index in `DIVERGENCE_TYPES` (−1 for none), `fp` the fusion's fingerprint.
 */
export interface FeatureRowColumns {
  mid: Float64Array;
  spread: Float64Array;
  z_ofi: Float64Array;
  z_cvd: Float64Array;
  score: Float64Array;
  /** +1 buy, −1 sell, 0 neutral or not ready. */
  side: Int8Array;
  consistency: Float64Array;
  /** Index in `DIVERGENCE_TYPES` of the divergence in force, −1 for none. */
  divType: Int8Array;
  divStrength: Float64Array;
  /** Fingerprint of the fusion options (the feature rows' `fp`). */
  fp: string;
}

/** What one event tells the lag and mode clocks (a scratch object: numbers stay unboxed on the hot path). */
class ClockInput {
  ts = NaN;
  recvTs = NaN;
  bidPrice = NaN;
  askPrice = NaN;
}

/** The event a mode tracker is fed (a scratch object). */
class ModeScratch {
  type = 'quote';
  ts = 0;
  bidPrice = NaN;
  askPrice = NaN;
}

const num = (v: MaybeNumber): number => (typeof v === 'number' ? v : NaN);
const SIDES: Record<number, FusionSide> = { 1: 'buy', [-1]: 'sell', 0: 'neutral' };

/**
 * The configuration hash of a run with these options: the fingerprint of the signal rules (the
 * `signal` section without its output keys), the resolved feature options, the mode trackers'
 * `config` and {@link SIGNALS_VERSION}. What `CoreAlgorithm` stamps on its signals unless told
 * otherwise; a caller can know it (to name a run) before making one.
 */
export function configHashOf(options: Pick<CoreAlgorithmOptions, 'signal' | 'features' | 'modes'>): string {
  const f = options.features ?? {};
  return fingerprint({
    version: SIGNALS_VERSION,
    signal: signalRules(SignalSection.parse(options.signal ?? {})),
    features: {
      fusion: new FeatureFusion(f.fusion ?? {}).resolved,
      bar: f.bar ?? null,
      emptyBars: f.emptyBars ?? 'skip',
      cvdReset: f.cvdReset ?? 'none',
      normalize: f.normalize ?? false,
    },
    modes: options.modes ? (options.modes.config ?? 'custom') : null,
  });
}

/**
 * Features to typed signals with gating, confirmation, cooldown and de-duplication (see the
 * module comment). Signals go to `sink` as they are made.
 */
export class CoreAlgorithm {
  /** The resolved `signal` section. */
  readonly config: SignalConfig;
  readonly configHash: string;
  readonly runId: string;
  /** Fingerprint of the feature options used for raw events. */
  readonly fp: string;
  private readonly featureOptions: FeatureSetOptions;
  private readonly modes: ModeSource | null;
  private readonly only: Set<string> | null;
  private readonly blockedModes: Set<string>;
  private readonly warmupMs: number;
  private readonly lagOn: boolean;
  private readonly sideThreshold: number;
  private readonly states = new Map<string, SymbolState>();
  private lastName = '';
  private last: SymbolState | null = null;
  private seq = 0;
  private readonly r = new RowScratch();
  private readonly modeEvent = new ModeScratch();
  private readonly ck = new ClockInput();

  constructor(
    options: CoreAlgorithmOptions,
    private readonly sink: SignalSink,
  ) {
    this.config = SignalSection.parse(options.signal ?? {});
    this.runId = options.runId;
    this.featureOptions = options.features ?? {};
    const fusion = new FeatureFusion(this.featureOptions.fusion ?? {});
    this.fp = fusion.fp;
    this.sideThreshold = fusion.resolved.threshold;
    this.modes = options.modes ?? null;
    this.only = options.symbols && options.symbols.length > 0 ? new Set(options.symbols.map((s) => s.toUpperCase())) : null;
    this.blockedModes = new Set(this.config.blocked_modes);
    this.warmupMs = this.config.warmup_sec * SECOND;
    this.lagOn = this.config.max_lag_ms > 0;
    this.configHash = options.configHash ?? configHashOf(options);
  }

  /** Signals emitted so far. */
  get emitted(): number {
    return this.seq;
  }

  /** Per-symbol counts, by symbol. */
  get stats(): SymbolSignalStats[] {
    return [...this.states.values()]
      .map((s) => ({ ...s.stats, types: { ...s.stats.types }, reasons: { ...s.stats.reasons }, gatedRows: { ...s.stats.gatedRows } }))
      .sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
  }

  /** One raw event. Quotes and trades make features; other kinds only move the lag and mode clocks. */
  update(e: (FeatureQuote | FeatureTrade | { type: string; ts: number }) & { symbol: string; recvTs?: number }): void {
    if (e.type === 'quote') {
      const q = e as FeatureQuote;
      this.quote(e.symbol, q.ts, e.recvTs ?? NaN, q.bidPrice, q.bidQty, q.askPrice, q.askQty, q.updateId ?? NaN);
    } else if (e.type === 'trade') {
      const t = e as FeatureTrade;
      this.trade(e.symbol, t.ts, e.recvTs ?? NaN, t.price, t.qty, t.side === 'buy' ? 1 : -1, t.printKind);
    } else {
      const st = this.stateOf(e.symbol);
      if (st) this.clock(st, e.type, e.ts, e.recvTs ?? NaN, NaN, NaN);
    }
  }

  /** One best bid/ask update (`recvTs` NaN when not recorded). */
  quote(symbol: string, ts: number, recvTs: number, bidPrice: number, bidQty: number, askPrice: number, askQty: number, updateId: number): void {
    const st = this.stateOf(symbol);
    if (!st) return;
    this.clock(st, 'quote', ts, recvTs, bidPrice, askPrice);
    this.featuresOf(st).quote(ts, bidPrice, bidQty, askPrice, askQty, updateId);
  }

  /** One trade; `sign` +1 when the aggressor bought, −1 when it sold. */
  trade(symbol: string, ts: number, recvTs: number, price: number, qty: number, sign: number, printKind: PrintKind): void {
    const st = this.stateOf(symbol);
    if (!st) return;
    this.clock(st, 'trade', ts, recvTs, NaN, NaN);
    this.featuresOf(st).trade(ts, price, qty, sign, printKind);
  }

  /** One feature row (an update row or a bar row of `ofi-backtest features`). */
  updateFeatures(row: FeatureRowInput): void {
    const st = this.stateOf(row.symbol);
    if (!st) return;
    const r = this.r;
    const bar = typeof row.end === 'number';
    if (bar) {
      r.kind = BAR;
      r.ts = row.end as number;
      r.quotes = num(row.quotes);
      r.trades = num(row.trades);
      r.mid = num(row.close);
    } else {
      r.kind = row.kind === 'trade' ? TRADE : QUOTE;
      r.ts = num(row.ts);
      r.quotes = r.kind === QUOTE ? 1 : 0;
      r.trades = r.kind === TRADE ? 1 : 0;
      r.mid = num(row.mid);
    }
    r.spread = num(row.spread);
    r.z_ofi = num(row.z_ofi);
    r.z_cvd = num(row.z_cvd);
    r.score = num(row.score);
    r.side = num(row.side);
    r.consistency = num(row.consistency);
    r.divType = row.div_type ?? null;
    r.divStrength = num(row.div_strength);
    r.fp = row.fp ?? '';
    // the clocks the raw path feeds per event, fed from the row
    const recv = num(row.recv_ts);
    if (st.mode && !bar) {
      const half = r.spread / 2;
      this.clock(st, r.kind === QUOTE ? 'quote' : 'trade', r.ts, recv, r.mid - half, r.mid + half);
    } else if (st.mode) {
      const q = r.quotes > 0 ? r.quotes : 0;
      const t = r.trades > 0 ? r.trades : 0;
      const half = r.spread / 2;
      for (let i = 0; i < q; i++) this.clock(st, 'quote', r.ts, i === 0 ? recv : NaN, r.mid - half, r.mid + half);
      for (let i = 0; i < t; i++) this.clock(st, 'trade', r.ts, NaN, NaN, NaN);
      if (q === 0 && t === 0) this.clock(st, 'bar', r.ts, recv, NaN, NaN);
    } else this.clock(st, 'row', r.ts, recv, NaN, NaN);
    this.judge(st);
  }

  /**
   * Update row `row` of stage-1 feature columns (no row object): the same as
   * {@link updateFeatures} with that row. The row's event is given by its columns too: its
   * exchange time `ts[tsAt]`, receive time `recvTs[recvAt]` and whether it was a trade (else a
   * quote). Everything is read by index, so no number is boxed on the way: the face for a
   * backtest feeding every row.
   */
  updateRowAt(symbol: string, trade: boolean, f: FeatureRowColumns, row: number, ts: Float64Array, tsAt: number, recvTs: Float64Array, recvAt: number): void {
    const st = this.stateOf(symbol);
    if (!st) return;
    const r = this.r;
    const t = ts[tsAt]!;
    const mid = f.mid[row]!;
    const spread = f.spread[row]!;
    const dt = f.divType[row]!;
    r.kind = trade ? TRADE : QUOTE;
    r.ts = t;
    r.quotes = trade ? 0 : 1;
    r.trades = trade ? 1 : 0;
    r.mid = mid;
    r.spread = spread;
    r.z_ofi = f.z_ofi[row]!;
    r.z_cvd = f.z_cvd[row]!;
    r.score = f.score[row]!;
    r.side = f.side[row]!;
    r.consistency = f.consistency[row]!;
    r.divType = dt < 0 ? null : DIVERGENCE_TYPES[dt]!;
    r.divStrength = f.divStrength[row]!;
    r.fp = f.fp;
    const k = this.ck;
    k.ts = t;
    k.recvTs = recvTs[recvAt]!;
    if (st.mode) {
      const half = spread / 2;
      k.bidPrice = mid - half;
      k.askPrice = mid + half;
      this.tick(st, trade ? 'trade' : 'quote');
    } else {
      k.bidPrice = NaN;
      k.askPrice = NaN;
      this.tick(st, 'row');
    }
    this.judge(st);
  }

  /** End of input: close each symbol's open bar (bar features only). */
  flush(): void {
    for (const st of this.states.values()) st.features?.flush();
  }

  /** Forget every symbol and start the sequence again. */
  reset(): void {
    this.states.clear();
    this.last = null;
    this.lastName = '';
    this.seq = 0;
  }

  private stateOf(symbol: string): SymbolState | null {
    if (symbol === this.lastName && this.last) return this.last;
    let st = this.states.get(symbol) ?? null;
    if (!st) {
      if (this.only && !this.only.has(symbol.toUpperCase())) return null;
      st = new SymbolState(symbol, this.config, this.modes ? this.modes.create(symbol) : null);
      this.states.set(symbol, st);
    }
    this.last = st;
    this.lastName = symbol;
    return st;
  }

  private featuresOf(st: SymbolState): FeatureSet {
    if (!st.features) st.features = new FeatureSet(st.symbol, this.featureOptions, (row) => this.fromFeatureSet(st, row));
    return st.features;
  }

  /** Lag baseline and strategy mode, per event. */
  private clock(st: SymbolState, type: string, ts: number, recvTs: number, bidPrice: number, askPrice: number): void {
    const k = this.ck;
    k.ts = ts;
    k.recvTs = recvTs;
    k.bidPrice = bidPrice;
    k.askPrice = askPrice;
    this.tick(st, type);
  }

  /** {@link clock} on the event in `this.ck`. */
  private tick(st: SymbolState, type: string): void {
    const k = this.ck;
    const ts = k.ts;
    const recvTs = k.recvTs;
    if (this.lagOn && recvTs === recvTs && ts === ts) {
      const d = recvTs - ts;
      st.lagMin.addAt(k, d);
      st.lag = d - st.lagMin.value;
    }
    if (st.mode) {
      const e = this.modeEvent;
      e.type = type;
      e.ts = ts;
      e.bidPrice = k.bidPrice;
      e.askPrice = k.askPrice;
      st.mode.update(e);
    }
  }

  private fromFeatureSet(st: SymbolState, row: FeatureRow): void {
    const r = this.r;
    const b = row.bar;
    if (b) {
      r.kind = BAR;
      r.quotes = b.quotes;
      r.trades = b.trades;
      r.mid = b.close;
      r.spread = b.spread;
    } else {
      r.kind = row.kind === 'trade' ? TRADE : QUOTE;
      r.quotes = r.kind === QUOTE ? 1 : 0;
      r.trades = r.kind === TRADE ? 1 : 0;
      r.mid = row.mid;
      r.spread = row.spread;
    }
    r.ts = row.ts;
    r.z_ofi = row.z_ofi;
    r.z_cvd = row.z_cvd;
    r.score = row.score;
    r.side = row.side;
    r.consistency = row.consistency;
    r.divType = row.div_type;
    r.divStrength = row.div_strength;
    r.fp = row.fp;
    this.judge(st);
  }

  /** Judge the row in `this.r` for `st`. */
  private judge(st: SymbolState): void {
    const r = this.r;
    const c = this.config;
    const ts = r.ts;
    const s = st.stats;
    s.rows++;
    if (s.firstTs !== s.firstTs) s.firstTs = ts;
    s.lastTs = ts;
    // activity and staleness come from the rows: one quote or trade per update row, a bar's counts
    if (r.kind === QUOTE) {
      st.quotes.addAt(r, 1);
      st.trades.advanceAt(r);
      st.lastQuoteTs = ts;
    } else if (r.kind === TRADE) {
      st.trades.addAt(r, 1);
      st.quotes.advanceAt(r);
    } else {
      st.quotes.add(ts, r.quotes > 0 ? r.quotes : 0);
      st.trades.add(ts, r.trades > 0 ? r.trades : 0);
      if (r.quotes > 0) st.lastQuoteTs = ts;
    }
    const score = r.score;
    if (score !== score || r.z_ofi !== r.z_ofi || r.z_cvd !== r.z_cvd) {
      // not ready: warm-up starts again from the first row of this not-ready spell
      if (st.wasReady || st.warmFrom !== st.warmFrom) st.warmFrom = ts;
      st.wasReady = false;
      st.run = 0;
      st.runSign = 0;
      return;
    }
    if (st.warmFrom !== st.warmFrom) st.warmFrom = ts;
    st.wasReady = true;
    s.readyRows++;
    const sign = score > 0 ? 1 : score < 0 ? -1 : 0;
    if (sign !== 0 && sign === st.runSign) st.run++;
    else {
      st.runSign = sign;
      st.run = sign === 0 ? 0 : 1;
    }
    const dir = score >= c.buy_threshold ? 1 : score <= -c.sell_threshold ? -1 : 0;
    const level = dir > 0 ? (score >= c.strong_buy_threshold ? 2 : 1) : dir < 0 ? (score <= -c.strong_sell_threshold ? 2 : 1) : 0;
    if (dir === 0) {
      if (c.emit_neutral && st.rule.dir !== 0 && !st.neutralSent) {
        st.neutralSent = true;
        this.emit(st, 'neutral', true, this.gates(st));
      }
      return;
    }
    s.candidates++;
    const mask = this.gates(st);
    if (mask !== 0) for (let i = 0; i < GATING_REASONS.length; i++) if (mask & (1 << i)) s.gatedRows[GATING_REASONS[i]!]++;
    const confirm = this.confirmed(st, dir);
    if (!st.rule.offer(ts, dir, level, confirm && mask === 0)) return;
    st.neutralSent = false;
    this.emit(st, dir > 0 ? (level === 2 ? 'strong_buy' : 'buy') : level === 2 ? 'strong_sell' : 'sell', confirm, mask);
  }

  /** The confirmation rules for a signal in direction `dir`. */
  private confirmed(st: SymbolState, dir: number): boolean {
    const r = this.r;
    const c = this.config;
    if (!(r.consistency >= c.min_consistency)) return false;
    if (st.runSign !== dir || st.run < c.agree_updates) return false;
    if (c.divergence_rule === 'ignore') return true;
    const t = r.divType;
    const d = t === null ? 0 : t.endsWith('bullish') ? 1 : t.endsWith('bearish') ? -1 : 0;
    const counts = d !== 0 && !(r.divStrength < c.divergence_min_strength);
    return c.divergence_rule === 'veto' ? !(counts && d === -dir) : counts && d === dir;
  }

  /** The gates in force for the row in `this.r`, as reason bits. */
  private gates(st: SymbolState): number {
    const r = this.r;
    const c = this.config;
    const ts = r.ts;
    let m = 0;
    if (c.max_spread_bps > 0 && r.mid > 0 && (r.spread / r.mid) * 1e4 > c.max_spread_bps) m |= SPREAD;
    if (c.max_lag_ms > 0 && st.lag > c.max_lag_ms) m |= LAG;
    if (c.stale_ms > 0 && !(ts - st.lastQuoteTs <= c.stale_ms)) m |= STALE;
    if (ts - st.warmFrom < this.warmupMs) m |= WARMUP;
    if (c.min_trade_rate > 0 || c.min_quote_rate > 0) {
      const span = Math.max(st.quotes.span, st.trades.span, SECOND) / SECOND;
      if ((c.min_trade_rate > 0 && st.trades.value / span < c.min_trade_rate) || (c.min_quote_rate > 0 && st.quotes.value / span < c.min_quote_rate)) m |= LOW_ACTIVITY;
    }
    if (st.mode && this.blockedModes.has(st.mode.mode)) m |= MODE;
    return m;
  }

  private emit(st: SymbolState, type: SignalType, confirm: boolean, mask: number): void {
    const r = this.r;
    const reasons: string[] = [];
    for (let i = 0; i < GATING_REASONS.length; i++) if (mask & (1 << i)) reasons.push(GATING_REASONS[i]!);
    const signal: Signal = {
      seq: this.seq++,
      ts_ms: r.ts,
      symbol: st.symbol,
      signal_type: type,
      confirm,
      score: r.score,
      gating_blocked: mask !== 0,
      gating_reasons: reasons,
      strategy_mode: st.mode ? st.mode.mode : 'normal',
      z_ofi: r.z_ofi,
      z_cvd: r.z_cvd,
      fusion_score: r.score,
      // a row without its side: the fusion's own rule at the configured threshold
      fusion_side: SIDES[r.side] ?? sideOf(r.score, this.sideThreshold),
      fusion_consistency: r.consistency,
      divergence_type: r.divType as DivergenceType | null,
      divergence_strength: r.divStrength,
      fp: r.fp,
      config_hash: this.configHash,
      run_id: this.runId,
    };
    const s = st.stats;
    s.signals++;
    s.types[type]++;
    if (confirm) s.confirmed++;
    if (mask !== 0) s.blocked++;
    else if (confirm) s.actionable++;
    for (const reason of reasons) s.reasons[reason as GatingReason]++;
    this.sink.write(signal);
  }
}
