/**
 * The data-quality report as text for a terminal: the verdict first, then the streams read,
 * then every check with its count, and for each check that found something its worst case
 * and first examples, each naming source, kind, symbol, row and time so it can be looked up.
 */
import { duration, num as n, table } from '../core/text.js';
import type { DqCheckResult, DqExample, DqLocation, DqReport, DqValue } from './dq-checks.js';

const MARK = { error: 'ERROR', warning: 'warn', info: 'info' } as const;

/**
 * A human summary of a {@link DqReport} (what `ofi-backtest dq` prints without `--json`).
 *
 * @example
 * formatDqReport(gate.report()).split('\n')[0];
 * // 'Data quality: OK — 0 errors, 0 warnings, 0 notes in 93,954 events from 1 source'
 */
export function formatDqReport(report: DqReport): string {
  const t = report.totals;
  const out: string[] = [];
  out.push(
    `Data quality: ${report.ok ? 'OK' : 'FAILED'} — ${n(t.errors)} ${plural(t.errors, 'error')}, ${n(t.warnings)} ${plural(t.warnings, 'warning')}, ` +
      `${n(t.infos)} ${plural(t.infos, 'note')} in ${n(t.events)} events from ${n(t.sources)} ${plural(t.sources, 'source')}`,
  );
  if (!report.ok) out.push(`  failed: ${report.failed.join(', ')}`);

  out.push('', 'Streams');
  const rows = report.streams.map((s) => [
    s.recording ? `${s.recording}: ${s.kind}` : s.kind,
    s.symbol,
    n(s.events),
    s.firstTime ?? '-',
    s.lastTime ?? '-',
    s.firstTs !== null && s.lastTs !== null ? duration(s.lastTs - s.firstTs) : '-',
    s.snapshots ? `${n(s.snapshots)} ${plural(s.snapshots, 'snapshot')}` : '',
  ]);
  out.push(...table([['kind', 'symbol', 'events', 'first', 'last', 'span', ''], ...rows], [false, false, true, false, false, true, false]));

  out.push('', 'Checks');
  const checks = Object.values(report.checks);
  const width = Math.max(...checks.map((c) => c.title.length));
  for (const c of checks) {
    const mark = c.count === 0 ? 'ok' : MARK[c.severity];
    out.push(`  ${mark.padEnd(5)}  ${c.title.padEnd(width)}  ${n(c.count).padStart(9)}${c.count > 0 ? `  ${details(c)}` : ''}`);
    if (c.count === 0) continue;
    for (const e of c.examples) out.push(`           ${example(e)}`);
    if (c.count > c.examples.length) out.push(`           … and ${n(c.count - c.examples.length)} more`);
  }
  return out.join('\n');
}

function details(c: DqCheckResult): string {
  const parts = [Object.entries(c.byStream).map(([k, v]) => `${k} ${n(v)}`).join(', ')];
  if (c.worst) parts.push(`largest ${c.worst.unit === 'ms' ? duration(c.worst.value) : `${n(c.worst.value)} ids`} at ${where(c.worst.at)}`);
  if (c.missingIds !== undefined && c.missingIds > 0) parts.push(`${n(c.missingIds)} ids missing in all`);
  return parts.join('; ');
}

function where(l: DqLocation): string {
  return `${l.source} ${l.kind} ${l.symbol} row ${l.row}${l.ts === null ? '' : ` (${new Date(l.ts).toISOString()})`}`;
}

function example(e: DqExample): string {
  const vals = Object.entries(e.values).map(([k, v]) => `${k}=${value(k, v)}`);
  return `${where(e)}${vals.length ? `: ${vals.join(' ')}` : ''}`;
}

function value(key: string, v: DqValue): string {
  if (typeof v !== 'number') return String(v);
  if (/ts$/i.test(key) && v > 1e11) return new Date(v).toISOString();
  if (/ms$/i.test(key)) return String(Math.round(v * 1000) / 1000);
  return String(v);
}

function plural(x: number, word: string): string {
  return x === 1 ? word : `${word}s`;
}

