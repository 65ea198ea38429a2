/**
 * Facts about raw Binance websocket captures, counted straight from the text with regular
 * expressions (no JSON parsing, none of the library's readers), the way one would with
 * `zcat file | grep -o '"pu":[0-9]*'`. Data-quality tests compare the gate with these.
 * State carries over from one file to the next, so a recording split across files is one stream.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

export interface RawFacts {
  lines: number;
  /** Messages per stream type: `depth` (diffs), `snapshot`, `bookTicker`, `trade`, `aggTrade`. */
  messages: Record<string, number>;
  /** Diffs that do not continue the previous diff of their symbol (`pu` ≠ previous `u`, or without `pu`: `U` ≠ previous `u` + 1). */
  chainBreaks: number;
  /** First `pu` (or `U`) and last `u` of the diffs of each file, in file order. */
  fileEdges: { firstPu: number; firstU: number; lastU: number; firstTradeId: number; lastTradeId: number }[];
  /** bookTicker `u` equal to / below the highest `u` of its symbol seen so far. */
  bookTickerRepeats: number;
  bookTickerBack: number;
  /** Trade ids (`t`, or aggTrade `f`…`l`) skipping past / equal to / below the highest seen. */
  tradeGaps: number;
  tradeRepeats: number;
  tradeBack: number;
  /** bookTickers with bid above / equal to ask, and with a price or size ≤ 0. */
  crossed: number;
  locked: number;
  nonPositive: number;
  /** Per snapshot: its lastUpdateId, whether some diff of the same file bridges it (U ≤ L ≤ u, spot U ≤ L+1 ≤ u), and the diffs read after it that are older. */
  snapshots: { lastUpdateId: number; bridged: boolean; staleAfter: number }[];
  /** Events whose `E` is below the highest `E` of their stream type and symbol so far (snapshots count with depth, aggTrades with trades). */
  eventTimeBack: Record<string, number>;
  /** Gaps in `E` longer than 5 s within a stream type and symbol (event streams only, not klines). */
  silences: number;
}

const num = (line: string, re: RegExp): number => {
  const m = re.exec(line);
  return m ? Number(m[1]) : NaN;
};

const EVENT_STREAMS = new Set(['depth', 'snapshot', 'bookTicker', 'trade', 'aggTrade']);

const RE = {
  stream: /"stream":"[a-z0-9_]+@([a-zA-Z]+)/,
  symbol: /"s":"([A-Z0-9_]+)"/,
  E: /"E":(\d+)/,
  U: /"U":(\d+)/,
  u: /"u":(\d+)/,
  pu: /"pu":(\d+)/,
  last: /"lastUpdateId":(\d+)/,
  t: /"t":(\d+)/,
  f: /"f":(\d+)/,
  l: /"l":(\d+)/,
  b: /"b":"([^"]+)"/,
  B: /"B":"([^"]+)"/,
  a: /"a":"([^"]+)"/,
  A: /"A":"([^"]+)"/,
};

/** Count the facts of one or more capture files read in order. */
export function rawFacts(files: string[]): RawFacts {
  const f: RawFacts = {
    lines: 0,
    messages: {},
    chainBreaks: 0,
    fileEdges: [],
    bookTickerRepeats: 0,
    bookTickerBack: 0,
    tradeGaps: 0,
    tradeRepeats: 0,
    tradeBack: 0,
    crossed: 0,
    locked: 0,
    nonPositive: 0,
    snapshots: [],
    eventTimeBack: {},
    silences: 0,
  };
  const lastU = new Map<string, number>();
  const topQuote = new Map<string, number>();
  const topTrade = new Map<string, number>();
  const topTradeLast = new Map<string, number>();
  const topE = new Map<string, number>();
  for (const file of files) {
    const buf = readFileSync(file);
    const text = (buf[0] === 0x1f && buf[1] === 0x8b ? gunzipSync(buf) : buf).toString('utf8');
    const lines = text.split('\n').filter((l) => l.length > 0);
    const edges = { firstPu: NaN, firstU: NaN, lastU: NaN, firstTradeId: NaN, lastTradeId: NaN };
    const diffs: { U: number; u: number; spot: boolean }[] = [];
    const fileSnaps: { L: number; at: number }[] = [];
    let fileSymbol = '';
    for (const line of lines) {
      f.lines++;
      const isSnapshot = RE.last.test(line);
      const type = isSnapshot ? 'snapshot' : (RE.stream.exec(line)?.[1] ?? (line.includes('"e":"depthUpdate"') ? 'depth' : 'other'));
      f.messages[type] = (f.messages[type] ?? 0) + 1;
      const sym = RE.symbol.exec(line)?.[1] ?? fileSymbol;
      if (!isSnapshot) fileSymbol = sym;
      const E = num(line, RE.E);
      const timeKey = `${type === 'snapshot' ? 'depth' : type === 'aggTrade' ? 'trade' : type} ${sym}`;
      if (!Number.isNaN(E) && EVENT_STREAMS.has(type)) {
        const top = topE.get(timeKey);
        if (top !== undefined && E < top) f.eventTimeBack[timeKey] = (f.eventTimeBack[timeKey] ?? 0) + 1;
        else {
          if (top !== undefined && E - top > 5000) f.silences++;
          topE.set(timeKey, E);
        }
      }
      if (isSnapshot) {
        fileSnaps.push({ L: num(line, RE.last), at: diffs.length });
      } else if (type === 'depth') {
        const U = num(line, RE.U);
        const u = num(line, RE.u);
        const pu = num(line, RE.pu);
        const prev = lastU.get(sym);
        if (prev !== undefined && (Number.isNaN(pu) ? U !== prev + 1 : pu !== prev)) f.chainBreaks++;
        lastU.set(sym, u);
        if (Number.isNaN(edges.firstU)) {
          edges.firstU = U;
          edges.firstPu = pu;
        }
        edges.lastU = u;
        diffs.push({ U, u, spot: Number.isNaN(pu) });
      } else if (type === 'bookTicker') {
        const u = num(line, RE.u);
        const top = topQuote.get(sym);
        if (top !== undefined && u === top) f.bookTickerRepeats++;
        else if (top !== undefined && u < top) f.bookTickerBack++;
        else topQuote.set(sym, u);
        const [b, B, a, A] = [RE.b, RE.B, RE.a, RE.A].map((re) => Number(re.exec(line)![1]));
        if (b! > a!) f.crossed++;
        if (b === a) f.locked++;
        if (b! <= 0 || B! <= 0 || a! <= 0 || A! <= 0) f.nonPositive++;
      } else if (type === 'trade' || type === 'aggTrade') {
        const id = type === 'trade' ? num(line, RE.t) : num(line, /"a":(\d+)/);
        const first = type === 'trade' ? id : num(line, RE.f);
        const last = type === 'trade' ? id : num(line, RE.l);
        const top = topTrade.get(sym);
        if (top !== undefined && id === top) f.tradeRepeats++;
        else if (top !== undefined && id < top) f.tradeBack++;
        else {
          if (top !== undefined && first > topTradeLast.get(sym)! + 1) f.tradeGaps++;
          topTrade.set(sym, id);
        }
        topTradeLast.set(sym, Math.max(topTradeLast.get(sym) ?? -Infinity, last));
        if (Number.isNaN(edges.firstTradeId)) edges.firstTradeId = first;
        edges.lastTradeId = last;
        const p = Number(/"p":"([^"]+)"/.exec(line)![1]);
        const q = Number(/"q":"([^"]+)"/.exec(line)![1]);
        if (p <= 0 || q <= 0) f.nonPositive++;
      }
    }
    for (const s of fileSnaps) {
      const spot = diffs.length > 0 && diffs[0]!.spot;
      const need = spot ? s.L + 1 : s.L;
      f.snapshots.push({
        lastUpdateId: s.L,
        bridged: diffs.some((d) => d.U <= need && need <= d.u),
        staleAfter: diffs.slice(s.at).filter((d) => d.u < need).length,
      });
    }
    f.fileEdges.push(edges);
  }
  return f;
}
