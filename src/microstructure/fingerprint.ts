/**
 * Feature fingerprints: a short, stable hash of a fully resolved feature configuration, carried
 * on every output so that downstream (signals, stored features, a sweep's scoreboard) can tell
 * which configuration produced a number, and refuse to mix two. Equal configurations give equal
 * fingerprints in any process, on any platform, in Node, Deno or a browser: the hash is computed
 * in plain JavaScript over a canonical JSON text (keys sorted at every depth, `undefined` fields
 * dropped, non-finite numbers written as strings), so key order and defaults spelled out or left
 * implicit do not matter once the options are resolved.
 *
 * The hash is 64-bit FNV-1a over the text's UTF-8 bytes, written as 16 hex digits: not a
 * cryptographic hash (nothing here is adversarial), but one that is short, fast and specified.
 *
 * @see http://www.isthe.com/chongo/tech/comp/fnv/ (FNV-1a, 64-bit: offset basis 0xcbf29ce484222325, prime 0x100000001b3)
 * @see https://www.rfc-editor.org/rfc/rfc8785 (JSON canonicalisation; the key sorting here follows its idea)
 */

/** JSON text of a value with object keys sorted at every depth, `undefined` dropped, and NaN/±Infinity as strings. */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : JSON.stringify(String(value));
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
      if (ArrayBuffer.isView(value)) return canonicalJson(Array.from(value as unknown as ArrayLike<number>));
      const keys = Object.keys(value as object)
        .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
        .sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
    }
    default:
      return 'null';
  }
}

const encoder = new TextEncoder();

/**
 * 64-bit FNV-1a of a string's UTF-8 bytes, as 16 lower-case hex digits.
 * @example fnv1a64('') // 'cbf29ce484222325'
 * @example fnv1a64('a') // 'af63dc4c8601ec8c'
 */
export function fnv1a64(text: string): string {
  const bytes = encoder.encode(text);
  // 64-bit arithmetic in four 16-bit limbs (h3 most significant), exact in doubles
  let h0 = 0x2325;
  let h1 = 0x8422;
  let h2 = 0x9ce4;
  let h3 = 0xcbf2;
  for (let i = 0; i < bytes.length; i++) {
    h0 ^= bytes[i]!;
    // multiply by the prime 0x0000_0100_0000_01b3: limbs p0 = 0x01b3, p2 = 0x0100
    const t0 = h0 * 0x1b3;
    const t1 = h1 * 0x1b3;
    const t2 = h2 * 0x1b3 + h0 * 0x100;
    const t3 = h3 * 0x1b3 + h1 * 0x100;
    h0 = t0 & 0xffff;
    const c1 = t1 + (t0 >>> 16);
    h1 = c1 & 0xffff;
    const c2 = t2 + Math.floor(c1 / 0x10000);
    h2 = c2 & 0xffff;
    h3 = (t3 + Math.floor(c2 / 0x10000)) & 0xffff;
  }
  const hex = (x: number) => x.toString(16).padStart(4, '0');
  return hex(h3) + hex(h2) + hex(h1) + hex(h0);
}

/**
 * The fingerprint of a resolved configuration: `fnv1a64(canonicalJson(config))`.
 * @example fingerprint({ b: 1, a: [1, 2] }) === fingerprint({ a: [1, 2], b: 1 }) // true
 */
export function fingerprint(config: unknown): string {
  return fnv1a64(canonicalJson(config));
}
