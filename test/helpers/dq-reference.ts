/**
 * A naive reference of the data-quality gate's rules, written straight from their documented
 * wording over plain event objects, one event at a time, with maps and arrays and no attention
 * to speed. The gate's property test checks that the gate's counts equal these.
 */
import type { DepthEvent, EventKind, MarketEvent } from '../../src/core/events.js';

export interface RefEvent {
  source: string;
  event: MarketEvent;
}

export interface RefFinding {
  source: string;
  row: number;
  stream: string;
  size?: number;
}

export interface RefResult {
  findings: Record<string, RefFinding[]>;
  streams: Record<string, { events: number; snapshots: number; firstTs: number | null; lastTs: number | null }>;
  events: Record<EventKind, number>;
}

const CHECKS = [
  'depthChain',
  'depthSync',
  'depthStaleBeforeSync',
  'tradeIdGap',
  'tradeIdDuplicate',
  'tradeIdOutOfOrder',
  'quoteIdRepeat',
  'quoteIdOutOfOrder',
  'crossedBook',
  'lockedBook',
  'tsBack',
  'recvTsBack',
  'silence',
  'missingTs',
  'duplicate',
  'nonPositive',
  'snapshotZeroQty',
  'nan',
];

/** Same value, NaN equal to NaN. */
const eq = (a: number, b: number) => (Number.isNaN(a) && Number.isNaN(b)) || a === b;
const eqList = (a: number[], b: number[]) => a.length === b.length && a.every((x, i) => eq(x, b[i]!));

function sameEvent(a: MarketEvent, b: MarketEvent): boolean {
  if (a.type !== b.type || !eq(a.ts, b.ts)) return false;
  switch (a.type) {
    case 'quote': {
      const o = b as typeof a;
      return eq(a.updateId, o.updateId) && eq(a.bidPrice, o.bidPrice) && eq(a.bidQty, o.bidQty) && eq(a.askPrice, o.askPrice) && eq(a.askQty, o.askQty);
    }
    case 'trade': {
      const o = b as typeof a;
      return eq(a.id, o.id) && eq(a.firstId, o.firstId) && eq(a.lastId, o.lastId) && eq(a.price, o.price) && eq(a.qty, o.qty) && a.side === o.side;
    }
    case 'depth': {
      const o = b as typeof a;
      return (
        a.isSnapshot === o.isSnapshot &&
        eq(a.firstUpdateId, o.firstUpdateId) &&
        eq(a.lastUpdateId, o.lastUpdateId) &&
        eq(a.prevUpdateId, o.prevUpdateId) &&
        eqList(a.bidPrices, o.bidPrices) &&
        eqList(a.bidQtys, o.bidQtys) &&
        eqList(a.askPrices, o.askPrices) &&
        eqList(a.askQtys, o.askQtys)
      );
    }
    case 'mark': {
      const o = b as typeof a;
      return eq(a.markPrice, o.markPrice) && eq(a.indexPrice, o.indexPrice) && eq(a.fundingRate, o.fundingRate) && eq(a.nextFundingTime, o.nextFundingTime);
    }
  }
}

interface Stream {
  events: number;
  snapshots: number;
  tsSeen: number[];
  prev: MarketEvent | null;
  quoteIds: number[];
  tradeIds: number[];
  tradeLastIds: number[];
  diffs: DepthEvent[];
  /** Diffs since the last chain break (or the first diff). */
  chain: DepthEvent[];
  waitingFor: number | null;
}

/** Run the documented rules over `events` in order; `silenceMs` as the gate's option. */
export function referenceDq(events: RefEvent[], silenceMs = 5000): RefResult {
  const findings: Record<string, RefFinding[]> = Object.fromEntries(CHECKS.map((c) => [c, []]));
  const streams = new Map<string, Stream>();
  const rows = new Map<string, number>();
  const recvSeen = new Map<string, number[]>();
  const eventsByKind: Record<EventKind, number> = { depth: 0, quote: 0, trade: 0, mark: 0 };

  for (const { source, event: e } of events) {
    const key = `${e.type} ${e.symbol}`;
    const rowKey = `${source}|${e.type}`;
    const row = rows.get(rowKey) ?? 0;
    rows.set(rowKey, row + 1);
    eventsByKind[e.type]++;
    let st = streams.get(key);
    if (!st) {
      st = { events: 0, snapshots: 0, tsSeen: [], prev: null, quoteIds: [], tradeIds: [], tradeLastIds: [], diffs: [], chain: [], waitingFor: null };
      streams.set(key, st);
    }
    const find = (check: string, size?: number) => findings[check]!.push(size === undefined ? { source, row, stream: key } : { source, row, stream: key, size });

    // exchange time: back below the latest seen, or a forward jump longer than the silence
    if (Number.isNaN(e.ts)) find('missingTs');
    else if (st.tsSeen.length > 0) {
      const latest = Math.max(...st.tsSeen);
      if (e.ts < latest) find('tsBack', latest - e.ts);
      else if (e.ts - latest > silenceMs) find('silence', e.ts - latest);
    }
    if (!Number.isNaN(e.ts)) st.tsSeen.push(e.ts);
    // receive time per source and kind
    if (!Number.isNaN(e.recvTs)) {
      const seen = recvSeen.get(rowKey) ?? [];
      if (seen.length > 0 && e.recvTs < Math.max(...seen)) find('recvTsBack', Math.max(...seen) - e.recvTs);
      seen.push(e.recvTs);
      recvSeen.set(rowKey, seen);
    }

    if (e.type === 'quote') {
      const vals = [e.bidPrice, e.bidQty, e.askPrice, e.askQty];
      if (vals.some(Number.isNaN)) find('nan');
      if (vals.some((v) => v <= 0)) find('nonPositive');
      if (e.bidPrice > 0 && e.askPrice > 0 && e.bidPrice > e.askPrice) find('crossedBook');
      if (e.bidPrice > 0 && e.askPrice > 0 && e.bidPrice === e.askPrice) find('lockedBook');
      if (!Number.isNaN(e.updateId)) {
        if (st.quoteIds.length > 0) {
          const top = Math.max(...st.quoteIds);
          if (e.updateId === top) find('quoteIdRepeat');
          else if (e.updateId < top) find('quoteIdOutOfOrder', top - e.updateId);
        }
        st.quoteIds.push(e.updateId);
      }
    } else if (e.type === 'trade') {
      if (Number.isNaN(e.price) || Number.isNaN(e.qty)) find('nan');
      if (e.price <= 0 || e.qty <= 0) find('nonPositive');
      if (!Number.isNaN(e.id)) {
        if (st.tradeIds.length > 0) {
          const top = Math.max(...st.tradeIds);
          const topLast = Math.max(...st.tradeLastIds);
          const first = Number.isNaN(e.firstId) ? e.id : e.firstId;
          if (e.id === top) find('tradeIdDuplicate');
          else if (e.id < top) find('tradeIdOutOfOrder', top - e.id);
          else if (first > topLast + 1) find('tradeIdGap', first - topLast - 1);
        }
        st.tradeIds.push(e.id);
        st.tradeLastIds.push(Number.isNaN(e.lastId) ? e.id : e.lastId);
      }
    } else if (e.type === 'mark') {
      if (Number.isNaN(e.markPrice)) find('nan');
      if (e.markPrice <= 0 || e.indexPrice <= 0) find('nonPositive');
    } else {
      depth(e, st, find);
    }

    if (st.prev && sameEvent(st.prev, e)) find('duplicate');
    st.prev = e;
    st.events++;
  }

  const out: RefResult['streams'] = {};
  for (const [k, s] of streams) {
    out[k] = {
      events: s.events,
      snapshots: s.snapshots,
      firstTs: s.tsSeen.length ? Math.min(...s.tsSeen) : null,
      lastTs: s.tsSeen.length ? Math.max(...s.tsSeen) : null,
    };
  }
  return { findings, streams: out, events: eventsByKind };
}

function depth(e: DepthEvent, st: Stream, find: (check: string) => void): void {
  const sides = [
    { p: e.bidPrices, q: e.bidQtys },
    { p: e.askPrices, q: e.askQtys },
  ];
  let nan = false;
  let bad = false;
  let zero = false;
  const best: number[] = [];
  for (const [i, { p, q }] of sides.entries()) {
    if (p.length !== q.length) nan = true;
    const levels: number[] = [];
    for (let k = 0; k < Math.min(p.length, q.length); k++) {
      if (Number.isNaN(p[k]!) || Number.isNaN(q[k]!)) nan = true;
      else if (p[k]! <= 0 || q[k]! < 0) bad = true;
      else if (q[k] === 0) zero = true;
      else levels.push(p[k]!);
    }
    best.push(levels.length === 0 ? NaN : i === 0 ? Math.max(...levels) : Math.min(...levels));
  }
  if (nan) find('nan');
  if (bad) find('nonPositive');
  if (e.isSnapshot && zero) find('snapshotZeroQty');

  if (e.isSnapshot) {
    st.snapshots++;
    if (best[0]! > best[1]!) find('crossedBook');
    if (best[0] === best[1]) find('lockedBook');
    const L = e.lastUpdateId;
    if (Number.isNaN(L)) return;
    const last = st.diffs[st.diffs.length - 1];
    const spot = last !== undefined && Number.isNaN(last.prevUpdateId);
    const need = spot ? L + 1 : L;
    if (last !== undefined && last.lastUpdateId >= need) {
      // bridged by a diff read before the snapshot, within the current unbroken chain
      if (st.chain[0]!.firstUpdateId > need) find('depthSync');
      st.waitingFor = null;
    } else {
      st.waitingFor = L;
    }
    return;
  }

  if (Number.isNaN(e.lastUpdateId)) return;
  const prev = st.diffs[st.diffs.length - 1];
  if (prev) {
    const broken = Number.isNaN(e.prevUpdateId)
      ? !Number.isNaN(e.firstUpdateId) && e.firstUpdateId !== prev.lastUpdateId + 1
      : e.prevUpdateId !== prev.lastUpdateId;
    if (broken) {
      find('depthChain');
      st.chain = [];
    }
  }
  st.chain.push(e);
  st.diffs.push(e);
  if (st.waitingFor !== null) {
    const need = Number.isNaN(e.prevUpdateId) ? st.waitingFor + 1 : st.waitingFor;
    if (e.lastUpdateId < need) find('depthStaleBeforeSync');
    else {
      if (e.firstUpdateId > need) find('depthSync');
      st.waitingFor = null;
    }
  }
}
