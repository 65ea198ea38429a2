#!/usr/bin/env node
// Cuts the bundled sample from the real captures in ../shared/data: the first
// SAMPLE_SECONDS of exchange time of each USD-M capture of 2024-08-08, lines untouched.
// Usage: node scripts/make-sample.mjs [dataDir] [outDir]
import { createReadStream, createWriteStream, mkdirSync } from 'node:fs';
import { createGunzip, createGzip } from 'node:zlib';
import { createInterface } from 'node:readline';
import { join } from 'node:path';

const SAMPLE_SECONDS = 180;
const dataDir = process.argv[2] ?? '../shared/data/binance-ws/usdm';
const outDir = process.argv[3] ?? 'data/sample';
mkdirSync(outDir, { recursive: true });

for (const name of ['btcusdt_20240808.gz', 'ethusdt_20240808.gz']) {
  const rl = createInterface({ input: createReadStream(join(dataDir, name)).pipe(createGunzip()), crlfDelay: Infinity });
  const gz = createGzip({ level: 9 });
  const done = new Promise((r) => gz.pipe(createWriteStream(join(outDir, name))).on('finish', r));
  let first = null;
  let kept = 0;
  for await (const line of rl) {
    const m = /"E":(\d+)/.exec(line);
    if (m) {
      const e = Number(m[1]);
      first ??= e;
      if (e - first >= SAMPLE_SECONDS * 1000) break;
    }
    gz.write(line + '\n');
    kept++;
  }
  gz.end();
  await done;
  console.log(`${name}: ${kept} lines`);
}
