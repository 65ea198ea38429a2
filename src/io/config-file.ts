/**
 * Reading configuration files (YAML, or JSON which is YAML) into a config layer that knows the
 * line of every value, and resolving the whole stack: defaults ← file ← environment ← flags.
 */
import { readFile } from 'node:fs/promises';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { UserInputError } from '../core/errors.js';
import type { z } from 'zod';
import { envLayerOf, resolveLayers, type ConfigLayer, type ResolvedConfig } from '../core/config/resolve.js';
import { fileError } from './lines.js';

/** Parse a YAML configuration text into a layer; `origin` names it in messages. */
export function parseConfigText(text: string, origin: string): ConfigLayer {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = lineCounter.linePos(e.pos[0]).line;
    throw new UserInputError(`${origin}:${line}: not valid YAML (${e.message.split('\n')[0]})`, 'E_CONFIG');
  }
  const data = doc.toJS() ?? {};
  if (typeof data !== 'object' || Array.isArray(data)) throw new UserInputError(`${origin}: a configuration must be a mapping of sections`, 'E_CONFIG');
  const at: Record<string, string> = {};
  const walk = (node: YamlNode | null | undefined, path: string): void => {
    if (isMap(node)) {
      for (const item of node.items) {
        const key = isScalar(item.key) ? String(item.key.value) : String(item.key);
        walk(item.value as YamlNode, path ? `${path}.${key}` : key);
      }
    } else if (node && (isScalar(node) || isSeq(node)) && node.range) {
      at[path] = `${origin}:${lineCounter.linePos(node.range[0]).line}`;
    }
  };
  walk(doc.contents as YamlNode, '');
  return { source: 'file', origin, data: data as Record<string, unknown>, at };
}

/** Read a configuration file into a layer. */
export async function loadConfigFile(path: string): Promise<ConfigLayer> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw fileError(path, err);
  }
  return parseConfigText(text, path);
}

/**
 * The configuration of a run under a schema (the toolkit's is `ConfigSchema` of the root
 * entry): defaults, then the file (if any), then the environment, then the flags' layer (if
 * any). Throws a one-line error naming each bad value and where it was set.
 *
 * @example
 * const { config } = await loadConfigWith(ConfigSchema, { file: 'cfg.yaml' });
 */
export async function loadConfigWith<S extends z.ZodType>(
  schema: S,
  options: { file?: string; env?: Record<string, string | undefined>; flags?: ConfigLayer } = {},
): Promise<ResolvedConfig<z.infer<S>>> {
  const layers: ConfigLayer[] = [];
  if (options.file) layers.push(await loadConfigFile(options.file));
  layers.push(envLayerOf(schema, options.env ?? process.env));
  if (options.flags) layers.push(options.flags);
  return resolveLayers(schema, layers);
}
