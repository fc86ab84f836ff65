import type { JobErrorCode } from '@repo/contracts';
import { EngineError } from '@repo/engine';
import { CANCELLED_MESSAGE, formatFailure } from '@repo/queue';
import { UnrecoverableError } from 'bullmq';

/** Why a run was interrupted; the AbortSignal's reason carries it. */
export const INTERRUPT_REASONS = {
  timeout: 'timeout',
  cancelled: 'cancelled',
  shutdown: 'shutdown',
} as const;

function unrecoverable(code: JobErrorCode, message: string): UnrecoverableError {
  return new UnrecoverableError(formatFailure(code, message));
}

/**
 * Turns whatever a run threw into what BullMQ should do with the job: user errors and
 * interruptions fail at once (UnrecoverableError, never retried); anything else is
 * thrown as a plain Error so BullMQ retries it with backoff.
 */
export function toJobFailure(error: unknown, context: { timeoutMs: number; reason: unknown }): Error {
  if (error instanceof EngineError) {
    switch (error.code) {
      case 'invalid_query':
      case 'query_error':
        return unrecoverable(
          'query_error',
          `${error.message.replace(/\.?$/, '.')} Fix the query or its parameters and run it again.`,
        );
      case 'interrupted':
        if (context.reason === INTERRUPT_REASONS.timeout) {
          return unrecoverable(
            'timeout',
            `The query ran longer than its ${context.timeoutMs} ms timeout and was stopped; narrow it (more filters, fewer groups) or raise timeout_ms.`,
          );
        }
        return unrecoverable('cancelled', CANCELLED_MESSAGE);
      default:
        break;
    }
  }
  return new Error(
    formatFailure(
      'internal',
      'The query could not run because of an internal error (it was retried); run it again, and contact the operator if it persists.',
    ),
  );
}
