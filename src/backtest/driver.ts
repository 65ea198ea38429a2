/**
 * The backtest driver: the merged event stream (`data-reader.ts`) through the simulator and a
 * strategy, on two clocks. It implements {@link TradingContext} over the `TradeSimulator`
 * (`context.ts`) and gives back the simulator's ledger, an equity curve and the strategy's
 * per-signal records.
 *
 * **Two clocks.** The venue works in exchange time: each event goes to the simulator in stream
 * order, after everything due before it. The strategy works in local time: an event reaches it
 * at `ts + feed latency` ({@link FeedLatency}; one connection delivers in order, so local times
 * never go back), and the simulator's answers (acks, fills, expiries) reach it at the local
 * times the simulator gives them (venue time + response latency). Between two events the driver
 * steps through whatever comes first — an order reaching the venue, an equity sample, an answer
 * or an event reaching the strategy — advancing the venue to that time before acting, so an
 * order the strategy sends at local time `t` is judged against the venue as of `t` plus its
 * entry latency, and nothing is seen before its time. Appending events to the stream cannot
 * change what happened before them.
 *
 * **Features.** A strategy with `onFeatures` gets the stage-1 feature rows (`features-stage.ts`)
 * right after the event each belongs to: given precomputed (a sweep shares them across runs),
 * or computed here chunk by chunk from the `features` section.
 *
 * **Equity** is sampled from the venue on a clock (every `sampleMs` of exchange time, from the
 * first event) and after each fill: time, equity, cash, gross and net exposure at the marks. In a
 * gap where nothing happens (no event, order or answer) only the gap's first and last clock
 * points are sampled: the equity cannot move in between.
 *
 * Deterministic: the same stream, configuration and seed give the same result, byte for byte
 * (no wall clock, no randomness but the models' seeded draws).
 *
 * @see hftbacktest (feed, entry and response latency around one exchange), nautilus_trader's backtest engine.
 */
import type * as z from 'zod';
import { ArrayPool } from '../core/array-pool.js';
import type { InstrumentSpec } from '../core/config/sections.js';
import { FeaturesSection } from '../microstructure/config.js';
import { DIVERGENCE_TYPES } from '../microstructure/divergence.js';
import type { RiskConfigInput } from '../risk/config.js';
import type { StrategyModeConfigInput } from '../risk/strategy-mode-config.js';
import type { FeatureRowInput } from '../signals/feature-input.js';
import type { SignalConfigInput } from '../signals/config.js';
import { BacktestSection, type BacktestConfigInput } from './config.js';
import { BacktestContext } from './context.js';
import { DEPTH, MARK, QUOTE, TRADE, type DepthColumnSet } from './data/columns.js';
import type { EventTable } from './data/event-table.js';
import { EventView } from './data/event-view.js';
import { concatFeatureTables, FeatureStage, type FeatureTable } from './features-stage.js';
import { RecordedFeedLatency, type FeedLatency } from './feed-latency.js';
import type { DepthTrack } from './depth-track.js';
import { simulatorFromConfig } from './sim/from-config.js';
import type { FundingPayment, TradeSimulator } from './sim/simulator.js';
import type { StrategyConfigInput } from './strategy-config.js';
import { DefaultStrategy } from './strategies/default.js';
import type { Fill, Order, Position, Strategy, TradingContext } from './types.js';

/** The configuration sections a run reads (a resolved `Config` fits; any part may be left out). */
export interface BacktestRunConfig {
  features?: z.input<typeof FeaturesSection>;
  signal?: SignalConfigInput;
  strategy_mode?: StrategyModeConfigInput;
  risk?: RiskConfigInput;
  strategy?: StrategyConfigInput;
  backtest?: BacktestConfigInput;
  symbols?: Record<string, InstrumentSpec>;
}

/** What a strategy did with one signal. */
export interface SignalRecord {
  seq: number;
  /** Exchange time of the signal, ms. */
  ts: number;
  /** Local time the strategy acted on it, ms. */
  localTs: number;
  symbol: string;
  signal_type: string;
  confirm: boolean;
  score: number;
  gating_blocked: boolean;
  gating_reasons: string[];
  strategy_mode: string;
  /** `open`, `add`, `close`, `reverse` (an order was sent), `none` (risk said no) or `skip` (the strategy left it). */
  action: string;
  /** Why: the risk decision's reason, or why the strategy skipped it. */
  reason: string;
  /** Quantity ordered (0 when none). */
  qty: number;
  /** The order sent (0 when none). */
  orderId: number;
}

/** A strategy as the backtest drives it: the shared {@link Strategy}, plus what a backtest can offer. */
export interface BacktestStrategy extends Strategy {
  /** Stage-1 feature rows, each right after its event (a reused object: copy what you keep). */
  onFeatures?(row: FeatureRowInput, ctx: TradingContext): void;
  /**
   * Stage-1 update rows by index, with no row object: row `r` of `f`, which belongs to event
   * `f.at[r]` of `t` (its symbol, kind, times). When present it takes the update rows
   * `onFeatures` would get, field for field the same; bar rows (`f.bar` set) still come through
   * `onFeatures` when the strategy has it.
   * The faster face, for a strategy reading every row.
   */
  onFeatureRow?(f: FeatureTable, r: number, t: EventTable, ctx: TradingContext): void;
  /** False to be given no feature rows even with `onFeatures` (a strategy computing its own). */
  readonly wantsFeatures?: boolean;
  /** Levels per side the strategy reads from `ctx.book(symbol)` (default 20); 0 when it reads only the best bid and ask, which spares the context a depth book. */
  readonly bookLevels?: number;
  /** What the strategy did with each signal, read at the end. */
  signalRecords?(): readonly SignalRecord[];
  /** The strategy mode an order was sent in (labels round trips in layered metrics). */
  modeOf?(orderId: number): string;
  /**
   * A new run on the same market ({@link BacktestDriver.restart}): forget what trading made
   * (positions and orders as known, risk state, records) and keep what the market alone made
   * (signal state, volatility, modes), so the strategy is what it would be had it watched the
   * stream from `startTs` (the stream's first event) without trading. From `tradeFrom`
   * (exchange time) it may trade.
   */
  restart?(ctx: TradingContext, at: { startTs: number; tradeFrom: number }): void;
}

/** Streaming consumers of a run (the metrics aggregator, writers). */
export interface BacktestHooks {
  onEquity?(ts: number, equity: number, cash: number, grossExposure: number): void;
  onFill?(fill: Fill, mode: string): void;
  onMark?(symbol: string, ts: number, mark: number): void;
  onFunding?(symbol: string, ts: number, amount: number): void;
  onSignal?(record: SignalRecord): void;
}

/** The equity curve: one row per clock sample and per fill. */
export interface EquityCurve {
  length: number;
  ts: Float64Array;
  equity: Float64Array;
  cash: Float64Array;
  /** Σ |position × mark|, quote currency. */
  gross: Float64Array;
  /** Σ position × mark. */
  net: Float64Array;
  /** 1 for a sample taken at a fill, 0 for a clock sample. */
  fill: Uint8Array;
}

/** First and last mark of a symbol over the run (the buy-and-hold benchmark's ends). */
export interface SymbolMarks {
  symbol: string;
  firstTs: number;
  first: number;
  lastTs: number;
  last: number;
}

/** What a run gives back. */
export interface BacktestResult {
  orders: Order[];
  fills: Fill[];
  fundings: FundingPayment[];
  equity: EquityCurve;
  signals: SignalRecord[];
  /** Final positions at the venue. */
  positions: Position[];
  marks: SymbolMarks[];
  startingCash: number;
  stats: {
    events: number;
    featureRows: number;
    firstTs: number;
    lastTs: number;
    orders: number;
    fills: number;
    signals: number;
  };
}

/** Options of {@link runBacktest}. */
export interface BacktestOptions {
  /** One table, or chunks in stream order (`DataReader.chunks()`). */
  stream: EventTable | Iterable<EventTable> | AsyncIterable<EventTable>;
  /** Precomputed stage-1 rows of `stream` (a single table only); computed on the way when absent. */
  features?: FeatureTable | null;
  config?: BacktestRunConfig;
  /** Default: the toolkit's `DefaultStrategy` over `config`. */
  strategy?: BacktestStrategy;
  /** Overrides `config.backtest.seed`. */
  seed?: number;
  /** Default {@link RecordedFeedLatency} (the data's own delays). */
  feed?: FeedLatency;
  /** Equity sampling clock, ms (default 1000). */
  sampleMs?: number;
  hooks?: BacktestHooks;
  /**
   * Delivery times of every event of the stream's table under the default feed latency
   * ({@link feedTimesFor}; a sweep's runs share them), instead of computed per chunk: the stream
   * must then be that table's events from the first, in ranges one after the other.
   */
  feedTimes?: FeedTimes;
  /** The venue's books read from this track of the stream's table (`depthTrackFor`; a sweep's runs share one) instead of kept from every depth event. The same fills. */
  depthTrack?: DepthTrack;
}

/** A notice from the venue on its way to the strategy. */
interface Note {
  local: number;
  seq: number;
  order: Order | null;
  fill: Fill | null;
}

/**
 * A stream chunk still being delivered to the strategy. Deliveries go in stream order (local
 * times never go back), so what is on its way is the events from `next` to `fed`.
 */
interface Live {
  t: EventTable;
  f: FeatureTable | null;
  /** Local time each event reaches the strategy, ms: from the pool (given back when the chunk is done), or a view of the shared {@link FeedTimes}. */
  local: Float64Array;
  /** Events given to the simulator so far. */
  fed: number;
  /** Next event to deliver. */
  next: number;
  /** Next feature row to deliver. */
  fr: number;
}

/** The receive time of each event of `t` into `out`, from its kind's column. */
function receiveTimes(t: EventTable, out: Float64Array): void {
  const { kind, row } = t;
  const q = t.quote.recvTs;
  const tr = t.trade.recvTs;
  const d = t.depth.recvTs;
  const m = t.mark.recvTs;
  for (let i = 0; i < t.length; i++) {
    const k = kind[i];
    out[i] = (k === QUOTE ? q : k === TRADE ? tr : k === DEPTH ? d : m)[row[i]!]!;
  }
}

/** `io[i]` from receive time to delay, one `delay` call an event (a model without `delays`). */
function eachDelay(feed: FeedLatency, ts: Float64Array, io: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) io[i] = feed.delay(ts[i]!, io[i]!);
}

/**
 * When each event of `t` reaches the strategy, into `out`: its receive time, then its delay
 * under `feed`, then exchange time + delay but never before the event ahead of it (`after`: the
 * last of the chunk before). Gives the last.
 */
function deliveryTimes(t: EventTable, feed: FeedLatency, out: Float64Array, after: number): number {
  const n = t.length;
  receiveTimes(t, out);
  // all at once when the model can (no time passed as a number per event, see FeedLatency.delays)
  if (typeof feed.delays === 'function') feed.delays(t.ts, out, n);
  else eachDelay(feed, t.ts, out, n);
  return inOrder(t.ts, out, n, after);
}

/** `io[i]` from delay to local time, `ts[i]` + delay but never before the event ahead of it; gives the last. */
function inOrder(ts: Float64Array, io: Float64Array, n: number, from: number): number {
  // `+from`, not `from`: a loop variable started from an argument as it is stays boxed in V8,
  // a new heap number each time it is set (2 MB a sweep run, seen with the sampling heap profiler)
  let last = +from;
  for (let i = 0; i < n; i++) {
    const local = ts[i]! + io[i]!;
    if (local >= last) last = local;
    io[i] = last;
  }
  return last;
}

/**
 * When each event of a table reaches a strategy under the default feed latency
 * ({@link RecordedFeedLatency}: the data's own delays), from the table's first event: they depend
 * on the data alone, so a sweep computes them once per table ({@link feedTimesFor}) for all its
 * runs.
 */
export interface FeedTimes {
  /** The table's exchange times (the runs' ranges are views of them). */
  ts: Float64Array;
  /** Local time of each event, ms. */
  local: Float64Array;
}

const feedTimesCache = new WeakMap<Float64Array, FeedTimes>();

/**
 * The {@link FeedTimes} of a table, computed on first use (into shared memory with `shared`, for
 * worker threads over the same table; or taken from another thread's, `local`) and kept while
 * its time column lives.
 */
export function feedTimesFor(table: EventTable, options: { shared?: boolean; local?: Float64Array } = {}): FeedTimes {
  let f = feedTimesCache.get(table.ts);
  if (f === undefined) {
    let local = options.local;
    if (local !== undefined) {
      if (local.length !== table.length) throw new RangeError(`feedTimesFor: ${local.length} feed times given for a table of ${table.length} events`);
    } else {
      local = options.shared ? new Float64Array(new SharedArrayBuffer(8 * table.length)) : new Float64Array(table.length);
      deliveryTimes(table, new RecordedFeedLatency(), local, -Infinity);
    }
    f = { ts: table.ts, local };
    feedTimesCache.set(table.ts, f);
  }
  return f;
}

/** Delivery times of finished chunks, for the next chunk of their length (every element is overwritten). */
const localTimesPool = new ArrayPool<Float64Array>((n) => new Float64Array(n), { keep: 2 });
const EMPTY_TIMES = new Float64Array(0);

/** The fused fields of a scratch feature row (class instances keep their number fields unboxed; see `data/event-view.ts`). */
class FusedRowScratch {
  symbol = '';
  z_ofi = NaN;
  z_cvd = NaN;
  score = NaN;
  side = 0;
  consistency = NaN;
  div_type: string | null = null;
  div_strength = NaN;
  fp = '';
  recv_ts = NaN;
}

class UpdateRowScratch extends FusedRowScratch {
  ts = NaN;
  kind: 'quote' | 'trade' = 'quote';
  mid = NaN;
  spread = NaN;
}

class BarRowScratch extends FusedRowScratch {
  end = NaN;
  close = NaN;
  spread = NaN;
  quotes = 0;
  trades = 0;
}

/** The scratch feature row handed to `onFeatures`. */
class RowView {
  readonly update = new UpdateRowScratch();
  readonly bar = new BarRowScratch();

  fill(t: EventTable, f: FeatureTable, r: number): FeatureRowInput {
    const dt = f.divType[r]!;
    if (f.bar) {
      const b = this.bar;
      b.symbol = t.symbols[f.bar.sym[r]!]!;
      b.end = f.bar.end[r]!;
      b.close = f.mid[r]!;
      b.spread = f.spread[r]!;
      b.quotes = f.bar.quotes[r]!;
      b.trades = f.bar.trades[r]!;
      b.z_ofi = f.z_ofi[r]!;
      b.z_cvd = f.z_cvd[r]!;
      b.score = f.score[r]!;
      b.side = f.side[r]!;
      b.consistency = f.consistency[r]!;
      b.div_type = dt < 0 ? null : DIVERGENCE_TYPES[dt]!;
      b.div_strength = f.divStrength[r]!;
      b.fp = f.fp;
      return b;
    }
    const u = this.update;
    const i = f.at[r]!;
    const k = t.kind[i];
    u.symbol = t.symbols[t.sym[i]!]!;
    u.ts = t.ts[i]!;
    u.kind = k === TRADE ? 'trade' : 'quote';
    u.recv_ts = (k === TRADE ? t.trade.recvTs : t.quote.recvTs)[t.row[i]!]!;
    u.mid = f.mid[r]!;
    u.spread = f.spread[r]!;
    u.z_ofi = f.z_ofi[r]!;
    u.z_cvd = f.z_cvd[r]!;
    u.score = f.score[r]!;
    u.side = f.side[r]!;
    u.consistency = f.consistency[r]!;
    u.div_type = dt < 0 ? null : DIVERGENCE_TYPES[dt]!;
    u.div_strength = f.divStrength[r]!;
    u.fp = f.fp;
    return u;
  }
}

/** Growable equity columns. */
class Curve {
  n = 0;
  private cap = 1024;
  ts = new Float64Array(this.cap);
  equity = new Float64Array(this.cap);
  cash = new Float64Array(this.cap);
  gross = new Float64Array(this.cap);
  net = new Float64Array(this.cap);
  fill = new Uint8Array(this.cap);

  push(ts: number, equity: number, cash: number, gross: number, net: number, fill: number): void {
    if (this.n === this.cap) {
      this.cap *= 2;
      const g = <T extends Float64Array | Uint8Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(this.cap);
        b.set(a as never);
        return b;
      };
      this.ts = g(this.ts);
      this.equity = g(this.equity);
      this.cash = g(this.cash);
      this.gross = g(this.gross);
      this.net = g(this.net);
      this.fill = g(this.fill);
    }
    const i = this.n++;
    this.ts[i] = ts;
    this.equity[i] = equity;
    this.cash[i] = cash;
    this.gross[i] = gross;
    this.net[i] = net;
    this.fill[i] = fill;
  }

  result(): EquityCurve {
    const n = this.n;
    return { length: n, ts: this.ts.slice(0, n), equity: this.equity.slice(0, n), cash: this.cash.slice(0, n), gross: this.gross.slice(0, n), net: this.net.slice(0, n), fill: this.fill.slice(0, n) };
  }
}

/**
 * One run, fed chunk by chunk (see the module comment). {@link runBacktest} and
 * {@link runBacktestSync} drive it; a caller with its own loop calls {@link feed} per chunk and
 * {@link finish} once.
 */
export class BacktestDriver {
  readonly sim: TradeSimulator;
  readonly ctx: BacktestContext;
  readonly strategy: BacktestStrategy;
  readonly startingCash: number;
  private readonly feedLatency: FeedLatency;
  private readonly feedTimes: FeedTimes | null;
  /** The depth columns of the depth track's table (its rows go to the simulator by number), or null. */
  private readonly depthColumns: DepthColumnSet | null;
  private readonly sampleMs: number;
  private hooks: BacktestHooks;
  private readonly stage: FeatureStage | null;
  private readonly wantsRows: boolean;
  /** Update rows go by index (`onFeatureRow`). */
  private readonly byIndex: boolean;
  private readonly hasOnFeatures: boolean;
  private readonly onDepth: boolean;
  private readonly view = new EventView();
  private readonly rowView = new RowView();
  private curve = new Curve();
  /** Chunks with events still to deliver, in stream order. */
  private readonly chunks: Live[] = [];
  /** What {@link process} runs up to (a field, so no call on the per-event path takes a number). */
  private horizon = -Infinity;
  /**
   * No earlier than the first thing {@link process} would do (the next event's delivery, a
   * notice, an order's arrival, a clock point): `feed` calls it only once an exchange time
   * reaches this. Lowered by whatever adds to those (an event fed, a notice, an arrival, the start).
   */
  private due = -Infinity;
  private readonly notes: Note[] = [];
  private noteSeq = 0;
  /** Venue times orders arrive at, ascending. */
  private readonly arrivals: number[] = [];
  private nextSample = NaN;
  private lastLocal = -Infinity;
  private firstTs = NaN;
  private lastTs = NaN;
  private events = 0;
  private featureRows = 0;
  /** {@link events} and {@link featureRows} when the current run began ({@link restart}). */
  private eventsBefore = 0;
  private featureRowsBefore = 0;
  private started = false;
  private finished = false;
  private readonly symbols: string[] = [];
  private readonly symbolSet = new Set<string>();
  private readonly marks = new Map<string, SymbolMarks>();

  constructor(options: Omit<BacktestOptions, 'stream' | 'features'>) {
    const config = options.config ?? {};
    const section = BacktestSection.parse({ ...(config.backtest ?? {}), ...(options.seed !== undefined ? { seed: options.seed } : {}) });
    this.startingCash = section.starting_cash;
    this.hooks = options.hooks ?? {};
    this.sim = simulatorFromConfig(section, {
      ...(options.depthTrack ? { depthTrack: options.depthTrack } : {}),
      onOrder: (o, local) => this.note(local, { ...o }, null),
      onFill: (f, local) => {
        this.note(local, null, f);
        this.sample(f.ts, 1);
        this.hooks.onFill?.(f, this.strategy.modeOf?.(f.orderId) ?? '');
      },
      onFunding: (p) => {
        this.ctx.seeFunding(p);
        this.hooks.onFunding?.(p.symbol, p.ts, p.amount);
      },
    });
    this.strategy = options.strategy ?? new DefaultStrategy(config);
    this.ctx = new BacktestContext(this.sim, this.startingCash, (o) => this.arrival(o), this.strategy.bookLevels ?? 20);
    this.feedLatency = options.feed ?? new RecordedFeedLatency();
    if (options.feed && options.feedTimes) throw new Error('feedTimes are the default feed latency\'s: give feed or feedTimes, not both');
    this.feedTimes = options.feedTimes ?? null;
    this.depthColumns = options.depthTrack?.columns ?? null;
    this.sampleMs = options.sampleMs ?? 1000;
    if (!(this.sampleMs > 0)) throw new RangeError(`sampleMs ${this.sampleMs}: expected > 0`);
    this.wantsRows = (typeof this.strategy.onFeatures === 'function' || typeof this.strategy.onFeatureRow === 'function') && this.strategy.wantsFeatures !== false;
    this.byIndex = typeof this.strategy.onFeatureRow === 'function';
    this.hasOnFeatures = typeof this.strategy.onFeatures === 'function';
    this.onDepth = typeof this.strategy.onDepth === 'function';
    this.stage = this.wantsRows ? new FeatureStage(FeaturesSection.parse(config.features ?? {})) : null;
  }

  /** The next chunk of the stream; `features` when precomputed for exactly this table. */
  feed(t: EventTable, features?: FeatureTable | null): void {
    if (this.finished) throw new Error('feed after finish');
    for (const s of t.symbols) {
      if (!this.symbolSet.has(s)) {
        this.symbolSet.add(s);
        this.symbols.push(s);
      }
    }
    // an empty chunk has nothing to deliver (tested here, not after the loop: code after a hot
    // loop has no type feedback when V8 compiles the loop, and a test there sends the run back
    // to the interpreter at the end of every chunk, to climb the tiers again on the next one)
    if (t.length === 0) return;
    const f = !this.wantsRows ? null : (features ?? this.stage!.run(t));
    const live: Live = { t, f, local: this.sharedTimes(t) ?? this.localTimes(t), fed: 0, next: 0, fr: 0 };
    this.chunks.push(live);
    const { kind, row, sym, ts } = t;
    const local = live.local;
    const view = this.view;
    const sim = this.sim;
    const tracked = this.depthColumns;
    for (let i = 0; i < t.length; i++) {
      const x = ts[i]!;
      if (x === x) {
        if (!this.started) this.start(x);
        // clock points up to x are sampled before x reaches the venue
        this.lastTs = x;
        this.horizon = x;
        if (this.due <= x) this.process();
      }
      const r = row[i]!;
      const symbol = t.symbols[sym[i]!]!;
      switch (kind[i]) {
        case QUOTE:
          sim.onQuote(view.quote(t, r, symbol));
          break;
        case TRADE:
          sim.onTrade(view.trade(t, r, symbol));
          break;
        case DEPTH:
          if (t.depth === tracked) sim.onDepthRow(r, symbol);
          else sim.onDepth(view.depthLevels(t, r, symbol));
          break;
        default:
          sim.onMark(view.mark(t, r, symbol));
      }
      live.fed = i + 1;
      // deliverable now (local times never go back: no earlier than any event still to deliver)
      if (local[i]! < this.due) this.due = local[i]!;
      this.events++;
    }
  }

  /**
   * After {@link finish}: the simulator's and the context's local books are forgotten and their
   * large arrays kept for the next run in this thread (a sweep runs thousands). The result stays
   * whole; the driver cannot be fed again. {@link runBacktest} and {@link runBacktestSync} call it.
   */
  release(): void {
    if (!this.finished) throw new Error('release before finish');
    this.sim.releaseBooks();
    this.ctx.releaseBooks();
  }

  /** End of the stream: the open bars' rows, everything still on its way, the strategy's `onEnd`, a last sample. */
  finish(): BacktestResult {
    if (!this.finished) {
      this.finished = true;
      const last = this.chunks[this.chunks.length - 1];
      if (last && last.f && this.stage) {
        const tail = this.stage.flush(last.t.length - 1);
        if (tail.length > 0) last.f = concatFeatureTables(last.f, tail);
      }
      this.end();
    }
    return this.result();
  }

  /**
   * End the run after the events fed so far, as {@link finish} ends it (everything on its way
   * delivered, the strategy's `onEnd`, a last sample; only the open bars of features computed
   * here stay open, since the stream goes on), and start a new one on the same market, fed
   * from the next event: the account (cash, positions, orders, fills, funding), the equity
   * curve, the marks, the counts and the strategy's trading state start afresh
   * ({@link TradeSimulator.restart}, {@link BacktestStrategy.restart}); the books, quotes,
   * feature rows, signal state, clocks and feed latency carry on. The new run is the run that
   * would have replayed the stream from its start without trading until here and trading from
   * `tradeFrom`, without the replay: what a sweep does at the boundary between two segments.
   * Gives back the run that ended; its `hooks` are replaced by `next.hooks`.
   *
   * @throws Error when the strategy has no `restart`.
   * @example
   * driver.feed(events.range(0, n)); // the train segment
   * const train = driver.restart({ hooks: testMetrics.hooks(split), tradeFrom: split });
   * driver.feed(events.range(n, events.length));
   * const test = driver.finish();
   */
  restart(next: { hooks?: BacktestHooks; tradeFrom?: number } = {}): BacktestResult {
    const strategy = this.strategy;
    if (typeof strategy.restart !== 'function') throw new Error('restart: the strategy has no restart()');
    if (this.finished) throw new Error('restart after finish');
    const clocks = this.sim.clocks();
    this.end();
    const ended = this.result();
    // end() delivered every note and arrival: the queues are empty
    this.sim.restart(clocks);
    this.ctx.restart(this.startingCash);
    if (this.started) strategy.restart(this.ctx, { startTs: this.firstTs, tradeFrom: next.tradeFrom ?? -Infinity });
    this.hooks = next.hooks ?? {};
    this.curve = new Curve();
    this.marks.clear();
    this.eventsBefore = this.events;
    this.featureRowsBefore = this.featureRows;
    return ended;
  }

  /** Everything still on its way, the strategy's `onEnd`, a last sample. */
  private end(): void {
    this.horizon = Infinity;
    this.process();
    if (this.started) {
      this.ctx.now = Math.max(this.ctx.now, this.lastLocal);
      this.strategy.onEnd?.(this.ctx);
      this.process();
      const end = Math.max(this.lastTs, this.sim.now);
      if (this.curve.n === 0 || this.curve.ts[this.curve.n - 1]! < end) this.sample(end, 0);
    }
  }

  private start(ts: number): void {
    this.started = true;
    this.firstTs = ts;
    this.ctx.now = ts;
    this.strategy.onStart?.(this.ctx);
    this.sample(ts, 0);
    this.nextSample = (Math.floor(ts / this.sampleMs) + 1) * this.sampleMs;
    this.due = -Infinity;
  }

  /**
   * The local time each event of `t` reaches the strategy: its exchange time plus the feed
   * latency, never before the event ahead of it (one connection delivers in order). The feed
   * latency depends on the stream alone, so a chunk's times are taken as it arrives.
   */
  private localTimes(t: EventTable): Float64Array {
    const out = localTimesPool.take(t.length);
    this.lastLocal = deliveryTimes(t, this.feedLatency, out, this.lastLocal);
    return out;
  }

  /** The chunk's part of the shared {@link FeedTimes}, or null without them. */
  private sharedTimes(t: EventTable): Float64Array | null {
    const ft = this.feedTimes;
    if (ft === null) return null;
    const at = (t.ts.byteOffset - ft.ts.byteOffset) / 8;
    if (t.ts.buffer !== ft.ts.buffer || at !== this.events || at + t.length > ft.local.length) {
      throw new Error(`feedTimes: a chunk of events ${at} to ${at + t.length} after ${this.events} events fed: the stream must be the feed times' table from its first event, in ranges one after the other`);
    }
    const local = ft.local.subarray(at, at + t.length);
    this.lastLocal = local[t.length - 1]!;
    return local;
  }

  private note(local: number, order: Order | null, fill: Fill | null): void {
    const n: Note = { local, seq: this.noteSeq++, order, fill };
    if (local < this.due) this.due = local;
    const ns = this.notes;
    let i = ns.length;
    while (i > 0 && ns[i - 1]!.local > local) i--;
    ns.splice(i, 0, n);
  }

  private arrival(o: Order): void {
    const t = o.venueTs;
    if (o.status === 'REJECTED' || !(t === t)) return;
    if (t < this.due) this.due = t;
    const a = this.arrivals;
    let i = a.length;
    while (i > 0 && a[i - 1]! > t) i--;
    a.splice(i, 0, t);
  }

  /** Everything due at or before {@link horizon}, in time order (see the module comment). */
  private process(): void {
    const sim = this.sim;
    const until = this.horizon;
    const chunks = this.chunks;
    for (;;) {
      const c = chunks.length > 0 ? chunks[0]! : null;
      const d = c !== null && c.next < c.fed ? c.local[c.next]! : Infinity;
      const n = this.notes.length > 0 ? this.notes[0]!.local : Infinity;
      const a = this.arrivals.length > 0 ? this.arrivals[0]! : Infinity;
      const s = this.nextSample <= this.lastTs ? this.nextSample : Infinity;
      let m = d < n ? d : n;
      if (a < m) m = a;
      if (s < m) m = s;
      if (!(m <= until) || m === Infinity) {
        this.due = m < this.nextSample ? m : this.nextSample;
        return;
      }
      sim.advanceTo(m);
      if (a === m) {
        this.arrivals.shift();
        continue;
      }
      if (s === m) {
        this.sample(s, 0);
        // in a gap with nothing to do (a quiet hour, the night between two captures) the equity
        // cannot move: sample its first and last clock points only
        let other = d < n ? d : n;
        if (a < other) other = a;
        if (until < other) other = until;
        const next = s + this.sampleMs;
        const lastBefore = other > this.lastTs ? Math.floor(this.lastTs / this.sampleMs) * this.sampleMs : Math.ceil(other / this.sampleMs) * this.sampleMs - this.sampleMs;
        this.nextSample = lastBefore > next ? lastBefore : next;
        continue;
      }
      if (n <= m) {
        this.deliverNote(this.notes.shift()!);
        continue;
      }
      this.deliverEvent();
    }
  }

  private deliverNote(x: Note): void {
    const ctx = this.ctx;
    if (x.local > ctx.now) ctx.now = x.local;
    if (x.fill) {
      ctx.seeFill(x.fill);
      this.strategy.onFill?.(x.fill, ctx);
    } else if (x.order) {
      const mine = ctx.seeOrder(x.order);
      this.strategy.onOrder?.(mine, ctx);
    }
  }

  private deliverEvent(): void {
    const live = this.chunks[0]!;
    const i = live.next++;
    const t = live.t;
    this.ctx.now = live.local[i]!;
    // one method per kind: each is compiled with its own inlining budget, so the strategy's
    // callbacks inline into it and no number is boxed on the way
    switch (t.kind[i]) {
      case QUOTE:
        this.deliverQuote(t, i);
        break;
      case TRADE:
        this.deliverTrade(t, i);
        break;
      case DEPTH:
        this.deliverDepth(t, i);
        break;
      case MARK:
        this.deliverMark(t, i);
        break;
    }
    const f = live.f;
    if (f !== null && live.fr < f.length && f.at[live.fr]! <= i) this.deliverRows(live, f, i);
    // a chunk whose last event is delivered is done
    if (live.next === t.length) {
      this.chunks.shift();
      if (this.feedTimes === null) localTimesPool.give(live.local);
      live.local = EMPTY_TIMES;
    }
  }

  private deliverQuote(t: EventTable, i: number): void {
    const e = this.view.quote(t, t.row[i]!, t.symbols[t.sym[i]!]!);
    this.ctx.seeQuote(e);
    this.strategy.onQuote?.(e, this.ctx);
  }

  private deliverTrade(t: EventTable, i: number): void {
    const e = this.view.trade(t, t.row[i]!, t.symbols[t.sym[i]!]!);
    this.ctx.seeTrade(e);
    this.strategy.onTrade?.(e, this.ctx);
  }

  private deliverDepth(t: EventTable, i: number): void {
    const symbol = t.symbols[t.sym[i]!]!;
    // a depth event no one reads is not made (its levels are the dearest view to fill)
    if (!this.onDepth && !this.ctx.wantsDepth(symbol)) return;
    const e = this.view.depth(t, t.row[i]!, symbol);
    this.ctx.seeDepth(e);
    this.strategy.onDepth?.(e, this.ctx);
  }

  private deliverMark(t: EventTable, i: number): void {
    const e = this.view.mark(t, t.row[i]!, t.symbols[t.sym[i]!]!);
    this.ctx.seeMark(e);
    this.strategy.onMark?.(e, this.ctx);
  }

  /** The feature rows that belong right after event `i`. */
  private deliverRows(live: Live, f: FeatureTable, i: number): void {
    const st = this.strategy;
    const ctx = this.ctx;
    const t = live.t;
    const at = f.at;
    const n = f.length;
    let fr = live.fr;
    const byIndex = this.byIndex && (f.bar === null || !this.hasOnFeatures);
    do {
      if (byIndex) st.onFeatureRow!(f, fr, t, ctx);
      else st.onFeatures!(this.rowView.fill(t, f, fr), ctx);
      fr++;
      this.featureRows++;
    } while (fr < n && at[fr]! <= i);
    live.fr = fr;
  }

  /** An equity sample from the venue at exchange time `ts`. */
  private sample(ts: number, fill: number): void {
    const sim = this.sim;
    let gross = 0;
    let net = 0;
    const clock = fill === 0;
    for (const s of this.symbols) {
      const mark = sim.markPrice(s);
      const q = sim.position(s).qty;
      if (q !== 0) {
        gross += Math.abs(q * mark);
        net += q * mark;
      }
      if (clock && mark === mark) {
        let m = this.marks.get(s);
        if (!m) this.marks.set(s, (m = { symbol: s, firstTs: ts, first: mark, lastTs: ts, last: mark }));
        m.lastTs = ts;
        m.last = mark;
        this.hooks.onMark?.(s, ts, mark);
      }
    }
    const equity = sim.equity();
    const cash = sim.cash;
    this.curve.push(ts, equity, cash, gross, net, fill);
    this.hooks.onEquity?.(ts, equity, cash, gross);
  }

  private result(): BacktestResult {
    const signals = [...(this.strategy.signalRecords?.() ?? [])];
    if (this.hooks.onSignal) for (const s of signals) this.hooks.onSignal(s);
    const positions = this.symbols.map((s) => ({ ...this.sim.position(s) }));
    return {
      orders: this.sim.orders.map((o) => ({ ...o })),
      fills: this.sim.fills.slice(),
      fundings: this.sim.fundings.slice(),
      equity: this.curve.result(),
      signals,
      positions,
      marks: [...this.marks.values()].map((m) => ({ ...m })),
      startingCash: this.startingCash,
      stats: {
        events: this.events - this.eventsBefore,
        featureRows: this.featureRows - this.featureRowsBefore,
        firstTs: this.firstTs,
        lastTs: this.lastTs,
        orders: this.sim.orders.length,
        fills: this.sim.fills.length,
        signals: signals.length,
      },
    };
  }
}

function isTable(x: unknown): x is EventTable {
  return typeof x === 'object' && x !== null && 'kind' in x && 'row' in x && 'ts' in x && typeof (x as EventTable).length === 'number';
}

/**
 * A backtest over a stream held in memory (one table, or chunks): synchronous, for sweeps and
 * worker threads.
 *
 * @example
 * const result = runBacktestSync({ stream: events, features, config, seed: 1 });
 * result.fills.length; result.equity.equity[result.equity.length - 1];
 */
export function runBacktestSync(options: BacktestOptions & { stream: EventTable | Iterable<EventTable> }): BacktestResult {
  const driver = new BacktestDriver(options);
  if (isTable(options.stream)) driver.feed(options.stream, options.features ?? null);
  else {
    if (options.features) throw new Error('runBacktest: precomputed features go with a single table');
    for (const t of options.stream) driver.feed(t);
  }
  return finishAndRelease(driver);
}

/**
 * A backtest over any stream, chunks read as they come (bounded memory with `DataReader.chunks()`).
 *
 * @example
 * const reader = await DataReader.open(samplePaths());
 * const result = await runBacktest({ stream: reader.chunks(), config: defaultConfig(), seed: 1 });
 */
export async function runBacktest(options: BacktestOptions): Promise<BacktestResult> {
  const s = options.stream;
  if (isTable(s) || Symbol.iterator in (s as object)) return runBacktestSync(options as BacktestOptions & { stream: EventTable | Iterable<EventTable> });
  if (options.features) throw new Error('runBacktest: precomputed features go with a single table');
  const driver = new BacktestDriver(options);
  for await (const t of s as AsyncIterable<EventTable>) driver.feed(t);
  return finishAndRelease(driver);
}

/** The result of a driver the caller owns, its books' arrays then kept for the next run. */
function finishAndRelease(driver: BacktestDriver): BacktestResult {
  const result = driver.finish();
  driver.release();
  return result;
}
