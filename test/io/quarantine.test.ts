import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { rejectRecord, type RejectRecord } from '../../src/core/errors.js';
import { readCapture } from '../../src/io/capture.js';
import { newReadStats } from '../../src/io/source.js';
import { QUARANTINE_FILE, QuarantineWriter, readQuarantine } from '../../src/io/quarantine.js';
import { dataPath } from '../helpers/data.js';

const tmp = mkdtempSync(join(tmpdir(), 'quarantine-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(tmp, `run-${++n}`, 'nested');

let capture: string[] | undefined;
/** The first lines of a real capture. */
function realLines(count: number): string[] {
  capture ??= gunzipSync(readFileSync(dataPath('binance-ws', 'usdm', 'btcusdt_20240718.gz'))).toString('utf8').split('\n');
  return capture.slice(0, count);
}

describe('QuarantineWriter', () => {
  it('creates nothing when nothing is refused', () => {
    const dir = freshDir();
    const q = new QuarantineWriter(dir);
    const s = q.close();
    expect(existsSync(dir), 'a clean run leaves no directory behind').toBe(false);
    expect(s).toEqual({ path: null, count: 0, byReason: {}, byFile: {}, first: [] });
  });

  it('quarantines the lines a reader refuses in a real capture, with file, line, field and the source text', async () => {
    const lines = realLines(300);
    // Damage three real lines (1-based numbers 5, 17 and 42) in ways a recorder or a disk can.
    const damaged = new Map<number, string>();
    damaged.set(5, lines[4]!.slice(0, 90));
    const tradeAt = lines.findIndex((l, i) => i > 10 && l.includes('@trade'));
    damaged.set(tradeAt + 1, lines[tradeAt]!.replace(/"p":"[^"]*"/, '"p":"12,5"'));
    damaged.set(42, `${lines[41]!.split(' ')[0]} {"stream":"btcusdt@weird","data":{"e":"weird","E":1}}`);
    for (const [no, text] of damaged) lines[no - 1] = text;
    const file = join(tmp, 'damaged.txt');
    writeFileSync(file, `${lines.join('\n')}\n`);

    const dir = freshDir();
    const q = new QuarantineWriter(dir);
    const stats = newReadStats();
    for await (const _ of readCapture(file, { onReject: q.sink, stats, name: 'damaged.txt' }));
    const summary = q.close();

    expect(stats.rejected, 'the reader refused exactly the damaged lines').toBe(3);
    expect(summary.count).toBe(3);
    expect(summary.path).toBe(join(dir, QUARANTINE_FILE));
    expect(summary.byFile).toEqual({ 'damaged.txt': 3 });
    expect(Object.values(summary.byReason).reduce((a, b) => a + b!, 0)).toBe(3);
    expect(summary.byReason['bad-json'], 'a truncated line is not JSON').toBe(1);

    const back = await readQuarantine(dir);
    expect(back.map((r) => r.line)).toEqual([...damaged.keys()].sort((a, b) => a - b));
    for (const r of back) expect(r.text, `line ${r.line} keeps its source text`).toBe(damaged.get(r.line));
    expect(back.find((r) => r.line === tradeAt + 1)!.field, 'the bad price names its field').toMatch(/\bp$/);
    expect(back).toEqual(summary.first);

    // one JSON object per line, always the same six keys (field null when none is to blame)
    const raw = readFileSync(summary.path!, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const o of raw) expect(Object.keys(o)).toEqual(['file', 'line', 'reason', 'field', 'message', 'text']);
  });

  it('writes out as it goes, so memory stays bounded, and keeps order', () => {
    const dir = freshDir();
    const q = new QuarantineWriter(dir, { bufferBytes: 1024, keep: 2 });
    const recs: RejectRecord[] = realLines(200).map((text, i) => rejectRecord('big.gz', i + 1, 'bad-row', 'test record', text));
    for (const r of recs.slice(0, 150)) q.write(r);
    const path = join(dir, QUARANTINE_FILE);
    const mid = statSync(path).size;
    expect(mid, 'buffered bytes were written before close').toBeGreaterThan(0);
    for (const r of recs.slice(150)) q.sink(r);
    const s = q.close();
    expect(statSync(path).size).toBeGreaterThan(mid);
    expect(s.count).toBe(200);
    expect(s.byReason).toEqual({ 'bad-row': 200 });
    expect(s.first).toEqual(recs.slice(0, 2));
    expect(q.close(), 'closing twice is harmless').toEqual(s);
    expect(() => q.write(recs[0]!)).toThrow(/closed/);
    return readQuarantine(path).then((back) => expect(back).toEqual(recs));
  });

  it('appends to an existing quarantine, so readers of one run can share a directory', async () => {
    const dir = freshDir();
    const a = new QuarantineWriter(dir);
    a.write(rejectRecord('a.csv', 3, 'bad-number', 'price: expected a decimal string', 'x,1', 'price'));
    a.close();
    const b = new QuarantineWriter(dir);
    b.write(rejectRecord('b.csv', 9, 'missing-field', 'no qty', 'y'));
    b.close();
    expect(await readQuarantine(join(dir, QUARANTINE_FILE))).toEqual([
      { file: 'a.csv', line: 3, reason: 'bad-number', field: 'price', message: 'price: expected a decimal string', text: 'x,1' },
      { file: 'b.csv', line: 9, reason: 'missing-field', message: 'no qty', text: 'y' },
    ]);
  });
});

describe('readQuarantine', () => {
  it('reads nothing where a clean run wrote nothing', async () => {
    expect(await readQuarantine(join(tmp, 'never-written'))).toEqual([]);
  });

  it('names the line that is not a quarantine record', async () => {
    const file = join(tmp, 'bad.jsonl');
    writeFileSync(file, `${JSON.stringify({ file: 'f', line: 1, reason: 'bad-row', field: null, message: 'm', text: 't' })}\n{"file":"f"}\nnot json\n`);
    await expect(readQuarantine(file)).rejects.toThrow(/bad\.jsonl:2: not a quarantine record/);
    writeFileSync(file, 'not json\n');
    await expect(readQuarantine(file)).rejects.toThrow(/bad\.jsonl:1: not JSON/);
  });
});
