/**
 * The scoreboard's files: `scoreboard.json` (the whole board), `scoreboard.csv` and
 * `scoreboard.parquet` (one row per run, for a spreadsheet, DuckDB, Polars or Spark) and
 * `scoreboard.html` (the self-contained page with the sortable table and the heatmap).
 *
 * The table has one column per swept parameter (named by its dotted path, typed by its values:
 * numbers Float64, booleans Bool, otherwise Utf8), then `is_<metric>` and `oos_<metric>` for each
 * of the board's metrics, in the board's order; rows in the board's order (by rank, failed runs
 * last). Every file is written to a temporary name and renamed, so a reader never sees half of
 * one; the same board gives the same bytes.
 */
import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ParamValue, Scoreboard, ScoreRow } from '../sweep/types.js';
import { scoreboardJson } from '../sweep/scoreboard.js';
import { renderScoreboardHtml } from '../reporting/scoreboard-html.js';
import { writeTable, type TableColumn } from './backtest-tables.js';

/** Files of a scoreboard, in the order written. */
export const SCOREBOARD_FILES = ['scoreboard.json', 'scoreboard.csv', 'scoreboard.parquet', 'scoreboard.html'] as const;

/** The columns of the scoreboard table (see the module comment). */
export function scoreboardColumns(board: Scoreboard): TableColumn<ScoreRow>[] {
  const cols: TableColumn<ScoreRow>[] = [
    { name: 'rank', type: 'i32', nullable: true, get: (r) => r.rank },
    { name: 'index', type: 'i32', get: (r) => r.index },
    { name: 'hash', type: 'utf8', get: (r) => r.hash },
  ];
  for (const p of board.parameters) {
    const values = board.rows.map((r) => r.params[p]).filter((v): v is ParamValue => v !== undefined);
    const type = values.length > 0 && values.every((v) => typeof v === 'number') ? 'f64' : values.length > 0 && values.every((v) => typeof v === 'boolean') ? 'bool' : 'utf8';
    cols.push({ name: p, type, nullable: true, get: (r) => (r.params[p] === undefined ? null : type === 'utf8' ? String(r.params[p]) : r.params[p]!) });
  }
  for (const side of ['is', 'oos'] as const) {
    for (const m of board.metrics) cols.push({ name: `${side}_${m}`, type: 'f64', nullable: true, get: (r) => r[side]?.[m] ?? null });
  }
  cols.push({ name: 'error', type: 'utf8', nullable: true, get: (r) => r.error });
  return cols;
}

/** RFC 4180 CSV of the scoreboard table (header row, CRLF-free: `\n` line ends). */
export function scoreboardCsv(board: Scoreboard): string {
  const cols = scoreboardColumns(board);
  const cell = (v: number | string | boolean | null): string => {
    if (v === null || (typeof v === 'number' && !Number.isFinite(v))) return '';
    const s = String(v);
    return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const lines = [cols.map((c) => cell(c.name)).join(',')];
  for (const r of board.rows) lines.push(cols.map((c) => cell(c.get(r))).join(','));
  return `${lines.join('\n')}\n`;
}

/**
 * Write the scoreboard's files into `dir` (which must exist); returns their paths.
 *
 * @example
 * await writeScoreboardFiles(board, 'sweeps/default'); // [… 'scoreboard.json', 'scoreboard.csv', 'scoreboard.parquet', 'scoreboard.html']
 */
export async function writeScoreboardFiles(board: Scoreboard, dir: string, options: { title?: string } = {}): Promise<string[]> {
  const files: string[] = [];
  const put = async (name: string, text: string) => {
    const p = join(dir, name);
    await writeFile(`${p}.tmp`, text);
    await rename(`${p}.tmp`, p);
    files.push(p);
  };
  await put('scoreboard.json', scoreboardJson(board));
  await put('scoreboard.csv', scoreboardCsv(board));
  const pq = join(dir, 'scoreboard.parquet');
  await writeTable(`${pq}.tmp`, 'scoreboard', scoreboardColumns(board), board.rows);
  await rename(`${pq}.tmp`, pq);
  files.push(pq);
  await put('scoreboard.html', renderScoreboardHtml(board, options.title ? { title: options.title } : {}));
  return files;
}
