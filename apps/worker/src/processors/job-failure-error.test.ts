import { EngineError } from '@repo/engine';
import { parseFailure } from '@repo/queue';
import { UnrecoverableError } from 'bullmq';
import { INTERRUPT_REASONS, toJobFailure } from './job-failure-error';

const context = { timeoutMs: 5000, reason: undefined };

describe('toJobFailure', () => {
  it('fails query errors at once, saying what to fix', () => {
    const failure = toJobFailure(
      new EngineError('query_error', 'Could not convert "North" to INTEGER'),
      context,
    );
    expect(failure).toBeInstanceOf(UnrecoverableError);
    expect(parseFailure(failure.message)).toEqual({
      code: 'query_error',
      message: 'Could not convert "North" to INTEGER. Fix the query or its parameters and run it again.',
    });
  });

  it('names a timeout and a cancel by the interrupt reason', () => {
    const interrupted = new EngineError('interrupted', 'The query was interrupted.');
    const timeout = toJobFailure(interrupted, { timeoutMs: 250, reason: INTERRUPT_REASONS.timeout });
    expect(timeout).toBeInstanceOf(UnrecoverableError);
    expect(parseFailure(timeout.message).code).toBe('timeout');
    expect(parseFailure(timeout.message).message).toContain('250 ms');
    const cancelled = toJobFailure(interrupted, { timeoutMs: 250, reason: INTERRUPT_REASONS.cancelled });
    expect(parseFailure(cancelled.message).code).toBe('cancelled');
  });

  it('lets BullMQ retry anything else', () => {
    for (const error of [new EngineError('internal', 'IO Error: disk full'), new Error('boom'), 'odd']) {
      const failure = toJobFailure(error, context);
      expect(failure).not.toBeInstanceOf(UnrecoverableError);
      expect(parseFailure(failure.message).code).toBe('internal');
      expect(failure.message).not.toContain('disk full');
    }
  });
});
