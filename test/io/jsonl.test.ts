import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { batchToEvents, eventsToBatch, type KindBatch } from '../../src/core/batch.js';
import type { RejectRecord } from '../../src/core/errors.js';
import { EVENT_KINDS, type EventKind, type MarketEvent } from '../../src/core/events.js';
import { EVENT_SCHEMAS, MarketEventSchema } from '../../src/core/event-schemas.js';
import { readCapture } from '../../src/io/capture.js';
import { JsonlWriter, readJsonl, writeJsonl } from '../../src/io/jsonl.js';
import { newReadStats } from '../../src/io/source.js';
import { dataPath } from '../helpers/data.js';
import { anyEvent, byKind } from '../helpers/event-arbs.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ofi-jsonl-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let fileNo = 0;
const nextPath = (ext = 'jsonl') => join(dir, `f${++fileNo}.${ext}`);

async function readAll(path: string, options = {}): Promise<KindBatch[]> {
  const out: KindBatch[] = [];
  for await (const kb of readJsonl(path, options)) out.push(kb);
  return out;
}

function eventsOf(batches: readonly KindBatch[]): Record<EventKind, MarketEvent[]> {
  const out = byKind([]);
  for (const { kind, batch } of batches) for (const e of batchToEvents(kind, batch)) out[kind].push(e);
  return out;
}

/** Batches of each kind's events, cut at random points (so sliced batches are written too). */
function batchesOf(events: readonly MarketEvent[], cut: number): KindBatch[] {
  const out: KindBatch[] = [];
  const groups = byKind(events);
  for (const kind of EVENT_KINDS) {
    const b = eventsToBatch(kind, groups[kind] as never);
    if (!b) continue;
    const at = Math.min(cut, b.numRows);
    if (at > 0) out.push({ kind, batch: b.slice(0, at) });
    if (at < b.numRows) out.push({ kind, batch: b.slice(at) });
  }
  return out;
}

describe('JSONL', () => {
  it('events → JSONL → events is the identity (every kind, NaN, -0, empty lists, odd strings, sliced batches)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(anyEvent(), { maxLength: 40 }), fc.nat(40), fc.boolean(), async (events, cut, gzip) => {
        const path = nextPath(gzip ? 'jsonl.gz' : 'jsonl');
        await writeJsonl(path, batchesOf(events, cut));
        const back = eventsOf(await readAll(path, { batchRows: 7 }));
        expect(back, 'every kind comes back in order').toEqual(byKind(events));
      }),
      { numRuns: 60 },
    );
  });

  it('writes exactly what batchToEvents gives, one object a line, NaN as null', async () => {
    const path = nextPath();
    const batch = eventsToBatch('quote', [
      { type: 'quote', symbol: 'BTCUSDT', ts: 1723161256313, recvTs: Number.NaN, bidPrice: 61800.2, bidQty: 2.507, askPrice: 61800.3, askQty: 2.51, updateId: 5123107839020 },
    ])!;
    await writeJsonl(path, [{ kind: 'quote', batch }]);
    const text = await readFile(path, 'utf8');
    expect(text).toBe(
      '{"type":"quote","ts":1723161256313,"recvTs":null,"symbol":"BTCUSDT","bidPrice":61800.2,"bidQty":2.507,"askPrice":61800.3,"askQty":2.51,"updateId":5123107839020}\n',
    );
    const [e] = batchToEvents('quote', batch);
    expect(JSON.parse(text)).toEqual({ ...e, recvTs: null });
  });

  it('appends and gzips', async () => {
    const path = nextPath('jsonl.gz');
    const b = eventsToBatch('mark', [{ type: 'mark', symbol: 'BTCUSDT', ts: 1, recvTs: 2, markPrice: 3, indexPrice: 4, fundingRate: 0.0001, nextFundingTime: 5 }])!;
    const w = new JsonlWriter(path);
    await w.write({ kind: 'mark', batch: b });
    await w.write({ kind: 'mark', batch: b });
    await w.close();
    expect(gunzipSync(await readFile(path)).toString('utf8').split('\n').filter(Boolean)).toHaveLength(2);
    const plain = nextPath();
    await writeJsonl(plain, [{ kind: 'mark', batch: b }]);
    await writeJsonl(plain, [{ kind: 'mark', batch: b }], { append: true });
    expect((await readAll(plain)).reduce((n, kb) => n + kb.batch.numRows, 0)).toBe(2);
  });

  it('refuses bad lines with file, line and field, and counts blank lines as skipped', async () => {
    const good = '{"type":"trade","ts":1,"recvTs":null,"symbol":"X","price":1,"qty":2,"side":"buy","id":3,"firstId":3,"lastId":3,"printKind":"MARKET"}';
    const lines = [
      good, // 1
      '', // 2 blank
      '{"type":"trade",', // 3 bad json
      '{"type":"kline","ts":1}', // 4 unknown type
      '{"ts":1}', // 5 no type
      good.replace('"qty":2,', ''), // 6 missing qty
      good.replace('"price":1', '"price":"1"'), // 7 price as a string
      good.replace('"ts":1', '"ts":null'), // 8 ts must be present
      good.replace('"side":"buy"', '"side":"up"'), // 9 bad side
      '{"type":"depth","ts":1,"recvTs":1,"symbol":"X","isSnapshot":false,"firstUpdateId":1,"lastUpdateId":2,"prevUpdateId":null,"bidPrices":[1,"x"],"bidQtys":[],"askPrices":[],"askQtys":[]}', // 10 bad level
      '[1,2]', // 11 not an object
      good, // 12
    ];
    const path = nextPath();
    await writeFile(path, lines.join('\n') + '\n');
    const rejects: RejectRecord[] = [];
    const stats = newReadStats();
    const batches = await readAll(path, { onReject: (r: RejectRecord) => rejects.push(r), stats, name: 'events.jsonl' });
    expect(batches.reduce((n, kb) => n + kb.batch.numRows, 0)).toBe(2);
    expect(stats).toMatchObject({ lines: 12, rejected: 9, skipped: { blank: 1 }, events: { trade: 2 } });
    const byLine = Object.fromEntries(rejects.map((r) => [r.line, r]));
    expect(rejects.every((r) => r.file === 'events.jsonl')).toBe(true);
    expect(byLine[3]).toMatchObject({ reason: 'bad-json' });
    expect(byLine[4]).toMatchObject({ reason: 'unknown-message', field: 'type' });
    expect(byLine[5]).toMatchObject({ reason: 'missing-field', field: 'type' });
    expect(byLine[6]).toMatchObject({ reason: 'missing-field', field: 'qty' });
    expect(byLine[7]).toMatchObject({ reason: 'bad-number', field: 'price' });
    expect(byLine[7]!.message).toContain('"1"');
    expect(byLine[8]).toMatchObject({ reason: 'bad-number', field: 'ts' });
    expect(byLine[9]).toMatchObject({ reason: 'bad-value', field: 'side' });
    expect(byLine[10]).toMatchObject({ reason: 'bad-number', field: 'bidPrices.1' });
    expect(byLine[11]).toMatchObject({ line: 11, field: 'type' });
  });

  it('the fast path accepts exactly the lines the zod schema accepts', async () => {
    // mutate valid events: drop a field, or set it to some other JSON value
    const jsonValue = fc.oneof(fc.constant(null), fc.double({ noDefaultInfinity: true, noNaN: true }), fc.string({ maxLength: 3 }), fc.boolean(), fc.array(fc.oneof(fc.integer(), fc.constant(null), fc.string({ maxLength: 1 })), { maxLength: 3 }), fc.constant({}));
    const mutated = fc.tuple(anyEvent(), fc.nat(), fc.option(jsonValue, { nil: undefined }), fc.boolean()).map(([e, k, v, drop]) => {
      const obj: Record<string, unknown> = JSON.parse(JSON.stringify(e));
      const keys = Object.keys(obj).filter((key) => key !== 'type');
      const key = keys[k % keys.length]!;
      if (drop) delete obj[key];
      else obj[key] = v;
      return obj;
    });
    await fc.assert(
      fc.asyncProperty(fc.array(mutated, { minLength: 1, maxLength: 30 }), async (objs) => {
        const path = nextPath();
        await writeFile(path, objs.map((o) => JSON.stringify(o)).join('\n'));
        const rejected = new Set<number>();
        await readAll(path, { onReject: (r: RejectRecord) => rejected.add(r.line) });
        objs.forEach((o, i) => {
          const ok = MarketEventSchema.safeParse(o).success;
          expect(rejected.has(i + 1), `line ${i + 1}: ${JSON.stringify(o)}`).toBe(!ok);
        });
      }),
      { numRuns: 60 },
    );
  });

  it('round-trips a real capture (depth, quotes and trades of BTCUSDT across midnight)', async () => {
    const input: KindBatch[] = [];
    for await (const kb of readCapture(dataPath('binance-ws/usdm/btcusdt_20240718.gz'))) input.push(kb);
    const path = nextPath('jsonl.gz');
    await writeJsonl(path, input);
    const back = await readAll(path);
    const want = eventsOf(input);
    const got = eventsOf(back);
    for (const kind of EVENT_KINDS) {
      expect(got[kind].length, kind).toBe(want[kind].length);
      expect(got[kind], kind).toEqual(want[kind]);
    }
    // each written line is what the schema of its kind accepts
    const first = gunzipSync(await readFile(path)).toString('utf8').split('\n', 3);
    for (const line of first) {
      const o = JSON.parse(line) as { type: EventKind };
      expect(EVENT_SCHEMAS[o.type].safeParse(o).success).toBe(true);
    }
  });
});
