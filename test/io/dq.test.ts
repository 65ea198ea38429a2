import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { batchToEvents, eventsToBatch, type KindBatch } from '../../src/core/batch.js';
import type { DepthEvent, EventKind, EventOf, MarketEvent, MarkEvent, QuoteEvent, TradeEvent } from '../../src/core/events.js';
import { readCapture } from '../../src/io/capture.js';
import { readLobster } from '../../src/io/lobster.js';
import { DataQualityGate, DQ_CHECKS, formatDqReport, type DqCheckId, type DqOptions, type DqReport } from '../../src/io/dq.js';
import { dataPath } from '../helpers/data.js';
import { rawFacts } from '../helpers/binance-raw-facts.js';
import { referenceDq, type RefEvent } from '../helpers/dq-reference.js';

const T0 = 1_723_161_256_000;

const quote = (p: Partial<QuoteEvent> = {}): QuoteEvent => ({
  type: 'quote',
  symbol: 'BTCUSDT',
  ts: T0,
  recvTs: T0 - 1270,
  bidPrice: 100,
  bidQty: 1,
  askPrice: 101,
  askQty: 2,
  updateId: 1,
  ...p,
});
const trade = (p: Partial<TradeEvent> = {}): TradeEvent => {
  const id = p.id ?? 1;
  return { type: 'trade', symbol: 'BTCUSDT', ts: T0, recvTs: T0 - 1270, price: 100, qty: 1, side: 'buy', id, firstId: id, lastId: id, printKind: 'MARKET', ...p };
};
const diff = (U: number, u: number, pu: number, p: Partial<DepthEvent> = {}): DepthEvent => ({
  type: 'depth',
  symbol: 'BTCUSDT',
  ts: T0,
  recvTs: T0 - 1270,
  isSnapshot: false,
  firstUpdateId: U,
  lastUpdateId: u,
  prevUpdateId: pu,
  bidPrices: [99],
  bidQtys: [1],
  askPrices: [101],
  askQtys: [1],
  ...p,
});
const snapshot = (L: number, p: Partial<DepthEvent> = {}): DepthEvent =>
  diff(NaN, L, NaN, { isSnapshot: true, bidPrices: [100, 99], bidQtys: [1, 2], askPrices: [101, 102], askQtys: [1, 2], ...p });
const mark = (p: Partial<MarkEvent> = {}): MarkEvent => ({
  type: 'mark',
  symbol: 'BTCUSDT',
  ts: T0,
  recvTs: T0 - 1270,
  markPrice: 100,
  indexPrice: 100,
  fundingRate: 0.0001,
  nextFundingTime: T0 + 3600_000,
  ...p,
});

/** Events at increasing times, 100 ms apart, so time checks stay quiet unless a test wants them. */
function spaced<E extends MarketEvent>(events: E[], step = 100): E[] {
  return events.map((e, i) => ({ ...e, ts: T0 + i * step, recvTs: T0 - 1270 + i * step }));
}

function kb<K extends EventKind>(kind: K, events: EventOf<K>[]): KindBatch {
  return { kind, batch: eventsToBatch(kind, events)! };
}

function check(events: MarketEvent[], options: DqOptions = {}, source = 'hand.jsonl'): DqReport {
  const gate = new DataQualityGate(options);
  for (const b of runs(events)) gate.observe(b, source);
  return gate.report();
}

/** Consecutive events of one kind as one batch each, in order. */
function runs(events: MarketEvent[]): KindBatch[] {
  const out: KindBatch[] = [];
  let i = 0;
  while (i < events.length) {
    let j = i;
    while (j < events.length && events[j]!.type === events[i]!.type) j++;
    out.push(kb(events[i]!.type, events.slice(i, j) as never));
    i = j;
  }
  return out;
}

const counts = (r: DqReport) => Object.fromEntries(Object.values(r.checks).filter((c) => c.count > 0).map((c) => [c.id, c.count]));

describe('DataQualityGate: depth update-id chain (hand-made, counts by construction)', () => {
  it('follows the pu chain and reports the one diff whose pu is not the previous u', () => {
    const r = check(spaced([diff(1, 10, 0), diff(11, 20, 10), diff(21, 30, 20), diff(35, 40, 33), diff(41, 50, 40)]));
    expect(counts(r)).toEqual({ depthChain: 1 });
    const ex = r.checks.depthChain.examples[0]!;
    expect(ex).toMatchObject({ source: 'hand.jsonl', kind: 'depth', symbol: 'BTCUSDT', row: 3, ts: T0 + 300 });
    expect(ex.values).toMatchObject({ rule: 'pu = previous u', previousU: 30, pu: 33, U: 35, u: 40 });
    expect(r.ok, 'a chain break is an error').toBe(false);
    expect(r.failed).toEqual(['depthChain']);
  });

  it('spot diffs (no pu) must start at the previous u + 1', () => {
    const r = check(spaced([diff(1, 10, NaN), diff(11, 20, NaN), diff(22, 30, NaN), diff(31, 31, NaN), diff(31, 40, NaN)]));
    expect(r.checks.depthChain.count).toBe(2);
    expect(r.checks.depthChain.examples.map((e) => [e.row, e.values.expectedU, e.values.U])).toEqual([
      [2, 21, 22],
      [4, 32, 31],
    ]);
  });

  it('keeps the chain per symbol', () => {
    const e = [diff(1, 10, 0), diff(5, 7, 4, { symbol: 'ETHUSDT' }), diff(11, 20, 10), diff(8, 9, 7, { symbol: 'ETHUSDT' })];
    expect(counts(check(spaced(e)))).toEqual({});
  });

  it('snapshot then diffs: stale diffs are info, the first applied diff must bridge lastUpdateId', () => {
    const ok = check(spaced([snapshot(100), diff(80, 90, 79), diff(91, 99, 90), diff(100, 110, 99), diff(111, 120, 110)]));
    expect(counts(ok)).toEqual({ depthStaleBeforeSync: 2 });
    expect(ok.ok, 'stale diffs before a sync are not an error').toBe(true);
    expect(ok.checks.depthStaleBeforeSync.severity).toBe('info');

    const bad = check(spaced([snapshot(100), diff(95, 99, 94), diff(101, 110, 99), diff(111, 120, 110)]));
    expect(counts(bad)).toEqual({ depthStaleBeforeSync: 1, depthSync: 1 });
    expect(bad.checks.depthSync.examples[0]).toMatchObject({ row: 2, values: { lastUpdateId: 100, U: 101, u: 110 } });
  });

  it('a snapshot read after the diff that bridges it (a recorder buffers diffs while it fetches) syncs', () => {
    // As in usdm/btcusdt_20240808.gz: the diff with U ≤ L ≤ u is read before the snapshot line.
    const r = check(spaced([diff(1, 10, 0), diff(11, 20, 10), diff(21, 30, 20), snapshot(15), diff(31, 40, 30)]));
    expect(counts(r)).toEqual({});
    const late = check(spaced([diff(50, 60, 49), diff(61, 70, 60), snapshot(40), diff(71, 80, 70)]));
    expect(counts(late)).toEqual({ depthSync: 1 });
    expect(late.checks.depthSync.examples[0]!.values).toMatchObject({ lastUpdateId: 40, firstBufferedU: 50, lastU: 70 });
  });

  it('spot sync uses lastUpdateId + 1: a diff ending at L is stale, one starting at L+1 bridges', () => {
    expect(counts(check(spaced([snapshot(100), diff(95, 100, NaN), diff(101, 110, NaN)])))).toEqual({ depthStaleBeforeSync: 1 });
    expect(counts(check(spaced([snapshot(100), diff(101, 110, 99)])))).toEqual({ depthSync: 1 });
  });

  it('continues the chain across sources of one recording, and not across recordings', () => {
    const a = spaced([diff(1, 10, 0), diff(11, 20, 10)]);
    const b = spaced([diff(21, 30, 20), diff(31, 40, 30)], 100).map((e) => ({ ...e, ts: e.ts + 1000 }));
    const gate = new DataQualityGate();
    gate.observe(kb('depth', a), 'day1');
    gate.observe(kb('depth', b), 'day2');
    expect(counts(gate.report())).toEqual({});
    const rev = new DataQualityGate();
    rev.observe(kb('depth', b), 'day2');
    rev.observe(kb('depth', a), 'day1');
    const r = rev.report();
    expect(r.checks.depthChain.examples[0]).toMatchObject({ source: 'day1', row: 0 });
    const apart = new DataQualityGate({ recordingOf: (s) => s });
    apart.observe(kb('depth', b), 'day2');
    apart.observe(kb('depth', a), 'day1');
    const ra = apart.report();
    expect(ra.checks.depthChain.count, 'separate recordings have separate chains').toBe(0);
    expect(ra.streams.map((s) => s.recording)).toEqual(['day1', 'day2']);
    expect(Object.keys(rev.report().checks.depthChain.byStream)).toEqual(['depth BTCUSDT']);
  });
});

describe('DataQualityGate: trades, quotes and books', () => {
  it('trade ids: gaps (with the ids missing), repeats and late ids against the highest seen', () => {
    const ids = [1, 2, 3, 6, 6, 4, 7, 10];
    const r = check(spaced(ids.map((id) => trade({ id, price: 100 + id }))));
    expect(counts(r)).toEqual({ tradeIdGap: 2, tradeIdDuplicate: 1, tradeIdOutOfOrder: 1 });
    expect(r.checks.tradeIdGap.missingIds, '4,5 then 8,9').toBe(4);
    expect(r.checks.tradeIdGap.worst).toMatchObject({ value: 2, unit: 'ids', at: { row: 3 } });
    expect(r.checks.tradeIdOutOfOrder.examples[0]).toMatchObject({ row: 5, values: { id: 4, highestId: 6, stepBack: 2 } });
  });

  it('aggTrades: each first trade id follows the previous last trade id', () => {
    const agg = (a: number, f: number, l: number) => trade({ id: a, firstId: f, lastId: l });
    const r = check(spaced([agg(1, 10, 12), agg(2, 13, 13), agg(3, 14, 20), agg(4, 25, 26)]));
    expect(counts(r)).toEqual({ tradeIdGap: 1 });
    expect(r.checks.tradeIdGap.examples[0]!.values).toMatchObject({ firstId: 25, previousLastId: 20, missing: 4 });
  });

  it('sequentialTradeIds: false skips trade-id checks (LOBSTER executions carry order ids)', () => {
    const r = check(spaced([1, 9, 9, 3].map((id) => trade({ id, price: 100 + id }))), { sequentialTradeIds: (s) => !s.endsWith('.zip') }, 'x.zip');
    expect(counts(r)).toEqual({});
  });

  it('quote update ids that repeat or go back are info, with the largest step back', () => {
    const r = check(spaced([1, 2, 2, 5, 3, 4, 6].map((updateId) => quote({ updateId, bidQty: updateId }))));
    expect(counts(r)).toEqual({ quoteIdRepeat: 1, quoteIdOutOfOrder: 2 });
    expect(r.checks.quoteIdOutOfOrder.worst!.value).toBe(2);
    expect(r.checks.quoteIdRepeat.severity).toBe('info');
    expect(r.ok).toBe(true);
  });

  it('crossed and locked quotes and snapshots', () => {
    const r = check(
      spaced<MarketEvent>([
        quote({ bidPrice: 101, askPrice: 100 }),
        quote({ bidPrice: 100, askPrice: 100, updateId: 2 }),
        quote({ updateId: 3 }),
        snapshot(1, { bidPrices: [100, 102], askPrices: [101, 103] }),
        // the 102 bid has size 0 so it is no bid: best bid 100 = best ask → locked (and a zero-size snapshot level)
        snapshot(2, { bidPrices: [100, 102], bidQtys: [1, 0], askPrices: [100, 103] }),
      ]),
    );
    expect(counts(r)).toEqual({ crossedBook: 2, lockedBook: 2, snapshotZeroQty: 1 });
    expect(r.checks.crossedBook.examples.map((e) => [e.kind, e.row, e.values])).toEqual([
      ['quote', 0, { bidPrice: 101, askPrice: 100 }],
      ['depth', 0, { bestBid: 102, bestAsk: 101, snapshot: true }],
    ]);
  });

  it('non-positive prices and sizes; size 0 removes a level in a diff, is suspicious in a snapshot', () => {
    const r = check(
      spaced<MarketEvent>([
        quote({ bidQty: 0 }),
        trade({ price: -1 }),
        trade({ id: 2, qty: 0 }),
        diff(1, 2, 0, { bidQtys: [0] }),
        diff(3, 4, 2, { askQtys: [-1] }),
        diff(5, 6, 4, { bidPrices: [0] }),
        snapshot(6, { askQtys: [1, 0] }),
        mark({ markPrice: 0 }),
      ]),
    );
    expect(counts(r)).toEqual({ nonPositive: 6, snapshotZeroQty: 1 });
    expect(r.checks.nonPositive.examples.map((e) => `${e.kind}:${e.row}`)).toEqual(['quote:0', 'trade:0', 'trade:1', 'depth:1', 'depth:2']);
    expect(r.checks.nonPositive.examples[3]!.values).toMatchObject({ side: 'ask', level: 0, price: 101, qty: -1 });
  });

  it('NaN where a value is required, and depth sides whose prices and sizes do not pair up', () => {
    const r = check(
      spaced<MarketEvent>([
        quote({ askPrice: NaN }),
        quote({ updateId: NaN, recvTs: NaN }),
        trade({ qty: NaN }),
        trade({ id: NaN, firstId: NaN, lastId: NaN }),
        diff(1, 2, 0, { bidQtys: [NaN] }),
        diff(3, 4, 2, { askPrices: [101, 102] }),
        mark({ markPrice: NaN, indexPrice: NaN }),
      ]),
    );
    expect(counts(r)).toEqual({ nan: 5 });
    expect(r.checks.nan.examples.map((e) => e.values.field)).toEqual(['askPrice', 'qty', 'bidQtys', 'askQtys', 'markPrice']);
    expect(r.checks.nan.examples[0]!.values.askPrice, 'NaN is written as text in JSON').toBe('NaN');
  });
});

describe('DataQualityGate: clocks, silences, duplicates', () => {
  it('exchange time going back, with the largest step, per kind and symbol', () => {
    const ts = [0, 100, 50, 200, 120, 300].map((d) => T0 + d);
    const r = check(ts.map((t, i) => quote({ ts: t, recvTs: T0 + i, updateId: i + 1 })));
    expect(counts(r)).toEqual({ tsBack: 2 });
    expect(r.checks.tsBack.worst).toMatchObject({ value: 80, unit: 'ms', at: { row: 4, ts: T0 + 120 } });
    const other = check([trade({ ts: T0 + 100 }), quote({ ts: T0 })]);
    expect(counts(other), 'a quote earlier than a trade is no step back').toEqual({});
  });

  it('receive time going back, per source and kind', () => {
    const q = (recvTs: number, updateId: number) => quote({ recvTs, updateId, ts: T0 + updateId });
    const gate = new DataQualityGate();
    gate.observe(kb('quote', [q(10, 1), q(20, 2), q(15, 3)]), 'a');
    gate.observe(kb('trade', [trade({ recvTs: 5 })]), 'a');
    gate.observe(kb('quote', [q(1, 4)]), 'b');
    const r = gate.report();
    expect(counts(r)).toEqual({ recvTsBack: 1 });
    expect(r.checks.recvTsBack.examples[0]).toMatchObject({ source: 'a', row: 2, values: { recvTs: 15, latestRecvTs: 20, stepBackMs: 5 } });
  });

  it('silences longer than the threshold, per kind, longest reported; missing exchange times', () => {
    const ts = [0, 1000, 7000, 7100, 20_000, 20_050].map((d) => T0 + d);
    const events = ts.map((t, i) => trade({ ts: t, id: i + 1 }));
    const r = check(events);
    expect(r.checks.silence.count).toBe(2);
    expect(r.checks.silence.worst).toMatchObject({ value: 12_900, at: { row: 4 } });
    expect(r.checks.silence.examples[0]!.values).toEqual({ fromTs: T0 + 1000, toTs: T0 + 7000, gapMs: 6000 });
    expect(check(events, { silenceMs: { trade: 10_000 } }).checks.silence.count).toBe(1);
    expect(check(events, { silenceMs: 0 }).checks.silence.count, '0 turns the check off').toBe(0);
    const m = check([trade({ ts: NaN }), trade({ id: 2, ts: T0 })]);
    expect(counts(m)).toEqual({ missingTs: 1 });
    expect(m.checks.missingTs.examples[0]!.ts).toBeNull();
  });

  it('identical consecutive events are duplicates whatever their receive time, also across batches and sources', () => {
    const a = quote({ updateId: 7 });
    const gate = new DataQualityGate();
    gate.observe(kb('quote', [a, { ...a, recvTs: a.recvTs + 3 }]), 's1');
    gate.observe(kb('quote', [{ ...a, recvTs: a.recvTs + 5 }]), 's2');
    gate.observe(kb('depth', [diff(1, 2, 0), diff(1, 2, 0, { ts: T0 + 1 })]), 's2');
    const r = gate.report();
    expect(r.checks.duplicate.count).toBe(2);
    expect(r.checks.duplicate.examples.map((e) => e.values)).toEqual([{ previousRow: 0 }, { previousSource: 's1', previousRow: 1 }]);
    expect(r.checks.quoteIdRepeat.count, 'a duplicate quote also repeats its update id').toBe(2);
  });
});

describe('DataQualityGate: the report', () => {
  it('counts rows per source and kind across batches, keeps the first N examples, and totals by severity', () => {
    const gate = new DataQualityGate({ examples: 2 });
    const crossed = (i: number) => quote({ ts: T0 + i, updateId: i, bidPrice: 102, askPrice: 101 });
    gate.observe(kb('quote', [crossed(1), crossed(2)]), 'f.gz');
    gate.observe(kb('trade', [trade()]), 'f.gz');
    gate.observe(kb('quote', [crossed(3), crossed(4)]), 'f.gz');
    const r = gate.report();
    expect(r.checks.crossedBook.count).toBe(4);
    expect(r.checks.crossedBook.examples.map((e) => e.row)).toEqual([0, 1]);
    expect(r.totals).toMatchObject({ events: 5, byKind: { quote: 4, trade: 1, depth: 0, mark: 0 }, sources: 1, streams: 2, errors: 4, warnings: 0, infos: 0 });
    expect(r.sources).toEqual([{ source: 'f.gz', events: { depth: 0, quote: 4, trade: 1, mark: 0 } }]);
    expect(r.streams.find((s) => s.kind === 'quote')).toMatchObject({ events: 4, firstTs: T0 + 1, lastTs: T0 + 4, sources: ['f.gz'], firstTime: new Date(T0 + 1).toISOString() });
  });

  it('lists every check, with its severity (overridable), and is plain JSON', () => {
    const r = check(spaced([quote({ bidPrice: 101, askPrice: 101 }), quote({ updateId: 1 })]), { severity: { lockedBook: 'error' } });
    expect(Object.keys(r.checks)).toEqual(DQ_CHECKS.map((d) => d.id));
    expect(r.checks.lockedBook.severity).toBe('error');
    expect(r.ok).toBe(false);
    expect(JSON.parse(JSON.stringify(r)), 'nothing is lost in JSON').toEqual(r);
  });

  it('formats a summary a person can read', () => {
    const r = check(spaced([diff(1, 10, 0), diff(12, 20, 11), trade(), trade({ id: 3 })]));
    const text = formatDqReport(r);
    expect(text.split('\n')[0]).toBe('Data quality: FAILED — 2 errors, 0 warnings, 0 notes in 4 events from 1 source');
    expect(text).toContain('failed: depthChain, tradeIdGap');
    expect(text).toMatch(/ERROR\s+depth update-id chain break\s+1\s+depth BTCUSDT 1/);
    expect(text).toContain('hand.jsonl depth BTCUSDT row 1');
    expect(text).toMatch(/ok\s+crossed book\s+0/);
    expect(text).toContain('1 ids missing in all');
  });

  it('reads sliced batches (Arrow views with an offset) the same as whole ones', () => {
    const events = spaced<MarketEvent>([snapshot(5), diff(1, 10, 0), diff(12, 20, 11), diff(21, 30, 20, { bidQtys: [-1] }), snapshot(20, { bidPrices: [200, 99] })]);
    const whole = check(events);
    const batch = eventsToBatch('depth', events as DepthEvent[])!;
    const gate = new DataQualityGate();
    gate.observe({ kind: 'depth', batch: batch.slice(0, 2) }, 'hand.jsonl');
    gate.observe({ kind: 'depth', batch: batch.slice(2, 3) }, 'hand.jsonl');
    gate.observe({ kind: 'depth', batch: batch.slice(3) }, 'hand.jsonl');
    expect(gate.report()).toEqual(whole);
    expect(counts(whole)).toEqual({ depthChain: 1, nonPositive: 1, crossedBook: 1 });
  });
});

describe('DataQualityGate: property — equals a naive reference, never mutates its input', () => {
  const price = fc.constantFrom(99, 100, 100, 101, 102, 0, -1, NaN);
  const qty = fc.constantFrom(1, 1, 2, 0, -1, NaN);
  const level = fc.tuple(fc.constantFrom(99, 100, 100, 101, 101, 102, 0, NaN), fc.constantFrom(1, 1, 2, 2, 0, -1, NaN));
  const step = fc.record({
    kind: fc.constantFrom<EventKind>('quote', 'quote', 'trade', 'trade', 'depth', 'depth', 'depth', 'mark'),
    symbol: fc.constantFrom('AAA', 'BBB'),
    dts: fc.oneof(fc.integer({ min: -300, max: 800 }), fc.constant(0), fc.integer({ min: 4000, max: 9000 })),
    drecv: fc.integer({ min: -100, max: 600 }),
    noTs: fc.integer({ min: 0, max: 25 }).map((x) => x === 0),
    p1: price,
    p2: price,
    q1: qty,
    q2: qty,
    did: fc.constantFrom(1, 1, 1, 1, 0, -1, 2, 3, NaN),
    span: fc.integer({ min: 0, max: 3 }),
    pu: fc.constantFrom('chain', 'chain', 'chain', 'wrong'),
    snapshot: fc.integer({ min: 0, max: 4 }).map((x) => x === 0),
    dL: fc.integer({ min: -4, max: 4 }),
    bids: fc.array(level, { maxLength: 3 }),
    asks: fc.array(level, { maxLength: 3 }),
    dropQty: fc.integer({ min: 0, max: 20 }).map((x) => x === 0),
    repeat: fc.integer({ min: 0, max: 8 }).map((x) => x === 0),
  });
  const chunk = fc.record({ size: fc.integer({ min: 1, max: 9 }), source: fc.constantFrom('s1.gz', 's2.gz'), slice: fc.boolean() });

  type Step = typeof step extends fc.Arbitrary<infer S> ? S : never;

  /** Turn random steps into a plausible-but-flawed event stream. */
  function build(steps: Step[]): MarketEvent[] {
    const out: MarketEvent[] = [];
    const last = new Map<string, { ts: number; recv: number; id: number; u: number; prev?: MarketEvent }>();
    for (const s of steps) {
      const key = `${s.kind} ${s.symbol}`;
      const st = last.get(key) ?? { ts: T0, recv: T0 - 1270, id: 100, u: 1000 };
      last.set(key, st);
      if (s.repeat && st.prev) {
        out.push({ ...st.prev, recvTs: st.prev.recvTs + 1 } as MarketEvent);
        continue;
      }
      st.ts += s.dts;
      st.recv += s.drecv;
      const base = { symbol: s.symbol, ts: s.noTs ? NaN : st.ts, recvTs: st.recv };
      let e: MarketEvent;
      if (s.kind === 'quote') {
        st.id += Number.isNaN(s.did) ? 0 : s.did;
        e = { type: 'quote', ...base, bidPrice: s.p1, bidQty: s.q1, askPrice: s.p2, askQty: s.q2, updateId: Number.isNaN(s.did) ? NaN : st.id };
      } else if (s.kind === 'trade') {
        const first = st.id + (Number.isNaN(s.did) ? 1 : s.did);
        const lastId = first + s.span;
        const agg = s.span > 1;
        e = { type: 'trade', ...base, price: s.p1, qty: s.q1, side: s.q2 === 1 ? 'buy' : 'sell', id: agg ? st.id + 1 : first, firstId: first, lastId, printKind: 'MARKET' };
        st.id = Math.max(st.id, lastId);
      } else if (s.kind === 'mark') {
        e = { type: 'mark', ...base, markPrice: s.p1, indexPrice: s.p2, fundingRate: 0.0001, nextFundingTime: T0 };
      } else {
        const bq = s.bids.map((l) => l[1]);
        if (s.dropQty) bq.pop();
        const levels = { bidPrices: s.bids.map((l) => l[0]), bidQtys: bq, askPrices: s.asks.map((l) => l[0]), askQtys: s.asks.map((l) => l[1]) };
        if (s.snapshot) {
          e = { type: 'depth', ...base, isSnapshot: true, firstUpdateId: NaN, lastUpdateId: st.u + s.dL, prevUpdateId: NaN, ...levels };
        } else {
          const U = st.u + (Number.isNaN(s.did) ? 1 : s.did);
          const u = U + s.span;
          // AAA diffs chain by pu (USD-M), BBB diffs carry no pu (spot: U = previous u + 1)
          const pu = s.symbol === 'BBB' ? NaN : s.pu === 'chain' ? st.u : st.u - 1;
          e = { type: 'depth', ...base, isSnapshot: false, firstUpdateId: U, lastUpdateId: u, prevUpdateId: pu, ...levels };
          st.u = u;
        }
      }
      st.prev = e;
      out.push(e);
    }
    return out;
  }

  /** Cut the stream into batches: runs of one kind, split at random sizes, each from a random source, some of them Arrow slices. */
  function batches(events: MarketEvent[], chunks: { size: number; source: string; slice: boolean }[]): { kb: KindBatch; source: string; events: MarketEvent[] }[] {
    const out: { kb: KindBatch; source: string; events: MarketEvent[] }[] = [];
    let i = 0;
    let c = 0;
    while (i < events.length) {
      const spec = chunks[c++ % chunks.length]!;
      let j = i;
      while (j < events.length && j - i < spec.size && events[j]!.type === events[i]!.type) j++;
      const part = events.slice(i, j);
      const kind = part[0]!.type;
      let batch = eventsToBatch(kind, part as never)!;
      if (spec.slice) {
        // the same rows as a slice of a larger batch (non-zero offset)
        batch = eventsToBatch(kind, [...part, ...part] as never)!.slice(part.length);
      }
      out.push({ kb: { kind, batch }, source: spec.source, events: part });
      i = j;
    }
    return out;
  }

  it('counts, per-stream counts, examples, worst cases and stream summaries match; batches are unchanged', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 150 }), fc.array(chunk, { minLength: 1, maxLength: 5 }), fc.integer({ min: 1, max: 4 }), (steps, chunks, nEx) => {
        const events = build(steps);
        const bs = batches(events, chunks);
        const before = bs.map((b) => [...batchToEvents(b.kb.kind, b.kb.batch)]);
        const gate = new DataQualityGate({ examples: nEx });
        for (const b of bs) gate.observe(b.kb, b.source);
        const r = gate.report();
        expect(bs.map((b) => [...batchToEvents(b.kb.kind, b.kb.batch)]), 'the gate never writes to its input').toEqual(before);

        const ref = referenceDq(bs.flatMap((b) => b.events.map((event): RefEvent => ({ source: b.source, event }))));
        for (const d of DQ_CHECKS) {
          const got = r.checks[d.id as DqCheckId];
          const want = ref.findings[d.id]!;
          expect(got.count, d.id).toBe(want.length);
          const byStream: Record<string, number> = {};
          for (const f of want) byStream[f.stream] = (byStream[f.stream] ?? 0) + 1;
          expect(got.byStream, d.id).toEqual(byStream);
          expect(got.examples.map((e) => [e.source, `${e.kind} ${e.symbol}`, e.row]), d.id).toEqual(want.slice(0, nEx).map((f) => [f.source, f.stream, f.row]));
          if ('unit' in d) {
            const sized = want.filter((f) => f.size !== undefined);
            if (sized.length === 0) expect(got.worst, d.id).toBeNull();
            else {
              const max = Math.max(...sized.map((f) => f.size!));
              const at = sized.find((f) => f.size === max)!;
              expect(got.worst, d.id).toMatchObject({ value: max, at: { source: at.source, row: at.row } });
            }
          }
          if (d.id === 'tradeIdGap') expect(got.missingIds).toBe(want.reduce((a, f) => a + f.size!, 0));
        }
        expect(r.totals.byKind).toEqual(ref.events);
        const streams = Object.fromEntries(r.streams.map((s) => [`${s.kind} ${s.symbol}`, { events: s.events, snapshots: s.snapshots ?? 0, firstTs: s.firstTs, lastTs: s.lastTs }]));
        expect(streams).toEqual(ref.streams);
      }),
      { numRuns: 200 },
    );
  });
});

describe('DataQualityGate on the real Binance captures (golden values counted from the raw text)', () => {
  const WS = (...p: string[]) => dataPath('binance-ws', ...p);
  const FILES = {
    btc0808: WS('usdm', 'btcusdt_20240808.gz'),
    eth0808: WS('usdm', 'ethusdt_20240808.gz'),
    btc0718: WS('usdm', 'btcusdt_20240718.gz'),
    btc0719: WS('usdm', 'btcusdt_20240719.gz'),
    spot: WS('spot', 'btcusdt_20240808.gz'),
    agg: WS('recorded-aggtrade', 'BINANCE_FUTURES.ws.1.0'),
  };
  const read = new Map<string, KindBatch[]>();
  beforeAll(async () => {
    for (const path of Object.values(FILES)) {
      const bs: KindBatch[] = [];
      for await (const b of readCapture(path, { batchRows: 8192 })) bs.push(b);
      read.set(path, bs);
    }
  });
  const gateOver = (paths: string[], options: DqOptions = {}): DqReport => {
    const gate = new DataQualityGate(options);
    for (const p of paths) for (const b of read.get(p)!) gate.observe(b, basename(p));
    return gate.report();
  };
  const streamsOf = (r: DqReport, kind: EventKind) => r.streams.filter((s) => s.kind === kind);
  const gateTimeBack = (r: DqReport) =>
    Object.fromEntries(Object.entries(r.checks.tsBack.byStream).map(([k, v]) => [k.replace(/^quote /, 'bookTicker '), v]));

  /** What every capture must agree on with its raw facts. */
  function expectMatchesRaw(r: DqReport, raw: ReturnType<typeof rawFacts>, what: string): void {
    expect(r.checks.depthChain.count, `${what}: depth chain breaks`).toBe(raw.chainBreaks);
    expect(r.checks.quoteIdRepeat.count, `${what}: bookTicker u repeats`).toBe(raw.bookTickerRepeats);
    expect(r.checks.quoteIdOutOfOrder.count, `${what}: bookTicker u out of order`).toBe(raw.bookTickerBack);
    expect(r.checks.tradeIdGap.count, `${what}: trade id gaps`).toBe(raw.tradeGaps);
    expect(r.checks.tradeIdDuplicate.count, `${what}: trade id repeats`).toBe(raw.tradeRepeats);
    expect(r.checks.tradeIdOutOfOrder.count, `${what}: trade ids back`).toBe(raw.tradeBack);
    expect(r.checks.crossedBook.count, `${what}: crossed`).toBe(raw.crossed);
    expect(r.checks.lockedBook.count, `${what}: locked`).toBe(raw.locked);
    expect(r.checks.depthSync.count, `${what}: sync`).toBe(raw.snapshots.filter((s) => !s.bridged).length);
    expect(r.checks.depthStaleBeforeSync.count, `${what}: stale`).toBe(raw.snapshots.reduce((a, s) => a + s.staleAfter, 0));
    expect(r.checks.nonPositive.count, `${what}: non-positive quote/trade values`).toBe(raw.nonPositive);
    expect(r.checks.nan.count).toBe(0);
    expect(r.checks.quoteIdRepeat.severity, 'bookTicker u may repeat: information, not a fault').toBe('info');
    expect(r.checks.quoteIdOutOfOrder.severity).toBe('info');
  }

  it('usdm/btcusdt_20240808.gz: the stream counts of the data README, an unbroken pu chain, a bridged snapshot', () => {
    const r = gateOver([FILES.btc0808]);
    const raw = rawFacts([FILES.btc0808]);
    // data README: depth@0ms 6,551 · bookTicker 66,089 · trade 21,313, plus the REST snapshot line
    expect(streamsOf(r, 'depth').map((s) => [s.events, s.snapshots])).toEqual([[6551 + 1, 1]]);
    expect(streamsOf(r, 'quote').map((s) => s.events)).toEqual([66_089]);
    expect(streamsOf(r, 'trade').map((s) => s.events)).toEqual([21_313]);
    expect(r.totals.events).toBe(93_954);
    expectMatchesRaw(r, raw, 'btcusdt_20240808');
    expect(r.checks.depthChain.count, 'README: every diff\'s pu equals the previous u').toBe(0);
    expect(raw.snapshots).toEqual([expect.objectContaining({ bridged: true })]);
    expect(gateTimeBack(r)).toEqual(raw.eventTimeBack);
    expect(r.checks.silence.count).toBe(raw.silences);
    expect(r.ok).toBe(true);
  });

  it.each([
    ['usdm/ethusdt_20240808.gz', 'eth0808'],
    ['spot/btcusdt_20240808.gz', 'spot'],
    ['recorded-aggtrade/BINANCE_FUTURES.ws.1.0', 'agg'],
  ] as const)('%s: every check agrees with the raw count', (_name, key) => {
    const r = gateOver([FILES[key]]);
    const raw = rawFacts([FILES[key]]);
    expectMatchesRaw(r, raw, key);
    if (key === 'spot') {
      // spot bookTickers carry no E: their ts is the reader's estimate, so only depth and trade times are comparable
      const { 'bookTicker BTCUSDT': _q, ...rest } = gateTimeBack(r);
      expect(rest).toEqual(Object.fromEntries(Object.entries(raw.eventTimeBack).filter(([k]) => !k.startsWith('bookTicker'))));
    } else {
      expect(gateTimeBack(r)).toEqual(raw.eventTimeBack);
      expect(r.checks.silence.count).toBe(raw.silences);
    }
    if (key === 'agg') {
      expect(raw.messages.aggTrade, 'the aggTrade ids (f…l) are what the trade checks read').toBe(91);
      expect(r.streams.filter((s) => s.kind === 'trade').reduce((a, s) => a + s.events, 0)).toBe(91);
    }
  });

  it('the cross-midnight pair btcusdt_20240718 + _20240719 is one recording: no pu break and no trade id gap across the files', () => {
    const raw = rawFacts([FILES.btc0718, FILES.btc0719]);
    // README: trade ids and the depth pu chain continue from one file into the next
    expect(raw.fileEdges[1]!.firstPu).toBe(raw.fileEdges[0]!.lastU);
    expect(raw.fileEdges[1]!.firstTradeId).toBe(raw.fileEdges[0]!.lastTradeId + 1);
    const r = gateOver([FILES.btc0718, FILES.btc0719]);
    expectMatchesRaw(r, raw, 'pair');
    expect(r.checks.depthChain.count).toBe(0);
    expect(r.checks.tradeIdGap.count).toBe(0);
    expect(streamsOf(r, 'depth')[0]!.sources).toEqual(['btcusdt_20240718.gz', 'btcusdt_20240719.gz']);
    expect(r.ok).toBe(true);
  });

  it('read in the wrong order, the pair breaks exactly at the start of the earlier file', () => {
    const r = gateOver([FILES.btc0719, FILES.btc0718]);
    const first = rawFacts([FILES.btc0718]);
    expect(r.checks.depthChain.count).toBe(1);
    expect(r.checks.depthChain.examples[0]).toMatchObject({ source: 'btcusdt_20240718.gz', row: 0 });
    expect(r.checks.tradeIdOutOfOrder.count, 'every trade of the earlier file is behind the later file').toBe(first.messages.trade);
    // as separate recordings, neither file is judged against the other
    const apart = gateOver([FILES.btc0719, FILES.btc0718], { recordingOf: (s) => s });
    expect(apart.checks.depthChain.count).toBe(0);
    expect(apart.checks.tradeIdOutOfOrder.count).toBe(0);
  });

  it('reads as text', () => {
    const text = formatDqReport(gateOver([FILES.btc0808]));
    expect(text.split('\n')[0]).toMatch(/^Data quality: OK — 0 errors, \d+ warnings?, 0 notes in 93,954 events from 1 source$/);
    expect(text).toMatch(/depth\s+BTCUSDT\s+6,552/);
  });
});

describe('DataQualityGate on LOBSTER AMZN level 1 (golden values counted from the CSV pair)', () => {
  const dir = dataPath('lobster', 'LOBSTER_SampleFile_AMZN_2012-06-21_1');
  const csv = (part: string) =>
    readFileSync(`${dir}/AMZN_2012-06-21_34200000_57600000_${part}_1.csv`, 'utf8')
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => l.split(',').map(Number));

  it('checks a non-Binance source by the same rules', async () => {
    const messages = csv('message');
    const book = csv('orderbook');
    // independent counts: executions are types 4 and 5; halts (7) yield no event; book rows are ask, ask size, bid, bid size
    const live = messages.map((m, i) => ({ m, b: book[i]! })).filter(({ m }) => m[1] !== 7);
    const execs = live.filter(({ m }) => m[1] === 4 || m[1] === 5).map(({ m }) => m);
    const gaps = (ts: number[]) => ts.filter((t, i) => i > 0 && (t - ts[i - 1]!) * 1000 > 5000).length;
    const sameExec = execs.filter((m, i) => i > 0 && m.every((v, k) => v === execs[i - 1]![k])).length;
    const gate = new DataQualityGate({ sequentialTradeIds: false });
    for await (const b of readLobster(dir)) gate.observe(b, 'AMZN_2012-06-21');
    const r = gate.report();
    expect(r.totals.byKind).toEqual({ depth: 0, quote: live.length, trade: execs.length, mark: 0 });
    expect(r.checks.crossedBook.count).toBe(live.filter(({ b }) => b[2]! > b[0]! && b[2] !== -9999999999 && b[0] !== 9999999999).length);
    expect(r.checks.lockedBook.count).toBe(live.filter(({ b }) => b[2] === b[0]).length);
    expect(r.checks.tsBack.count).toBe(live.filter(({ m }, i) => i > 0 && m[0]! < live[i - 1]!.m[0]!).length);
    expect(r.checks.silence.byStream).toEqual({ 'quote AMZN': gaps(live.map(({ m }) => m[0]!)), 'trade AMZN': gaps(execs.map((m) => m[0]!)) });
    expect(r.checks.duplicate.byStream).toEqual(sameExec > 0 ? { 'trade AMZN': sameExec } : {});
    for (const id of ['tradeIdGap', 'tradeIdDuplicate', 'tradeIdOutOfOrder'] as const) expect(r.checks[id].count, `${id}: order ids are no trade sequence`).toBe(0);
    expect(r.checks.quoteIdOutOfOrder.count + r.checks.quoteIdRepeat.count, 'update ids are row numbers').toBe(0);
    expect(r.ok).toBe(true);
  });
});
