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

/**
 * An ending the service expected — a query error, a timeout, a cancel — failed at once. BullMQ
 * keeps the thrown error's `stack` in the job's `stacktrace`, which the dashboard shows: for
 * these it is the reason alone, not `UnrecoverableError` frames and server paths that say
 * nothing about the query. (Internal failures keep their stacks: see toJobFailure.)
 */
export function expectedEnding(code: Exclude<JobErrorCode, 'internal'>, message: string): UnrecoverableError {
  const error = new UnrecoverableError(formatFailure(code, message));
  error.stack = error.message;
  return error;
}

/**
 * An internal failure, retried by BullMQ: its stack is kept, followed by the stack of what
 * was thrown (the operator's lead on the dashboard; the job's error sentence never shows it).
 */
function internalFailure(message: string, cause: unknown): Error {
  const error = new Error(formatFailure('internal', message), { cause });
  const causeText = cause instanceof Error ? (cause.stack ?? String(cause)) : String(cause);
  error.stack = `${error.stack ?? error.message}\nCaused by: ${causeText}`;
  return error;
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
        return expectedEnding(
          'query_error',
          `${error.message.replace(/\.?$/, '.')} Fix the query or its parameters and run it again.`,
        );
      case 'interrupted':
        if (context.reason === INTERRUPT_REASONS.timeout) {
          return expectedEnding(
            'timeout',
            `The query ran longer than its ${context.timeoutMs} ms timeout and was stopped; narrow it (more filters, fewer groups) or raise timeout_ms.`,
          );
        }
        return expectedEnding('cancelled', CANCELLED_MESSAGE);
      default:
        break;
    }
  }
  return internalFailure(
    'The query could not run because of an internal error (it was retried); run it again, and contact the operator if it persists.',
    error,
  );
}
