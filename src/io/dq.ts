/**
 * The data-quality gate: one standard for every source. It reads event batches as they come
 * from a reader, keeps a little state per stream, and reports what it finds: update-id and
 * trade-id gaps, the depth chain and snapshot sync, crossed and locked books, times that go
 * back, silences, duplicates, non-positive and missing values. It reports; it never drops or
 * changes an event, so what a backtest reads is what the gate judged.
 *
 * The checks and their severities are listed in {@link DQ_CHECKS}; the per-row rules are in
 * `dq-kernels.ts`.
 */
import { DEFAULT_DQ_EXAMPLES, DEFAULT_SILENCE_MS } from '../core/config/sections.js';
import { EVENT_KINDS, type EventKind } from '../core/events.js';
import type { KindBatch } from '../core/batch.js';
import { C, DQ_CHECKS, type DqCheckDef, type DqCheckId, type DqCheckResult, type DqReport, type DqStreamSummary, type Severity } from './dq-checks.js';
import { depthCols, markCols, quoteCols, sameBytes, tradeCols, utf8View } from './dq-columns.js';
import { depthRow, markRow, quoteRow, sameDepth, sameMark, sameQuote, sameTrade, tradeRow, type Findings } from './dq-kernels.js';
import { SourceState, StreamState, Tally, tsValue } from './dq-state.js';

export {
  DQ_CHECKS,
  type DqCheckDef,
  type DqCheckId,
  type DqCheckResult,
  type DqExample,
  type DqLocation,
  type DqReport,
  type DqStreamSummary,
  type DqValue,
  type Severity,
} from './dq-checks.js';
export { formatDqReport } from './dq-format.js';

export { DEFAULT_DQ_EXAMPLES, DEFAULT_SILENCE_MS };

/** Options of {@link DataQualityGate}. */
export interface DqOptions {
  /** Examples kept per check (default 5). */
  examples?: number;
  /** Exchange-time gap above which a stream is silent, in ms: one for all kinds or per kind (default 5 000; 0 or Infinity turns the check off). */
  silenceMs?: number | Partial<Record<EventKind, number>>;
  /**
   * Which recording a source belongs to. Sources of one recording share sequence state per
   * (kind, symbol): the update-id chain, trade ids, exchange time and duplicates continue from
   * one into the next, as a capture split at midnight does. By default all sources are one
   * recording; give each source its own (`(s) => s`) when they are unrelated, such as spot and
   * futures files of the same symbol, whose update ids have nothing to do with each other.
   */
  recordingOf?: (source: string) => string;
  /**
   * Whether a source's trade ids are the exchange's trade sequence (Binance `t`, `a` with `f`/`l`),
   * so a gap means missing prints and a repeat a double count (default: yes, for every source).
   * LOBSTER executions carry the executed order's id, which repeats on partial fills and does not
   * follow trade order: pass `false`, or a function of the source, to skip the trade-id checks there.
   */
  sequentialTradeIds?: boolean | ((source: string) => boolean);
  /** Severity of a check other than its default. */
  severity?: Partial<Record<DqCheckId, Severity>>;
}

const utf8 = new TextDecoder();
const KIND_INDEX: Record<EventKind, number> = { depth: 0, quote: 1, trade: 2, mark: 3 };

/**
 * Streams event batches through the data-quality checks.
 *
 * Call `observe` for each batch in read order (batches of different kinds may interleave;
 * rows of one kind must be in source order), naming the source; then `report()`.
 * Row numbers in the report count a source's events of one kind from 0, which is the row of
 * that kind's table read from the source.
 *
 * @example
 * const gate = new DataQualityGate();
 * for await (const kb of readCapture('btcusdt_20240808.gz')) gate.observe(kb, 'btcusdt_20240808.gz');
 * const report = gate.report(); // report.ok, report.checks.depthChain.count, …
 * console.log(formatDqReport(report));
 */
export class DataQualityGate {
  private readonly nExamples: number;
  private readonly silence: Float64Array;
  private readonly recordingOf: (source: string) => string;
  private readonly tradeIds: (source: string) => boolean;
  private readonly severity: Record<DqCheckId, Severity>;
  private readonly streams = new Map<string, StreamState>();
  private readonly sources = new Map<string, SourceState>();
  private readonly tallies = DQ_CHECKS.map(() => new Tally());
  private readonly findings: Findings;
  /** The source being observed (for examples). */
  private source = '';

  constructor(options: DqOptions = {}) {
    this.nExamples = Math.max(0, Math.floor(options.examples ?? DEFAULT_DQ_EXAMPLES));
    const s = options.silenceMs ?? DEFAULT_SILENCE_MS;
    this.silence = new Float64Array(
      EVENT_KINDS.map((k) => {
        const v = typeof s === 'number' ? s : (s[k] ?? DEFAULT_SILENCE_MS);
        return v > 0 && Number.isFinite(v) ? v : Infinity;
      }),
    );
    this.recordingOf = options.recordingOf ?? (() => '');
    const seq = options.sequentialTradeIds ?? true;
    this.tradeIds = typeof seq === 'function' ? seq : () => seq;
    this.severity = Object.fromEntries(DQ_CHECKS.map((d) => [d.id, options.severity?.[d.id] ?? d.severity])) as Record<DqCheckId, Severity>;
    const tallies = this.tallies;
    const want = this.nExamples;
    this.findings = {
      hit: (check, st, row, ts, size) => {
        const t = tallies[check]!;
        t.count++;
        st.counts[check]!++;
        if (size !== undefined) {
          t.sum += size;
          if (size > t.worst) {
            t.worst = size;
            t.worstSource = this.source;
            t.worstStream = st;
            t.worstRow = row;
            t.worstTs = ts;
          }
        }
        return t.examples.length < want;
      },
      example: (check, st, row, ts, values) => tallies[check]!.add(this.source, st, row, ts, values),
    };
  }

  /** Check one batch of events from `source`; batches must come in read order. The batch is only read. */
  observe(kb: KindBatch, source = 'input'): void {
    const { kind, batch } = kb;
    const n = batch.numRows;
    if (n === 0) return;
    this.source = source;
    let src = this.sources.get(source);
    if (!src) this.sources.set(source, (src = new SourceState(source)));
    const recording = this.recordingOf(source);
    const ki = KIND_INDEX[kind];
    const rowBase = src.events[kind];
    const silence = this.silence[ki]!;
    const f = this.findings;
    const sym = utf8View(batch, 'symbol');
    const cols =
      kind === 'quote' ? quoteCols(batch) : kind === 'trade' ? tradeCols(batch) : kind === 'depth' ? depthCols(batch) : markCols(batch);
    const { ts, recvTs } = cols;
    const tradeIds = kind === 'trade' && this.tradeIds(source);

    // Streams of this batch by symbol bytes: a symbol is decoded once per batch, not per row.
    const symRows: number[] = [];
    const symStates: StreamState[] = [];
    let st: StreamState | null = null;
    let cur = -1;
    for (let r = 0; r < n; r++) {
      const a = sym.offsets[r]!;
      const b = sym.offsets[r + 1]!;
      if (cur < 0 || !sameBytes(sym.bytes, a, b, sym.bytes, sym.offsets[cur]!, sym.offsets[cur + 1]!)) {
        let k = 0;
        while (k < symRows.length && !sameBytes(sym.bytes, a, b, sym.bytes, sym.offsets[symRows[k]!]!, sym.offsets[symRows[k]! + 1]!)) k++;
        if (k === symRows.length) {
          symRows.push(r);
          symStates.push(this.stream(recording, kind, utf8.decode(sym.bytes.subarray(a, b)), source));
        }
        cur = symRows[k]!;
        st = symStates[k]!;
      }
      const s = st!;
      const row = rowBase + r;

      const t = ts[r]!;
      if (t !== t) {
        if (f.hit(C.missingTs, s, row, t)) f.example(C.missingTs, s, row, t, {});
      } else {
        const hw = s.maxTs;
        if (t < hw) {
          if (f.hit(C.tsBack, s, row, t, hw - t)) f.example(C.tsBack, s, row, t, { ts: t, latestTs: hw, stepBackMs: hw - t });
        } else {
          if (t - hw > silence && hw > -Infinity && f.hit(C.silence, s, row, t, t - hw)) f.example(C.silence, s, row, t, { fromTs: hw, toTs: t, gapMs: t - hw });
          s.maxTs = t;
        }
        if (t < s.minTs) s.minTs = t;
      }
      const rt = recvTs[r]!;
      if (rt === rt) {
        const hw = src.recvMax[ki]!;
        if (rt < hw) {
          if (f.hit(C.recvTsBack, s, row, t, hw - rt)) f.example(C.recvTsBack, s, row, t, { recvTs: rt, latestRecvTs: hw, stepBackMs: hw - rt });
        } else {
          src.recvMax[ki] = rt;
        }
      }

      let dup: boolean;
      switch (kind) {
        case 'quote':
          quoteRow(f, cols as ReturnType<typeof quoteCols>, r, row, s);
          dup = s.prevCols !== null && sameQuote(cols as ReturnType<typeof quoteCols>, r, s.prevCols as ReturnType<typeof quoteCols>, s.prevRow);
          break;
        case 'trade':
          tradeRow(f, cols as ReturnType<typeof tradeCols>, r, row, s, tradeIds);
          dup = s.prevCols !== null && sameTrade(cols as ReturnType<typeof tradeCols>, r, s.prevCols as ReturnType<typeof tradeCols>, s.prevRow);
          break;
        case 'depth':
          depthRow(f, cols as ReturnType<typeof depthCols>, r, row, s);
          dup = s.prevCols !== null && sameDepth(cols as ReturnType<typeof depthCols>, r, s.prevCols as ReturnType<typeof depthCols>, s.prevRow);
          break;
        default:
          markRow(f, cols as ReturnType<typeof markCols>, r, row, s);
          dup = s.prevCols !== null && sameMark(cols as ReturnType<typeof markCols>, r, s.prevCols as ReturnType<typeof markCols>, s.prevRow);
      }
      if (dup && f.hit(C.duplicate, s, row, t)) {
        f.example(C.duplicate, s, row, t, s.prevSource === source ? { previousRow: s.prevSourceRow } : { previousSource: s.prevSource, previousRow: s.prevSourceRow });
      }
      s.prevCols = cols;
      s.prevRow = r;
      s.prevSource = source;
      s.prevSourceRow = row;
      s.events++;
    }
    src.events[kind] += n;
  }

  /** The report so far (the gate can go on observing afterwards). */
  report(): DqReport {
    const streams = [...this.streams.values()].sort(
      (a, b) => (a.recording < b.recording ? -1 : a.recording > b.recording ? 1 : 0) || KIND_INDEX[a.kind] - KIND_INDEX[b.kind] || (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0),
    );
    const named = streams.some((s) => s.recording !== '');
    const checks = {} as Record<DqCheckId, DqCheckResult>;
    const totals = { errors: 0, warnings: 0, infos: 0 };
    const failed: DqCheckId[] = [];
    DQ_CHECKS.forEach((d, i) => {
      const t = this.tallies[i]!;
      const severity = this.severity[d.id];
      const byStream: Record<string, number> = {};
      for (const s of streams) if (s.counts[i]! > 0) byStream[streamLabel(s, named)] = s.counts[i]!;
      const res: DqCheckResult = { id: d.id, severity, title: d.title, description: d.description, count: t.count, byStream, examples: t.examples.map((e) => ({ ...e, values: { ...e.values } })) };
      const unit = (d as DqCheckDef).unit;
      if (unit) {
        const at = t.worstAt();
        res.worst = at ? { value: t.worst, unit, at } : null;
      }
      if (d.id === 'tradeIdGap') res.missingIds = t.sum;
      checks[d.id] = res;
      if (severity === 'error') totals.errors += t.count;
      else if (severity === 'warning') totals.warnings += t.count;
      else totals.infos += t.count;
      if (severity === 'error' && t.count > 0) failed.push(d.id);
    });
    const byKind: Record<EventKind, number> = { depth: 0, quote: 0, trade: 0, mark: 0 };
    for (const src of this.sources.values()) for (const k of EVENT_KINDS) byKind[k] += src.events[k];
    return {
      ok: failed.length === 0,
      totals: { events: EVENT_KINDS.reduce((a, k) => a + byKind[k], 0), byKind, sources: this.sources.size, streams: streams.length, ...totals },
      failed,
      sources: [...this.sources.values()].map((s) => ({ source: s.source, events: { ...s.events } })),
      streams: streams.map((s) => streamSummary(s, named)),
      checks,
      options: {
        examples: this.nExamples,
        silenceMs: Object.fromEntries(EVENT_KINDS.map((k, i) => [k, Number.isFinite(this.silence[i]!) ? this.silence[i]! : null])) as Record<EventKind, number | null>,
        severity: { ...this.severity },
      },
    };
  }

  private stream(recording: string, kind: EventKind, symbol: string, source: string): StreamState {
    const key = `${recording}\u0000${kind}\u0000${symbol}`;
    let st = this.streams.get(key);
    if (!st) this.streams.set(key, (st = new StreamState(key, `${kind} ${symbol}`, recording, kind, symbol)));
    if (st.sources[st.sources.length - 1] !== source) st.sources.push(source);
    return st;
  }
}

function streamLabel(s: StreamState, named: boolean): string {
  return named ? `${s.recording}: ${s.label}` : s.label;
}

function streamSummary(s: StreamState, named: boolean): DqStreamSummary {
  const first = tsValue(s.minTs);
  const last = tsValue(s.maxTs);
  const out: DqStreamSummary = {
    kind: s.kind,
    symbol: s.symbol,
    events: s.events,
    firstTs: first,
    lastTs: last,
    firstTime: first === null ? null : new Date(first).toISOString(),
    lastTime: last === null ? null : new Date(last).toISOString(),
    sources: [...s.sources],
  };
  if (named) out.recording = s.recording;
  if (s.kind === 'depth') out.snapshots = s.snapshots;
  return out;
}
