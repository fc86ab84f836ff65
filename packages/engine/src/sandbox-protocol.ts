import type { EngineErrorCode } from './engine-error';
import type { ExecuteOptions, IngestOptions } from './engine-types';

/** What a sandbox process is started with (argv[2], JSON). */
export interface SandboxChildOptions {
  /** The folder its DuckDB may read and write: one tenant's files. */
  dataDir: string;
  /** The same tenant's other folders (its copies in the dataset cache). */
  extraDirs: string[];
  /** DuckDB's spill folder, this process's own. */
  tempDir: string;
  threads?: number;
  memoryLimit?: string;
  maxTempSize?: string;
  progressConnections: number;
}

/** An execute as it crosses the process boundary: the signal and callback stay in the parent. */
export type SandboxExecuteOptions = Omit<ExecuteOptions, 'signal' | 'onProgress'> & { progress: boolean };

/** Parent → child. `abort` stops the request `id` (its query is interrupted). */
export type SandboxRequest =
  | { id: number; op: 'execute'; options: SandboxExecuteOptions }
  | { id: number; op: 'ingest'; options: IngestOptions }
  | { id: number; op: 'check'; sql: string; datasetPath: string }
  | { id: number; op: 'abort'; reason: string };

export interface SandboxErrorBody {
  code: EngineErrorCode;
  message: string;
  details?: string[];
}

/** Child → parent: progress of request `id`, its answer, or (id 0) that the child is ready. */
export type SandboxReply =
  | { id: 0; ready: true }
  | { id: number; progress: number }
  | { id: number; result: unknown }
  | { id: number; error: SandboxErrorBody };
