// Small SVG and canvas charts. Every drawn datum carries data-* attributes with its values, so what a chart shows can
// be read back from the DOM (the browser test compares them with the API).

const NS = 'http://www.w3.org/2000/svg';
export const PALETTE = ['#2f5bd3', '#d3552f', '#1e7a3c', '#8a3fd1', '#b08900', '#0f8b8d', '#c2185b'];

function svg(name, attrs = {}, parent = null) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) {
    node.setAttribute(k, String(v));
  }
  if (parent) {
    parent.appendChild(node);
  }
  return node;
}

export function formatNumber(v) {
  if (v === 0) {
    return '0';
  }
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) {
    return v.toExponential(1);
  }
  return String(Number(v.toPrecision(3)));
}

/** About n round tick values covering [lo, hi]. */
function ticks(lo, hi, n) {
  if (!(hi > lo)) {
    return [lo];
  }
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw);
  const out = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) {
    out.push(Number(t.toPrecision(12)));
  }
  return out;
}

function frame(title, width, height) {
  const root = svg('svg', { class: 'chart', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': title });
  svg('text', { class: 'title', x: 8, y: 16 }, root).textContent = title;
  return root;
}

/**
 * A line chart of one or more series [{name, points: [{x, y}]}]. Points are circles of class "point" with
 * data-series, data-step (x) and data-value (y).
 */
export function lineChart({ chart, title, xLabel, series, width = 560, height = 280 }) {
  const root = frame(title, width, height);
  root.dataset.chart = chart;
  const m = { left: 62, right: 14, top: 44, bottom: 40 };
  const w = width - m.left - m.right;
  const hgt = height - m.top - m.bottom;
  const all = series.flatMap((s) => s.points);
  root.dataset.points = String(all.length);
  if (all.length === 0) {
    svg('text', { x: m.left + w / 2, y: m.top + hgt / 2, 'text-anchor': 'middle' }, root).textContent = 'waiting for data…';
    return root;
  }
  let [x0, x1] = [Math.min(...all.map((p) => p.x)), Math.max(...all.map((p) => p.x))];
  let [y0, y1] = [Math.min(...all.map((p) => p.y)), Math.max(...all.map((p) => p.y))];
  if (x1 === x0) {
    x0 -= 1;
    x1 += 1;
  }
  if (y1 === y0) {
    const pad = Math.abs(y0) * 0.1 || 1;
    y0 -= pad;
    y1 += pad;
  } else {
    const pad = (y1 - y0) * 0.05;
    y0 -= pad;
    y1 += pad;
  }
  const sx = (x) => m.left + ((x - x0) / (x1 - x0)) * w;
  const sy = (y) => m.top + hgt - ((y - y0) / (y1 - y0)) * hgt;

  const axes = svg('g', { class: 'axis' }, root);
  for (const t of ticks(y0, y1, 5)) {
    svg('line', { class: 'grid-line', x1: m.left, x2: m.left + w, y1: sy(t), y2: sy(t) }, axes);
    svg('text', { x: m.left - 6, y: sy(t) + 4, 'text-anchor': 'end' }, axes).textContent = formatNumber(t);
  }
  for (const t of ticks(x0, x1, 8).filter((t) => Number.isInteger(t))) {
    svg('line', { x1: sx(t), x2: sx(t), y1: m.top + hgt, y2: m.top + hgt + 4 }, axes);
    svg('text', { x: sx(t), y: m.top + hgt + 16, 'text-anchor': 'middle' }, axes).textContent = formatNumber(t);
  }
  svg('line', { x1: m.left, x2: m.left + w, y1: m.top + hgt, y2: m.top + hgt }, axes);
  svg('line', { x1: m.left, x2: m.left, y1: m.top, y2: m.top + hgt }, axes);
  svg('text', { x: m.left + w / 2, y: height - 6, 'text-anchor': 'middle' }, axes).textContent = xLabel;

  series.forEach((s, i) => {
    const colour = PALETTE[i % PALETTE.length];
    const g = svg('g', { class: 'series', 'data-series': s.name }, root);
    const pts = [...s.points].sort((a, b) => a.x - b.x);
    if (pts.length > 1) {
      svg('polyline', {
        points: pts.map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' '),
        fill: 'none', stroke: colour, 'stroke-width': 1.8,
      }, g);
    }
    for (const p of pts) {
      const c = svg('circle', { class: 'point', cx: sx(p.x).toFixed(1), cy: sy(p.y).toFixed(1), r: pts.length > 200 ? 1.2 : 2.6,
        fill: colour, 'data-series': s.name, 'data-step': p.x, 'data-value': p.y }, g);
      svg('title', {}, c).textContent = `${s.name} @ step ${p.x}: ${p.y}`;
    }
    if (series.length > 1) {
      const lx = m.left + i * 130;
      svg('rect', { x: lx, y: 27, width: 10, height: 3, fill: colour }, root);
      svg('text', { x: lx + 14, y: 32, class: 'legend' }, root).textContent = s.name;
    }
  });
  return root;
}

/** Vertical bars [{label, value}] of class "bar" with data-index and data-count. */
export function barChart({ chart, title, xLabel, bars, width = 1100, height = 240 }) {
  const root = frame(title, width, height);
  root.dataset.chart = chart;
  root.dataset.bars = String(bars.length);
  const m = { left: 50, right: 10, top: 28, bottom: 36 };
  const w = width - m.left - m.right;
  const hgt = height - m.top - m.bottom;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const bw = w / Math.max(1, bars.length);
  const axes = svg('g', { class: 'axis' }, root);
  for (const t of ticks(0, max, 4)) {
    const y = m.top + hgt - (t / max) * hgt;
    svg('line', { class: 'grid-line', x1: m.left, x2: m.left + w, y1: y, y2: y }, axes);
    svg('text', { x: m.left - 6, y: y + 4, 'text-anchor': 'end' }, axes).textContent = formatNumber(t);
  }
  svg('line', { x1: m.left, x2: m.left + w, y1: m.top + hgt, y2: m.top + hgt }, axes);
  svg('text', { x: m.left + w / 2, y: height - 6, 'text-anchor': 'middle' }, axes).textContent = xLabel;
  const step = Math.max(1, Math.ceil(bars.length / 16));
  bars.forEach((b, i) => {
    const bh = (b.value / max) * hgt;
    const r = svg('rect', { class: 'bar', x: (m.left + i * bw).toFixed(2), y: (m.top + hgt - bh).toFixed(2),
      width: Math.max(0.5, bw - (bw > 3 ? 1 : 0)).toFixed(2), height: bh.toFixed(2), fill: PALETTE[0],
      'data-index': i, 'data-count': b.value }, root);
    svg('title', {}, r).textContent = `${b.label}: ${b.value}`;
    if (i % step === 0) {
      svg('text', { x: m.left + i * bw + bw / 2, y: m.top + hgt + 14, 'text-anchor': 'middle' }, axes).textContent = b.label;
    }
  });
  return root;
}

/** Horizontal bars [{label, value, note}] comparing sizes, of class "size-bar" with data-bytes. */
export function sizeBars({ chart, title, bars, width = 1100 }) {
  const rowH = 34;
  const height = 34 + bars.length * rowH;
  const root = frame(title, width, height);
  root.dataset.chart = chart;
  const left = 220;
  const w = width - left - 160;
  const max = Math.max(1, ...bars.map((b) => b.value));
  bars.forEach((b, i) => {
    const y = 28 + i * rowH;
    svg('text', { x: left - 8, y: y + 16, 'text-anchor': 'end' }, root).textContent = b.label;
    svg('rect', { class: 'size-bar', x: left, y: y + 4, height: 18, width: Math.max(1, (b.value / max) * w).toFixed(1),
      fill: PALETTE[i % PALETTE.length], 'data-bytes': b.value }, root);
    svg('text', { x: left + Math.max(1, (b.value / max) * w) + 6, y: y + 17 }, root).textContent = b.note;
  });
  return root;
}

/** Weight in [0, 1] → colour from pale yellow through teal to deep blue. */
function colour(wt) {
  const stops = [[255, 247, 188], [65, 182, 196], [37, 52, 148]];
  const t = Math.min(1, Math.max(0, wt)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(t));
  const f = t - i;
  const c = stops[i].map((v, j) => Math.round(v + (stops[i + 1][j] - v) * f));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

/**
 * Draws the bank selection as a matrix: one row per sub-vector, one column per bank vector, the cell coloured by the
 * sub-vector's softmax weight on that vector (empty where not selected), the colour scale spanning the weights present
 * (top-k weights of a young adapter sit close together). Very tall matrices fold several sub-vectors into one pixel row
 * (the largest weight shows). Sets data-rows, data-cols, data-cells (cells painted) on the canvas.
 */
export function drawHeatmap(canvas, { rows, cols, k, indices, weights }) {
  const cw = Math.max(2, Math.min(24, Math.floor(1100 / cols)));
  const fold = Math.max(1, Math.ceil(rows / 8000));
  const pixelRows = Math.ceil(rows / fold);
  const ch = fold > 1 ? 1 : Math.max(2, Math.min(12, Math.floor(640 / rows)));
  canvas.width = cols * cw;
  canvas.height = pixelRows * ch;
  const g = canvas.getContext('2d');
  g.fillStyle = '#f1f2f6';
  g.fillRect(0, 0, canvas.width, canvas.height);
  const best = new Map();
  let cells = 0;
  for (let s = 0; s < rows; s++) {
    for (let j = 0; j < k; j++) {
      const v = indices[s * k + j];
      const wt = weights[s * k + j];
      const key = Math.floor(s / fold) * cols + v;
      best.set(key, Math.max(best.get(key) ?? -Infinity, wt));
      cells++;
    }
  }
  let [lo, hi] = [Infinity, -Infinity];
  for (const wt of best.values()) {
    lo = Math.min(lo, wt);
    hi = Math.max(hi, wt);
  }
  const scale = (wt) => (hi > lo ? (wt - lo) / (hi - lo) : 1);
  for (const [key, wt] of best) {
    g.fillStyle = colour(scale(wt));
    g.fillRect((key % cols) * cw, Math.floor(key / cols) * ch, cw, ch);
  }
  canvas.dataset.rows = String(rows);
  canvas.dataset.cols = String(cols);
  canvas.dataset.cells = String(cells);
  return { cw, ch, fold, lo, hi };
}

/** A colour legend for the heatmap's weights from lo to hi. */
export function heatmapLegend(lo, hi) {
  const root = svg('svg', { class: 'legend-bar', viewBox: '0 0 300 34', width: 300, height: 34 });
  for (let i = 0; i < 100; i++) {
    svg('rect', { x: 20 + i * 2.4, y: 4, width: 2.5, height: 12, fill: colour(i / 99) }, root);
  }
  svg('text', { x: 20, y: 30 }, root).textContent = `weight ${lo.toFixed(3)}`;
  svg('text', { x: 260, y: 30, 'text-anchor': 'end' }, root).textContent = hi.toFixed(3);
  return root;
}
