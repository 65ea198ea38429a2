/**
 * YAML texts that remember where each value was written: a configuration file or a sweep file
 * is parsed once, and every dotted path keeps the line it came from, so a refused value is
 * reported as `file:line: path: …` (the `yaml` package's node ranges, turned into lines by its
 * `LineCounter`). Pure: the text is read by the caller.
 *
 * @see https://eemeli.org/yaml/#parsing-documents (parseDocument, LineCounter, node ranges)
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { UserInputError } from '../errors.js';
import type { ConfigLayer } from './resolve.js';

/** A parsed YAML text and the 1-based line of every dotted path in it. */
export interface YamlLines {
  /** The document as plain data (`null` for an empty text). */
  data: unknown;
  /**
   * Line of each path: a mapping entry's line is its key's, a sequence item's its own
   * (`parameters.signal.buy_threshold.values.1`). Keys with dots are joined as they are, the
   * way zod joins an issue's path.
   */
  lines: Record<string, number>;
  /** Lines of the scalar and sequence values outside sequences (what a configuration layer's `at` records). */
  valueLines: Record<string, number>;
}

/**
 * Parse a YAML text and record where each value is. Throws a {@link UserInputError} naming
 * `origin` and the line when the text is not valid YAML.
 *
 * @example
 * parseYamlLines('a:\n  b: 1\n', 'f.yaml').lines['a.b'] // 2
 */
export function parseYamlLines(text: string, origin: string, code = 'E_CONFIG'): YamlLines {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = lineCounter.linePos(e.pos[0]).line;
    throw new UserInputError(`${origin}:${line}: not valid YAML (${e.message.split('\n')[0]})`, code);
  }
  const lines: Record<string, number> = {};
  const valueLines: Record<string, number> = {};
  const lineOf = (pos: number) => lineCounter.linePos(pos).line;
  const walk = (node: YamlNode | null | undefined, path: string, inSeq = false): void => {
    if (isMap(node)) {
      for (const item of node.items) {
        const key = isScalar(item.key) ? String(item.key.value) : String(item.key);
        const p = path ? `${path}.${key}` : key;
        const k = item.key as YamlNode | null;
        if (k && k.range) lines[p] = lineOf(k.range[0]);
        walk(item.value as YamlNode, p, inSeq);
      }
    } else if (isSeq(node)) {
      if (node.range && !inSeq) valueLines[path] = lineOf(node.range[0]);
      node.items.forEach((item, i) => {
        const p = `${path}.${i}`;
        const n = item as YamlNode;
        if (n && n.range) lines[p] = lineOf(n.range[0]);
        walk(n, p, true);
      });
    } else if (node && isScalar(node) && node.range) {
      const l = lineOf(node.range[0]);
      if (!inSeq) valueLines[path] = l;
      if (lines[path] === undefined) lines[path] = l;
    }
  };
  walk(doc.contents as YamlNode, '');
  return { data: doc.toJS() ?? null, lines, valueLines };
}

/**
 * The line of a path, or of its nearest ancestor that has one (a missing key is reported at
 * the mapping that lacks it).
 */
export function lineOfPath(lines: Record<string, number>, path: string): number | null {
  let p = path;
  for (;;) {
    const l = lines[p];
    if (l !== undefined) return l;
    const dot = p.lastIndexOf('.');
    if (dot < 0) return null;
    p = p.slice(0, dot);
  }
}

/** Parse a YAML configuration text into a layer; `origin` names it in messages. */
export function parseConfigText(text: string, origin: string): ConfigLayer {
  const { data, valueLines } = parseYamlLines(text, origin);
  const d = data ?? {};
  if (typeof d !== 'object' || Array.isArray(d)) throw new UserInputError(`${origin}: a configuration must be a mapping of sections`, 'E_CONFIG');
  const at: Record<string, string> = {};
  for (const [path, line] of Object.entries(valueLines)) at[path] = `${origin}:${line}`;
  return { source: 'file', origin, data: d as Record<string, unknown>, at };
}
