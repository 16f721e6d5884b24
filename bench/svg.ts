/**
 * Minimal hand-written SVG charts for the benchmark report: grouped horizontal bars and line
 * charts. No dependencies; the output is a standalone .svg file a browser or GitHub renders.
 */

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function niceMax(x: number): number {
  if (!(x > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}

function fmt(x: number): string {
  if (x === 0) return '0';
  if (Math.abs(x) >= 1e6) return `${+(x / 1e6).toFixed(2)}M`;
  if (Math.abs(x) >= 1e3) return `${+(x / 1e3).toFixed(2)}k`;
  return `${+x.toFixed(3)}`;
}

export interface BarGroup {
  /** Row label (e.g. a tool). */
  label: string;
  /** One value per series; null = not measured. */
  values: (number | null)[];
}

/**
 * Horizontal grouped bars: one row per group, one bar per series inside it. `refLines` draws
 * vertical dashed lines (e.g. a target) across the plot.
 */
export function barChart(opts: {
  title: string;
  xLabel: string;
  series: string[];
  groups: BarGroup[];
  refLines?: { value: number; label: string }[];
  width?: number;
}): string {
  const width = opts.width ?? 900;
  const labelW = 330;
  const barH = 12;
  const groupGap = 10;
  const top = 60;
  const plotW = width - labelW - 40;
  const groupH = opts.series.length * barH + groupGap;
  const height = top + opts.groups.length * groupH + 50;
  const all = opts.groups.flatMap((g) => g.values.filter((v): v is number => v !== null));
  const max = niceMax(Math.max(...all, ...(opts.refLines ?? []).map((r) => r.value), 0));
  const x = (v: number) => labelW + (v / max) * plotW;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`);
  out.push(`<rect width="100%" height="100%" fill="white"/>`);
  out.push(`<text x="${width / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${esc(opts.title)}</text>`);
  // legend
  let lx = labelW;
  opts.series.forEach((s, i) => {
    out.push(`<rect x="${lx}" y="28" width="10" height="10" fill="${PALETTE[i % PALETTE.length]}"/>`);
    out.push(`<text x="${lx + 14}" y="37">${esc(s)}</text>`);
    lx += 14 + s.length * 6.5 + 16;
  });
  // grid
  for (let k = 0; k <= 5; k++) {
    const v = (max * k) / 5;
    const gx = x(v);
    out.push(`<line x1="${gx}" y1="${top - 6}" x2="${gx}" y2="${height - 40}" stroke="#ddd"/>`);
    out.push(`<text x="${gx}" y="${height - 26}" text-anchor="middle">${fmt(v)}</text>`);
  }
  out.push(`<text x="${labelW + plotW / 2}" y="${height - 8}" text-anchor="middle">${esc(opts.xLabel)}</text>`);
  opts.groups.forEach((g, gi) => {
    const gy = top + gi * groupH;
    out.push(`<text x="${labelW - 6}" y="${gy + (opts.series.length * barH) / 2 + 4}" text-anchor="end">${esc(g.label)}</text>`);
    g.values.forEach((v, si) => {
      const by = gy + si * barH;
      if (v === null) {
        out.push(`<text x="${labelW + 4}" y="${by + barH - 3}" fill="#999" font-size="9">n/a</text>`);
        return;
      }
      const w = Math.max(0.5, x(v) - labelW);
      out.push(`<rect x="${labelW}" y="${by}" width="${w.toFixed(1)}" height="${barH - 2}" fill="${PALETTE[si % PALETTE.length]}"><title>${esc(`${g.label}, ${opts.series[si]}: ${fmt(v)}`)}</title></rect>`);
      out.push(`<text x="${(labelW + w + 3).toFixed(1)}" y="${by + barH - 3}" font-size="9">${fmt(v)}</text>`);
    });
  });
  for (const r of opts.refLines ?? []) {
    const rx = x(r.value);
    out.push(`<line x1="${rx}" y1="${top - 6}" x2="${rx}" y2="${height - 40}" stroke="#d62728" stroke-dasharray="4 3"/>`);
    out.push(`<text x="${rx + 3}" y="${top - 8}" fill="#d62728" font-size="10">${esc(r.label)}</text>`);
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

export interface LineSeries {
  label: string;
  points: [number, number][];
  /** Draw against the right-hand axis. */
  right?: boolean;
}

/** Line chart with up to two y axes (left and right). */
export function lineChart(opts: {
  title: string;
  xLabel: string;
  yLabel: string;
  yRightLabel?: string;
  series: LineSeries[];
  width?: number;
  height?: number;
  markers?: boolean;
}): string {
  const width = opts.width ?? 760;
  const height = opts.height ?? 380;
  const left = 70;
  const right = opts.yRightLabel ? 70 : 20;
  const top = 64;
  const bottom = 50;
  const pw = width - left - right;
  const ph = height - top - bottom;
  const xs = opts.series.flatMap((s) => s.points.map((p) => p[0]));
  const yl = opts.series.filter((s) => !s.right).flatMap((s) => s.points.map((p) => p[1]));
  const yr = opts.series.filter((s) => s.right).flatMap((s) => s.points.map((p) => p[1]));
  const xMax = niceMax(Math.max(...xs, 0));
  const ylMax = niceMax(Math.max(...yl, 0));
  const yrMax = niceMax(Math.max(...yr, 0));
  const X = (v: number) => left + (v / xMax) * pw;
  const YL = (v: number) => top + ph - (v / ylMax) * ph;
  const YR = (v: number) => top + ph - (v / yrMax) * ph;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`);
  out.push(`<rect width="100%" height="100%" fill="white"/>`);
  out.push(`<text x="${width / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${esc(opts.title)}</text>`);
  for (let k = 0; k <= 5; k++) {
    const gy = top + (ph * k) / 5;
    out.push(`<line x1="${left}" y1="${gy}" x2="${left + pw}" y2="${gy}" stroke="#eee"/>`);
    out.push(`<text x="${left - 4}" y="${gy + 4}" text-anchor="end">${fmt(ylMax * (1 - k / 5))}</text>`);
    if (opts.yRightLabel) out.push(`<text x="${left + pw + 4}" y="${gy + 4}">${fmt(yrMax * (1 - k / 5))}</text>`);
    const gx = left + (pw * k) / 5;
    out.push(`<line x1="${gx}" y1="${top}" x2="${gx}" y2="${top + ph}" stroke="#eee"/>`);
    out.push(`<text x="${gx}" y="${top + ph + 14}" text-anchor="middle">${fmt((xMax * k) / 5)}</text>`);
  }
  out.push(`<rect x="${left}" y="${top}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
  out.push(`<text x="${left + pw / 2}" y="${height - 12}" text-anchor="middle">${esc(opts.xLabel)}</text>`);
  out.push(`<text transform="translate(14 ${top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(opts.yLabel)}</text>`);
  if (opts.yRightLabel) out.push(`<text transform="translate(${width - 10} ${top + ph / 2}) rotate(90)" text-anchor="middle">${esc(opts.yRightLabel)}</text>`);
  let lx = left;
  let ly = 28;
  opts.series.forEach((s, i) => {
    const c = PALETTE[i % PALETTE.length];
    const Y = s.right ? YR : YL;
    const d = s.points.map((p, k) => `${k === 0 ? 'M' : 'L'}${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`).join(' ');
    out.push(`<path d="${d}" fill="none" stroke="${c}" stroke-width="2"${s.right ? ' stroke-dasharray="5 3"' : ''}/>`);
    if (opts.markers) for (const p of s.points) out.push(`<circle cx="${X(p[0]).toFixed(1)}" cy="${Y(p[1]).toFixed(1)}" r="3" fill="${c}"/>`);
    const label = `${s.label}${s.right && opts.yRightLabel ? ' (right axis)' : ''}`;
    const w = 14 + label.length * 6.2 + 16;
    if (lx + w > width && lx > left) {
      lx = left;
      ly += 15;
    }
    out.push(`<rect x="${lx}" y="${ly}" width="10" height="10" fill="${c}"/>`);
    out.push(`<text x="${lx + 14}" y="${ly + 9}">${esc(label)}</text>`);
    lx += w;
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
