/**
 * - `invalid_dataset`: an uploaded file is malformed, empty or not of its declared format.
 * - `invalid_query`: SQL or a structured query that must be fixed before it can be saved.
 * - `query_error`: a run failed because of the query or the data; retrying cannot help.
 * - `interrupted`: the run was stopped through its AbortSignal.
 * - `internal`: anything else (I/O, memory...); a retry may succeed.
 */
export type EngineErrorCode =
  | 'invalid_dataset'
  | 'invalid_query'
  | 'query_error'
  | 'interrupted'
  | 'internal';

/** Every failure the engine reports; messages are sentences for the client, never server paths. */
export class EngineError extends Error {
  override readonly name = 'EngineError';
  readonly code: EngineErrorCode;
  /** Field paths or column names the message is about. */
  readonly details?: string[];

  constructor(code: EngineErrorCode, message: string, options?: { details?: string[]; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    if (options?.details) this.details = options.details;
  }
}
