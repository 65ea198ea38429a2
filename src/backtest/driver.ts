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
import type { z } from 'zod';
import type { InstrumentSpec } from '../core/config/sections.js';
import { FeaturesSection } from '../microstructure/config.js';
import { DIVERGENCE_TYPES } from '../microstructure/divergence.js';
import type { RiskConfigInput } from '../risk/config.js';
import type { StrategyModeConfigInput } from '../risk/strategy-mode-config.js';
import type { FeatureRowInput } from '../signals/feature-input.js';
import type { SignalConfigInput } from '../signals/config.js';
import { BacktestSection, type BacktestConfigInput } from './config.js';
import { BacktestContext } from './context.js';
import { DEPTH, MARK, QUOTE, TRADE } from './data/columns.js';
import type { EventTable } from './data/event-table.js';
import { EventView } from './data/event-view.js';
import { concatFeatureTables, FeatureStage, type FeatureTable } from './features-stage.js';
import { RecordedFeedLatency, type FeedLatency } from './feed-latency.js';
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
  /** False to be given no feature rows even with `onFeatures` (a strategy computing its own). */
  readonly wantsFeatures?: boolean;
  /** Levels per side the strategy reads from `ctx.book(symbol)` (default 20); 0 when it reads only the best bid and ask, which spares the context a depth book. */
  readonly bookLevels?: number;
  /** What the strategy did with each signal, read at the end. */
  signalRecords?(): readonly SignalRecord[];
  /** The strategy mode an order was sent in (labels round trips in layered metrics). */
  modeOf?(orderId: number): string;
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
}

/** A notice from the venue on its way to the strategy. */
interface Note {
  local: number;
  seq: number;
  order: Order | null;
  fill: Fill | null;
}

/** Stream chunks still being delivered to the strategy. */
interface Live {
  t: EventTable;
  f: FeatureTable | null;
  /** Next feature row to deliver. */
  fr: number;
}

/** The scratch feature row handed to `onFeatures`. */
class RowView {
  readonly update = { symbol: '', ts: NaN, kind: 'quote' as 'quote' | 'trade', mid: NaN, spread: NaN, z_ofi: NaN, z_cvd: NaN, score: NaN, side: 0, consistency: NaN, div_type: null as string | null, div_strength: NaN, fp: '', recv_ts: NaN };
  readonly bar = { symbol: '', end: NaN, close: NaN, spread: NaN, quotes: 0, trades: 0, z_ofi: NaN, z_cvd: NaN, score: NaN, side: 0, consistency: NaN, div_type: null as string | null, div_strength: NaN, fp: '', recv_ts: NaN };

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
  private readonly sampleMs: number;
  private readonly hooks: BacktestHooks;
  private readonly stage: FeatureStage | null;
  private readonly wantsRows: boolean;
  private readonly view = new EventView();
  private readonly rowView = new RowView();
  private readonly curve = new Curve();
  // deliveries: a ring of (chunk, event, local time); head and tail count up, masked into the ring
  private qLive!: Live[];
  private qIdx = new Int32Array(1024);
  private qLocal = new Float64Array(1024);
  private qMask = 1023;
  private qHead = 0;
  private qTail = 0;
  private readonly chunks: Live[] = [];
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
    this.sampleMs = options.sampleMs ?? 1000;
    if (!(this.sampleMs > 0)) throw new RangeError(`sampleMs ${this.sampleMs}: expected > 0`);
    this.wantsRows = typeof this.strategy.onFeatures === 'function' && this.strategy.wantsFeatures !== false;
    this.stage = this.wantsRows ? new FeatureStage(FeaturesSection.parse(config.features ?? {})) : null;
  }

  /** The next chunk of the stream; `features` when precomputed for exactly this table. */
  feed(t: EventTable, features?: FeatureTable | null): void {
    if (this.finished) throw new Error('feed after finish');
    const f = !this.wantsRows ? null : (features ?? this.stage!.run(t));
    const live: Live = { t, f, fr: 0 };
    // the ring's slots hold chunks, never holes (a holey array would slow every read)
    if (this.qLive === undefined) this.qLive = new Array<Live>(this.qMask + 1).fill(live);
    this.chunks.push(live);
    for (const s of t.symbols) {
      if (!this.symbolSet.has(s)) {
        this.symbolSet.add(s);
        this.symbols.push(s);
      }
    }
    const { kind, row, sym, ts } = t;
    const view = this.view;
    const sim = this.sim;
    for (let i = 0; i < t.length; i++) {
      const x = ts[i]!;
      if (x === x) {
        if (!this.started) this.start(x);
        // clock points up to x are sampled before x reaches the venue
        this.lastTs = x;
        this.process(x);
      }
      const r = row[i]!;
      const symbol = t.symbols[sym[i]!]!;
      let recv: number;
      switch (kind[i]) {
        case QUOTE:
          sim.onQuote(view.quote(t, r, symbol));
          recv = t.quote.recvTs[r]!;
          break;
        case TRADE:
          sim.onTrade(view.trade(t, r, symbol));
          recv = t.trade.recvTs[r]!;
          break;
        case DEPTH:
          sim.onDepth(view.depthLevels(t, r, symbol));
          recv = t.depth.recvTs[r]!;
          break;
        default:
          sim.onMark(view.mark(t, r, symbol));
          recv = t.mark.recvTs[r]!;
      }
      this.events++;
      const local = x + this.feedLatency.delay(x, recv);
      this.enqueue(live, i, local >= this.lastLocal ? local : this.lastLocal);
    }
    // a chunk with nothing to deliver is done (an empty one)
    if (t.length === 0) this.chunks.pop();
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
      this.process(Infinity);
      if (this.started) {
        this.ctx.now = Math.max(this.ctx.now, this.lastLocal);
        this.strategy.onEnd?.(this.ctx);
        this.process(Infinity);
        const end = Math.max(this.lastTs, this.sim.now);
        if (this.curve.n === 0 || this.curve.ts[this.curve.n - 1]! < end) this.sample(end, 0);
      }
    }
    return this.result();
  }

  private start(ts: number): void {
    this.started = true;
    this.firstTs = ts;
    this.ctx.now = ts;
    this.strategy.onStart?.(this.ctx);
    this.sample(ts, 0);
    this.nextSample = (Math.floor(ts / this.sampleMs) + 1) * this.sampleMs;
  }

  private enqueue(live: Live, i: number, local: number): void {
    if (this.qTail - this.qHead > this.qMask) this.growQueue();
    const k = this.qTail++ & this.qMask;
    this.qIdx[k] = i;
    this.qLocal[k] = local;
    this.qLive[k] = live;
    this.lastLocal = local;
  }

  private growQueue(): void {
    const n = this.qTail - this.qHead;
    const cap = (this.qMask + 1) * 2;
    const idx = new Int32Array(cap);
    const loc = new Float64Array(cap);
    const live = new Array<Live>(cap).fill(this.qLive[0]!);
    for (let j = 0; j < n; j++) {
      const k = (this.qHead + j) & this.qMask;
      idx[j] = this.qIdx[k]!;
      loc[j] = this.qLocal[k]!;
      live[j] = this.qLive[k]!;
    }
    this.qIdx = idx;
    this.qLocal = loc;
    this.qLive = live;
    this.qMask = cap - 1;
    this.qHead = 0;
    this.qTail = n;
  }

  private note(local: number, order: Order | null, fill: Fill | null): void {
    const n: Note = { local, seq: this.noteSeq++, order, fill };
    const ns = this.notes;
    let i = ns.length;
    while (i > 0 && ns[i - 1]!.local > local) i--;
    ns.splice(i, 0, n);
  }

  private arrival(o: Order): void {
    const t = o.venueTs;
    if (o.status === 'REJECTED' || !(t === t)) return;
    const a = this.arrivals;
    let i = a.length;
    while (i > 0 && a[i - 1]! > t) i--;
    a.splice(i, 0, t);
  }

  /** Everything due at or before `until`, in time order (see the module comment). */
  private process(until: number): void {
    const sim = this.sim;
    for (;;) {
      const d = this.qHead < this.qTail ? this.qLocal[this.qHead & this.qMask]! : Infinity;
      const n = this.notes.length > 0 ? this.notes[0]!.local : Infinity;
      const a = this.arrivals.length > 0 ? this.arrivals[0]! : Infinity;
      const s = this.nextSample <= this.lastTs ? this.nextSample : Infinity;
      let m = d < n ? d : n;
      if (a < m) m = a;
      if (s < m) m = s;
      if (!(m <= until) || m === Infinity) return;
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
    const h = this.qHead++ & this.qMask;
    const live = this.qLive[h]!;
    const i = this.qIdx[h]!;
    const t = live.t;
    const ctx = this.ctx;
    const st = this.strategy;
    ctx.now = this.qLocal[h]!;
    const r = t.row[i]!;
    const symbol = t.symbols[t.sym[i]!]!;
    switch (t.kind[i]) {
      case QUOTE: {
        const e = this.view.quote(t, r, symbol);
        ctx.seeQuote(e);
        st.onQuote?.(e, ctx);
        break;
      }
      case TRADE: {
        const e = this.view.trade(t, r, symbol);
        ctx.seeTrade(e);
        st.onTrade?.(e, ctx);
        break;
      }
      case DEPTH: {
        const e = this.view.depth(t, r, symbol);
        ctx.seeDepth(e);
        st.onDepth?.(e, ctx);
        break;
      }
      case MARK: {
        const e = this.view.mark(t, r, symbol);
        ctx.seeMark(e);
        st.onMark?.(e, ctx);
        break;
      }
    }
    const f = live.f;
    if (f !== null) {
      while (live.fr < f.length && f.at[live.fr]! <= i) {
        st.onFeatures!(this.rowView.fill(t, f, live.fr), ctx);
        live.fr++;
        this.featureRows++;
      }
    }
    // a chunk whose last event is delivered is done
    if (i === t.length - 1 && this.chunks[0] === live) this.chunks.shift();
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
        events: this.events,
        featureRows: this.featureRows,
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
  return driver.finish();
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
  return driver.finish();
}
