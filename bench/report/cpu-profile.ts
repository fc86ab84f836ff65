import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { ROOT } from '../lib/processes';
import type { ProfileSummary } from './results';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  startTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Which package or area a frame belongs to: a node_modules package, our source, or V8/Node. */
export function areaOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (!url) {
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === '(program)') return 'V8/native (program)';
    if (functionName === '(idle)') return '(idle)';
    return functionName ? `native: ${functionName}` : 'native';
  }
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1] ?? 'node_modules';
  if (url.startsWith('node:')) return 'node internals';
  const path = url.replace(/^file:\/\//, '');
  if (path.startsWith(ROOT)) {
    const rel = relative(ROOT, path);
    const parts = rel.split('/');
    return parts[0] === 'apps' || parts[0] === 'packages' ? `${parts[0]}/${parts[1]}` : (parts[0] ?? rel);
  }
  return 'other';
}

function whereOf(frame: CallFrame): string {
  const path = frame.url.replace(/^file:\/\//, '');
  const inModules = path.indexOf('/node_modules/');
  const shown =
    inModules >= 0 ? path.slice(inModules + 1) : path.startsWith(ROOT) ? relative(ROOT, path) : path;
  return shown ? `${shown}:${frame.lineNumber + 1}` : '';
}

/** Self time by area and function, and inclusive time of our own request-path functions. */
export function summariseCpuProfile(file: string, what: string, fromUs = 0, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  // Sample times are on the monotonic clock of process.hrtime: samples before `fromUs`
  // (start-up, module loading) are left out.
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (at < fromUs) return;
    self.set(id, (self.get(id) ?? 0) + delta / 1000);
  });
  const idle = [...self.entries()]
    .filter(([id]) => byId.get(id)?.callFrame.functionName === '(idle)')
    .reduce((s, [, ms]) => s + ms, 0);
  const busy = [...self.values()].reduce((s, ms) => s + ms, 0) - idle;

  const areas = new Map<string, number>();
  const fns = new Map<string, { fn: string; where: string; ms: number }>();
  for (const [id, ms] of self) {
    const node = byId.get(id);
    if (!node || node.callFrame.functionName === '(idle)') continue;
    const area = areaOf(node.callFrame);
    areas.set(area, (areas.get(area) ?? 0) + ms);
    const where = whereOf(node.callFrame);
    const key = `${node.callFrame.functionName}@${where}`;
    const entry = fns.get(key) ?? { fn: node.callFrame.functionName || '(anonymous)', where, ms: 0 };
    entry.ms += ms;
    fns.set(key, entry);
  }

  // Own work of each request step: a sample counts for every frame of our source (and for
  // pino-http's middleware) between it and the nearest router frame above it, the point where
  // a middleware handed over to the next. So a middleware's figure is what it does itself,
  // including the libraries it calls, and never what runs after its next().
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const isStep = (frame: CallFrame) =>
    (/\/(apps|packages)\//.test(frame.url) && !frame.url.includes('node_modules')) ||
    (frame.url.includes('node_modules/pino-http/') && frame.functionName === 'loggingMiddleware');
  const isHandOver = (frame: CallFrame) =>
    /node_modules\/(router|express)\//.test(frame.url) &&
    ['next', 'handle', 'handleRequest', 'trimPrefix', 'processParams'].includes(frame.functionName);
  const inclusive = new Map<string, { fn: string; where: string; ms: number }>();
  for (const [id, ms] of self) {
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const frame = byId.get(cur)?.callFrame;
      if (!frame) break;
      if (isHandOver(frame)) break;
      if (!isStep(frame)) continue;
      const where = whereOf(frame);
      const key = `${frame.functionName}@${where}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const entry = inclusive.get(key) ?? { fn: frame.functionName || '(anonymous)', where, ms: 0 };
      entry.ms += ms;
      inclusive.set(key, entry);
    }
  }
  const share = (ms: number) => Math.round((ms / busy) * 1000) / 10;
  return {
    what,
    file: relative(ROOT, file),
    totalMs: Math.round(busy),
    byArea: [...areas.entries()]
      .map(([area, ms]) => ({ area, ms: Math.round(ms), share: share(ms) }))
      .sort((a, b) => b.ms - a.ms),
    topFunctions: [...fns.values()]
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top)
      .map((f) => ({ ...f, ms: Math.round(f.ms), share: share(f.ms) })),
    inclusive: [...inclusive.values()]
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top)
      .map((f) => ({ ...f, ms: Math.round(f.ms), share: share(f.ms) })),
  };
}

/** A profile summary as markdown tables. */
export function profileMarkdown(p: ProfileSummary): string {
  const lines = [
    `#### ${p.what}`,
    '',
    `${p.totalMs} ms of CPU sampled (idle excluded); raw profile: \`${p.file}\` (not committed).`,
    '',
    '| area (self time) | ms | share |',
    '| --- | ---: | ---: |',
    ...p.byArea.slice(0, 14).map((a) => `| ${a.area} | ${a.ms} | ${a.share}% |`),
    '',
    '| heaviest functions (self time) | where | share |',
    '| --- | --- | ---: |',
    ...p.topFunctions.map((f) => `| \`${f.fn}\` | ${f.where} | ${f.share}% |`),
  ];
  if (p.inclusive.length > 0) {
    lines.push(
      '',
      "| request steps (own work, up to the router's next) | where | share |",
      '| --- | --- | ---: |',
      ...p.inclusive.map((f) => `| \`${f.fn}\` | ${f.where} | ${f.share}% |`),
    );
  }
  return `${lines.join('\n')}\n`;
}
