/** The toolkit's configuration for commands: the file, the environment and the flags over the defaults. */
import { ConfigSchema, type Config } from '../config.js';
import type { ConfigLayer, ResolvedConfig } from '../core/config/resolve.js';
import { loadConfigWith } from '../io/config-file.js';

/** Load the configuration of a command (see `loadConfigWith`). */
export function loadConfig(options: { file?: string; env?: Record<string, string | undefined>; flags?: ConfigLayer } = {}): Promise<ResolvedConfig<Config>> {
  return loadConfigWith(ConfigSchema, options);
}
