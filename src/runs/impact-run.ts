/**
 * The price-impact regression of Cont, Kukanov & Stoikov (2014) over files: what
 * `ofi-backtest impact` runs. Per symbol, ΔP per interval (in ticks) regressed on the
 * interval's OFI by OLS, `ΔP = α + β·OFI + ε`; with `levels` k > 1, on the multi-level OFI of
 * levels 1..k (Xu, Gould & Howison 2019).
 *
 * Where each number comes from:
 * - **Mid and best-level OFI**: the quotes (Binance bookTicker, a dump's bookTicker rows, LOBSTER
 *   level 1), through the update-id gate of `quote-gate.ts` (`updateIds`), e_n of `ofi.ts`.
 * - **Multi-level OFI** (k > 1): a book state per depth update. LOBSTER rows are whole-book
 *   snapshots, one per message; Binance depth diffs rebuild a local book from the recording's REST
 *   snapshot (`book.ts`, Binance's sync rules), and its top k after each applied diff is the state.
 *   A gap in the diff chain stops the flow until the next snapshot (no flow is made up across
 *   it). Levels 1..k then all come from the book, level 1 included, so they are one series.
 * - **Tick**: `tick` when given, else inferred from the quotes ({@link TickEstimator}: the
 *   greatest common divisor of the bid and ask increments and spreads seen).
 * - **Intervals**: `[kΔ, (k+1)Δ)` on the epoch; see `impact.ts` for the first interval (a
 *   reference only), empty intervals and late events.
 * - **Session**: `excludeOpenCloseMs` drops intervals that start less than that after the open
 *   or end less than that before the close. For LOBSTER (NASDAQ) the session is 09:30–16:00
 *   America/New_York on each day of the data, where CKS drop the open and close for their
 *   unusual activity; a 24/7 crypto market has no open or close, so it drops nothing there and
 *   says so in `notes`.
 *
 * @see Cont, Kukanov & Stoikov (2014), "The price impact of order book events", J. Financial Econometrics 12(1), §3–4.
 * @see Xu, Gould & Howison (2019), "Multi-level order-flow imbalance in a limit order book", Market Microstructure and Liquidity 4(3–4).
 */
import { UserInputError } from '../core/errors.js';
import { LocalOrderBook, topLevels, type TopLevels } from '../microstructure/book.js';
import { ImpactSampler, TickEstimator, type ImpactSamples } from '../microstructure/impact.js';
import { MultiLevelOfiState, multiLevelOfiStep } from '../microstructure/ofi-multilevel.js';
import { OfiState, ofiStep } from '../microstructure/ofi.js';
import { QuoteGate } from '../microstructure/quote-gate.js';
import { ols, type OlsOptions, type OlsResult } from '../microstructure/regression.js';
import type { SourceSummary } from '../io/convert.js';
import type { SourceFormat } from '../io/detect.js';
import { BatchViews, BySymbol, eachRunBlock, type DepthView, type EventRunReport, type ListView } from '../io/event-runs.js';
import { lobsterDayStartMs } from '../io/lobster.js';
import type { QuarantineSummary } from '../io/quarantine.js';

/** Options of {@link priceImpact}. */
export interface ImpactOptions {
  /** Interval length, ms. */
  intervalMs: number;
  /** 1 (default): best-level OFI from the quotes; k > 1: OFI of book levels 1..k. */
  levels?: number;
  /** Drop intervals this close to a session's open or close (ms; LOBSTER only). Default 0. */
  excludeOpenCloseMs?: number;
  /** Tick size in price units for every symbol; inferred per symbol when absent. */
  tick?: number;
  /** Standard errors (default classical). */
  se?: OlsOptions['se'];
  /** The quote update-id rule (default `'drop-stale'`). */
  updateIds?: 'drop-stale' | 'keep';
  symbol?: string;
  batchRows?: number;
  onSource?: (s: SourceSummary) => void;
}

/** The regression of one symbol. */
export interface ImpactResult extends Omit<OlsResult, 'k'> {
  symbol: string;
  formats: SourceFormat[];
  /** Where the OFI came from: the quotes (best level) or the book (levels 1..k). */
  ofiSource: 'quotes' | 'book';
  levels: number;
  tick: number;
  tickSource: 'given' | 'inferred';
  /** Intervals sampled before the session filter, and those it dropped. */
  intervals: number;
  excluded: number;
  /** Intervals (kept) without any event. */
  empty: number;
  /** First and last interval start kept, ms since epoch. */
  firstInterval: number;
  lastInterval: number;
  /** With k > 1: R² of the regressions on levels 1..j for j = 1..k. */
  r2ByLevels?: number[];
}

/** What {@link priceImpact} found. */
export interface ImpactSummary {
  intervalMs: number;
  levels: number;
  excludeOpenCloseMs: number;
  se: 'classical' | 'hac';
  results: ImpactResult[];
  /** Symbols that could not be regressed, with why. */
  failed: { symbol: string; error: string }[];
  notes: string[];
  sources: SourceSummary[];
  quarantine: QuarantineSummary;
  elapsedMs: number;
}

const NY = 'America/New_York';
const OPEN_MS = 9.5 * 3_600_000;
const CLOSE_MS = 16 * 3_600_000;

/** Per-symbol state of the run. */
class SymbolImpact {
  readonly formats = new Set<SourceFormat>();
  readonly gate: QuoteGate;
  readonly ofi = new OfiState({ updateIds: 'keep' });
  readonly sampler: ImpactSampler;
  readonly tick = new TickEstimator();
  private readonly e = new Float64Array(1);
  private lastBid = NaN;
  private lastAsk = NaN;
  quotes = 0;
  // the book, for k > 1
  readonly book: LocalOrderBook | null;
  readonly ml: MultiLevelOfiState | null;
  readonly top: TopLevels | null;
  depthUpdates = 0;
  maxLevels = 0;
  gaps = 0;
  private readonly pending: PendingDiff[] = [];

  constructor(
    readonly symbol: string,
    readonly levels: number,
    intervalMs: number,
    updateIds: 'drop-stale' | 'keep',
  ) {
    this.gate = new QuoteGate(updateIds);
    this.sampler = new ImpactSampler({ intervalMs, channels: levels });
    const multi = levels > 1;
    this.book = multi ? new LocalOrderBook() : null;
    this.ml = multi ? new MultiLevelOfiState({ levels }) : null;
    this.top = multi ? topLevels(levels) : null;
  }

  quote(ts: number, bp: number, bq: number, ap: number, aq: number, id: number): void {
    if (!this.gate.accept(id, bp, bq, ap, aq)) return;
    this.quotes++;
    const t = this.tick;
    if (bp !== this.lastBid && bp === bp && this.lastBid === this.lastBid) t.observe(bp, this.lastBid);
    if (ap !== this.lastAsk && ap === ap && this.lastAsk === this.lastAsk) t.observe(ap, this.lastAsk);
    if (bp === bp && ap === ap) t.observe(ap, bp);
    this.lastBid = bp;
    this.lastAsk = ap;
    const mid = 0.5 * (bp + ap);
    if (this.ml) {
      this.sampler.update(ts, mid, null);
      return;
    }
    const e = ofiStep(this.ofi, bp, bq, ap, aq, ts, NaN);
    this.e[0] = e;
    this.sampler.update(ts, mid, e === e ? this.e : null);
  }

  depth(v: DepthView, i: number): void {
    const book = this.book;
    const ml = this.ml!;
    if (!book) return;
    const ts = v.ts[i]!;
    const lvl = (l: ListView) => l.values.subarray(l.offsets[i]!, l.offsets[i + 1]!);
    const state = { ts, bidPrices: lvl(v.bidPrices), bidQtys: lvl(v.bidQtys), askPrices: lvl(v.askPrices), askQtys: lvl(v.askQtys), lastUpdateId: v.lastUpdateId[i]! };
    if (v.isSnapshot[i]) {
      // a snapshot after a gap (or the first) starts a new series, then takes the diffs that
      // arrived before it; LOBSTER's row-by-row snapshots of a book in sync continue the series
      const resync = !book.synced;
      if (resync) ml.reset();
      book.applySnapshot(state);
      const n = Math.min(state.bidPrices.length, state.askPrices.length);
      if (n > this.maxLevels) this.maxLevels = n;
      this.step(ts);
      if (resync) {
        const pending = this.pending.splice(0);
        for (const d of pending) this.diff(d);
      }
      return;
    }
    const d = { ...state, firstUpdateId: v.firstUpdateId[i]!, prevUpdateId: v.prevUpdateId[i]! };
    if (!book.synced) {
      // Binance: a recorder subscribes before it fetches the snapshot, so the diff that straddles
      // the snapshot's id can arrive before it; keep the latest ones (copied) for it
      this.pending.push({ ...d, bidPrices: d.bidPrices.slice(), bidQtys: d.bidQtys.slice(), askPrices: d.askPrices.slice(), askQtys: d.askQtys.slice() });
      if (this.pending.length > PENDING_DIFFS) this.pending.shift();
      return;
    }
    this.diff(d);
  }

  private diff(d: PendingDiff): void {
    const book = this.book!;
    const r = book.applyDiff(d);
    if (r === 'gap') {
      this.gaps++;
      this.ml!.reset();
      this.pending.length = 0;
      return;
    }
    if (r !== 'applied') return;
    const depth = book.depth;
    const n = Math.min(depth.bids, depth.asks);
    if (n > this.maxLevels) this.maxLevels = n;
    this.step(d.ts);
  }

  /** The book's top k into multi-level OFI, and its flows into the interval. */
  private step(ts: number): void {
    const top = this.top!;
    const ml = this.ml!;
    this.book!.topK(this.levels, top);
    ml.load(top);
    this.depthUpdates++;
    if (multiLevelOfiStep(ml, ts)) this.sampler.update(ts, NaN, ml.agg.out);
  }
}

/** Diffs kept while a book waits for its snapshot, at most. */
const PENDING_DIFFS = 1000;

interface PendingDiff {
  ts: number;
  firstUpdateId: number;
  lastUpdateId: number;
  prevUpdateId: number;
  bidPrices: Float64Array;
  bidQtys: Float64Array;
  askPrices: Float64Array;
  askQtys: Float64Array;
}

/** Midnight of each New York date, cached. */
class NySessions {
  private readonly fmt = new Intl.DateTimeFormat('en-CA', { timeZone: NY, year: 'numeric', month: '2-digit', day: '2-digit' });
  private readonly days = new Map<string, number>();
  /** `[open, close)` of the NASDAQ session on the New York day of `ts`. */
  session(ts: number): [number, number] {
    const date = this.fmt.format(ts);
    let start = this.days.get(date);
    if (start === undefined) {
      start = lobsterDayStartMs(date, NY);
      this.days.set(date, start);
    }
    return [start + OPEN_MS, start + CLOSE_MS];
  }
}

/**
 * Run the price-impact regression over files, one regression per symbol.
 *
 * @example
 * const s = await priceImpact(['LOBSTER_SampleFile_AMZN_2012-06-21_1.zip'], { intervalMs: 10_000 });
 * s.results[0].r2; // the share of 10-second mid changes explained by OFI
 */
export async function priceImpact(inputs: readonly string[], options: ImpactOptions): Promise<ImpactSummary> {
  const t0 = performance.now();
  const levels = options.levels ?? 1;
  if (!Number.isInteger(levels) || levels < 1) throw new UserInputError(`levels: expected an integer ≥ 1, got ${String(levels)}`, 'E_OPTION');
  if (!(options.intervalMs > 0 && Number.isFinite(options.intervalMs))) throw new UserInputError(`interval: expected a duration > 0, got ${String(options.intervalMs)} ms`, 'E_OPTION');
  const exclude = options.excludeOpenCloseMs ?? 0;
  if (!(exclude >= 0)) throw new UserInputError(`exclude-open-close: expected a duration ≥ 0, got ${String(exclude)} ms`, 'E_OPTION');
  if (options.tick !== undefined && !(options.tick > 0 && Number.isFinite(options.tick))) throw new UserInputError(`tick: expected a positive price increment, got ${String(options.tick)}`, 'E_OPTION');
  const updateIds = options.updateIds ?? 'drop-stale';

  const states = new BySymbol((symbol) => new SymbolImpact(symbol, levels, options.intervalMs, updateIds));
  const bySymbol = states.map;
  const report: EventRunReport = { sources: [], quarantine: { path: null, count: 0, byReason: {}, byFile: {}, first: [] } };
  const views = new BatchViews();
  const runOptions = {
    ...(options.symbol ? { symbol: options.symbol } : {}),
    ...(options.batchRows ? { batchRows: options.batchRows } : {}),
    ...(options.onSource ? { onSource: options.onSource } : {}),
  };
  for await (const block of eachRunBlock(inputs, runOptions, report)) {
    for (const run of block.runs) {
      if (run.kind === 'quote') {
        const v = views.quote(run.batch);
        for (let i = run.from; i < run.to; i++) {
          const st = states.of(v.names[v.codes[i]!]!);
          st.formats.add(block.format);
          st.quote(v.ts[i]!, v.bidPrice[i]!, v.bidQty[i]!, v.askPrice[i]!, v.askQty[i]!, v.updateId[i]!);
        }
      } else if (run.kind === 'depth' && levels > 1) {
        const v = views.depth(run.batch);
        for (let i = run.from; i < run.to; i++) {
          const st = states.of(v.names[v.codes[i]!]!);
          st.formats.add(block.format);
          st.depth(v, i);
        }
      }
    }
  }

  const results: ImpactResult[] = [];
  const failed: { symbol: string; error: string }[] = [];
  const notes: string[] = [];
  const sessions = new NySessions();
  for (const s of [...bySymbol.values()].sort((a, b) => a.symbol.localeCompare(b.symbol))) {
    try {
      results.push(regress(s, options, levels, exclude, sessions, notes));
    } catch (err) {
      if (!(err instanceof UserInputError)) throw err;
      failed.push({ symbol: s.symbol, error: err.message });
    }
  }
  if (bySymbol.size === 0) notes.push('no quotes were read: nothing to regress');
  return {
    intervalMs: options.intervalMs,
    levels,
    excludeOpenCloseMs: exclude,
    se: options.se && options.se !== 'classical' ? 'hac' : 'classical',
    results,
    failed,
    notes,
    sources: report.sources,
    quarantine: report.quarantine,
    elapsedMs: performance.now() - t0,
  };
}

function regress(s: SymbolImpact, options: ImpactOptions, levels: number, exclude: number, sessions: NySessions, notes: string[]): ImpactResult {
  if (s.quotes === 0) throw new UserInputError(`${s.symbol}: no quotes, so no mid price to regress`, 'E_INPUT');
  if (levels > 1) {
    if (s.depthUpdates === 0) throw new UserInputError(`${s.symbol}: --levels ${levels} needs depth data (LOBSTER level-k files, or Binance depth diffs with a REST snapshot); none was read`, 'E_INPUT');
    if (s.maxLevels < levels) throw new UserInputError(`${s.symbol}: the book has at most ${s.maxLevels} level${s.maxLevels === 1 ? '' : 's'} a side, fewer than the ${levels} asked`, 'E_INPUT');
    if (s.gaps > 0) notes.push(`${s.symbol}: ${s.gaps} gap${s.gaps === 1 ? '' : 's'} in the depth diff chain; no book flow was counted until the next snapshot`);
  }
  const samples = s.sampler.finish();
  const lobster = s.formats.has('lobster');
  let keep: Uint8Array | null = null;
  if (exclude > 0) {
    if (lobster) {
      keep = new Uint8Array(samples.start.length);
      for (let i = 0; i < keep.length; i++) {
        const st = samples.start[i]!;
        const [open, close] = sessions.session(st);
        keep[i] = st >= open + exclude && st + options.intervalMs <= close - exclude ? 1 : 0;
      }
    } else notes.push(`${s.symbol}: a 24/7 market has no session open or close, so --exclude-open-close drops nothing`);
  }
  const tick = options.tick ?? s.tick.tick;
  if (!(tick > 0)) throw new UserInputError(`${s.symbol}: cannot infer the tick size (no price ever moved); give it with --tick`, 'E_INPUT');
  const sel = select(samples, keep);
  const y = sel.dP.map((d) => d / tick);
  const fit = ols(y, sel.ofi, options.se ? { se: options.se } : {});
  const { k: _k, ...rest } = fit;
  const out: ImpactResult = {
    symbol: s.symbol,
    formats: [...s.formats].sort(),
    ofiSource: levels > 1 ? 'book' : 'quotes',
    levels,
    tick,
    tickSource: options.tick !== undefined ? 'given' : 'inferred',
    intervals: samples.start.length,
    excluded: samples.start.length - sel.start.length,
    empty: sel.empty,
    firstInterval: sel.start.length > 0 ? sel.start[0]! : NaN,
    lastInterval: sel.start.length > 0 ? sel.start[sel.start.length - 1]! : NaN,
    ...rest,
  };
  if (levels > 1) out.r2ByLevels = Array.from({ length: levels }, (_, j) => (j + 1 === levels ? fit.r2 : ols(y, sel.ofi.slice(0, j + 1)).r2));
  return out;
}

function select(s: ImpactSamples, keep: Uint8Array | null): { start: Float64Array; dP: Float64Array; ofi: Float64Array[]; empty: number } {
  if (!keep) return { start: s.start, dP: s.dP, ofi: s.ofi, empty: s.empty };
  const idx: number[] = [];
  let empty = 0;
  for (let i = 0; i < keep.length; i++) {
    if (!keep[i]) continue;
    idx.push(i);
    if (s.events[i] === 0) empty++;
  }
  const pick = (c: Float64Array) => Float64Array.from(idx, (i) => c[i]!);
  return { start: pick(s.start), dP: pick(s.dP), ofi: s.ofi.map(pick), empty };
}
