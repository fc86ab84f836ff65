import { round, type Spread, spread } from './stats';

/**
 * How a comparison is judged: `min-ratio` wants service/raw at least `value` (throughput),
 * `max-ratio` at most `value` (time, latency), `max-diff` service - raw at most `value` (ms);
 * `none`: a ratio reported for context only (never counted as met or not met).
 */
export type Target =
  | { kind: 'min-ratio' | 'max-ratio' | 'max-diff'; value: number }
  /** Reported beside a row that has a target (e.g. a cold-cache run), judged by none of its own. */
  | { kind: 'none' };

export interface Comparison {
  id: string;
  pair: number;
  title: string;
  /** What each side's number is, e.g. "req/s", "p99 ms", "s". */
  unit: string;
  serviceLabel: string;
  rawLabel: string;
  service: Spread;
  raw: Spread;
  /** Per round: service/raw (ratios) or service - raw (diffs), paired within the round. */
  measure: Spread;
  target: Target;
  met: boolean;
  note?: string;
}

export interface CurvePoint {
  x: number;
  /** The y value per round (e.g. jobs/s). */
  y: Spread;
  /** Cores the measured processes used, per round. */
  cores: Spread;
}

export interface Curve {
  id: string;
  pair: number;
  title: string;
  xLabel: string;
  yLabel: string;
  points: CurvePoint[];
  note?: string;
}

function judge(target: Target, value: number): boolean {
  if (target.kind === 'none') return true;
  return target.kind === 'min-ratio' ? value >= target.value : value <= target.value;
}

/** Builds a comparison from paired per-round samples of each side. */
export function compare(
  base: Omit<Comparison, 'service' | 'raw' | 'measure' | 'met'>,
  service: number[],
  raw: number[],
): Comparison {
  const per = service.map((s, i) =>
    base.target.kind === 'max-diff' ? s - (raw[i] ?? Number.NaN) : s / (raw[i] ?? Number.NaN),
  );
  const measure = spread(per);
  return {
    ...base,
    service: spread(service),
    raw: spread(raw),
    measure,
    met: judge(base.target, measure.median),
  };
}

export function targetText(target: Target): string {
  switch (target.kind) {
    case 'min-ratio':
      return `≥ ${target.value}×`;
    case 'max-ratio':
      return `≤ ${target.value}×`;
    case 'max-diff':
      return `≤ +${target.value} ms`;
    case 'none':
      return '—';
  }
}

export function measureText(c: Comparison): string {
  const m = c.measure;
  if (c.target.kind === 'max-diff') {
    const sign = (v: number) => (v >= 0 ? `+${round(v, 1)}` : `${round(v, 1)}`);
    return `${sign(m.median)} ms (${sign(m.min)}…${sign(m.max)})`;
  }
  return `${round(m.median, 2)}× (${round(m.min, 2)}–${round(m.max, 2)})`;
}

/** Median (min–max) with about three significant digits. */
export function spreadText(s: Spread): string {
  const size = Math.abs(s.median);
  const d = size >= 100 ? 0 : size >= 10 ? 1 : size >= 1 ? 2 : 3;
  return `${round(s.median, d)} (${round(s.min, d)}–${round(s.max, d)})`;
}

/** Runs `a` and `b` in alternating order, `rounds` times: A B, B A, A B, … */
export async function alternate<T>(
  rounds: number,
  sides: { a: () => Promise<T>; b: () => Promise<T> },
): Promise<{ a: T[]; b: T[] }> {
  const a: T[] = [];
  const b: T[] = [];
  for (let i = 0; i < rounds; i += 1) {
    if (i % 2 === 0) {
      a.push(await sides.a());
      b.push(await sides.b());
    } else {
      b.push(await sides.b());
      a.push(await sides.a());
    }
  }
  return { a, b };
}

/** Like `alternate`, for several sides: each round rotates which side goes first. */
export async function rotate<K extends string, T>(
  rounds: number,
  sides: Record<K, () => Promise<T>>,
): Promise<Record<K, T[]>> {
  const keys = Object.keys(sides) as K[];
  const out = Object.fromEntries(keys.map((k) => [k, [] as T[]])) as Record<K, T[]>;
  for (let i = 0; i < rounds; i += 1) {
    const order = [...keys.slice(i % keys.length), ...keys.slice(0, i % keys.length)];
    for (const key of order) out[key].push(await sides[key]());
  }
  return out;
}
