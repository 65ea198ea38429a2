/**
 * Line splitting of byte streams: any text, cut into blocks anywhere (inside a line, between the
 * `\r` and `\n` of a line end, inside a character of several UTF-8 bytes), gives the lines of
 * the whole text decoded at once. ASCII blocks are read as Latin-1 until the first block that is
 * not ASCII; the cases below mix the two in every order.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { streamLineChunks } from '../../src/io/lines.js';

/** The lines of a whole text: split at `\n`, a `\r` before it dropped; the text after the last `\n` is a line when it is not empty. */
function wholeLines(text: string): string[] {
  const parts = text.split('\n');
  const last = parts.pop()!;
  if (last.length > 0) parts.push(last);
  return parts.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

async function streamed(blocks: Uint8Array[]): Promise<{ lines: string[]; firsts: number[] }> {
  async function* source() {
    for (const b of blocks) yield b;
  }
  const lines: string[] = [];
  const firsts: number[] = [];
  for await (const c of streamLineChunks(source())) {
    expect(c.firstLine, 'line numbers run on').toBe(lines.length + 1);
    firsts.push(c.firstLine);
    lines.push(...c.lines);
  }
  return { lines, firsts };
}

/** `bytes` cut at the given points (taken modulo its length). */
function cut(bytes: Uint8Array, points: number[]): Uint8Array[] {
  const at = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const p of at) {
    out.push(bytes.subarray(from, p));
    from = p;
  }
  out.push(bytes.subarray(from));
  return out;
}

describe('streamLineChunks', () => {
  it('any text cut into blocks anywhere gives the lines of the whole text', async () => {
    const unit = fc.constantFrom('a', '1', '{', '"', ' ', '\n', '\r', '\r\n', 'é', '€', '😀', '\u0000', '\u007f', '\u0080');
    await fc.assert(
      fc.asyncProperty(fc.string({ unit, maxLength: 60 }), fc.array(fc.nat(), { maxLength: 8 }), async (text, points) => {
        const { lines } = await streamed(cut(new TextEncoder().encode(text), points));
        expect(lines).toEqual(wholeLines(text));
      }),
      { numRuns: 3000 },
    );
  });

  it('a character split across two blocks after ASCII blocks, and ASCII blocks after it', async () => {
    const text = 'ascii line\nprice 61800.3 €\nafter\n';
    const bytes = new TextEncoder().encode(text);
    const euro = text.indexOf('€');
    const at = new TextEncoder().encode(text.slice(0, euro)).length;
    // the euro's three bytes cut after the first, then ASCII blocks again
    const { lines } = await streamed(cut(bytes, [4, at + 1, at + 3, at + 5]));
    expect(lines).toEqual(['ascii line', 'price 61800.3 €', 'after']);
    // a character cut short (the lead byte of three, then ASCII) becomes U+FFFD, as a whole
    // decode makes it, though the block after it is ASCII; so does a byte that is no UTF-8
    const bad = Uint8Array.from([...new TextEncoder().encode('ok\n'), 0xe2, 0x41, 0x0a, 0xff, 0x0a]);
    expect(new TextDecoder().decode(bad)).toBe('ok\n\uFFFDA\n\uFFFD\n');
    expect((await streamed(cut(bad, [3, 4, 6]))).lines).toEqual(['ok', '\uFFFDA', '\uFFFD']);
  });
});
