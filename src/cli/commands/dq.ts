/** `ofi-backtest dq`: the data-quality report of sources, writing nothing. */
import type { Command } from 'commander';
import { checkSources } from '../../io/convert.js';
import { formatDqReport } from '../../io/dq.js';
import { formatReject, UserInputError } from '../../core/errors.js';
import { flagLayer } from '../../core/config/resolve.js';
import { loadConfig } from '../config.js';
import { num, positiveInt, positiveNumber, samplePaths } from '../format.js';
import { sourceLine } from './convert.js';

interface DqFlags {
  config?: string;
  symbol?: string;
  silenceSec?: number;
  examples?: number;
  json?: boolean;
}

export function registerDq(program: Command): void {
  program
    .command('dq')
    .description('Check market data: update-id and trade-id gaps, depth pu chain and snapshot sync, crossed books, clocks going back, duplicates, bad values, silences, refused lines.')
    .argument('[inputs...]', 'files or folders (default: the bundled sample)')
    .option('--config <file>', 'configuration file (YAML); flags and environment variables override it')
    .option('--symbol <symbol>', 'symbol for sources that carry none (LOBSTER, dumps, REST snapshots)')
    .option('--silence-sec <n>', 'a gap in exchange time longer than this is a silence (dq.silence_sec, default 5)', positiveNumber)
    .option('--examples <n>', 'examples kept per check (dq.examples, default 5)', positiveInt)
    .option('--json', 'print the report as one JSON object')
    .action(async (inputs: string[], flags: DqFlags) => {
      const sources = inputs.length > 0 ? inputs : samplePaths();
      if (sources.length === 0) throw new UserInputError('no input given and the bundled sample is missing');
      const { config } = await loadConfig({
        ...(flags.config ? { file: flags.config } : {}),
        flags: flagLayer({ 'dq.silence_sec': flags.silenceSec, 'dq.examples': flags.examples }, { 'dq.silence_sec': '--silence-sec', 'dq.examples': '--examples' }),
      });
      const s = await checkSources(sources, {
        ...(flags.symbol ? { symbol: flags.symbol } : {}),
        batchRows: config.dataset.batch_rows,
        dq: { silenceMs: config.dq.silence_sec * 1000, examples: config.dq.examples },
      });
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ ...s.dq, sourcesRead: s.sources, quarantine: s.quarantine })}\n`);
      } else {
        const out = [formatDqReport(s.dq), '', 'Sources', ...s.sources.map((x) => `  ${sourceLine(x)}`)];
        if (s.quarantine.count > 0) {
          out.push('', `Refused lines: ${num(s.quarantine.count)}`);
          for (const r of s.quarantine.first) out.push(`  ${formatReject(r)}`);
          if (s.quarantine.count > s.quarantine.first.length) out.push(`  … and ${num(s.quarantine.count - s.quarantine.first.length)} more`);
        }
        process.stdout.write(`${out.join('\n')}\n`);
      }
      if (s.sources.some((x) => x.error)) process.exitCode = 1;
    });
}
