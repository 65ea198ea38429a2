/**
 * The kernel of bars (`bars.ts`, where every field and rule is described): the options, the
 * state of the open bar and what carries across bars, and the per-event steps both faces call.
 */
import { UserInputError } from '../core/errors.js';
import { BAR_FIELDS, type Bar, type BarSink } from './bar-columns.js';
import { CvdKernel, type CvdOptions } from './cvd.js';
import { OfiState, ofiStep, type OfiOptions } from './ofi.js';
import { QuoteGate } from './quote-gate.js';

/** OFI per event with no id rule of its own: the gate has applied it. */
export const OFI_KEEP: OfiOptions = { updateIds: 'keep' };

/** `{ ms: Δ }`: time bars of Δ milliseconds aligned to the epoch; `{ events: N }`: bars of N events. */
export type BarSpec = { ms: number } | { events: number };

/** Options of {@link BarAggregator} and {@link bars}. */
export interface BarOptions {
  bar: BarSpec;
  /** Empty time bars: `'skip'` (default) or `'emit'` (levels carried, flows zero). */
  empty?: 'skip' | 'emit';
  /** CVD options for the `cvd` column (`reset`), and which prints count (`prints`) for CVD, volumes and trade counts. */
  cvd?: Omit<CvdOptions, 'unit'>;
  /** The OFI update-id rule (see `ofi.ts`); a quote it skips is ignored by the bars altogether. Default `'drop-stale'`. */
  ofi?: Pick<OfiOptions, 'updateIds'>;
}

function newBar(): Bar {
  const b = {} as Bar;
  for (const f of BAR_FIELDS) b[f] = NaN;
  return b;
}

/**
 * The per-event steps both faces call.
 * @internal
 */
export class BarKernel {
  private readonly timed: boolean;
  private readonly span: number;
  private readonly emitEmpty: boolean;
  readonly countAll: boolean;
  private readonly cvdK: CvdKernel;
  /** The update-id gate in front of every quote (its `stale` and `invalid` count the skipped ones). */
  readonly gate: QuoteGate;
  /** Per-event OFI e_n of the accepted quotes. */
  readonly ofiK = new OfiState(OFI_KEEP);
  private readonly scratch: Bar = newBar();
  sink: BarSink;
  /** Bars emitted so far. */
  emitted = 0;
  // the open bar
  private open = false;
  private start = NaN;
  private end = NaN;
  private events = 0;
  private nq = 0;
  private o = NaN;
  private h = NaN;
  private l = NaN;
  private c = NaN;
  private spreadSum = 0;
  private ofiSum = 0;
  private nt = 0;
  private delta = 0;
  private buy = 0;
  private sell = 0;
  private quoteVol = 0;
  // carried across bars
  private lastMid = NaN;
  private lastSpread = NaN;
  private ofiCum = 0;

  constructor(options: BarOptions, sink: BarSink) {
    const spec = options?.bar as Partial<{ ms: number; events: number }> | undefined;
    if (spec && spec.ms !== undefined && spec.events === undefined) {
      if (!(spec.ms > 0 && Number.isFinite(spec.ms))) throw new UserInputError(`bar.ms: expected a finite number > 0, got ${String(spec.ms)}`, 'E_OPTION');
      this.timed = true;
      this.span = spec.ms;
    } else if (spec && spec.events !== undefined && spec.ms === undefined) {
      if (!Number.isInteger(spec.events) || spec.events < 1) throw new UserInputError(`bar.events: expected an integer ≥ 1, got ${String(spec.events)}`, 'E_OPTION');
      this.timed = false;
      this.span = spec.events;
    } else {
      throw new UserInputError('bar: expected exactly one of { ms: Δ } or { events: N }', 'E_OPTION');
    }
    const empty = options.empty ?? 'skip';
    if (empty !== 'skip' && empty !== 'emit') throw new UserInputError(`empty: expected 'skip' or 'emit', got '${String(empty)}'`, 'E_OPTION');
    this.emitEmpty = empty === 'emit';
    this.cvdK = new CvdKernel(options.cvd ?? {});
    this.countAll = this.cvdK.countAll;
    this.gate = new QuoteGate(options.ofi?.updateIds ?? 'drop-stale');
    this.sink = sink;
  }

  quote(ts: number, bidPrice: number, bidQty: number, askPrice: number, askQty: number, updateId: number): void {
    // a stale or unusable quote is as if it never came
    if (this.gate.accept(updateId, bidPrice, bidQty, askPrice, askQty)) this.accepted(ts, bidPrice, askPrice, ofiStep(this.ofiK, bidPrice, bidQty, askPrice, askQty, ts, NaN));
  }

  /** A quote the gate accepted, with its OFI e_n (`NaN` for the first). */
  accepted(ts: number, bidPrice: number, askPrice: number, e: number): void {
    if (this.timed) this.advance(ts);
    else if (!this.open) this.openEventBar(ts);
    const mid = 0.5 * (bidPrice + askPrice);
    const spread = askPrice - bidPrice;
    if (this.nq === 0) {
      this.o = this.h = this.l = mid;
    } else {
      if (mid > this.h) this.h = mid;
      if (mid < this.l) this.l = mid;
    }
    this.c = mid;
    this.nq++;
    this.spreadSum += spread;
    this.lastMid = mid;
    this.lastSpread = spread;
    if (e === e) {
      // the first quote has no predecessor, hence no flow
      this.ofiSum += e;
      this.ofiCum += e;
    }
    if (!this.timed) this.countEvent(ts);
  }

  trade(ts: number, price: number, qty: number, sign: number, counts: boolean): void {
    if (this.timed) this.advance(ts);
    else if (!this.open) this.openEventBar(ts);
    this.cvdK.step(ts, price, qty, sign, counts);
    if (counts) {
      const b = sign * qty;
      this.delta += b;
      if (sign > 0) this.buy += qty;
      else this.sell += qty;
      this.quoteVol += price * qty;
      this.nt++;
    }
    if (!this.timed) this.countEvent(ts);
  }

  /** Close the open bar, if any. Returns whether one was closed. */
  flush(): boolean {
    if (!this.open) return false;
    this.close();
    return true;
  }

  reset(): void {
    this.open = false;
    this.start = this.end = NaN;
    this.clear();
    this.lastMid = this.lastSpread = NaN;
    this.ofiCum = 0;
    this.emitted = 0;
    this.cvdK.reset();
    this.gate.reset();
    this.ofiK.reset();
  }

  private advance(ts: number): void {
    if (this.open) {
      if (!(ts >= this.end)) return; // inside, late, or NaN: the open bar takes it
      const next = Math.floor(ts / this.span) * this.span;
      this.close();
      if (this.emitEmpty) {
        for (let s = this.end; s < next; s += this.span) {
          this.start = s;
          this.end = s + this.span;
          this.close();
        }
      }
      this.start = next;
      this.end = next + this.span;
      this.open = true;
    } else if (ts === ts) {
      this.start = Math.floor(ts / this.span) * this.span;
      this.end = this.start + this.span;
      this.open = true;
    }
  }

  private openEventBar(ts: number): void {
    this.open = true;
    this.start = ts;
    this.end = ts;
  }

  private countEvent(ts: number): void {
    if (ts > this.end || this.end !== this.end) this.end = ts;
    if (++this.events === this.span) this.close();
  }

  private close(): void {
    const b = this.scratch;
    b.start = this.start;
    b.end = this.end;
    if (this.nq > 0) {
      b.open = this.o;
      b.high = this.h;
      b.low = this.l;
      b.close = this.c;
      b.spreadMean = this.spreadSum / this.nq;
    } else {
      b.open = b.high = b.low = b.close = this.lastMid;
      b.spreadMean = this.lastSpread;
    }
    b.spread = this.lastSpread;
    b.ofi = this.ofiSum;
    b.ofiCum = this.ofiCum;
    b.cvdDelta = this.delta;
    b.cvd = this.cvdK.ready ? this.cvdK.base : NaN;
    b.buyVolume = this.buy;
    b.sellVolume = this.sell;
    b.volume = this.buy + this.sell;
    b.quoteVolume = this.quoteVol;
    b.quotes = this.nq;
    b.trades = this.nt;
    this.sink.push(b);
    this.emitted++;
    this.open = false;
    this.clear();
  }

  private clear(): void {
    this.events = 0;
    this.nq = 0;
    this.o = this.h = this.l = this.c = NaN;
    this.spreadSum = 0;
    this.ofiSum = 0;
    this.nt = 0;
    this.delta = 0;
    this.buy = 0;
    this.sell = 0;
    this.quoteVol = 0;
  }
}
