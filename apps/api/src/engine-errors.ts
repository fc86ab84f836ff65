import { EngineError } from '@repo/engine';
import { AppError } from './app-error';

/** What the engine says about a client's file or SQL, as the API's envelope (422). */
export function fromEngineError(error: unknown): unknown {
  if (!(error instanceof EngineError)) return error;
  switch (error.code) {
    case 'invalid_dataset':
      return new AppError('invalid_dataset', error.message, error.details ?? []);
    case 'invalid_query':
    case 'query_error':
      return new AppError('invalid_query', error.message, error.details ?? []);
    default:
      return error;
  }
}
