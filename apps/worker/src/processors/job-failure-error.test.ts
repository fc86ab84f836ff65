import { EngineError } from '@repo/engine';
import { parseFailure } from '@repo/queue';
import { UnrecoverableError } from 'bullmq';
import { expectedEnding, INTERRUPT_REASONS, toJobFailure } from './job-failure-error';

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

describe('what the dashboard shows of a failure (BullMQ keeps the stack of the thrown error)', () => {
  const interrupted = new EngineError('interrupted', 'The query was interrupted.');

  it('is the reason alone for the endings the service expects: no frames, no paths', () => {
    const endings = [
      toJobFailure(new EngineError('query_error', 'Binder Error: column "x" not found'), context),
      toJobFailure(new EngineError('invalid_query', 'Only one SELECT'), context),
      toJobFailure(interrupted, { timeoutMs: 250, reason: INTERRUPT_REASONS.timeout }),
      toJobFailure(interrupted, { timeoutMs: 250, reason: INTERRUPT_REASONS.cancelled }),
      expectedEnding('query_error', 'The dataset dset_a no longer exists; upload it again and rerun.'),
    ];
    for (const failure of endings) {
      expect(failure).toBeInstanceOf(UnrecoverableError);
      expect(failure.stack).toBe(failure.message);
      expect(failure.stack).not.toMatch(/\bat |UnrecoverableError|\//);
    }
  });

  it('keeps the stack of an internal failure, with the stack of what was thrown', () => {
    const cause = new Error('IO Error: disk full');
    const failure = toJobFailure(cause, context);
    expect(failure.cause).toBe(cause);
    expect(failure.stack).toMatch(/^Error: internal: /);
    expect(failure.stack).toContain('\n    at ');
    expect(failure.stack).toContain(`Caused by: ${cause.stack}`);
    expect(toJobFailure('odd', context).stack).toContain('Caused by: odd');
  });
});
