/** `ofi-backtest signals`: typed signals from feature rows or market data, to a JSONL, SQLite or dual sink. */
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { formatReject, UserInputError } from '../../core/errors.js';
import { flagLayer } from '../../core/config/resolve.js';
import { loadConfig } from '../config.js';
import { signalFilePath } from '../../runs/signal-sink-base.js';
import { openSignalSink, signalJsonLine } from '../../runs/signal-sinks.js';
import type { SignalSourceSummary } from '../../runs/signal-inputs.js';
import { runSignals, type SignalsRunSummary } from '../../runs/signals-run.js';
import { featureSetOptionsFromConfig } from '../../microstructure/feature-set.js';
import { fingerprint } from '../../microstructure/fingerprint.js';
import { StrategyModeManager } from '../../risk/strategy-mode.js';
import { GATING_REASONS, SIGNAL_SINK_NAMES } from '../../signals/config.js';
import { configHashOf, type ModeSource } from '../../signals/core-algorithm.js';
import type { Signal } from '../../signals/types.js';
import { duration, num, positiveNumber, samplePaths, table } from '../format.js';

interface SignalsFlags {
  config?: string;
  input?: string[];
  sink?: string;
  out?: string;
  symbols?: string;
  symbol?: string;
  runId?: string;
  watch?: boolean;
  idleExit?: number;
  print?: boolean;
  json?: boolean;
}

export function registerSignals(program: Command): void {
  program
    .command('signals')
    .description(
      'Turn order-flow features into typed signals (strong_buy … strong_sell) with confirmation, gating (spread, lag, staleness, warm-up, low activity, strategy mode) and a cooldown, written to JSONL, SQLite or both.',
    )
    .option('--config <file>', 'configuration file (YAML); flags and environment variables (SIGNAL_…, FEATURES_…) override it')
    .option('-i, --input <paths...>', 'feature rows (JSONL from `features -o x.jsonl`), market data (captures, dumps, LOBSTER, datasets) or a folder of them; - reads feature rows from standard input (default: the bundled sample)')
    .addOption(new Option('--sink <kind>', 'where signals go (signal.sink_kind, env SIGNAL_SINK_KIND; default jsonl)').choices([...SIGNAL_SINK_NAMES]))
    .option('-o, --out <dir>', 'folder of signals_{run_id}.jsonl / .db (signal.out_dir, default signals)')
    .option('--symbols <list>', 'only these symbols, comma-separated')
    .option('--symbol <symbol>', 'symbol for sources that carry none (LOBSTER, dumps)')
    .option('--run-id <id>', 'run id in every signal and in the file names (default: from the configuration hash and the inputs)')
    .option('--watch', 'read the --input folder as files arrive (until Ctrl-C, or --idle-exit)')
    .option('--idle-exit <sec>', 'with --watch: stop once nothing new has arrived for this many seconds', positiveNumber)
    .option('--print', 'print each signal as a line')
    .option('--json', 'print the summary (and with --print, each signal) as JSON')
    .action(async (flags: SignalsFlags) => {
      if (flags.idleExit !== undefined && !flags.watch) throw new UserInputError('--idle-exit: only with --watch', 'E_OPTION');
      const inputs = flags.input && flags.input.length > 0 ? flags.input : samplePaths();
      if (inputs.length === 0) throw new UserInputError('no input given and the bundled sample is missing');
      const { config } = await loadConfig({
        ...(flags.config ? { file: flags.config } : {}),
        flags: flagLayer({ 'signal.sink_kind': flags.sink, 'signal.out_dir': flags.out }, { 'signal.sink_kind': '--sink', 'signal.out_dir': '--out' }),
      });
      const sc = config.signal;
      const features = featureSetOptionsFromConfig(config.features);
      const modes: ModeSource = { create: () => new StrategyModeManager(config.strategy_mode), config: config.strategy_mode };
      const configHash = configHashOf({ signal: sc, features, modes });
      const runId = flags.runId ?? `${configHash.slice(0, 8)}-${fingerprint(inputs.map((p) => (p === '-' ? p : resolve(p)))).slice(0, 8)}`;
      const sink = openSignalSink(sc.sink_kind, sc.out_dir, runId, { truncate: true });
      const abort = new AbortController();
      const onStop = () => abort.abort();
      if (flags.watch) {
        process.once('SIGINT', onStop);
        process.once('SIGTERM', onStop);
      }
      // `signals --print | head`: a reader that has gone away ends the run, not the process
      let printing = flags.print === true;
      const onStdoutError = (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EPIPE') throw err;
        printing = false;
        abort.abort();
      };
      if (printing) process.stdout.on('error', onStdoutError);
      let summary: SignalsRunSummary;
      try {
        summary = await runSignals({
          inputs,
          runId,
          sink,
          signal: sc,
          features,
          modes,
          configHash,
          batchRows: config.dataset.batch_rows,
          quarantineDir: sc.sink_kind === 'null' ? null : sc.out_dir,
          abort: abort.signal,
          ...(flags.symbols ? { symbols: flags.symbols.split(',').map((s) => s.trim()).filter(Boolean) } : {}),
          ...(flags.symbol ? { symbol: flags.symbol } : {}),
          ...(flags.watch
            ? { watch: { pollMs: sc.watch_poll_ms, stableMs: sc.watch_stable_ms, exclude: [sc.out_dir], ...(flags.idleExit ? { idleExitMs: flags.idleExit * 1000 } : {}) } }
            : {}),
          ...(flags.print ? { onSignal: (s: Signal) => void (printing && process.stdout.write(flags.json ? signalJsonLine(s) : `${signalLine(s)}\n`)) } : {}),
          ...(flags.json || !process.stderr.isTTY ? {} : { onSource: (s: SignalSourceSummary) => process.stderr.write(`  read ${sourceText(s)}\n`) }),
        });
      } finally {
        process.removeListener('SIGINT', onStop);
        process.removeListener('SIGTERM', onStop);
        await sink.close();
      }
      if (flags.print && !printing) return;
      process.stdout.removeListener('error', onStdoutError);
      const files = sc.sink_kind === 'null' ? [] : [...(sc.sink_kind !== 'sqlite' ? [signalFilePath(sc.out_dir, runId, 'jsonl')] : []), ...(sc.sink_kind !== 'jsonl' ? [signalFilePath(sc.out_dir, runId, 'db')] : [])];
      if (flags.json) process.stdout.write(`${JSON.stringify({ ...summary, sink: sc.sink_kind, files, elapsedMs: Math.round(summary.elapsedMs) })}\n`);
      else process.stdout.write(`${formatSignals(summary, sc.sink_kind, files).join('\n')}\n`);
      if (summary.sources.some((s) => s.error)) process.exitCode = 1;
    });
}

function iso(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : '-';
}

/** One signal, for reading: time, symbol, type, score, confirmation, gating, mode. */
export function signalLine(s: Signal): string {
  const gated = s.gating_blocked ? `gated: ${s.gating_reasons.join(',')}` : 'open';
  return `${iso(s.ts_ms)}  ${s.symbol}  ${s.signal_type.padEnd(11)}  score ${s.score.toFixed(2).padStart(6)}  ${s.confirm ? 'confirmed  ' : 'unconfirmed'}  ${gated}  mode ${s.strategy_mode}`;
}

function sourceText(s: SignalSourceSummary): string {
  const what = s.format === 'features' ? `${num(s.rows)} feature rows` : `${num(s.rows)} quotes and trades`;
  return [`${s.path} (${s.format}): ${num(s.lines)} lines → ${what}`, s.rejected ? `${num(s.rejected)} refused` : '', s.tornBytes ? `unfinished last line (${num(s.tornBytes)} bytes) left` : '', s.error ? `STOPPED: ${s.error}` : '']
    .filter(Boolean)
    .join('; ');
}

function formatSignals(s: SignalsRunSummary, sink: string, files: string[]): string[] {
  const out = [
    `Signals → ${files.length > 0 ? files.join(' + ') : 'nowhere (null sink)'} (${sink}): ${num(s.signals)} signals, ${num(s.symbols.length)} symbol${s.symbols.length === 1 ? '' : 's'}, run ${s.runId}, config ${s.configHash}, ${duration(s.elapsedMs)}`,
    '',
  ];
  out.push(
    ...table(
      [
        ['symbol', 'minutes', 'rows', 'signals', '/min', 'strong_buy', 'buy', 'sell', 'strong_sell', 'confirmed', 'gated', 'actionable'],
        ...s.symbols.map((x) => [
          x.symbol,
          x.minutes.toFixed(1),
          num(x.rows),
          num(x.signals),
          x.perMinute.toFixed(1),
          num(x.types.strong_buy),
          num(x.types.buy),
          num(x.types.sell),
          num(x.types.strong_sell),
          num(x.confirmed),
          num(x.blocked),
          num(x.actionable),
        ]),
      ],
      [false, true, true, true, true, true, true, true, true, true, true, true],
    ),
  );
  out.push('', 'Gating reasons (signals emitted · candidate rows)');
  out.push(...table(GATING_REASONS.map((r) => [r, num(s.totals.reasons[r]), num(s.totals.gatedRows[r])]), [false, true, true]));
  out.push('', 'Inputs', ...s.sources.map((x) => `  ${sourceText(x)}`));
  if (s.quarantine.count > 0) {
    out.push('', `Refused lines: ${num(s.quarantine.count)}${s.quarantine.path ? ` → ${s.quarantine.path}` : ''}`);
    for (const r of s.quarantine.first) out.push(`  ${formatReject(r)}`);
  }
  return out;
}
