import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../..');

export const PATHS = {
  apiMain: resolve(ROOT, 'apps/api/src/main.ts'),
  workerMain: resolve(ROOT, 'apps/worker/src/main.ts'),
  bareExpress: resolve(ROOT, 'bench/servers/bare-express.ts'),
  autocannonChild: resolve(ROOT, 'bench/load/autocannon-child.ts'),
  latencyClient: resolve(ROOT, 'bench/load/latency-client.ts'),
  queueAddLoad: resolve(ROOT, 'bench/raw/queue-add-load.ts'),
  rawWorker: resolve(ROOT, 'bench/raw/bullmq-worker.ts'),
  rawDuckdbWorker: resolve(ROOT, 'bench/raw/bullmq-duckdb-worker.ts'),
  rawDuckdb: resolve(ROOT, 'bench/raw/duckdb-child.ts'),
} as const;

export interface BenchProcess {
  name: string;
  child: ChildProcess;
  pid: number;
  output(): string;
  exited: Promise<number | null>;
  /** Sends the signal and resolves with the exit code (SIGKILL after `graceMs`). */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>;
}

const running = new Set<BenchProcess>();

/** Every process the harness started and has not stopped yet (for a last-resort cleanup). */
export function runningProcesses(): BenchProcess[] {
  return [...running];
}

/**
 * A TypeScript entry point run exactly as the product runs its own (`node --import tsx`),
 * with only the environment given (plus PATH and NODE_ENV=production): every process the
 * harness compares is configured the same way.
 */
export function spawnTs(
  name: string,
  file: string,
  env: Record<string, string>,
  options: { nodeArgs?: string[]; args?: string[]; ipc?: boolean } = {},
): BenchProcess {
  const child = spawn(
    process.execPath,
    [...(options.nodeArgs ?? []), '--import', 'tsx', file, ...(options.args ?? [])],
    {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', ...env },
      stdio: options.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const keep = (chunk: Buffer) => {
    output += chunk.toString();
    // Only the tail matters for diagnostics; never let a chatty process grow the harness.
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  if (child.pid === undefined) throw new Error(`${name} did not start`);
  const proc: BenchProcess = {
    name,
    child,
    pid: child.pid,
    output: () => output,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 15_000) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      running.delete(proc);
      return child.exitCode;
    },
  };
  running.add(proc);
  void exited.then(() => running.delete(proc));
  return proc;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `probe` until it is true; fails naming `what`, with the process's output if it died. */
export async function waitUntil(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs = 30_000,
  proc?: BenchProcess,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (proc && (proc.child.exitCode !== null || proc.child.signalCode !== null)) {
      throw new Error(`${proc.name} exited while waiting for ${what}:\n${proc.output().slice(-4000)}`);
    }
    if (await probe().catch(() => false)) return;
    if (Date.now() > until) {
      throw new Error(`timed out waiting for ${what}${proc ? `:\n${proc.output().slice(-4000)}` : ''}`);
    }
    await sleep(50);
  }
}

/** Waits for an HTTP server to answer 200 on `url`. */
export async function waitForHttp(url: string, proc?: BenchProcess, timeoutMs = 30_000): Promise<void> {
  await waitUntil(`${url} to answer`, async () => (await fetch(url)).status === 200, timeoutMs, proc);
}

let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
  } catch {
    return 0;
  }
}

/** Measures how many cores a set of processes used between `start()` and `stop()`. */
export function coreMeter(pids: number[]) {
  const before = pids.map(cpuSeconds);
  const started = process.hrtime.bigint();
  return {
    stop(): { cores: number; cpuSeconds: number; wallSeconds: number } {
      const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
      const used = pids.map(cpuSeconds).reduce((sum, now, i) => sum + Math.max(0, now - (before[i] ?? 0)), 0);
      return { cores: used / wallSeconds, cpuSeconds: used, wallSeconds };
    },
  };
}

/** Peak resident set size (VmHWM) of a process, in megabytes. */
export function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

/** The processes `pid` started (Linux: /proc/<pid>/task/<pid>/children); [] when unknown. */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Current resident set size (VmRSS), in megabytes. */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

/** Resets VmHWM to the current RSS (Linux: `echo 5 > /proc/<pid>/clear_refs`); false if refused. */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}
