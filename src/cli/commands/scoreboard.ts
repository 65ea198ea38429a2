/** `ofi-backtest scoreboard show|merge`: a sweep's scoreboard as a table, and the parts of a sharded sweep joined into one. */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { UserInputError } from '../../core/errors.js';
import type { Scoreboard, ScoreRow } from '../../sweep/types.js';
import { mergeScoreboard } from '../../runs/sweep-run.js';
import { positiveInt, table } from '../format.js';

/** Metrics where less is better: `--sort` puts their smallest first. */
const LOWER_IS_BETTER = new Set(['maxDrawdown', 'maxDrawdownValue', 'maxDrawdownDurationMs', 'totalFees', 'turnover', 'avgLosingTradeDurationMs']);

export function registerScoreboard(program: Command): void {
  const cmd = program.command('scoreboard').description('Show a sweep\'s scoreboard, or merge the parts of a sharded sweep into one.');
  cmd
    .command('show')
    .description('Print the scoreboard of a sweep folder (scoreboard.json) as a table, best first, with the deflated Sharpe ratio and the probability of backtest overfitting.')
    .argument('<dir>', 'a sweep folder (or its scoreboard.json)')
    .option('--top <k>', 'rows to print (default 10)', positiveInt)
    .option('--sort <metric>', 'sort by this metric instead of the rank (out of sample when the sweep has a test segment); append :asc or :desc to choose the direction')
    .option('--json', 'print the scoreboard (its rows sorted and cut as asked) as one JSON object')
    .action(async (dir: string, flags: { top?: number; sort?: string; json?: boolean }) => {
      const board = await readScoreboard(dir);
      const rows = sortRows(board, flags.sort).slice(0, flags.top ?? 10);
      if (flags.json) process.stdout.write(`${JSON.stringify({ ...board, rows })}\n`);
      else process.stdout.write(`${formatScoreboard(board, rows).join('\n')}\n`);
    });
  cmd
    .command('merge')
    .description('Join the parts of a sharded sweep (folders part-i-of-n with runs.jsonl and sweep.json, or the folder holding them) into one scoreboard: the same files, byte for byte, as the sweep run on one machine.')
    .argument('<parts...>', 'part folders, or a folder holding part-i-of-n folders')
    .requiredOption('-o, --out <dir>', 'folder for scoreboard.json, .csv, .parquet, .html and sweep.json')
    .option('--partial', 'write the scoreboard even when runs of the sweep are missing (a shard not run yet)')
    .option('--top <k>', 'rows printed (default 10)', positiveInt)
    .option('--json', 'print the merged scoreboard as one JSON object')
    .action(async (parts: string[], flags: { out: string; partial?: boolean; top?: number; json?: boolean }) => {
      const m = await mergeScoreboard(parts, flags.out, { ...(flags.partial ? { partial: true } : {}) });
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(m.scoreboard)}\n`);
        return;
      }
      const lines = [`Merged ${m.parts.length} part${m.parts.length === 1 ? '' : 's'}: ${m.runs} runs${m.missing ? `, ${m.missing} missing` : ''}`, ''];
      lines.push(...formatScoreboard(m.scoreboard, m.scoreboard.rows.slice(0, flags.top ?? 10)), '', `Files: ${m.files.join(', ')}`);
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}

/** Read `scoreboard.json` from a sweep folder (or the file itself). */
export async function readScoreboard(path: string): Promise<Scoreboard> {
  let file = path;
  try {
    if ((await stat(path)).isDirectory()) file = join(path, 'scoreboard.json');
  } catch {
    throw new UserInputError(`${path}: no such folder or file`);
  }
  let board: Scoreboard;
  try {
    board = JSON.parse(await readFile(file, 'utf8')) as Scoreboard;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new UserInputError(`${file}: not found (a sharded sweep's parts have none: merge them with scoreboard merge)`);
    throw new UserInputError(`${file}: not a scoreboard: ${(err as Error).message}`);
  }
  if (!board || !Array.isArray(board.rows) || !Array.isArray(board.metrics) || !board.objective) throw new UserInputError(`${file}: not a scoreboard (no rows, metrics or objective)`);
  return board;
}

/** The rows sorted by `spec` (`metric`, `metric:asc`, `metric:desc`), or as ranked when absent; failed runs last. */
export function sortRows(board: Scoreboard, spec?: string): ScoreRow[] {
  if (!spec) return board.rows;
  const [metric, dir] = spec.split(':') as [string, string | undefined];
  if (!board.metrics.includes(metric)) throw new UserInputError(`--sort: unknown metric '${metric}'; the scoreboard has ${board.metrics.join(', ')}`);
  if (dir !== undefined && dir !== 'asc' && dir !== 'desc') throw new UserInputError(`--sort ${spec}: expected metric, metric:asc or metric:desc`);
  const asc = dir ? dir === 'asc' : metric === board.objective.metric ? board.objective.direction === 'min' : LOWER_IS_BETTER.has(metric);
  const side = hasTest(board) ? 'oos' : 'is';
  const value = (r: ScoreRow) => r[side]?.[metric] ?? null;
  return [...board.rows].sort((a, b) => {
    const x = value(a);
    const y = value(b);
    if (x === null || y === null) return x === null && y === null ? a.index - b.index : x === null ? 1 : -1;
    return x === y ? a.index - b.index : asc ? x - y : y - x;
  });
}

function hasTest(board: Scoreboard): boolean {
  return board.validation.segments.some((s) => s.role === 'test');
}

const fmt = (x: number | null | undefined, d = 4): string => (x === null || x === undefined || !Number.isFinite(x) ? '-' : Math.abs(x) >= 1e6 || (x !== 0 && Math.abs(x) < 1e-4) ? x.toExponential(2) : x.toFixed(d));
/** A parameter's value for the table: numbers to 6 significant digits (a random draw's full value is in the files). */
const param = (v: unknown): string => (v === undefined ? '-' : typeof v === 'number' ? String(Number(v.toPrecision(6))) : String(v));

/** The scoreboard's rows as a text table, then the deflated Sharpe ratio and PBO lines. */
export function formatScoreboard(board: Scoreboard, rows: readonly ScoreRow[]): string[] {
  const m = board.objective.metric;
  const test = hasTest(board);
  const head = ['rank', ...board.parameters, `${m} IS`, ...(test ? [`${m} OOS`] : []), test ? 'return OOS' : 'return IS', test ? 'trades OOS' : 'trades IS', 'hash'];
  const body = rows.map((r) => {
    const side = test ? r.oos : r.is;
    return [
      r.rank === null ? 'failed' : String(r.rank),
      ...board.parameters.map((p) => param(r.params[p])),
      fmt(r.objectiveIs),
      ...(test ? [fmt(r.objectiveOos)] : []),
      side?.totalReturn === null || side?.totalReturn === undefined ? '-' : `${(side.totalReturn * 100).toFixed(3)}%`,
      side?.totalTrades === null || side?.totalTrades === undefined ? '-' : String(side.totalTrades),
      r.hash.slice(0, 12) + (r.error ? `  ${r.error.slice(0, 60)}` : ''),
    ];
  });
  const right = head.map((_, i) => i > 0 && i < head.length - 1);
  const scheme = board.validation.scheme === 'split' ? 'train/test split' : board.validation.scheme === 'walk-forward' ? `walk-forward, ${board.validation.segments.filter((s) => s.role === 'test').length} folds` : 'in sample only';
  const out = [
    `Sweep ${board.name} (${board.sweep}): ${board.runs} runs, ${board.failed} failed; objective ${board.objective.direction} ${m}${test ? ' out of sample' : ''}; ${scheme}`,
    '',
    ...table([head, ...body], right),
    '',
  ];
  const d = board.deflatedSharpe;
  out.push(
    d
      ? `Deflated Sharpe ratio of the best run: ${fmt(d.dsr, 3)} (its Sharpe ${fmt(d.sharpe)} per period over ${d.observations} returns vs ${fmt(d.expectedMaxSharpe)} expected of the best of ${d.trials} unskilled trials; Bailey & López de Prado 2014)`
      : 'Deflated Sharpe ratio: - (too few runs or returns)',
  );
  const p = board.pbo;
  out.push(
    p
      ? `Probability of backtest overfitting: ${fmt(p.pbo, 3)} (CSCV, ${p.blocks} blocks, ${p.combinations} combinations; P(selected run loses out of sample) ${fmt(p.probLoss, 3)}; Bailey, Borwein, López de Prado & Zhu 2015)`
      : 'Probability of backtest overfitting: - (too few runs or returns)',
  );
  return out;
}
