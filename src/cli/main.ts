/**
 * The `ofi-backtest` command: a thin shell that parses arguments, calls the library and prints.
 * Every failure the user can fix (a missing file, an unknown format, a bad flag) ends in one
 * line on stderr naming it and a non-zero exit code; no stack traces for those.
 */
import { Command, CommanderError } from 'commander';
import { OfiError } from '../core/errors.js';
import { registerConvert } from './commands/convert.js';
import { registerDq } from './commands/dq.js';
import { registerConfig } from './commands/config.js';
import { registerImpact } from './commands/impact.js';
import { registerFeatures } from './commands/features.js';
import { registerSignals } from './commands/signals.js';
import { registerBacktest } from './commands/backtest.js';
import { registerSweep } from './commands/sweep.js';
import { registerScoreboard } from './commands/scoreboard.js';
import { VERSION } from './version.js';

/** Exit codes: 0 done, 1 failed while working, 2 the command line or an input was wrong. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** Build the program (exported for tests, which drive it without a subprocess). */
export function buildProgram(): Command {
  const program = new Command('ofi-backtest')
    .description('Order-flow research on crypto futures: OFI, CVD, signals, risk and backtests on real market data.')
    .version(VERSION)
    .showHelpAfterError(false)
    .configureOutput({ outputError: (str, write) => write(`ofi-backtest: ${oneLine(str.replace(/^error: /, ''))}`) })
    .exitOverride();
  registerConvert(program);
  registerDq(program);
  registerConfig(program);
  registerFeatures(program);
  registerImpact(program);
  registerSignals(program);
  registerBacktest(program);
  registerSweep(program);
  registerScoreboard(program);
  return program;
}

function oneLine(s: string): string {
  return `${s.replace(/\s*\n\s*/g, ' ').trim()}\n`;
}

/** Run the command line; resolves to the exit code. */
export async function run(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return process.exitCode === undefined ? EXIT.ok : Number(process.exitCode);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.ok;
      return EXIT.usage;
    }
    if (err instanceof OfiError) {
      process.stderr.write(`ofi-backtest: ${oneLine(err.message)}`);
      return err.code.startsWith('E_') ? EXIT.usage : EXIT.failed;
    }
    process.stderr.write(`ofi-backtest: ${oneLine((err as Error)?.stack ?? String(err))}`);
    return EXIT.failed;
  }
}
