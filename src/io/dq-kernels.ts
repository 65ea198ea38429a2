/**
 * The per-row checks of the data-quality gate, one kernel per event kind, over typed columns.
 * A kernel reads row `r` of a batch, compares it with what its stream remembers, reports what
 * fails through {@link Findings} and updates the stream. It never writes to the batch.
 *
 * Update-id rules are Binance's local order book procedure: USD-M and COIN-M diffs chain by
 * `pu` (each diff's `pu` is the previous diff's `u`); spot diffs chain by `U` = previous `u` + 1.
 * After a snapshot with `lastUpdateId` L, diffs older than it are dropped, and the first
 * applied diff must bridge it: U ≤ L ≤ u (futures) or U ≤ L+1 ≤ u (spot).
 *
 * @see https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams/How-to-manage-a-local-order-book-correctly
 * @see https://developers.binance.com/docs/binance-spot-api-docs/web-socket-streams#how-to-manage-a-local-order-book-correctly
 */
import { C, dqValue, type DqValue } from './dq-checks.js';
import { boolAt, same, sameList, type DepthCols, type ListView, type MarkCols, type QuoteCols, type TradeCols } from './dq-columns.js';
import { SYNC_AWAITING, SYNC_DONE, type StreamState } from './dq-state.js';

/** Where kernels report. */
export interface Findings {
  /** Count a finding of `check` (with its size, for checks that measure one); true while examples are still wanted. */
  hit(check: number, st: StreamState, row: number, ts: number, size?: number): boolean;
  /** Keep an example of `check` (call only when {@link hit} returned true). */
  example(check: number, st: StreamState, row: number, ts: number, values: Record<string, DqValue>): void;
}

/** Quote (best bid/ask) row `r`: missing and non-positive values, crossed and locked books, update-id order. */
export function quoteRow(f: Findings, c: QuoteCols, r: number, row: number, st: StreamState): void {
  const ts = c.ts[r]!;
  const bp = c.bidPrice[r]!;
  const bq = c.bidQty[r]!;
  const ap = c.askPrice[r]!;
  const aq = c.askQty[r]!;
  if (bp !== bp || bq !== bq || ap !== ap || aq !== aq) {
    const field = bp !== bp ? 'bidPrice' : bq !== bq ? 'bidQty' : ap !== ap ? 'askPrice' : 'askQty';
    if (f.hit(C.nan, st, row, ts)) f.example(C.nan, st, row, ts, { field, bidPrice: dqValue(bp), bidQty: dqValue(bq), askPrice: dqValue(ap), askQty: dqValue(aq) });
  }
  if (bp <= 0 || bq <= 0 || ap <= 0 || aq <= 0) {
    if (f.hit(C.nonPositive, st, row, ts)) f.example(C.nonPositive, st, row, ts, { bidPrice: dqValue(bp), bidQty: dqValue(bq), askPrice: dqValue(ap), askQty: dqValue(aq) });
  }
  if (bp > 0 && ap > 0) {
    if (bp > ap) {
      if (f.hit(C.crossedBook, st, row, ts)) f.example(C.crossedBook, st, row, ts, { bidPrice: bp, askPrice: ap });
    } else if (bp === ap) {
      if (f.hit(C.lockedBook, st, row, ts)) f.example(C.lockedBook, st, row, ts, { bidPrice: bp, askPrice: ap });
    }
  }
  const u = c.updateId[r]!;
  if (u !== u) return;
  const hw = st.maxUpdateId;
  if (u === hw) {
    if (f.hit(C.quoteIdRepeat, st, row, ts)) f.example(C.quoteIdRepeat, st, row, ts, { updateId: u });
  } else if (u < hw) {
    if (f.hit(C.quoteIdOutOfOrder, st, row, ts, hw - u)) f.example(C.quoteIdOutOfOrder, st, row, ts, { updateId: u, highestUpdateId: hw, stepBack: hw - u });
  } else {
    st.maxUpdateId = u;
  }
}

/**
 * Trade row `r`: missing and non-positive price or size, and trade ids. Ids are judged against
 * the highest seen: equal is a repeat, below is out of order, and a first trade id beyond the
 * highest last trade id + 1 is a gap (for a plain trade first = last = id; for an aggTrade the
 * aggregate's `f` must follow the previous `l`). `checkIds` false skips the id checks, for sources
 * whose ids are not a trade sequence.
 * @see https://developers.binance.com/docs/derivatives/usds-margined-futures/websocket-market-streams/Aggregate-Trade-Streams
 */
export function tradeRow(f: Findings, c: TradeCols, r: number, row: number, st: StreamState, checkIds = true): void {
  const ts = c.ts[r]!;
  const price = c.price[r]!;
  const qty = c.qty[r]!;
  if (price !== price || qty !== qty) {
    if (f.hit(C.nan, st, row, ts)) f.example(C.nan, st, row, ts, { field: price !== price ? 'price' : 'qty', price: dqValue(price), qty: dqValue(qty) });
  }
  if (price <= 0 || qty <= 0) {
    if (f.hit(C.nonPositive, st, row, ts)) f.example(C.nonPositive, st, row, ts, { price: dqValue(price), qty: dqValue(qty), id: dqValue(c.id[r]!) });
  }
  const id = c.id[r]!;
  if (id !== id || !checkIds) return;
  const hw = st.maxId;
  if (id === hw) {
    if (f.hit(C.tradeIdDuplicate, st, row, ts)) f.example(C.tradeIdDuplicate, st, row, ts, { id, price: dqValue(price), qty: dqValue(qty) });
  } else if (id < hw) {
    if (f.hit(C.tradeIdOutOfOrder, st, row, ts, hw - id)) f.example(C.tradeIdOutOfOrder, st, row, ts, { id, highestId: hw, stepBack: hw - id });
  } else {
    const first = c.firstId[r]!;
    const firstId = first === first ? first : id;
    const prevLast = st.maxLastId;
    if (firstId > prevLast + 1) {
      const missing = firstId - prevLast - 1;
      if (f.hit(C.tradeIdGap, st, row, ts, missing)) f.example(C.tradeIdGap, st, row, ts, { id, firstId, previousLastId: prevLast, missing });
    }
    st.maxId = id;
  }
  const last = c.lastId[r]!;
  const lastId = last === last ? last : id;
  if (!(lastId <= st.maxLastId)) st.maxLastId = lastId;
}

/** Mark price row `r`: a mark price is required and positive; an index price, where given, positive. */
export function markRow(f: Findings, c: MarkCols, r: number, row: number, st: StreamState): void {
  const ts = c.ts[r]!;
  const mp = c.markPrice[r]!;
  const ip = c.indexPrice[r]!;
  if (mp !== mp) {
    if (f.hit(C.nan, st, row, ts)) f.example(C.nan, st, row, ts, { field: 'markPrice' });
  }
  if (mp <= 0 || ip <= 0) {
    if (f.hit(C.nonPositive, st, row, ts)) f.example(C.nonPositive, st, row, ts, { markPrice: dqValue(mp), indexPrice: dqValue(ip) });
  }
}

/** What the scan of a depth row found so far (module scratch: no allocation per event). */
const scan = {
  nan: 0,
  nanField: '',
  nanLevel: -1,
  bad: 0,
  badSide: '',
  badLevel: -1,
  badPrice: 0,
  badQty: 0,
  zero: 0,
  zeroSide: '',
  zeroLevel: -1,
  zeroPrice: 0,
};

/**
 * Scan one side of depth row `r`, adding NaNs, bad levels and zero sizes to {@link scan};
 * returns the side's best price among levels with a positive size (NaN if none).
 */
function scanSide(prices: ListView, qtys: ListView, r: number, bid: boolean): number {
  const side = bid ? 'bid' : 'ask';
  let best = NaN;
  const p0 = prices.offsets[r]!;
  const n = prices.offsets[r + 1]! - p0;
  const q0 = qtys.offsets[r]!;
  const m = qtys.offsets[r + 1]! - q0;
  if (n !== m && scan.nan++ === 0) {
    scan.nanField = `${side}Qtys`;
    scan.nanLevel = Math.min(n, m);
  }
  for (let i = 0; i < Math.min(n, m); i++) {
    const p = prices.values[p0 + i]!;
    const q = qtys.values[q0 + i]!;
    if (p !== p || q !== q) {
      if (scan.nan++ === 0) {
        scan.nanField = p !== p ? `${side}Prices` : `${side}Qtys`;
        scan.nanLevel = i;
      }
    } else if (p <= 0 || q < 0) {
      if (scan.bad++ === 0) {
        scan.badSide = side;
        scan.badLevel = i;
        scan.badPrice = p;
        scan.badQty = q;
      }
    } else if (q === 0) {
      if (scan.zero++ === 0) {
        scan.zeroSide = side;
        scan.zeroLevel = i;
        scan.zeroPrice = p;
      }
    } else if (bid ? !(p <= best) : !(p >= best)) {
      best = p;
    }
  }
  return best;
}

/**
 * Depth row `r`: its levels (each problem counted once per event, with the first offending
 * level as the example), a snapshot's best prices and sync, a diff's place in the update-id chain.
 */
export function depthRow(f: Findings, c: DepthCols, r: number, row: number, st: StreamState): void {
  const ts = c.ts[r]!;
  const snap = boolAt(c.isSnapshot, r);
  scan.nan = scan.bad = scan.zero = 0;
  const bestBid = scanSide(c.bidPrices, c.bidQtys, r, true);
  const bestAsk = scanSide(c.askPrices, c.askQtys, r, false);
  if (scan.nan > 0 && f.hit(C.nan, st, row, ts)) f.example(C.nan, st, row, ts, { field: scan.nanField, level: scan.nanLevel, levels: scan.nan });
  if (scan.bad > 0 && f.hit(C.nonPositive, st, row, ts)) {
    f.example(C.nonPositive, st, row, ts, { side: scan.badSide, level: scan.badLevel, price: scan.badPrice, qty: scan.badQty, levels: scan.bad, snapshot: snap });
  }
  if (snap && scan.zero > 0 && f.hit(C.snapshotZeroQty, st, row, ts)) {
    f.example(C.snapshotZeroQty, st, row, ts, { side: scan.zeroSide, level: scan.zeroLevel, price: scan.zeroPrice, levels: scan.zero });
  }
  if (!snap) {
    diffChain(f, c, r, row, ts, st);
    return;
  }
  st.snapshots++;
  if (bestBid > bestAsk) {
    if (f.hit(C.crossedBook, st, row, ts)) f.example(C.crossedBook, st, row, ts, { bestBid, bestAsk, snapshot: true });
  } else if (bestBid === bestAsk) {
    if (f.hit(C.lockedBook, st, row, ts)) f.example(C.lockedBook, st, row, ts, { bestBid, bestAsk, snapshot: true });
  }
  snapshotSync(f, c.lastUpdateId[r]!, row, ts, st);
}

/**
 * A snapshot starts a sync. A recorder buffers diffs while it fetches the REST snapshot, so
 * the diff that bridges it is often read before it: if diffs up to and past L were already
 * read, the unbroken chain they form must start at or before L; otherwise the next diffs
 * must bridge it.
 */
function snapshotSync(f: Findings, L: number, row: number, ts: number, st: StreamState): void {
  if (L !== L) return;
  const need = st.diffHasPu ? L : L + 1;
  if (st.lastU >= need) {
    if (st.chainFirstU > need && f.hit(C.depthSync, st, row, ts)) {
      f.example(C.depthSync, st, row, ts, { rule: 'buffered diffs start after the snapshot', lastUpdateId: L, firstBufferedU: dqValue(st.chainFirstU), lastU: st.lastU });
    }
    st.sync = SYNC_DONE;
  } else {
    st.sync = SYNC_AWAITING;
    st.syncL = L;
  }
}

function diffChain(f: Findings, c: DepthCols, r: number, row: number, ts: number, st: StreamState): void {
  const U = c.firstUpdateId[r]!;
  const u = c.lastUpdateId[r]!;
  const pu = c.prevUpdateId[r]!;
  if (u !== u) return;
  const hasPu = pu === pu;
  const prev = st.lastU;
  if (prev === prev) {
    if (hasPu ? pu !== prev : U === U && U !== prev + 1) {
      if (f.hit(C.depthChain, st, row, ts)) {
        f.example(
          C.depthChain,
          st,
          row,
          ts,
          hasPu ? { rule: 'pu = previous u', previousU: prev, pu, U: dqValue(U), u } : { rule: 'U = previous u + 1', previousU: prev, expectedU: prev + 1, U, u },
        );
      }
      st.chainFirstU = U;
    }
  } else {
    st.chainFirstU = U;
  }
  st.lastU = u;
  st.diffHasPu = hasPu;
  if (st.sync !== SYNC_AWAITING) return;
  const L = st.syncL;
  const need = hasPu ? L : L + 1;
  if (u < need) {
    if (f.hit(C.depthStaleBeforeSync, st, row, ts)) f.example(C.depthStaleBeforeSync, st, row, ts, { lastUpdateId: L, U: dqValue(U), u });
    return;
  }
  if (U > need && f.hit(C.depthSync, st, row, ts)) {
    f.example(C.depthSync, st, row, ts, { rule: hasPu ? 'first diff U ≤ lastUpdateId ≤ u' : 'first diff U ≤ lastUpdateId+1 ≤ u', lastUpdateId: L, U: dqValue(U), u });
  }
  st.sync = SYNC_DONE;
}

/** Row `r` of `a` and row `s` of `b` are the same event (receive time and print kind aside). */
export function sameQuote(a: QuoteCols, r: number, b: QuoteCols, s: number): boolean {
  return (
    same(a.ts[r]!, b.ts[s]!) &&
    same(a.updateId[r]!, b.updateId[s]!) &&
    same(a.bidPrice[r]!, b.bidPrice[s]!) &&
    same(a.bidQty[r]!, b.bidQty[s]!) &&
    same(a.askPrice[r]!, b.askPrice[s]!) &&
    same(a.askQty[r]!, b.askQty[s]!)
  );
}

/** Same trade: times, ids, price, size and side. */
export function sameTrade(a: TradeCols, r: number, b: TradeCols, s: number): boolean {
  return (
    same(a.ts[r]!, b.ts[s]!) &&
    same(a.id[r]!, b.id[s]!) &&
    same(a.firstId[r]!, b.firstId[s]!) &&
    same(a.lastId[r]!, b.lastId[s]!) &&
    same(a.price[r]!, b.price[s]!) &&
    same(a.qty[r]!, b.qty[s]!) &&
    a.side[r] === b.side[s]
  );
}

/** Same depth event: time, kind, update ids and every level. */
export function sameDepth(a: DepthCols, r: number, b: DepthCols, s: number): boolean {
  return (
    same(a.ts[r]!, b.ts[s]!) &&
    boolAt(a.isSnapshot, r) === boolAt(b.isSnapshot, s) &&
    same(a.firstUpdateId[r]!, b.firstUpdateId[s]!) &&
    same(a.lastUpdateId[r]!, b.lastUpdateId[s]!) &&
    same(a.prevUpdateId[r]!, b.prevUpdateId[s]!) &&
    sameList(a.bidPrices, r, b.bidPrices, s) &&
    sameList(a.bidQtys, r, b.bidQtys, s) &&
    sameList(a.askPrices, r, b.askPrices, s) &&
    sameList(a.askQtys, r, b.askQtys, s)
  );
}

/** Same mark-price event: time and every value. */
export function sameMark(a: MarkCols, r: number, b: MarkCols, s: number): boolean {
  return (
    same(a.ts[r]!, b.ts[s]!) &&
    same(a.markPrice[r]!, b.markPrice[s]!) &&
    same(a.indexPrice[r]!, b.indexPrice[s]!) &&
    same(a.fundingRate[r]!, b.fundingRate[s]!) &&
    same(a.nextFundingTime[r]!, b.nextFundingTime[s]!)
  );
}
