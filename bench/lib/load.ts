import type { LoadResult, LoadSpec } from '../load/load-types';
import { type BenchProcess, PATHS, spawnTs } from './processes';

/** The last line a child printed, parsed as JSON; fails with the child's output if it is not. */
export async function lastJsonLine<T>(proc: BenchProcess): Promise<T> {
  const code = await proc.exited;
  const lines = proc.output().trim().split('\n');
  const last = lines[lines.length - 1] ?? '';
  if (code !== 0 || !last.startsWith('{')) {
    throw new Error(`${proc.name} failed (exit ${code}):\n${proc.output().slice(-4000)}`);
  }
  return JSON.parse(last) as T;
}

/** Runs autocannon in its own process and returns what it measured. */
export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const proc = spawnTs('autocannon', PATHS.autocannonChild, {}, { args: [JSON.stringify(spec)] });
  const result = await lastJsonLine<LoadResult>(proc);
  if (result.ok === 0) throw new Error(`no 2xx answers from ${spec.method} ${spec.urls.join(', ')}`);
  return result;
}
