import type { DuckdbReply, DuckdbTask } from '../raw/duckdb-protocol';
import { type BenchProcess, PATHS, spawnTs } from './processes';

export interface RawDuckdb {
  proc: BenchProcess;
  /** Runs the statements in the raw DuckDB process; resolves with its own timing. */
  run(sql: string[]): Promise<{ ms: number; rows: number }>;
  stop(): Promise<void>;
}

export async function startRawDuckdb(): Promise<RawDuckdb> {
  const proc = spawnTs('raw-duckdb', PATHS.rawDuckdb, {}, { ipc: true });
  const pending = new Map<string, (reply: DuckdbReply) => void>();
  let ready: (() => void) | undefined;
  const readyPromise = new Promise<void>((resolve) => {
    ready = resolve;
  });
  proc.child.on('message', (reply: DuckdbReply) => {
    if (reply.id === 'ready') ready?.();
    pending.get(reply.id)?.(reply);
    pending.delete(reply.id);
  });
  await Promise.race([
    readyPromise,
    proc.exited.then(() => {
      throw new Error(`raw DuckDB process exited:\n${proc.output()}`);
    }),
  ]);
  let next = 0;
  return {
    proc,
    run(sql) {
      next += 1;
      const id = String(next);
      return new Promise((resolve, reject) => {
        pending.set(id, (reply) => (reply.ok ? resolve(reply) : reject(new Error(reply.error))));
        const task: DuckdbTask = { id, sql };
        proc.child.send(task);
      });
    },
    async stop() {
      proc.child.disconnect();
      await proc.stop();
    },
  };
}
