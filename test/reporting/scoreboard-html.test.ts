/**
 * The scoreboard page: its static text (escaping, determinism, the overfitting panel, empty
 * cases) checked on the string, then the page itself in headless Chromium — no console error, the
 * table sorts, the heatmap has the cells worked out by hand in boards.ts and redraws on the selects,
 * and a screenshot shows pixels that are not all one colour.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { renderScoreboardHtml } from '../../src/reporting/scoreboard-html.js';
import { SCOREBOARD_SCRIPT } from '../../src/reporting/scoreboard-script.js';
import { UserInputError } from '../../src/core/errors.js';
import type { Scoreboard } from '../../src/sweep/types.js';
import { Chromium, decodePng, pixelStats, type Page } from '../helpers/chromium.js';
import { LOGITS, MAIN_BOARD, MAIN_ROWS, smallBoard } from './boards.js';

const PAYLOAD = '</script><img src=x onerror="window.__pwned=1">';
const INJECTION_BOARD: Scoreboard = {
  ...smallBoard(['p', '<b>q</b>'], [
    { params: { p: PAYLOAD, '<b>q</b>': 1 }, oos: 0.2 },
    { params: { p: 'plain', '<b>q</b>': 2 }, oos: 0.1 },
    { params: { p: '<!--', '<b>q</b>': 2 }, oos: null, error: '<script>window.__pwned=2</script>' },
  ]),
  name: '<img src=x onerror="window.__pwned=3">',
  metrics: ['sharpe', '<i>m</i>'],
};

function embeddedJson(html: string): unknown {
  const m = /<script type="application\/json" id="board-data">([\s\S]*?)<\/script>/.exec(html);
  expect(m, 'the page embeds the board as JSON').not.toBeNull();
  return JSON.parse(m![1]!);
}

describe('renderScoreboardHtml (the page text)', () => {
  it('escapes every string of the board: no markup from a name, parameter, metric or error reaches the page', () => {
    const html = renderScoreboardHtml(INJECTION_BOARD, { title: 'a<b & "c"' });
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>q');
    expect(html).not.toContain('<i>m');
    expect(html).not.toContain('<!--');
    expect(html.match(/<script/g)?.length, 'only the data block and the page script').toBe(2);
    expect(html.match(/<\/script>/g)?.length).toBe(2);
    expect(html).toContain('<title>a&lt;b &amp; &quot;c&quot;</title>');
    expect(html).toContain('&lt;img src=x onerror=&quot;window.__pwned=3&quot;&gt;');
    expect(html).toContain('<code>&lt;b&gt;q&lt;/b&gt;</code>');
    expect(embeddedJson(html), 'the escaped JSON reads back as the same board').toEqual(INJECTION_BOARD);
  });

  it('keeps the page script free of what would end or break it inline', () => {
    expect(SCOREBOARD_SCRIPT).not.toMatch(/<\/script/i);
    expect(SCOREBOARD_SCRIPT).not.toContain('`');
    expect(SCOREBOARD_SCRIPT).not.toContain('${');
  });

  it('is deterministic: the same bytes whatever the clock and the random source', () => {
    const a = renderScoreboardHtml(MAIN_BOARD);
    vi.useFakeTimers();
    try {
      vi.setSystemTime(new Date('2031-07-04T12:34:56Z'));
      const random = vi.spyOn(Math, 'random').mockReturnValue(0.123);
      const b = renderScoreboardHtml(structuredClone(MAIN_BOARD));
      random.mockRestore();
      expect(b).toBe(a);
    } finally {
      vi.useRealTimers();
    }
    expect(renderScoreboardHtml(MAIN_BOARD)).toBe(a);
  });

  it('loads nothing from outside the file', () => {
    const html = renderScoreboardHtml(MAIN_BOARD);
    for (const bad of [/\ssrc\s*=/i, /\shref\s*=/i, /<link/i, /@import/i, /url\(/i, /<iframe/i]) expect(html).not.toMatch(bad);
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none';`);
  });

  it('shows the header: name, hash, objective, segments in ISO UTC, runs and failures', () => {
    const html = renderScoreboardHtml(MAIN_BOARD);
    expect(html).toContain('<dd>ofi thresholds BTCUSDT</dd>');
    expect(html).toContain('<code>sw-3f9a2c71d0be4e58</code>');
    expect(html).toContain('sharpe (maximise)');
    // 1709251200000 ms = 2024-03-01T00:00Z, 1709856000000 = 2024-03-08, 1710115200000 = 2024-03-11 (19783, 19790, 19793 days × 86 400 000)
    expect(html).toContain('<li>train fold 0: 2024-03-01T00:00:00.000Z → 2024-03-08T00:00:00.000Z</li>');
    expect(html).toContain('<li>test fold 0: 2024-03-08T00:00:00.000Z → 2024-03-11T00:00:00.000Z</li>');
    expect(html).toContain('<dd>12 (1 failed)</dd>');
    expect(html, 'no walk-forward section for a split').not.toContain('id="walk-forward"');
  });

  it('fills the overfitting panel: DSR inputs, PBO with its cited explanations and a histogram of all 70 logits', () => {
    const html = renderScoreboardHtml(MAIN_BOARD);
    const stat = (k: string) => new RegExp(`<span class="k">${k}</span><span class="v">([^<]*)</span>`).exec(html)?.[1];
    expect([stat('DSR'), stat('trials N'), stat('SR'), stat('SR₀'), stat('T'), stat('skew'), stat('kurt')]).toEqual([
      '0.74', '11', '0.11', '0.086', '720', '-0.3', '4.2',
    ]);
    // φ = 32/70 = 0.457142… → 4 significant digits
    expect([stat('PBO φ'), stat('blocks S'), stat('combinations'), stat('slope'), stat('R²'), stat('P\\[loss\\]')]).toEqual([
      '0.4571', '8', '70', '-0.42', '0.18', '0.3',
    ]);
    expect(html).toContain('Bailey &amp; López de Prado (2014)');
    expect(html).toContain('Bailey, Borwein, López de Prado &amp; Zhu (2015)');
    // bins: max(5, min(40, ⌈log2 70⌉ + 1)) = 8
    const bins = [...html.matchAll(/<rect data-bin="\d+"[^>]*><title>[^<]*: (\d+)<\/title>/g)].map((m) => Number(m[1]));
    expect(bins.length).toBe(8);
    expect(bins.reduce((a, b) => a + b, 0)).toBe(LOGITS.length);
    expect(html).toContain('<line data-zero=""');
    expect(html).not.toContain('Not enough runs/returns');
  });

  it('says "not enough runs/returns" when the DSR and PBO are null', () => {
    const html = renderScoreboardHtml({ ...MAIN_BOARD, deflatedSharpe: null, pbo: null });
    expect(html).toContain('Not enough runs/returns for the deflated Sharpe ratio.');
    expect(html).toContain('Not enough runs/returns for the probability of backtest overfitting.');
    expect(html).not.toContain('data-bin=');
    expect(html).not.toContain('data-panel=');
  });

  it('renders the walk-forward selection when there is one', () => {
    const board: Scoreboard = {
      ...MAIN_BOARD,
      validation: { scheme: 'walk-forward', segments: MAIN_BOARD.validation.segments },
      walkForward: [
        { fold: 0, hash: MAIN_ROWS[0]!.hash, objectiveIs: 0.15, objectiveOos: 0.11 },
        { fold: 1, hash: '<x>', objectiveIs: 0.13, objectiveOos: null },
      ],
    };
    const html = renderScoreboardHtml(board);
    const table = /<table class="runs wf" id="walk-forward">[\s\S]*?<\/table>/.exec(html)?.[0] ?? '';
    expect(table.match(/<tr><td/g)?.length).toBe(2);
    expect(table).toContain('<td class="num">0.15</td><td class="num">0.11</td>');
    expect(table).toContain('<code>&lt;x&gt;</code>');
    expect(table).toContain('<td class="num">—</td>');
  });

  it('keeps the top N ranked runs with option top, and refuses a top that is not a positive integer', () => {
    const html = renderScoreboardHtml(MAIN_BOARD, { top: 3 });
    const board = embeddedJson(html) as Scoreboard;
    expect(board.rows.map((r) => r.rank)).toEqual([1, 2, 3]);
    expect(html).toContain('show the 3 best-ranked of 12 runs (failed runs left out)');
    for (const top of [0, -1, 1.5, Number.NaN]) {
      expect(() => renderScoreboardHtml(MAIN_BOARD, { top })).toThrow(UserInputError);
    }
  });
});

// ---------------------------------------------------------------------------------------------

const SHOTS = resolve(fileURLToPath(new URL('../../.tmp/reporting', import.meta.url)));

/** The text of a table column, top to bottom. */
const column = (key: string) => `(() => {
  const ths = [...document.querySelectorAll('#runs th[data-key]')];
  const i = ths.findIndex((t) => t.dataset.key === ${JSON.stringify(key)});
  if (i < 0) throw new Error('no column ' + ${JSON.stringify(key)});
  return [...document.querySelectorAll('#runs tbody tr')].map((tr) => tr.children[i].textContent);
})()`;
const clickHeader = (key: string) =>
  `[...document.querySelectorAll('#runs th[data-key]')].find((t) => t.dataset.key === ${JSON.stringify(key)}).click()`;
const select = (id: string, value: string) =>
  `(() => { const s = document.getElementById(${JSON.stringify(id)}); s.value = ${JSON.stringify(value)}; s.dispatchEvent(new Event('change')); })()`;
/** The heatmap's cells as `x|y` → [value, runs]. */
const CELLS = `Object.fromEntries([...document.querySelectorAll('#heatmap rect[data-cell]')].map((r) =>
  [r.dataset.x + '|' + r.dataset.y, [r.dataset.value === '' ? null : Number(r.dataset.value), Number(r.dataset.runs)]]))`;
const rect = (selector: string) => `(() => { window.scrollTo(0, 0); const r = document.querySelector(${JSON.stringify(selector)}).getBoundingClientRect();
  return { x: r.left + window.scrollX, y: r.top + window.scrollY, width: r.width, height: r.height }; })()`;

describe('the scoreboard page in headless Chromium', () => {
  // Launched by the first test that needs it, so a missing Chromium fails every browser test
  // with the install command instead of leaving them skipped behind a failed hook.
  let browser: Promise<Chromium> | undefined;
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ofi-scoreboard-html-'));
  });
  afterAll(async () => {
    await (await browser?.catch(() => undefined))?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function open(board: Scoreboard, name: string): Promise<Page> {
    const file = join(dir, `${name}.html`);
    writeFileSync(file, renderScoreboardHtml(board));
    browser ??= Chromium.launch({ width: 1400, height: 1000 });
    const page = await (await browser).newPage();
    await page.goto(pathToFileURL(file).href);
    expect(await page.evaluate('document.body.dataset.ready'), 'the page script ran to its end').toBe('true');
    return page;
  }

  it('draws the main board without errors; the table sorts on header clicks; the heatmap matches the hand-worked cells and redraws', async () => {
    const page = await open(MAIN_BOARD, 'main');
    expect(await page.evaluate(`document.querySelectorAll('#runs tbody tr').length`)).toBe(12);
    expect(await page.evaluate(`document.querySelectorAll('#runs th[data-key]').length`), 'rank, hash, 3 params, objective IS/OOS, 4 metrics × IS/OOS, error').toBe(16);
    expect(await page.evaluate(column('rank'))).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '—']);
    expect(await page.evaluate(`[...document.querySelectorAll('#runs tr.failed td')].at(-1).textContent`)).toBe(MAIN_ROWS[11]!.error);

    // A real mouse click on the window header: numeric order (a text sort would put 100 before 50).
    const th = await page.evaluate<{ x: number; y: number }>(`(() => { const t = [...document.querySelectorAll('#runs th[data-key]')].find((t) => t.dataset.key === 'p:signal.window');
      t.scrollIntoView(); const r = t.getBoundingClientRect(); return { x: r.left + r.width / 2, y: r.top + r.height / 2 }; })()`);
    await page.click(th.x, th.y);
    expect(await page.evaluate(column('p:signal.window'))).toEqual(['50', '50', '50', '50', '100', '100', '100', '100', '200', '200', '200', '200']);
    await page.evaluate(clickHeader('p:signal.window'));
    expect(await page.evaluate(column('p:signal.window'))).toEqual(['200', '200', '200', '200', '100', '100', '100', '100', '50', '50', '50', '50']);
    // Objective OOS: ascending then descending, the failed run last both ways.
    await page.evaluate(clickHeader('obj:oos'));
    let oos = await page.evaluate<string[]>(column('obj:oos'));
    expect([oos[0], oos.at(-2), oos.at(-1)]).toEqual(['-0.04', '0.11', '—']);
    expect((await page.evaluate<string[]>(column('hash')))[0]).toBe(MAIN_ROWS[10]!.hash.slice(0, 10));
    await page.evaluate(clickHeader('obj:oos'));
    oos = await page.evaluate<string[]>(column('obj:oos'));
    expect([oos[0], oos.at(-2), oos.at(-1)]).toEqual(['0.11', '-0.04', '—']);
    await page.evaluate(clickHeader('p:risk.side'));
    expect(await page.evaluate(column('p:risk.side'))).toEqual([...Array(6).fill('both'), ...Array(6).fill('long')]);

    // Metric columns come and go with their checkbox.
    await page.evaluate(`document.querySelector('input[data-metric="trades"]').click()`);
    expect(await page.evaluate(`document.querySelectorAll('#runs th[data-key^="m:"][data-key$=":trades"]').length`)).toBe(0);
    await page.evaluate(`document.querySelector('input[data-metric="trades"]').click()`);
    expect(await page.evaluate(`document.querySelectorAll('#runs th[data-key^="m:"][data-key$=":trades"]').length`)).toBe(2);

    // Heatmap, window × threshold: the max OOS sharpe of each pair (boards.ts), 2 runs each.
    expect(await page.evaluate(CELLS)).toEqual({
      '50|1': [0.08, 2], '50|2': [0.01, 2], '100|1': [0.11, 2], '100|2': [0.06, 2], '200|1': [0.09, 2], '200|2': [-0.01, 2],
    });
    expect(await page.evaluate(`[...new Set([...document.querySelectorAll('#heatmap rect[data-cell]')].sort((a, b) => a.x.baseVal.value - b.x.baseVal.value).map((r) => r.dataset.x))]`),
      'x values in numeric order').toEqual(['50', '100', '200']);
    expect(await page.evaluate(`document.querySelector('#heatmap rect[data-x="100"][data-y="1"]').getAttribute('fill')`), 'the best cell has the top colour').toBe('rgb(253,231,37)');
    expect(await page.evaluate(`document.querySelector('#heatmap rect[data-x="200"][data-y="2"]').getAttribute('fill')`), 'the worst the bottom one').toBe('rgb(68,1,84)');
    expect(await page.evaluate(`document.querySelector('#heatmap rect[data-x="200"][data-y="2"] title').textContent`)).toContain('2 runs (1 without a value)');

    await page.evaluate(select('hm-y', 'risk.side'));
    expect(await page.evaluate(CELLS)).toEqual({
      '50|both': [0.05, 2], '50|long': [0.08, 2], '100|both': [0.11, 2], '100|long': [0.03, 2], '200|both': [0.09, 2], '200|long': [0.02, 2],
    });
    await page.evaluate(select('hm-x', 'signal.threshold'));
    expect(await page.evaluate(CELLS)).toEqual({ '1|both': [0.11, 3], '1|long': [0.08, 3], '2|both': [0.06, 3], '2|long': [0.01, 3] });
    await page.evaluate(select('hm-y', ''));
    expect(await page.evaluate(CELLS)).toEqual({ '1|': [0.11, 6], '2|': [0.06, 6] });

    // Back to the default view; the screenshot shows a drawn table and heatmap, not a blank page.
    await page.evaluate(select('hm-x', 'signal.window'));
    await page.evaluate(select('hm-y', 'signal.threshold'));
    await page.evaluate(clickHeader('rank'));
    const size = await page.evaluate<{ w: number; h: number }>(`({ w: document.documentElement.scrollWidth, h: document.documentElement.scrollHeight })`);
    const full = await page.screenshot({ x: 0, y: 0, width: size.w, height: size.h });
    mkdirSync(SHOTS, { recursive: true });
    writeFileSync(join(SHOTS, 'scoreboard.png'), full);
    const png = decodePng(full);
    expect([png.width, png.height]).toEqual([size.w, size.h]);
    expect(pixelStats(png).lumaVariance).toBeGreaterThan(0);
    const heat = pixelStats(decodePng(await page.screenshot(await page.evaluate(rect('#heatmap svg')))));
    expect(heat.colours, 'six differently coloured cells at least').toBeGreaterThanOrEqual(6);
    expect(heat.lumaVariance).toBeGreaterThan(100);
    const table = pixelStats(decodePng(await page.screenshot(await page.evaluate(rect('#runs')))));
    expect(table.lumaVariance, 'the table has text on it').toBeGreaterThan(100);
    const hist = pixelStats(decodePng(await page.screenshot(await page.evaluate(rect('svg.hist')))));
    expect(hist.lumaVariance, 'the logit histogram is drawn').toBeGreaterThan(100);

    expect(page.errors).toEqual([]);
  });

  it('shows injected markup as text and runs none of it', async () => {
    const page = await open(INJECTION_BOARD, 'injection');
    expect(await page.evaluate('typeof window.__pwned')).toBe('undefined');
    expect(await page.evaluate('document.images.length')).toBe(0);
    expect(await page.evaluate(`document.querySelectorAll('script').length`)).toBe(2);
    expect(await page.evaluate(column('p:p'))).toContain(PAYLOAD);
    expect(await page.evaluate(column('error'))).toContain('<script>window.__pwned=2</script>');
    expect(await page.evaluate('document.title')).toBe('Sweep <img src=x onerror="window.__pwned=3">');
    expect(await page.evaluate(`[...document.querySelectorAll('#heatmap text')].map((t) => t.textContent)`)).toContain(PAYLOAD);
    expect(await page.evaluate(`[...document.querySelectorAll('#runs th')].map((t) => t.textContent)`)).toContain('<i>m</i>');
    expect(page.errors).toEqual([]);
  });

  it('draws a one-row strip for one parameter (numeric order, min direction keeps the lowest)', async () => {
    const board = smallBoard(['w'], [
      { params: { w: 1 }, oos: 0.3 },
      { params: { w: 10 }, oos: 0.4 },
      { params: { w: 2 }, oos: 0.5 },
      { params: { w: 1 }, oos: 0.2 },
      { params: { w: 10 }, oos: null, error: 'boom' },
    ], 'min');
    const page = await open(board, 'one-param');
    expect(await page.evaluate(CELLS)).toEqual({ '1|': [0.2, 2], '2|': [0.5, 1], '10|': [0.4, 2] });
    expect(await page.evaluate(`[...document.querySelectorAll('#heatmap rect[data-cell]')].sort((a, b) => a.x.baseVal.value - b.x.baseVal.value).map((r) => r.dataset.x)`)).toEqual(['1', '2', '10']);
    expect(await page.evaluate(`document.querySelector('#heatmap rect[data-x="1"]').getAttribute('fill')`), 'lowest is best when minimising').toBe('rgb(253,231,37)');
    expect(await page.evaluate(`[...document.getElementById('hm-y').options].map((o) => o.value)`)).toEqual(['', 'w']);
    expect(await page.evaluate(`document.querySelectorAll('#runs tbody tr').length`)).toBe(5);
    expect(page.errors).toEqual([]);
  });

  it('says there is nothing to map with no parameter, and still lists the runs', async () => {
    const board = smallBoard([], [{ params: {}, oos: 0.1 }, { params: {}, oos: 0.2 }, { params: {}, oos: null, error: 'x' }]);
    const page = await open(board, 'no-param');
    expect(await page.evaluate(`document.querySelectorAll('#heatmap rect[data-cell]').length`)).toBe(0);
    expect(await page.evaluate(`document.getElementById('hm-note').textContent`)).toBe('No swept parameters: there is nothing to map.');
    expect(await page.evaluate(`document.getElementById('hm-controls').hidden`)).toBe(true);
    expect(await page.evaluate(column('rank'))).toEqual(['1', '2', '—']);
    expect(page.errors).toEqual([]);
  });
});
