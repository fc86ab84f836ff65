import { type Comparison, type Curve, measureText, spreadText, targetText } from '../lib/model';
import { round } from '../lib/stats';
import type { BenchResults } from './results';

function comparisonRow(c: Comparison): string {
  const unit = c.unit;
  return [
    String(c.pair),
    c.title,
    `${spreadText(c.service)} ${unit}`,
    `${spreadText(c.raw)} ${unit}`,
    measureText(c),
    targetText(c.target),
    c.target.kind === 'none' ? 'no target' : c.met ? '**met**' : '**not met**',
  ].join(' | ');
}

function curveRows(curve: Curve): string[] {
  const first = curve.points[0]?.y.median ?? Number.NaN;
  return curve.points.map((p) =>
    [
      String(curve.pair),
      `${curve.title}: ${curve.xLabel} = ${p.x}`,
      `${spreadText(p.y)} ${curve.yLabel}`,
      `${round(p.y.median / first, 2)}× of ${curve.points[0]?.x}`,
      `${round(p.cores.median, 2)} cores`,
    ].join(' | '),
  );
}

/** The results table (and the scale table) as markdown, with the machine it ran on. */
export function resultsMarkdown(results: BenchResults): string {
  const m = results.machine;
  const lines = [
    `Measured ${results.finishedAt.slice(0, 16).replace('T', ' ')} UTC${results.quick ? ' (**--quick**: tiny sizes, not for judging speed)' : ''},`,
    `${m.cpuCount} × ${m.cpuModel}, ${m.memoryGb} GB, ${m.os}; load average ${m.loadBefore.join(' / ')} before,`,
    `${m.loadAfter.join(' / ')} after. Node ${results.versions.node}, Express ${results.versions.express},`,
    `BullMQ ${results.versions.bullmq}, DuckDB (node-api) ${results.versions.duckdb}, ${results.versions.redis},`,
    `autocannon ${results.versions.autocannon}. Each cell: median (min–max) over the rounds; ratios are`,
    'paired within a round (service and raw measured back to back, alternating which goes first).',
    '',
    '| pair | comparison | service | raw | service / raw | target | |',
    '| ---: | --- | ---: | ---: | ---: | ---: | --- |',
    ...results.comparisons.map((c) => `| ${comparisonRow(c)} |`),
    '',
    '| pair | scale | throughput | vs first | cores used |',
    '| ---: | --- | ---: | ---: | ---: |',
    ...results.curves.flatMap((c) => curveRows(c).map((row) => `| ${row} |`)),
    '',
    'Notes:',
    ...results.comparisons.filter((c) => c.note).map((c) => `- ${c.title}: ${c.note}.`),
    ...results.curves.filter((c) => c.note).map((c) => `- ${c.title}: ${c.note}.`),
  ];
  return `${lines.join('\n')}\n`;
}

const START = '<!-- bench:results:start -->';
const END = '<!-- bench:results:end -->';

/** Replaces the generated part of a document between the bench markers. */
export function replaceGenerated(document: string, generated: string): string {
  const start = document.indexOf(START);
  const end = document.indexOf(END);
  if (start === -1 || end === -1 || end < start) return document;
  return `${document.slice(0, start + START.length)}\n${generated}${document.slice(end)}`;
}
