/**
 * Reading configuration files (YAML, or JSON which is YAML) into a config layer that knows the
 * line of every value, and resolving the whole stack: defaults ← file ← environment ← flags.
 */
import { readFile } from 'node:fs/promises';
import type * as z from 'zod';
import { envLayerOf, resolveLayers, type ConfigLayer, type ResolvedConfig } from '../core/config/resolve.js';
import { parseConfigText } from '../core/config/yaml-text.js';
import { fileError } from './lines.js';

export { parseConfigText } from '../core/config/yaml-text.js';

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
