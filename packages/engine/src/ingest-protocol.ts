import type { EngineErrorCode } from './engine-error';
import type { IngestOptions, IngestResult } from './engine-types';

/** Parent → child: convert one upload. */
export interface IngestRequest {
  id: number;
  options: IngestOptions;
}

/** Child → parent: the answer to request `id` (id 0: the child is ready). */
export type IngestReply =
  | { id: number; result: IngestResult }
  | { id: number; error: { code: EngineErrorCode; message: string; details?: string[] } }
  | { id: 0; ready: true };
