import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { childEnv } from './child-env';

const MAINS = {
  worker: { path: resolve(__dirname, '../../../apps/worker/src/main.ts'), ready: 'worker ready' },
  api: { path: resolve(__dirname, '../../../apps/api/src/main.ts'), ready: 'API listening' },
  dashboard: {
    path: resolve(__dirname, '../../../apps/dashboard/src/main.ts'),
    ready: 'dashboard listening',
  },
} as const;

export interface ServiceProcess {
  child: ChildProcess;
  output: () => string;
  /** Sends the signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}
export type WorkerProcess = ServiceProcess;

/** A real process of the product (its main.ts under tsx), ready when its log says so. */
export async function startService(
  kind: keyof typeof MAINS,
  env: Record<string, string>,
  readyTimeoutMs = 30_000,
): Promise<ServiceProcess> {
  const { path, ready } = MAINS[kind];
  const child = spawn(process.execPath, ['--import', 'tsx', path], {
    // Info level at least: readiness is read from the process's own log line.
    env: childEnv({ ...env, LOG_LEVEL: 'info' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  await new Promise<void>((isReady, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`${kind} not ready in ${readyTimeoutMs} ms:\n${output}`)),
      readyTimeoutMs,
    );
    const check = () => {
      if (output.includes(ready)) {
        clearTimeout(timer);
        isReady();
      }
    };
    child.stdout?.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      fail(new Error(`${kind} exited with ${code} before it was ready:\n${output}`));
    });
  }).catch(async (error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });
  return {
    child,
    output: () => output,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export function startWorker(env: Record<string, string>, readyTimeoutMs?: number): Promise<ServiceProcess> {
  return startService('worker', env, readyTimeoutMs);
}
