/** `ofi-backtest config`: the resolved configuration and where each value came from. */
import type { Command } from 'commander';
import { renderConfigYaml } from '../../config.js';
import { loadConfig } from '../config.js';

interface ConfigFlags {
  config?: string;
  defaults?: boolean;
  json?: boolean;
}

export function registerConfig(program: Command): void {
  program
    .command('config')
    .description('Show the configuration: every value, the reason for its default, and where it came from (default, file, environment, flag).')
    .option('--config <file>', 'configuration file (YAML) to resolve')
    .option('--print', 'print the resolved configuration (the default action)')
    .option('--defaults', 'print the defaults only, as config/defaults.yaml holds them')
    .option('--json', 'print { config, origins } as one JSON object')
    .action(async (flags: ConfigFlags) => {
      if (flags.defaults) {
        process.stdout.write(renderConfigYaml());
        return;
      }
      const { config, origins } = await loadConfig(flags.config ? { file: flags.config } : {});
      if (flags.json) process.stdout.write(`${JSON.stringify({ config, origins })}\n`);
      else process.stdout.write(renderConfigYaml(config, origins));
    });
}
