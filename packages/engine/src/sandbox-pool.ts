import { readdir, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { SandboxProcess } from './sandbox-process';
import type { SandboxChildOptions } from './sandbox-protocol';

export interface SandboxPoolOptions {
  /** The folders a tenant's sandbox may reach: its own folder first, then any of its caches. */
  tenantDirs: (tenant: string) => string[];
  /** Where each sandbox gets a spill folder of its own (removed when it exits). */
  tempRoot: string;
  /** Everything a child's engine is given but its folders. */
  engine: Omit<SandboxChildOptions, 'dataDir' | 'extraDirs' | 'tempDir'>;
  /** A sandbox using more resident memory is killed. */
  memoryMaxBytes: number;
  /** Idle sandboxes kept; past it the least recently used idle one stops. */
  maxProcesses: number;
  /** A sandbox idle this long stops, giving its memory back. */
  idleMs: number;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The sandbox processes of one API or worker process, by tenant. Queries and save-time
 * checks of one tenant share that tenant's sandbox (several at once, one connection each);
 * an upload's conversion gets a sandbox to itself, so a conversion that crashes or is killed
 * fails only that upload. Sandboxes never serve two tenants.
 */
export class SandboxPool {
  private readonly processes = new Set<SandboxProcess>();
  private readonly idleTimers = new Map<SandboxProcess, NodeJS.Timeout>();
  private readonly tempPrefix = `${hostname()}-${process.pid}-`;
  private sequence = 0;
  private closed = false;

  constructor(private readonly options: SandboxPoolOptions) {}

  /**
   * Removes spill folders left by sandboxes of this host whose parent died without cleaning
   * up (folders of other hosts sharing DATA_DIR are theirs to clean).
   */
  async removeStaleTempDirs(): Promise<void> {
    const host = `${hostname()}-`;
    const names = await readdir(this.options.tempRoot).catch(() => [] as string[]);
    for (const name of names) {
      const pid = Number(name.slice(host.length).split('-')[0]);
      if (name.startsWith(host) && Number.isSafeInteger(pid) && pid !== process.pid && !alive(pid)) {
        await rm(path.join(this.options.tempRoot, name), { recursive: true, force: true });
      }
    }
  }

  /** The tenant's shared sandbox, started if it has none that takes work. */
  shared(tenant: string): SandboxProcess {
    for (const candidate of this.processes) {
      if (candidate.tenant === tenant && !candidate.exclusive && !candidate.retired && candidate.alive) {
        return this.take(candidate);
      }
    }
    return this.take(this.start(tenant));
  }

  /** A sandbox of the tenant's serving nothing else until `release`. */
  exclusive(tenant: string): SandboxProcess {
    let chosen: SandboxProcess | undefined;
    for (const candidate of this.processes) {
      const idle = candidate.pending.size === 0 && !candidate.exclusive && !candidate.retired;
      if (candidate.tenant === tenant && idle && candidate.alive) chosen = candidate;
    }
    const sandbox = this.take(chosen ?? this.start(tenant));
    sandbox.exclusive = true;
    return sandbox;
  }

  /** Ends an exclusive use; a sandbox whose work went wrong (`clean` false) is stopped. */
  release(sandbox: SandboxProcess, clean: boolean): void {
    sandbox.exclusive = false;
    if (!clean) sandbox.retired = true;
    this.settle(sandbox);
  }

  /** Called after every request: stops what should stop, arms the idle timer. */
  settle(sandbox: SandboxProcess): void {
    if (sandbox.pending.size > 0 || sandbox.exclusive) return;
    if (sandbox.retired || this.closed) {
      void this.stop(sandbox);
      return;
    }
    this.trim();
    if (!this.processes.has(sandbox)) return;
    clearTimeout(this.idleTimers.get(sandbox));
    const timer = setTimeout(() => void this.stop(sandbox), this.options.idleMs);
    timer.unref();
    this.idleTimers.set(sandbox, timer);
  }

  /** Sandboxes running now (for tests and operators). */
  get size(): number {
    return this.processes.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.processes].map((sandbox) => this.stop(sandbox)));
  }

  private take(sandbox: SandboxProcess): SandboxProcess {
    clearTimeout(this.idleTimers.get(sandbox));
    this.idleTimers.delete(sandbox);
    sandbox.lastUsed = Date.now();
    return sandbox;
  }

  private start(tenant: string): SandboxProcess {
    this.sequence += 1;
    const [dataDir = '', ...extraDirs] = this.options.tenantDirs(tenant);
    const sandbox = new SandboxProcess(
      tenant,
      {
        ...this.options.engine,
        dataDir,
        extraDirs,
        tempDir: path.join(this.options.tempRoot, `${this.tempPrefix}${this.sequence}`),
      },
      this.options.memoryMaxBytes,
      (exited) => {
        clearTimeout(this.idleTimers.get(exited));
        this.idleTimers.delete(exited);
        this.processes.delete(exited);
      },
    );
    this.processes.add(sandbox);
    return sandbox;
  }

  /** Past the bound, idle sandboxes stop, least recently used first. */
  private trim(): void {
    const idle = [...this.processes]
      .filter((sandbox) => sandbox.pending.size === 0 && !sandbox.exclusive)
      .sort((a, b) => a.lastUsed - b.lastUsed);
    let excess = this.processes.size - this.options.maxProcesses;
    for (const sandbox of idle) {
      if (excess <= 0) break;
      void this.stop(sandbox);
      excess -= 1;
    }
  }

  private async stop(sandbox: SandboxProcess): Promise<void> {
    clearTimeout(this.idleTimers.get(sandbox));
    this.idleTimers.delete(sandbox);
    this.processes.delete(sandbox);
    await sandbox.stop();
  }
}
