/**
 * Features over files, to Parquet or JSONL: what `ofi-backtest features` runs. Every input is
 * read in exchange-time order (`ordered.ts`; a dataset through its own merged stream), each
 * symbol's quotes and trades drive its own {@link FeatureSet}, and the rows of all symbols go to
 * one file with a `symbol` column, in the order they are produced. Memory stays bounded: events
 * are never collected, rows are written every few thousand.
 *
 * Sources are read one after another in the order given, and a symbol's state carries over from
 * one to the next, so a recording split into files (at midnight, say) is one stream when its
 * files are given in time order.
 */
import { formatSpan } from '../core/spans.js';
import { featureColumns, FeatureColumnsBuilder, type FeatureRow } from '../microstructure/feature-columns.js';
import { FeatureSet, type FeatureSetOptions } from '../microstructure/feature-set.js';
import type { SourceSummary } from '../io/convert.js';
import { BatchViews, BySymbol, eachRunBlock, type EventRunReport } from '../io/event-runs.js';
import { FeatureWriter, featureFormatOf, type FeatureFileFormat } from './feature-writer.js';
import type { QuarantineSummary } from '../io/quarantine.js';

/** Options of {@link computeFeatures}. */
export interface ComputeFeaturesOptions {
  /** Output file: `.parquet`, `.jsonl` or `.jsonl.gz`. */
  out: string;
  features?: FeatureSetOptions;
  symbol?: string;
  batchRows?: number;
  /** Rows gathered before a block is written (default 16,384). */
  blockRows?: number;
  onSource?: (s: SourceSummary) => void;
}

/** Rows of one symbol. */
export interface SymbolRows {
  symbol: string;
  rows: number;
  /** Time span of its rows: bar starts and ends, or update times (ms since epoch). */
  firstTs: number;
  lastTs: number;
}

/** What {@link computeFeatures} wrote. */
export interface FeaturesSummary {
  out: string;
  format: FeatureFileFormat;
  /** `'update'` rows or `'bar'` rows, and the bar as text (`1s`, `500ev`). */
  mode: 'bar' | 'update';
  bar: string | null;
  fp: string;
  columns: string[];
  rows: number;
  symbols: SymbolRows[];
  sources: SourceSummary[];
  quarantine: QuarantineSummary;
  elapsedMs: number;
}

/**
 * Compute features of the inputs and write them to `options.out`.
 *
 * @example
 * const s = await computeFeatures(['btcusdt_20240808.gz'], { out: 'features.parquet', features: { bar: { ms: 1000 } } });
 * s.symbols[0].rows; // one row per 1-second bar
 */
export async function computeFeatures(inputs: readonly string[], options: ComputeFeaturesOptions): Promise<FeaturesSummary> {
  const t0 = performance.now();
  const features = options.features ?? {};
  const format = featureFormatOf(options.out);
  const mode = features.bar ? 'bar' : 'update';
  const columns = featureColumns(mode, features.normalize ?? false);
  // a set made before any input is read refuses bad options at once, and tells the fingerprint
  const fp = new FeatureSet('', features, () => undefined).fusion.fp;
  const bar = features.bar ? formatSpan(features.bar) : null;
  const writer = new FeatureWriter(options.out, columns, {
    'ofi_backtest.features': mode,
    'ofi_backtest.fp': fp,
    ...(bar ? { 'ofi_backtest.bar': bar } : {}),
  });
  const builder = new FeatureColumnsBuilder(columns);
  const blockRows = options.blockRows ?? 16_384;
  const spans = new Map<string, SymbolRows>();
  const sink = (r: FeatureRow) => {
    builder.push(r);
    let s = spans.get(r.symbol);
    if (!s) spans.set(r.symbol, (s = { symbol: r.symbol, rows: 0, firstTs: Infinity, lastTs: -Infinity }));
    s.rows++;
    const a = r.bar ? r.bar.start : r.ts;
    const b = r.bar ? r.bar.end : r.ts;
    if (a < s.firstTs) s.firstTs = a;
    if (b > s.lastTs) s.lastTs = b;
  };
  const sets = new BySymbol((symbol) => new FeatureSet(symbol, features, sink));
  const report: EventRunReport = { sources: [], quarantine: { path: null, count: 0, byReason: {}, byFile: {}, first: [] } };
  const views = new BatchViews();
  const runOptions = {
    ...(options.symbol ? { symbol: options.symbol } : {}),
    ...(options.batchRows ? { batchRows: options.batchRows } : {}),
    ...(options.onSource ? { onSource: options.onSource } : {}),
  };
  try {
    for await (const block of eachRunBlock(inputs, runOptions, report)) {
      for (const run of block.runs) {
        if (run.kind === 'quote') {
          const v = views.quote(run.batch);
          for (let i = run.from; i < run.to; i++) {
            sets.of(v.names[v.codes[i]!]!).quote(v.ts[i]!, v.bidPrice[i]!, v.bidQty[i]!, v.askPrice[i]!, v.askQty[i]!, v.updateId[i]!);
          }
        } else if (run.kind === 'trade') {
          const v = views.trade(run.batch);
          for (let i = run.from; i < run.to; i++) {
            sets.of(v.names[v.codes[i]!]!).trade(v.ts[i]!, v.price[i]!, v.qty[i]!, v.side[i]!, v.market[i] === 1 ? 'MARKET' : 'OTHER');
          }
        }
        if (builder.length >= blockRows) await writer.write(builder.take());
      }
    }
    for (const f of sets.map.values()) f.flush();
    await writer.write(builder.take());
    await writer.close();
  } catch (err) {
    await writer.abort().catch(() => undefined);
    throw err;
  }
  return {
    out: options.out,
    format,
    mode,
    bar,
    fp,
    columns: columns.map((c) => c.name),
    rows: writer.rows,
    symbols: [...spans.values()].sort((a, b) => a.symbol.localeCompare(b.symbol)),
    sources: report.sources,
    quarantine: report.quarantine,
    elapsedMs: performance.now() - t0,
  };
}
