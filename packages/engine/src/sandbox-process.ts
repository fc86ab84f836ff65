import { type ChildProcess, fork } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { EngineError } from './engine-error';
import { residentBytesOf } from './process-memory';
import type { SandboxChildOptions, SandboxReply, SandboxRequest } from './sandbox-protocol';

const CHILD = path.join(__dirname, 'sandbox-child.ts');
/** After an abort, how long the query has to stop by itself before its process is killed. */
export const ABORT_GRACE_MS = 500;
/** How often a busy process's resident memory is read. */
const MEMORY_CHECK_MS = 200;

type RequestBody =
  Exclude<SandboxRequest, { op: 'abort' }> extends infer R
    ? R extends { id: number }
      ? Omit<R, 'id'>
      : never
    : never;

export interface RequestOptions {
  signal?: AbortSignal;
  onProgress?: (percent: number) => void;
  /** Past this the request is aborted, and its process killed if it does not stop. */
  timeoutMs?: number;
  /** The error a timeout gives (default: interrupted). */
  timeoutError?: () => EngineError;
  /** The error this request gives when its process is killed for its memory. */
  memoryError: () => EngineError;
}

interface Pending {
  resolve: (result: unknown) => void;
  reject: (error: EngineError) => void;
  options: RequestOptions;
  /** Once the request timed out, the error it ends with, whatever the child answers. */
  failWith?: EngineError;
}

function fail(pending: Pending, error: EngineError): void {
  pending.reject(pending.failWith ?? error);
}

function interrupted(signal: AbortSignal): EngineError {
  const reason = typeof signal.reason === 'string' ? signal.reason : 'The query was interrupted.';
  return new EngineError('interrupted', reason);
}

/**
 * One child process running an engine sandboxed to one tenant's folder (sandbox-child.ts).
 * Isolation holds by what the process can reach: its DuckDB can open that folder only, its
 * configuration locked. Limits hold at the process level, whatever DuckDB's own accounting
 * says: past `memoryMaxBytes` of resident memory, or a request not stopping within
 * ABORT_GRACE_MS of its abort or timeout, the process is killed. Whatever it was running
 * fails (the request at fault with its own error, the others as `internal`, so jobs retry),
 * and the pool starts another for the next request.
 */
export class SandboxProcess {
  readonly pending = new Map<number, Pending>();
  /** No new requests: it stops once the ones it has are answered. */
  retired = false;
  /** Serving one request alone (an upload's conversion). */
  exclusive = false;
  lastUsed = Date.now();
  private readonly child: ChildProcess;
  private readonly ready: Promise<void>;
  private nextId = 1;
  private memoryTimer: NodeJS.Timeout | undefined;
  private exited = false;
  /** Set when we kill it: the error its requests get instead of "stopped unexpectedly". */
  private killReason: ((pending: Pending) => EngineError) | null = null;

  constructor(
    readonly tenant: string,
    childOptions: SandboxChildOptions,
    private readonly memoryMaxBytes: number,
    onExit: (process: SandboxProcess) => void,
  ) {
    this.child = fork(CHILD, [JSON.stringify(childOptions)], {
      // The child is TypeScript, run as the services are; its output is the parent's.
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    // Failures surface as its exit (below) or as the send callback's error.
    this.child.on('error', () => undefined);
    // Never rejects: a child that dies before it is ready fails the requests waiting on it.
    this.ready = new Promise<void>((resolve) => {
      this.child.on('message', (reply: SandboxReply) => this.onReply(reply, resolve));
      this.child.once('exit', (code, signal) => {
        this.exited = true;
        this.stopWatchingMemory();
        const unexpected = new EngineError(
          'internal',
          `The query engine's process stopped unexpectedly (${signal ?? `exit code ${code}`}); try again.`,
        );
        for (const waiting of this.pending.values()) {
          fail(waiting, this.killReason ? this.killReason(waiting) : unexpected);
        }
        this.pending.clear();
        void rm(childOptions.tempDir, { recursive: true, force: true }).catch(() => undefined);
        onExit(this);
      });
    });
  }

  get pid(): number | undefined {
    return this.exited ? undefined : this.child.pid;
  }

  get alive(): boolean {
    return !this.exited;
  }

  /** Sends one request and resolves with its answer. */
  async request<T>(body: RequestBody, options: RequestOptions): Promise<T> {
    if (options.signal?.aborted) throw interrupted(options.signal);
    if (this.exited) throw new EngineError('internal', "The query engine's process has stopped; try again.");
    this.lastUsed = Date.now();
    const id = this.nextId++;
    const answer = new Promise<unknown>((resolve, reject) =>
      this.pending.set(id, { resolve, reject, options }),
    );
    answer.catch(() => undefined);
    this.watchMemory();
    let graceTimer: NodeJS.Timeout | undefined;
    let timeoutTimer: NodeJS.Timeout | undefined;
    // An abort asks the child to interrupt; a query that does not stop in time (DuckDB checks
    // for interrupts between vectors, not inside a long constant folding) loses its process.
    const abort = (reason: string, error: EngineError) => {
      if (graceTimer || !this.pending.has(id)) return;
      this.send({ id, op: 'abort', reason });
      graceTimer = setTimeout(() => {
        if (!this.pending.has(id)) return;
        this.kill((waiting) =>
          waiting === this.pending.get(id)
            ? error
            : new EngineError('internal', 'The query was stopped with another of its tenant; try again.'),
        );
      }, ABORT_GRACE_MS);
    };
    const onAbort = () => {
      const signal = options.signal as AbortSignal;
      abort(typeof signal.reason === 'string' ? signal.reason : 'aborted', interrupted(signal));
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.timeoutMs !== undefined) {
      const timeoutError = options.timeoutError ?? (() => new EngineError('interrupted', 'timeout'));
      timeoutTimer = setTimeout(() => {
        // The child answers an interrupted request with `interrupted`: this request's own
        // timeout error is what the caller must hear.
        const waiting = this.pending.get(id);
        if (waiting) waiting.failWith = timeoutError();
        abort('timeout', timeoutError());
      }, options.timeoutMs);
    }
    try {
      // The answer settles first only when the process died or the request timed out meanwhile.
      await Promise.race([this.ready, answer]);
      // Aborted or timed out while the process started: nothing was sent, nothing to kill.
      const timedOut = this.pending.get(id)?.failWith;
      if (timedOut) throw timedOut;
      if (options.signal?.aborted) throw interrupted(options.signal);
      this.send({ id, ...body } as SandboxRequest);
      return (await answer) as T;
    } finally {
      clearTimeout(graceTimer);
      clearTimeout(timeoutTimer);
      options.signal?.removeEventListener('abort', onAbort);
      this.pending.delete(id);
      this.lastUsed = Date.now();
      if (this.pending.size === 0) this.stopWatchingMemory();
    }
  }

  /** Stops it: gracefully (the child closes DuckDB) unless `force`. */
  async stop(force = false): Promise<void> {
    this.retired = true;
    if (this.exited) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    if (!force && this.child.connected) this.child.disconnect();
    else this.child.kill('SIGKILL');
    await exited;
  }

  private kill(reason: (pending: Pending) => EngineError): void {
    if (this.exited) return;
    this.retired = true;
    this.killReason ??= reason;
    this.child.kill('SIGKILL');
  }

  private send(message: SandboxRequest): void {
    if (!this.child.connected) return;
    this.child.send(message, (error) => {
      if (error && 'op' in message && message.op !== 'abort') {
        const waiting = this.pending.get(message.id);
        if (waiting) fail(waiting, new EngineError('internal', 'The query engine could not be reached.'));
      }
    });
  }

  private onReply(reply: SandboxReply, ready: () => void): void {
    if ('ready' in reply) {
      ready();
      return;
    }
    const waiting = this.pending.get(reply.id);
    if (!waiting) return;
    if ('progress' in reply) {
      try {
        waiting.options.onProgress?.(reply.progress);
      } catch {
        // A failing listener must not fail the query.
      }
    } else if ('result' in reply) {
      waiting.resolve(reply.result);
    } else {
      const error = new EngineError(
        reply.error.code,
        reply.error.message,
        reply.error.details ? { details: reply.error.details } : undefined,
      );
      // DuckDB's INTERNAL errors can leave its database unusable: this process takes no more work.
      if (error.code === 'internal') this.retired = true;
      fail(waiting, error);
    }
  }

  private watchMemory(): void {
    if (this.memoryTimer || this.exited) return;
    this.memoryTimer = setInterval(() => {
      const pid = this.pid;
      if (pid === undefined) return;
      void residentBytesOf(pid).then((bytes) => {
        if (bytes !== null && bytes > this.memoryMaxBytes && !this.exited) {
          this.kill((waiting) => waiting.options.memoryError());
        }
      });
    }, MEMORY_CHECK_MS);
    this.memoryTimer.unref();
  }

  private stopWatchingMemory(): void {
    clearInterval(this.memoryTimer);
    this.memoryTimer = undefined;
  }
}
