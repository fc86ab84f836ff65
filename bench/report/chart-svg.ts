import type { Comparison, Curve } from '../lib/model';
import { round } from '../lib/stats';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';
const GREEN = '#2e7d32';
const RED = '#c62828';
const GREY = '#757575';

/** Every comparison as service/raw on one log axis; a diff target becomes (raw + diff) / raw. */
function asRatios(c: Comparison) {
  if (c.target.kind === 'max-diff') {
    const raw = c.raw.median;
    return {
      value: (raw + c.measure.median) / raw,
      min: (raw + c.measure.min) / raw,
      max: (raw + c.measure.max) / raw,
      target: (raw + c.target.value) / raw,
    };
  }
  const target = c.target.kind === 'none' ? undefined : c.target.value;
  return { value: c.measure.median, min: c.measure.min, max: c.measure.max, target };
}

/**
 * A horizontal chart: one row per comparison, the median ratio as a bar from 1×, the
 * rounds' min–max as a whisker, the target as a black mark. Green when the target is met; grey
 * for a row reported for context, without a target.
 */
export function ratiosSvg(comparisons: Comparison[], caption: string): string {
  const rows = comparisons.map((c) => ({ c, ...asRatios(c) }));
  const values = rows
    .flatMap((r) => [r.value, r.min, r.max, r.target ?? Number.NaN])
    .filter((v) => v > 0 && Number.isFinite(v));
  const lo = 10 ** Math.floor(Math.log10(Math.min(0.5, ...values)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(2, ...values)));
  const labelW = 420;
  const plotW = 440;
  const rowH = 26;
  const top = 46;
  const height = top + rows.length * rowH + 64;
  const width = labelW + plotW + 130;
  const x = (v: number) =>
    labelW + ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plotW;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="12" y="20" font-size="14" font-weight="600">Service / raw engine, same run (log scale; black mark = target)</text>`,
    `<text x="12" y="36" fill="#555">${esc(caption)}</text>`,
  ];
  for (let decade = lo; decade <= hi + 1e-9; decade *= 10) {
    for (const m of [1, 2, 5]) {
      const v = decade * m;
      if (v < lo - 1e-12 || v > hi + 1e-9) continue;
      out.push(
        `<line x1="${x(v)}" y1="${top - 4}" x2="${x(v)}" y2="${top + rows.length * rowH}" stroke="${v === 1 ? '#333' : '#ddd'}"/>`,
        `<text x="${x(v)}" y="${top + rows.length * rowH + 16}" text-anchor="middle" fill="#555">${round(v, 2)}×</text>`,
      );
    }
  }
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    const mid = y + rowH / 2;
    const color = r.target === undefined ? GREY : r.c.met ? GREEN : RED;
    const verdict = r.target === undefined ? 'no target' : r.c.met ? 'met' : 'not met';
    const x1 = x(Math.min(1, r.value));
    const x2 = x(Math.max(1, r.value));
    out.push(
      `<text x="${labelW - 8}" y="${mid + 4}" text-anchor="end">${esc(`${r.c.pair}. ${r.c.title}`)}</text>`,
      `<rect x="${x1}" y="${y + 6}" width="${Math.max(1, x2 - x1)}" height="${rowH - 12}" fill="${color}" opacity="0.75"/>`,
      `<line x1="${x(r.min)}" y1="${mid}" x2="${x(r.max)}" y2="${mid}" stroke="#111" stroke-width="1"/>`,
      `<line x1="${x(r.min)}" y1="${mid - 4}" x2="${x(r.min)}" y2="${mid + 4}" stroke="#111"/>`,
      `<line x1="${x(r.max)}" y1="${mid - 4}" x2="${x(r.max)}" y2="${mid + 4}" stroke="#111"/>`,
      `<text x="${labelW + plotW + 10}" y="${mid + 4}" fill="${color}">${round(r.value, 2)}× ${verdict}</text>`,
    );
    if (r.target !== undefined) {
      out.push(`<rect x="${x(r.target) - 1.5}" y="${y + 2}" width="3" height="${rowH - 4}" fill="#000"/>`);
    }
  });
  out.push(
    `<text x="12" y="${height - 26}" fill="#555">Throughput rows: higher is better. Time, latency and memory rows: lower is better. Whiskers: min–max of the rounds.</text>`,
    `<text x="12" y="${height - 10}" fill="#555">Latency targets are allowances in ms, drawn as (raw + allowance) / raw; peak RSS is drawn against its 300 MB budget.</text>`,
    '</svg>',
  );
  return `${out.join('\n')}\n`;
}

/** The smallest 1, 2 or 5 × 10^k at or above `v`. */
function niceCeil(v: number): number {
  const base = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((m) => m * base).find((n) => n >= v) ?? 10 * base;
}

/** The scale curves side by side: y against x, each point labelled with the cores used. */
export function scaleSvg(curves: Curve[], caption: string): string {
  const panelW = 440;
  const panelH = 250;
  const pad = { left: 60, right: 40, top: 56, bottom: 46 };
  const width = curves.length * panelW + 20;
  const height = panelH + 40;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="12" y="20" font-size="14" font-weight="600">Scale (pair 7): median with min–max; labels give the cores used</text>`,
    `<text x="12" y="36" fill="#555">${esc(caption)}</text>`,
  ];
  curves.forEach((curve, i) => {
    const ox = 10 + i * panelW;
    const w = panelW - pad.left - pad.right;
    const h = panelH - pad.top - pad.bottom;
    const xs = curve.points.map((p) => p.x);
    const yMax = niceCeil(Math.max(1, ...curve.points.map((p) => p.y.max)) * 1.2);
    const xMin = Math.min(...xs);
    const xMax = Math.max(...xs);
    // 12% inner margin on both sides, so labels at the first and last points stay inside.
    const px = (v: number) =>
      ox + pad.left + (xMax === xMin ? w / 2 : w * 0.12 + ((v - xMin) / (xMax - xMin)) * w * 0.76);
    const py = (v: number) => pad.top + 10 + h - (v / yMax) * h;
    out.push(
      `<text x="${ox + pad.left}" y="${pad.top}" font-weight="600">${esc(curve.title)}</text>`,
      `<line x1="${ox + pad.left}" y1="${py(0)}" x2="${ox + pad.left + w}" y2="${py(0)}" stroke="#333"/>`,
      `<line x1="${ox + pad.left}" y1="${py(0)}" x2="${ox + pad.left}" y2="${py(yMax)}" stroke="#333"/>`,
      `<text x="${ox + pad.left + w / 2}" y="${py(0) + 32}" text-anchor="middle" fill="#555">${esc(curve.xLabel)}</text>`,
      `<text x="${ox + 14}" y="${py(yMax / 2)}" text-anchor="middle" fill="#555" transform="rotate(-90 ${ox + 14} ${py(yMax / 2)})">${esc(curve.yLabel)}</text>`,
    );
    for (const t of [0, 0.25, 0.5, 0.75, 1]) {
      const v = yMax * t;
      out.push(
        `<text x="${ox + pad.left - 6}" y="${py(v) + 4}" text-anchor="end" fill="#555">${round(v, 0)}</text>`,
      );
    }
    const path = curve.points.map((p, j) => `${j === 0 ? 'M' : 'L'}${px(p.x)},${py(p.y.median)}`).join(' ');
    out.push(`<path d="${path}" fill="none" stroke="#1565c0" stroke-width="2"/>`);
    for (const p of curve.points) {
      out.push(
        `<line x1="${px(p.x)}" y1="${py(p.y.min)}" x2="${px(p.x)}" y2="${py(p.y.max)}" stroke="#1565c0"/>`,
        `<circle cx="${px(p.x)}" cy="${py(p.y.median)}" r="4" fill="#1565c0"/>`,
        `<text x="${px(p.x)}" y="${py(0) + 16}" text-anchor="middle">${p.x}</text>`,
        `<text x="${px(p.x)}" y="${py(p.y.median) - 10}" text-anchor="middle">${round(p.y.median, 0)} (${round(p.cores.median, 2)} cores)</text>`,
      );
    }
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
