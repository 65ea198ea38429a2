/**
 * The scoreboard of a parameter sweep as one self-contained HTML page: no network, no external
 * font or script, the same bytes for the same board. The static parts (header, overfitting panel,
 * walk-forward selection) are rendered here; the sortable table and the heatmap are drawn in the
 * browser by {@link SCOREBOARD_SCRIPT} from the board embedded as JSON in the page.
 *
 * Overfitting statistics: Bailey & López de Prado (2014), "The Deflated Sharpe Ratio", Journal of
 * Portfolio Management 40(5); Bailey, Borwein, López de Prado & Zhu (2015), "The Probability of
 * Backtest Overfitting", Journal of Computational Finance 20(4).
 */
import { UserInputError } from '../core/errors.js';
import type { DeflatedSharpe, Pbo, Scoreboard, Segment } from '../sweep/types.js';
import { SCOREBOARD_SCRIPT } from './scoreboard-script.js';

/** Options of {@link renderScoreboardHtml}. */
export interface ScoreboardHtmlOptions {
  /** The page title; default `Sweep <name>`. */
  title?: string;
  /** Keep only the `top` best-ranked runs in the table and the heatmap (failed runs are dropped then); default all rows. */
  top?: number;
}

/**
 * Render a sweep's scoreboard as one HTML page.
 *
 * The page shows the sweep's header (name, hash, objective, validation segments in ISO UTC), the
 * overfitting panel — the deflated Sharpe ratio of the best run (Bailey & López de Prado 2014) and
 * the probability of backtest overfitting by CSCV with a histogram of its logits (Bailey, Borwein,
 * López de Prado & Zhu 2015) — the walk-forward selection, a sortable table of every run and a
 * heatmap of the objective over two chosen parameters. Every string of the board is escaped; the
 * board is embedded as JSON with `<`, `>`, `&`, U+2028 and U+2029 escaped, so neither markup nor a
 * `</script>` in a parameter value can leave its place. The output depends on the board alone (no
 * clock, no random ids), so equal boards give equal bytes.
 *
 * @example
 * const html = renderScoreboardHtml(board, { title: 'OFI thresholds', top: 50 });
 * // html starts with '<!DOCTYPE html>' and holds <script type="application/json" id="board-data">
 */
export function renderScoreboardHtml(board: Scoreboard, options: ScoreboardHtmlOptions = {}): string {
  const top = options.top;
  if (top !== undefined && !(Number.isInteger(top) && top > 0)) {
    throw new UserInputError(`scoreboard html: option top must be a positive integer, got ${String(top)}`);
  }
  const title = options.title ?? `Sweep ${board.name}`;
  const rows =
    top === undefined
      ? board.rows
      : board.rows
          .filter((r) => r.rank !== null)
          .sort((a, b) => (a.rank as number) - (b.rank as number))
          .slice(0, top);
  const embedded: Scoreboard = { ...board, rows };
  const e = escapeHtml;
  const shownNote =
    top === undefined
      ? ''
      : `<p class="muted">The table and the heatmap show the ${rows.length} best-ranked of ${fmt(board.runs)} runs${
          board.failed ? ' (failed runs left out)' : ''
        }.</p>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>${e(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>${e(title)}</h1>
${header(board)}
</header>
<section class="panels">
${deflatedPanel(board.deflatedSharpe)}
${pboPanel(board.pbo)}
</section>
${walkForward(board)}
<section>
<h2>Runs</h2>
${shownNote}<div id="metric-picker" class="picker"></div>
<noscript><p class="note">The table and the heatmap are drawn by the page's script; the data is in the board-data block of the page source.</p></noscript>
<div class="scroll"><table id="runs" class="runs"></table></div>
</section>
<section>
<h2>Heatmap of the objective</h2>
<p class="muted">Each cell is the ${board.objective.direction === 'min' ? 'lowest' : 'highest'} objective among the runs sharing the pair of values; hover a cell for its run count.</p>
<div id="hm-controls" class="picker"><label>x <select id="hm-x"></select></label> <label>y <select id="hm-y"></select></label></div>
<div id="heatmap"></div>
</section>
<script type="application/json" id="board-data">${jsonForScript(embedded)}</script>
<script>${SCOREBOARD_SCRIPT}</script>
</body>
</html>
`;
}

/** Escape text for HTML element content and double-quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** JSON that is inert inside a `<script>` element: no `<`, `>` or `&` (so no `</script>` or `<!--`), no line separators. */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A number for reading: integers whole, large values rounded, tiny ones in exponent form, else 4 significant digits. */
function fmt(x: number | null | undefined): string {
  if (x === null || x === undefined) return '—';
  if (typeof x !== 'number') return escapeHtml(String(x)); // a malformed board read from JSON
  if (!Number.isFinite(x)) return String(x);
  if (Number.isInteger(x) && Math.abs(x) < 1e15) return String(x);
  const a = Math.abs(x);
  if (a >= 1e9 || (a !== 0 && a < 1e-4)) return x.toExponential(3);
  if (a >= 1000) return String(Math.round(x));
  return String(Number(x.toPrecision(4)));
}

function iso(ms: number): string {
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : `invalid time ${String(ms)}`;
}

function header(board: Scoreboard): string {
  const e = escapeHtml;
  const segs = board.validation.segments
    .map((s: Segment) => `<li>${e(s.role)} fold ${fmt(s.fold)}: ${iso(s.start)} → ${iso(s.end)}</li>`)
    .join('');
  const obj = board.objective;
  return `<dl class="meta">
<dt>sweep</dt><dd>${e(board.name)}</dd>
<dt>hash</dt><dd><code>${e(board.sweep)}</code></dd>
<dt>objective</dt><dd>${e(obj.metric)} (${obj.direction === 'min' ? 'minimise' : 'maximise'})</dd>
<dt>validation</dt><dd>${e(board.validation.scheme)}${segs ? `<ul class="segments">${segs}</ul>` : ' (no segments: the whole period)'}</dd>
<dt>parameters</dt><dd>${board.parameters.length ? board.parameters.map((p) => `<code>${e(p)}</code>`).join(', ') : 'none'}</dd>
<dt>runs</dt><dd>${fmt(board.runs)} (${fmt(board.failed)} failed)</dd>
</dl>`;
}

function stat(name: string, value: string, hint: string): string {
  return `<div class="stat" title="${escapeHtml(hint)}"><span class="k">${name}</span><span class="v">${value}</span></div>`;
}

function deflatedPanel(d: DeflatedSharpe | null): string {
  const body =
    d === null
      ? '<p class="note" data-empty="dsr">Not enough runs/returns for the deflated Sharpe ratio.</p>'
      : `<div class="stats" data-panel="dsr">
${stat('DSR', fmt(d.dsr), 'probability that the best run’s true Sharpe ratio exceeds SR₀')}
${stat('trials N', fmt(d.trials), 'runs without error')}
${stat('SR', fmt(d.sharpe), 'the best run’s per-period Sharpe ratio (not annualised)')}
${stat('SR₀', fmt(d.expectedMaxSharpe), 'expected maximum Sharpe ratio of N unskilled trials')}
${stat('V[SR]', fmt(d.sharpeVariance), 'variance of the Sharpe ratios across the trials')}
${stat('T', fmt(d.observations), 'returns of the best run')}
${stat('skew', fmt(d.skewness), 'skewness of the best run’s returns')}
${stat('kurt', fmt(d.kurtosis), 'kurtosis (not excess) of the best run’s returns')}
</div>`;
  return `<div class="panel">
<h2>Deflated Sharpe ratio of the best run</h2>
${body}
<p class="explain">The probability that the best run’s true Sharpe ratio beats SR₀, the best Sharpe ratio N unskilled trials would reach by luck, given its returns’ length, skewness and kurtosis; below 0.95 the best run is not told apart from the luck of picking it. <cite>Bailey &amp; López de Prado (2014), The Deflated Sharpe Ratio, Journal of Portfolio Management 40(5).</cite></p>
</div>`;
}

function pboPanel(p: Pbo | null): string {
  const body =
    p === null
      ? '<p class="note" data-empty="pbo">Not enough runs/returns for the probability of backtest overfitting.</p>'
      : `<div class="stats" data-panel="pbo">
${stat('PBO φ', fmt(p.pbo), 'share of combinations whose in-sample best ranks below the median out of sample')}
${stat('blocks S', fmt(p.blocks), 'blocks the returns were cut into')}
${stat('combinations', fmt(p.combinations), 'C(S, S/2) in-sample/out-of-sample splits')}
${stat('slope', fmt(p.degradationSlope), 'slope of out-of-sample on in-sample performance of the selected runs')}
${stat('R²', fmt(p.degradationR2), 'R² of that regression')}
${stat('P[loss]', fmt(p.probLoss), 'probability that the selected run loses out of sample')}
</div>
${logitHistogram(p.logits)}`;
  return `<div class="panel">
<h2>Probability of backtest overfitting</h2>
${body}
<p class="explain">Combinatorially symmetric cross-validation: the returns are cut into S blocks, and for every choice of half of them as in-sample the in-sample best run is ranked out of sample; φ is the share of choices where it ranks below the median (logit λ &lt; 0). φ near 0.5 or above means the selection does not carry out of sample. <cite>Bailey, Borwein, López de Prado &amp; Zhu (2015), The Probability of Backtest Overfitting, Journal of Computational Finance 20(4).</cite></p>
</div>`;
}

/** An inline SVG histogram of the CSCV logits λ with the λ = 0 line (left of it: overfit). */
function logitHistogram(logits: number[]): string {
  const xs = logits.filter((x) => Number.isFinite(x));
  if (xs.length === 0) return '<p class="note">No finite logits to draw.</p>';
  let lo = Math.min(0, ...xs);
  let hi = Math.max(0, ...xs);
  if (hi - lo < 1e-12) {
    lo -= 1;
    hi += 1;
  }
  const k = Math.max(5, Math.min(40, Math.ceil(Math.log2(xs.length)) + 1));
  const width = (hi - lo) / k;
  const counts = new Array<number>(k).fill(0);
  for (const x of xs) counts[Math.min(k - 1, Math.floor((x - lo) / width))]!++;
  const maxCount = Math.max(...counts);
  const W = 420, H = 140, L = 34, R = 10, T = 8, B = 34;
  const pw = W - L - R, ph = H - T - B, bw = pw / k;
  const X = (v: number): number => L + ((v - lo) / (hi - lo)) * pw;
  const r = (v: number): string => String(Math.round(v * 100) / 100);
  const bars = counts
    .map((c, i) => {
      const a = lo + i * width;
      const h = (c / maxCount) * ph;
      const fill = a + width / 2 < 0 ? '#d95f02' : '#1b9e77';
      return `<rect data-bin="${i}" x="${r(L + i * bw + 0.5)}" y="${r(T + ph - h)}" width="${r(Math.max(0, bw - 1))}" height="${r(h)}" fill="${fill}"><title>[${fmt(a)}, ${fmt(a + width)}): ${c}</title></rect>`;
    })
    .join('');
  const zx = r(X(0));
  return `<svg class="hist" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="histogram of the PBO logits">
<line x1="${L}" y1="${T + ph}" x2="${W - R}" y2="${T + ph}" stroke="#888"/>
${bars}
<line data-zero="" x1="${zx}" y1="${T - 4}" x2="${zx}" y2="${T + ph + 4}" stroke="#c00" stroke-width="1.5" stroke-dasharray="4 2"/>
<text class="tick" x="${L}" y="${T + ph + 16}" text-anchor="start">${fmt(lo)}</text>
<text class="tick" x="${zx}" y="${T + ph + 16}" text-anchor="middle">0</text>
<text class="tick" x="${W - R}" y="${T + ph + 16}" text-anchor="end">${fmt(hi)}</text>
<text class="tick" x="${L - 4}" y="${T + 10}" text-anchor="end">${maxCount}</text>
<text class="axis" x="${L + pw / 2}" y="${H - 4}" text-anchor="middle">logit λ, ${xs.length} combinations (left of 0: overfit)</text>
</svg>`;
}

function walkForward(board: Scoreboard): string {
  if (board.walkForward.length === 0) return '';
  const e = escapeHtml;
  const rows = board.walkForward
    .map(
      (w) =>
        `<tr><td class="num">${fmt(w.fold)}</td><td title="${e(w.hash)}"><code>${e(w.hash.slice(0, 10))}</code></td><td class="num">${fmt(w.objectiveIs)}</td><td class="num">${fmt(w.objectiveOos)}</td></tr>`,
    )
    .join('\n');
  return `<section>
<h2>Walk-forward selection</h2>
<p class="muted">At each fold, the best run in sample and what it did on the next, unseen segment.</p>
<table class="runs wf" id="walk-forward"><thead><tr><th>fold</th><th>hash</th><th>objective IS</th><th>objective OOS</th></tr></thead>
<tbody>
${rows}
</tbody></table>
</section>`;
}

const CSS = `
:root{--fg:#1d2330;--muted:#5b6475;--line:#d8dce3;--bg:#fff;--panel:#f6f7f9;--accent:#2c5aa0}
*{box-sizing:border-box}
body{margin:24px;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:var(--bg)}
h1{font-size:22px;margin:0 0 8px}h2{font-size:16px;margin:20px 0 8px}
code{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:0}.meta dt{color:var(--muted)}.meta dd{margin:0}
.segments{margin:2px 0;padding-left:18px;font:12px ui-monospace,Menlo,Consolas,monospace}
.panels{display:grid;grid-template-columns:repeat(auto-fit,minmax(380px,1fr));gap:16px;margin-top:16px}
.panel{background:var(--panel);border:1px solid var(--line);border-radius:6px;padding:4px 14px 10px}
.stats{display:flex;flex-wrap:wrap;gap:6px}
.stat{background:#fff;border:1px solid var(--line);border-radius:4px;padding:3px 8px;min-width:74px}
.stat .k{display:block;font-size:11px;color:var(--muted)}.stat .v{font-size:15px;font-variant-numeric:tabular-nums}
.explain{font-size:12px;color:var(--muted);margin:8px 0 0}.explain cite{font-style:italic}
.note{color:var(--muted);font-style:italic}.muted{color:var(--muted);font-size:12px}
.hist{display:block;margin-top:8px}
.tick{font-size:11px;fill:var(--muted)}.axis{font-size:12px;fill:var(--fg)}.cell-label{font-size:10px}
.scroll{overflow-x:auto;max-width:100%}
table.runs{border-collapse:collapse;font-size:12px;font-variant-numeric:tabular-nums}
.runs th,.runs td{border-bottom:1px solid var(--line);padding:3px 8px;text-align:left;white-space:nowrap}
.runs thead th{background:var(--panel);position:sticky;top:0}
.runs th[data-key]{cursor:pointer;user-select:none}.runs th[data-key]:hover{color:var(--accent)}
.runs tr.groups th{font-weight:600;text-align:center;border-bottom:none}
.runs td.num{text-align:right}.runs td.null{color:#aab}
.runs tr.failed td{background:#fff3f2}.runs tr.failed td:last-child{color:#a31515;white-space:normal;min-width:240px}
.runs tbody tr:hover td{background:#eef3fb}
.picker{margin:6px 0;display:flex;flex-wrap:wrap;gap:4px 12px;align-items:center}
#heatmap svg{display:block;margin-top:6px}
`;
