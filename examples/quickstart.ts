/**
 * Read a real capture, compute OFI per quote update and its rolling z-score, store the capture
 * as a Parquet dataset, and read a slice of it back.
 *
 *   npx tsx examples/quickstart.ts            (or build it with esbuild, as the tests do)
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ofiFromBatch, rollingZScore } from 'ofi-backtest';
import { convertSources, openDataset, readCapture, samplePaths } from 'ofi-backtest/io';

const capture = samplePaths()[0]!; // the bundled BTCUSDT capture

// 1. stream the capture as Arrow record batches, one event kind per batch
let quotes = 0;
let strongest = 0;
for await (const { kind, batch } of readCapture(capture)) {
  if (kind !== 'quote') continue;
  const e = ofiFromBatch(batch); // e_n of Cont, Kukanov & Stoikov, per quote update
  const z = rollingZScore(e, { window: { events: 1000 } });
  for (const v of z) if (Math.abs(v) > Math.abs(strongest)) strongest = v;
  quotes += batch.numRows;
}
console.log(`quotes: ${quotes}, strongest OFI z-score within a batch: ${strongest.toFixed(2)}`);

// 2. the capture as a Hive-partitioned Parquet dataset, with its data-quality report
const out = mkdtempSync(join(tmpdir(), 'ofi-quickstart-'));
const summary = await convertSources([capture], { out });
console.log(`wrote ${summary.written.totalRows} rows in ${summary.written.files.length} files; data quality ${summary.dq.ok ? 'OK' : 'FAILED'}`);

// 3. a slice of it: one minute of BTCUSDT quotes and trades as Arrow tables
const start = Date.parse('2024-08-08T23:55:00Z');
const { quote, trade } = await (await openDataset(out)).slice({ kinds: ['quote', 'trade'], symbols: ['BTCUSDT'], start, end: start + 60_000 }).toTables();
console.log(`23:55–23:56: ${quote.numRows} quotes, ${trade.numRows} trades`);
