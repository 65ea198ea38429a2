// Scale a real capture up for benchmarks: the file repeated back to back, each copy shifted
// in time (receive times, E, T) by the span of the capture and in ids (u, U, pu, t,
// lastUpdateId) by their span, so the result reads as one long, gap-free recording.
// Nothing is invented: every message is a real one, moved.
import { createReadStream, createWriteStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { createGunzip, createGzip, constants as zc } from 'node:zlib';
import { createInterface } from 'node:readline';
import { dirname } from 'node:path';

async function readAll(path, keep) {
  const lines = [];
  const rl = createInterface({ input: createReadStream(path).pipe(createGunzip()), crlfDelay: Infinity });
  for await (const l of rl) if (l && (!keep || keep.test(l))) lines.push(l);
  return lines;
}

function span(lines, re) {
  let min = Infinity;
  let max = -Infinity;
  for (const l of lines) {
    for (const m of l.matchAll(re)) {
      const v = Number(m[1]);
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  return max - min;
}

/**
 * Write `copies` shifted copies of a gzip capture to `out` (gzip, fast level) unless a file
 * made from the same input and copy count is there already. Returns the number of lines.
 * `options.keep` (a RegExp without the g flag) keeps only the lines it matches, e.g.
 * `/"stream":"[^"]*@(bookTicker|trade)"/` for a benchmark that reads quotes and trades only;
 * give such a subset its own `out` name.
 */
export async function scaleCapture(input, out, copies, options = {}) {
  const marker = `${out}.${copies}.done`;
  const lines = await readAll(input, options.keep);
  if (existsSync(out) && existsSync(marker) && statSync(marker).mtimeMs >= statSync(input).mtimeMs) return lines.length * copies;
  mkdirSync(dirname(out), { recursive: true });
  const msSpan = span(lines, /"E":(\d+)/g) + 1000;
  const nsSpan = BigInt(msSpan) * 1_000_000n;
  const idSpan = Math.max(span(lines, /"(?:u|U|pu|lastUpdateId)":(\d+)/g), 0) + 1_000_000;
  const tradeSpan = span(lines, /"t":(\d+)/g) + 1;
  const gz = createGzip({ level: 1, strategy: zc.Z_DEFAULT_STRATEGY });
  const done = new Promise((r) => gz.pipe(createWriteStream(out)).on('finish', r));
  for (let c = 0; c < copies; c++) {
    const dt = c * msSpan;
    const dns = BigInt(c) * nsSpan;
    const did = c * idSpan;
    const dtr = c * tradeSpan;
    let chunk = '';
    for (const l of lines) {
      const sp = l.indexOf(' ');
      const recv = (BigInt(l.slice(0, sp)) + dns).toString();
      const body =
        c === 0
          ? l.slice(sp + 1)
          : l
              .slice(sp + 1)
              .replace(/"(E|T)":(\d+)/g, (_, k, v) => `"${k}":${Number(v) + dt}`)
              .replace(/"(u|U|pu|lastUpdateId)":(\d+)/g, (_, k, v) => `"${k}":${Number(v) + did}`)
              .replace(/"t":(\d+)/g, (_, v) => `"t":${Number(v) + dtr}`);
      chunk += `${recv} ${body}\n`;
      if (chunk.length > 1 << 20) {
        if (!gz.write(chunk)) await new Promise((r) => gz.once('drain', r));
        chunk = '';
      }
    }
    if (chunk) gz.write(chunk);
  }
  gz.end();
  await done;
  createWriteStream(marker).end();
  return lines.length * copies;
}
