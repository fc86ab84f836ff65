import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  childEnv,
  freePort,
  makeTestEnv,
  type ServiceProcess,
  startService,
  TEST_KEYS,
} from '@repo/test-utils';

/** The `analytics` command as installed: the package's bin, which runs the CLI's source through tsx. */
export const CLI_BIN = resolve(__dirname, '../../bin/analytics.cjs');
export const REPO_ROOT = resolve(__dirname, '../../../..');

export interface TestStack {
  url: string;
  apiKey: string;
  /** The stack's environment (private Redis, prefix, data folder). */
  env: Record<string, string>;
  dataDir: string;
  stop(): Promise<void>;
}

/**
 * The product as users run it: an API process and a worker process (their own main.ts) on
 * the run's private Redis, with this file's own key prefix and data folder.
 */
export async function startStack(overrides: Record<string, string> = {}): Promise<TestStack> {
  const testEnv = makeTestEnv(overrides);
  const port = await freePort();
  const processes: ServiceProcess[] = await Promise.all([
    startService('api', { ...testEnv.env, PORT: String(port) }),
    startService('worker', testEnv.env),
  ]);
  return {
    url: `http://127.0.0.1:${port}`,
    apiKey: TEST_KEYS.acme,
    env: testEnv.env,
    dataDir: testEnv.dataDir,
    async stop() {
      const codes = await Promise.all(processes.map((p) => p.stop('SIGTERM')));
      await rm(testEnv.dataDir, { recursive: true, force: true });
      if (codes.some((code) => code !== 0)) {
        throw new Error(
          `a service exited with ${codes.join(', ')}:\n${processes.map((p) => p.output()).join('\n')}`,
        );
      }
    },
  };
}

export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (bounded by `timeoutMs`), collecting its output. */
export function runProcess(
  command: string,
  args: string[],
  options: { env: Record<string, string>; cwd?: string; timeoutMs?: number; stdin?: string },
): Promise<ProcessResult> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? REPO_ROOT,
      env: childEnv(options.env),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(
        new Error(
          `${command} ${args.join(' ')} did not end in ${options.timeoutMs} ms:\n${stdout}\n${stderr}`,
        ),
      );
    }, options.timeoutMs ?? 60_000);
    child.once('error', fail);
    child.once('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
    if (options.stdin !== undefined) child.stdin.end(options.stdin);
    else child.stdin.end();
  });
}

/** `analytics …` in a child process, its output captured through pipes (not a terminal). */
export function runAnalytics(
  args: string[],
  env: Record<string, string>,
  options: { cwd?: string; timeoutMs?: number } = {},
): Promise<ProcessResult> {
  return runProcess(process.execPath, [CLI_BIN, ...args], { env, ...options });
}

/** A shell-quoted word. */
export function shellWord(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
