/**
 * The reading loop shared by runs that drive calculators from files (`features`, `impact`):
 * every input expanded and detected, each read in exchange-time order across kinds
 * (`ordered.ts`), refused lines kept (counted, the first few shown), a source that fails part-way
 * recorded with its error while the others are still read — and typed views of each batch's
 * columns, made once per batch, so a consumer reads rows by index without an object per event.
 */
import type { RecordBatch } from 'apache-arrow';
import { f64Column, sideColumn } from '../core/batch.js';
import { OfiError } from '../core/errors.js';
import type { EventKind } from '../core/events.js';
import { marketMask } from '../core/columns.js';
import { symbolCodes } from './batch-ops.js';
import type { SourceSummary } from './convert.js';
import { expandInputs, type SourceFormat } from './detect.js';
import { readOrderedBlocks, type KindRun } from './ordered.js';
import { QuarantineWriter, type QuarantineSummary } from './quarantine.js';
import { newReadStats } from './source.js';

/** Options of {@link eachRun}. */
export interface EventRunOptions {
  /** Symbol for sources that carry none (LOBSTER, dumps, REST snapshots). */
  symbol?: string;
  /** Rows per batch read. */
  batchRows?: number;
  /** Called after each source. */
  onSource?: (s: SourceSummary) => void;
}

/** What the reading loop read: per source, and the refused lines. */
export interface EventRunReport {
  sources: SourceSummary[];
  quarantine: QuarantineSummary;
}

/** Symbols of a batch's rows: `names[codes[i]]`. */
export interface SymbolCodes {
  names: string[];
  codes: Int32Array;
}

/** Quote columns of a batch. */
export interface QuoteView extends SymbolCodes {
  ts: Float64Array;
  bidPrice: Float64Array;
  bidQty: Float64Array;
  askPrice: Float64Array;
  askQty: Float64Array;
  updateId: Float64Array;
}

/** Trade columns of a batch; `market[i]` is 1 for a market print. */
export interface TradeView extends SymbolCodes {
  ts: Float64Array;
  price: Float64Array;
  qty: Float64Array;
  side: Int8Array;
  market: Uint8Array;
}

/** A `List<Float64>` column: row i's values are `values[offsets[i]] … values[offsets[i + 1] − 1]`. */
export interface ListView {
  offsets: Int32Array;
  values: Float64Array;
}

/** Depth columns of a batch. */
export interface DepthView extends SymbolCodes {
  ts: Float64Array;
  /** 1 for a snapshot. */
  isSnapshot: Uint8Array;
  firstUpdateId: Float64Array;
  lastUpdateId: Float64Array;
  prevUpdateId: Float64Array;
  bidPrices: ListView;
  bidQtys: ListView;
  askPrices: ListView;
  askQtys: ListView;
}

function listView(batch: RecordBatch, name: string): ListView {
  const v = batch.getChild(name);
  if (!v) throw new Error(`batch lacks column "${name}"`);
  const d = v.data[0]!;
  // value offsets are cut to a slice; the child's values are not (offsets index them as they are)
  return { offsets: d.valueOffsets as Int32Array, values: d.children[0]!.values as Float64Array };
}

function boolColumn(batch: RecordBatch, name: string): Uint8Array {
  const v = batch.getChild(name);
  if (!v) throw new Error(`batch lacks column "${name}"`);
  const n = batch.numRows;
  const out = new Uint8Array(n);
  const d = v.data[0]!;
  const bits = d.values as Uint8Array;
  for (let i = 0; i < n; i++) {
    const b = d.offset + i;
    out[i] = (bits[b >> 3]! >> (b & 7)) & 1;
  }
  return out;
}

/**
 * Per-symbol state made on first sight, with the last symbol's kept at hand: runs are mostly of
 * one symbol, so a row costs a string comparison, not a map lookup.
 */
export class BySymbol<T> {
  readonly map = new Map<string, T>();
  private lastName = '';
  private last: T | null = null;

  constructor(private readonly make: (symbol: string) => T) {}

  /** The state of `symbol`, made if new. */
  of(symbol: string): T {
    if (symbol === this.lastName && this.last !== null) return this.last;
    let s = this.map.get(symbol);
    if (s === undefined) this.map.set(symbol, (s = this.make(symbol)));
    this.lastName = symbol;
    this.last = s;
    return s;
  }
}

/** Typed views of one batch's columns, made once per batch (a run is usually part of one). */
export class BatchViews {
  private lastQuote: RecordBatch | null = null;
  private lastTrade: RecordBatch | null = null;
  private lastDepth: RecordBatch | null = null;
  private q!: QuoteView;
  private t!: TradeView;
  private d!: DepthView;

  quote(batch: RecordBatch): QuoteView {
    if (batch !== this.lastQuote) {
      this.lastQuote = batch;
      this.q = {
        ...symbolCodes(batch),
        ts: f64Column(batch, 'ts'),
        bidPrice: f64Column(batch, 'bidPrice'),
        bidQty: f64Column(batch, 'bidQty'),
        askPrice: f64Column(batch, 'askPrice'),
        askQty: f64Column(batch, 'askQty'),
        updateId: f64Column(batch, 'updateId'),
      };
    }
    return this.q;
  }

  trade(batch: RecordBatch): TradeView {
    if (batch !== this.lastTrade) {
      this.lastTrade = batch;
      this.t = { ...symbolCodes(batch), ts: f64Column(batch, 'ts'), price: f64Column(batch, 'price'), qty: f64Column(batch, 'qty'), side: sideColumn(batch), market: marketMask(batch) };
    }
    return this.t;
  }

  depth(batch: RecordBatch): DepthView {
    if (batch !== this.lastDepth) {
      this.lastDepth = batch;
      this.d = {
        ...symbolCodes(batch),
        ts: f64Column(batch, 'ts'),
        isSnapshot: boolColumn(batch, 'isSnapshot'),
        firstUpdateId: f64Column(batch, 'firstUpdateId'),
        lastUpdateId: f64Column(batch, 'lastUpdateId'),
        prevUpdateId: f64Column(batch, 'prevUpdateId'),
        bidPrices: listView(batch, 'bidPrices'),
        bidQtys: listView(batch, 'bidQtys'),
        askPrices: listView(batch, 'askPrices'),
        askQtys: listView(batch, 'askQtys'),
      };
    }
    return this.d;
  }
}

/** One run of rows of one kind, with the source it came from. */
export interface SourcedRun {
  kind: EventKind;
  batch: RecordBatch;
  from: number;
  to: number;
  path: string;
  format: SourceFormat;
}

/**
 * Every input's rows in time order (per source; sources one after another, in the order given),
 * as runs. `report` is filled in as sources finish. A source that fails part-way keeps what was
 * read and records its error; a user error about the inputs themselves (a missing file, an
 * unknown format) is thrown before anything is read.
 */
export async function* eachRun(inputs: readonly string[], options: EventRunOptions, report: EventRunReport): AsyncGenerator<SourcedRun> {
  for await (const { path, format, runs } of eachRunBlock(inputs, options, report)) {
    for (const r of runs) yield { ...r, path, format };
  }
}

/** Runs of one source read together (see {@link readOrderedBlocks}). */
export interface SourcedBlock {
  path: string;
  format: SourceFormat;
  runs: KindRun[];
}

/**
 * {@link eachRun} in blocks of runs, one async step per block: what the feature and impact runs
 * loop over, since a capture's runs are a few rows long.
 */
export async function* eachRunBlock(inputs: readonly string[], options: EventRunOptions, report: EventRunReport): AsyncGenerator<SourcedBlock> {
  const sources = await expandInputs(inputs);
  const quarantine = new QuarantineWriter(null, { keep: 5 });
  try {
    for (const { path, format } of sources) {
      const stats = newReadStats();
      const summary: SourceSummary = { path, format, ...stats };
      try {
        const readOptions = {
          stats,
          onReject: quarantine.sink,
          name: path,
          ...(options.symbol ? { symbol: options.symbol } : {}),
          ...(options.batchRows ? { batchRows: options.batchRows } : {}),
        };
        for await (const runs of readOrderedBlocks(path, format, readOptions)) yield { path, format, runs };
      } catch (err) {
        if (!(err instanceof OfiError) && !(err instanceof Error)) throw err;
        summary.error = (err as Error).message;
      }
      Object.assign(summary, stats);
      report.sources.push(summary);
      options.onSource?.(summary);
    }
  } finally {
    report.quarantine = quarantine.close();
  }
}
