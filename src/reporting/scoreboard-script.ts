/**
 * The inline script of the scoreboard page ({@link renderScoreboardHtml}): it reads the board from
 * the page's `<script type="application/json" id="board-data">` and draws the sortable table of
 * runs and the heatmap of the objective over two parameters.
 *
 * It is plain browser JavaScript kept as a string, so the page needs nothing but itself. Every
 * string from the board reaches the page through `textContent` or `setAttribute`, never as markup,
 * so a parameter value cannot inject HTML. The text contains no `</script`, no backtick and no
 * template placeholder (checked by the page's tests).
 */
export const SCOREBOARD_SCRIPT = String.raw`
(function () {
  'use strict';
  var SVG_NS = 'http://www.w3.org/2000/svg';
  var board = JSON.parse(document.getElementById('board-data').textContent);
  var params = board.parameters || [];
  var metrics = board.metrics || [];
  var rows = board.rows || [];
  var maximise = board.objective.direction !== 'min';
  var useOos = rows.some(function (r) { return r.objectiveOos !== null && r.objectiveOos !== undefined; });
  var hasOos = useOos || rows.some(function (r) { return r.oos !== null && r.oos !== undefined; });

  /* Same rules as fmt() in scoreboard-html.ts: integers whole, large numbers rounded, small in exponent form, else 4 significant digits. */
  function fmt(x) {
    if (x === null || x === undefined) return '\u2014';
    if (typeof x !== 'number') return String(x);
    if (!isFinite(x)) return String(x);
    if (Number.isInteger(x) && Math.abs(x) < 1e15) return String(x);
    var a = Math.abs(x);
    if (a >= 1e9 || (a !== 0 && a < 1e-4)) return x.toExponential(3);
    if (a >= 1000) return String(Math.round(x));
    return String(Number(x.toPrecision(4)));
  }
  function isNull(v) { return v === null || v === undefined || (typeof v === 'number' && isNaN(v)); }
  /* Numbers numerically (booleans as 0/1), numbers before strings, strings by code units. */
  function compareValues(a, b) {
    var na = typeof a === 'number' || typeof a === 'boolean';
    var nb = typeof b === 'number' || typeof b === 'boolean';
    if (na && nb) return Number(a) - Number(b);
    if (na !== nb) return na ? -1 : 1;
    var sa = String(a), sb = String(b);
    return sa < sb ? -1 : sa > sb ? 1 : 0;
  }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function svg(tag, attrs, text) {
    var e = document.createElementNS(SVG_NS, tag);
    if (attrs) for (var k in attrs) e.setAttribute(k, String(attrs[k]));
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function metricOf(seg, name) { return seg ? seg[name] : null; }
  function paramKey(v) { return v === undefined ? 'u:' : typeof v + ':' + String(v); }

  /* ---- table ---- */
  var shown = {};
  metrics.forEach(function (m, i) { shown[m] = i < 8; });
  function columns() {
    var cols = [];
    cols.push({ key: 'rank', group: '', label: 'rank', num: true, get: function (r) { return r.rank; } });
    cols.push({ key: 'hash', group: '', label: 'hash', get: function (r) { return r.hash; }, short: true });
    params.forEach(function (p) {
      cols.push({ key: 'p:' + p, group: 'parameters', label: p, get: function (r) { return r.params ? r.params[p] : undefined; } });
    });
    var ob = 'objective ' + board.objective.metric + ' (' + board.objective.direction + ')';
    cols.push({ key: 'obj:is', group: ob, label: 'IS', num: true, get: function (r) { return r.objectiveIs; } });
    if (hasOos) cols.push({ key: 'obj:oos', group: ob, label: 'OOS', num: true, get: function (r) { return r.objectiveOos; } });
    metrics.forEach(function (m) {
      if (!shown[m]) return;
      cols.push({ key: 'm:is:' + m, group: m, label: 'IS', num: true, get: function (r) { return metricOf(r.is, m); } });
      if (hasOos) cols.push({ key: 'm:oos:' + m, group: m, label: 'OOS', num: true, get: function (r) { return metricOf(r.oos, m); } });
    });
    cols.push({ key: 'error', group: '', label: 'error', get: function (r) { return r.error; } });
    return cols;
  }
  var sort = { key: 'rank', dir: 1 };
  function sortedRows(cols) {
    var col = cols.filter(function (c) { return c.key === sort.key; })[0] || cols[0];
    var order = rows.map(function (r, i) { return i; });
    order.sort(function (i, j) {
      var a = col.get(rows[i]), b = col.get(rows[j]);
      var an = isNull(a), bn = isNull(b);
      if (an || bn) return an && bn ? i - j : an ? 1 : -1;
      return compareValues(a, b) * sort.dir || i - j;
    });
    return order.map(function (i) { return rows[i]; });
  }
  function drawTable() {
    var table = document.getElementById('runs');
    var cols = columns();
    var thead = el('thead'), groups = el('tr', { class: 'groups' }), heads = el('tr');
    var i = 0;
    while (i < cols.length) {
      var g = cols[i].group, span = 1;
      while (i + span < cols.length && cols[i + span].group === g && g !== '') span++;
      groups.appendChild(el('th', { colspan: String(span) }, g));
      i += span;
    }
    cols.forEach(function (c) {
      var th = el('th', { 'data-key': c.key, tabindex: '0', title: 'sort by ' + (c.group ? c.group + ' ' : '') + c.label }, c.label);
      if (c.key === sort.key) {
        th.setAttribute('aria-sort', sort.dir > 0 ? 'ascending' : 'descending');
        th.appendChild(el('span', { class: 'arrow' }, sort.dir > 0 ? ' \u25b2' : ' \u25bc'));
      }
      th.addEventListener('click', function () { clickSort(c.key); });
      th.addEventListener('keydown', function (e) { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); clickSort(c.key); } });
      heads.appendChild(th);
    });
    thead.appendChild(groups);
    thead.appendChild(heads);
    var tbody = el('tbody');
    sortedRows(cols).forEach(function (r) {
      var tr = el('tr', { 'data-hash': String(r.hash) });
      if (r.error !== null && r.error !== undefined) tr.className = 'failed';
      cols.forEach(function (c) {
        var v = c.get(r);
        var td = el('td', null, c.short ? String(v).slice(0, 10) : fmt(v));
        if (c.short) td.setAttribute('title', String(v));
        if (c.num || typeof v === 'number') td.className = 'num';
        if (isNull(v)) td.className += ' null';
        tr.appendChild(td);
      });
      tbody.appendChild(tr);
    });
    table.textContent = '';
    table.appendChild(thead);
    table.appendChild(tbody);
  }
  function clickSort(key) {
    if (sort.key === key) sort.dir = -sort.dir;
    else sort = { key: key, dir: 1 };
    drawTable();
    var th = document.querySelectorAll('#runs th[data-key]');
    for (var i = 0; i < th.length; i++) if (th[i].getAttribute('data-key') === key) th[i].focus();
  }
  function drawMetricPicker() {
    var box = document.getElementById('metric-picker');
    if (!metrics.length) { box.hidden = true; return; }
    box.appendChild(el('span', { class: 'muted' }, 'Metric columns: '));
    metrics.forEach(function (m) {
      var label = el('label');
      var cb = el('input', { type: 'checkbox', 'data-metric': m });
      cb.checked = shown[m];
      cb.addEventListener('change', function () { shown[m] = cb.checked; drawTable(); });
      label.appendChild(cb);
      label.appendChild(document.createTextNode(' ' + m));
      box.appendChild(label);
    });
  }

  /* ---- heatmap ---- */
  var STOPS = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
  function colour(t) {
    t = Math.max(0, Math.min(1, t)) * (STOPS.length - 1);
    var i = Math.min(STOPS.length - 2, Math.floor(t)), f = t - i, a = STOPS[i], b = STOPS[i + 1];
    return 'rgb(' + [0, 1, 2].map(function (k) { return Math.round(a[k] + (b[k] - a[k]) * f); }).join(',') + ')';
  }
  function axis(p) {
    var seen = {}, vals = [];
    rows.forEach(function (r) {
      var v = r.params ? r.params[p] : undefined, k = paramKey(v);
      if (!(k in seen)) { seen[k] = true; vals.push(v); }
    });
    vals.sort(function (a, b) {
      if (a === undefined || b === undefined) return a === undefined ? (b === undefined ? 0 : 1) : -1;
      return compareValues(a, b);
    });
    return vals;
  }
  function label(v) { return v === undefined ? '\u2014' : typeof v === 'number' ? fmt(v) : String(v); }
  function drawHeatmap() {
    var box = document.getElementById('heatmap');
    box.textContent = '';
    var px = document.getElementById('hm-x').value, py = document.getElementById('hm-y').value;
    if (py === px) py = '';
    var xs = axis(px), ys = py ? axis(py) : [undefined];
    var xi = {}, yi = {};
    xs.forEach(function (v, i) { xi[paramKey(v)] = i; });
    ys.forEach(function (v, i) { yi[paramKey(v)] = i; });
    var cells = {};
    rows.forEach(function (r) {
      var x = r.params ? r.params[px] : undefined, y = py && r.params ? r.params[py] : undefined;
      var k = xi[paramKey(x)] + ',' + yi[paramKey(y)];
      var c = cells[k] || (cells[k] = { x: x, y: y, runs: 0, valued: 0, best: null });
      c.runs++;
      var v = useOos ? r.objectiveOos : r.objectiveIs;
      if (isNull(v)) return;
      c.valued++;
      if (c.best === null || (maximise ? v > c.best : v < c.best)) c.best = v;
    });
    var lo = Infinity, hi = -Infinity;
    Object.keys(cells).forEach(function (k) {
      var b = cells[k].best;
      if (b !== null) { lo = Math.min(lo, b); hi = Math.max(hi, b); }
    });
    function toT(v) { if (hi === lo) return 0.5; var t = (v - lo) / (hi - lo); return maximise ? t : 1 - t; }
    var cw = Math.max(44, Math.min(88, Math.floor(880 / xs.length))), ch = 34;
    var ylabW = py ? Math.min(200, 16 + 7 * Math.max.apply(null, ys.map(function (v) { return label(v).length; }))) : 8;
    var rotate = xs.some(function (v) { return label(v).length * 7 > cw - 4; });
    var xlabH = rotate ? Math.min(140, 14 + 5 * Math.max.apply(null, xs.map(function (v) { return label(v).length; }))) : 20;
    var left = ylabW, top = py ? 24 : 8, W = Math.max(left + cw * xs.length + 12, py ? 8 * py.length + 24 : 0, 7 * px.length + 24), H = top + ch * ys.length + xlabH + 26;
    var s = svg('svg', { width: W, height: H, viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': 'heatmap of the objective' });
    var what = 'objective ' + (useOos ? 'OOS ' : 'IS ') + board.objective.metric;
    Object.keys(cells).sort().forEach(function (k) {
      var c = cells[k], ix = xi[paramKey(c.x)], iy = yi[paramKey(c.y)];
      var x0 = left + ix * cw, y0 = top + iy * ch;
      var fill = c.best === null ? '#d9d9d9' : colour(toT(c.best));
      var rect = svg('rect', { x: x0 + 1, y: y0 + 1, width: cw - 2, height: ch - 2, fill: fill, 'data-cell': '',
        'data-x': label(c.x), 'data-y': py ? label(c.y) : '', 'data-runs': c.runs, 'data-value': c.best === null ? '' : c.best });
      var tip = px + ' = ' + label(c.x) + (py ? ', ' + py + ' = ' + label(c.y) : '') + '\n' +
        (maximise ? 'max ' : 'min ') + what + ': ' + fmt(c.best) + '\n' + c.runs + (c.runs === 1 ? ' run' : ' runs') +
        (c.runs > c.valued ? ' (' + (c.runs - c.valued) + ' without a value)' : '');
      rect.appendChild(svg('title', null, tip));
      s.appendChild(rect);
      var txt = c.best === null ? '\u00d7' : fmt(c.best);
      if (txt.length * 6.5 < cw - 4) {
        var light = c.best !== null && toT(c.best) > 0.6;
        s.appendChild(svg('text', { x: x0 + cw / 2, y: y0 + ch / 2 + 4, 'text-anchor': 'middle', class: 'cell-label',
          fill: light || c.best === null ? '#111' : '#fff' }, txt));
      }
    });
    ys.forEach(function (v, i) {
      if (py) s.appendChild(svg('text', { x: left - 6, y: top + i * ch + ch / 2 + 4, 'text-anchor': 'end', class: 'tick' }, label(v)));
    });
    xs.forEach(function (v, i) {
      var x = left + i * cw + cw / 2, y = top + ch * ys.length + 14;
      s.appendChild(svg('text', rotate ? { x: x, y: y, 'text-anchor': 'end', class: 'tick', transform: 'rotate(-40 ' + x + ' ' + y + ')' }
        : { x: x, y: y, 'text-anchor': 'middle', class: 'tick' }, label(v)));
    });
    s.appendChild(svg('text', { x: left + (cw * xs.length) / 2, y: H - 6, 'text-anchor': 'middle', class: 'axis' }, px));
    if (py) s.appendChild(svg('text', { x: 0, y: 14, class: 'axis' }, py + ' \u2193'));
    box.appendChild(s);
    box.appendChild(legend(lo, hi, what));
  }
  function legend(lo, hi, what) {
    var n = 24, w = 10, L = 60, W = L * 2 + n * w, s = svg('svg', { width: W, height: 44, viewBox: '0 0 ' + W + ' 44', class: 'legend' });
    if (lo > hi) { s.appendChild(svg('text', { x: 0, y: 20, class: 'tick' }, 'no run has a value')); return s; }
    for (var i = 0; i < n; i++) s.appendChild(svg('rect', { x: L + i * w, y: 4, width: w, height: 14, fill: colour(i / (n - 1)), 'data-legend': '' }));
    s.appendChild(svg('text', { x: L - 6, y: 15, 'text-anchor': 'end', class: 'tick' }, fmt(maximise ? lo : hi)));
    s.appendChild(svg('text', { x: L + n * w + 6, y: 15, class: 'tick' }, fmt(maximise ? hi : lo)));
    s.appendChild(svg('text', { x: L + (n * w) / 2, y: 36, 'text-anchor': 'middle', class: 'tick' }, what + ': worse \u2192 better'));
    return s;
  }
  function initHeatmap() {
    var sx = document.getElementById('hm-x'), sy = document.getElementById('hm-y');
    if (!params.length) {
      document.getElementById('hm-controls').hidden = true;
      document.getElementById('heatmap').appendChild(el('p', { class: 'note', id: 'hm-note' }, 'No swept parameters: there is nothing to map.'));
      return;
    }
    sy.appendChild(el('option', { value: '' }, '(none)'));
    params.forEach(function (p) {
      sx.appendChild(el('option', { value: p }, p));
      sy.appendChild(el('option', { value: p }, p));
    });
    sx.value = params[0];
    sy.value = params.length > 1 ? params[1] : '';
    sx.addEventListener('change', drawHeatmap);
    sy.addEventListener('change', drawHeatmap);
    drawHeatmap();
  }

  drawMetricPicker();
  drawTable();
  initHeatmap();
  document.body.setAttribute('data-ready', 'true');
})();
`;
