import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import { EngineError } from './engine-error';
import type { EngineOptions, IngestOptions, IngestResult } from './engine-types';
import type { IngestReply, IngestRequest } from './ingest-protocol';

const CHILD = path.join(__dirname, 'ingest-child.ts');
/** A child left idle this long exits, giving DuckDB's buffers back to the machine. */
const DEFAULT_IDLE_MS = 30_000;

interface Pending {
  resolve: (result: IngestResult) => void;
  reject: (error: Error) => void;
}

/** One converter process and the requests it has not answered yet. */
interface Converter {
  process: ChildProcess;
  ready: Promise<void>;
  pending: Map<number, Pending>;
}

function fromReply(error: Extract<IngestReply, { error: unknown }>['error']): EngineError {
  return new EngineError(error.code, error.message, error.details ? { details: error.details } : undefined);
}

/**
 * Converts uploads in a child process with its own DuckDB, so that the caller (an API
 * replica) never holds DuckDB's buffers — a 10M-row CSV took ~700 MB there — and an
 * upload that exhausts memory kills the converter, not the process serving requests.
 * The child starts on the first upload, serves the following ones, and exits when idle.
 */
export class IngestProcess {
  private converter: Converter | null = null;
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly engineOptions: Omit<EngineOptions, 'progressConnections'>,
    private readonly idleMs = DEFAULT_IDLE_MS,
  ) {}

  async ingest(options: IngestOptions): Promise<IngestResult> {
    if (this.closed) throw new EngineError('internal', 'The engine is closed.');
    clearTimeout(this.idleTimer);
    const converter = this.converter ?? this.start();
    this.converter = converter;
    const id = this.nextId++;
    const answer = new Promise<IngestResult>((resolve, reject) =>
      converter.pending.set(id, { resolve, reject }),
    );
    // Awaited below; this keeps a rejection that comes while we still wait for `ready` handled.
    answer.catch(() => undefined);
    try {
      await converter.ready;
      const request: IngestRequest = { id, options };
      converter.process.send(request, (error) => {
        if (error) converter.pending.get(id)?.reject(error);
      });
      return await answer;
    } finally {
      converter.pending.delete(id);
      this.idleAfterLast(converter);
    }
  }

  /** The converter's pid while one runs (for operators and the benchmarks' memory figures). */
  get pid(): number | undefined {
    return this.converter?.process.pid;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.idleTimer);
    await this.stop();
  }

  private start(): Converter {
    const child = fork(CHILD, [JSON.stringify(this.engineOptions)], {
      // The child is TypeScript, run as the services are; its output is the parent's.
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    // Failures surface as its exit (below) or as the send callback's error.
    child.on('error', () => undefined);
    const pending = new Map<number, Pending>();
    const ready = new Promise<void>((resolve, reject) => {
      child.on('message', (reply: IngestReply) => {
        if ('ready' in reply) return resolve();
        const waiting = pending.get(reply.id);
        if (!waiting) return;
        if ('result' in reply) waiting.resolve(reply.result);
        else waiting.reject(fromReply(reply.error));
      });
      child.once('exit', (code, signal) => {
        if (this.converter?.process === child) this.converter = null;
        const stopped = new EngineError(
          'internal',
          `The dataset conversion stopped unexpectedly (${signal ?? `exit code ${code}`}); try the upload again.`,
        );
        reject(stopped);
        for (const waiting of pending.values()) waiting.reject(stopped);
      });
    });
    // Rejections reach the callers through `answer`; this one must not go unhandled.
    ready.catch(() => undefined);
    return { process: child, ready, pending };
  }

  private idleAfterLast(converter: Converter): void {
    if (converter.pending.size > 0 || this.closed || this.converter !== converter) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => void this.stop(), this.idleMs);
    this.idleTimer.unref();
  }

  private async stop(): Promise<void> {
    const converter = this.converter;
    // Forgotten first: an upload arriving meanwhile starts a fresh converter.
    this.converter = null;
    const child = converter?.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    // Disconnecting lets the child close DuckDB and exit by itself.
    if (child.connected) child.disconnect();
    else child.kill();
    await exited;
  }
}
