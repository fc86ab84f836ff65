import { ERROR_STATUS, type ErrorCode } from '@repo/contracts';
import type { z } from 'zod';

/** The one error type of the API: a code from the contract's table, a sentence, field paths. */
export class AppError extends Error {
  override name = 'AppError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: string[] = [],
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }

  toJSON() {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }
}

export function notFound(what: string, id: string): AppError {
  return new AppError('not_found', `No ${what} with id ${JSON.stringify(id)} exists for this API key.`);
}

export function invalidCursor(): AppError {
  return new AppError('validation_failed', 'The cursor is not one this API gave out.', ['cursor']);
}

export function redisUnavailable(): AppError {
  return new AppError(
    'service_unavailable',
    'The job store (Redis) is not reachable right now; retry shortly.',
    [],
    { 'Retry-After': '2' },
  );
}

/** The object store (S3 or compatible) failed to answer: a network error, a timeout, a 5xx. */
export function objectStoreUnavailable(): AppError {
  return new AppError(
    'service_unavailable',
    'The file store is not reachable right now, so nothing was changed; retry shortly.',
    [],
    { 'Retry-After': '5' },
  );
}

/**
 * Redis is at maxmemory and (with noeviction, as it should run) refuses writes: nothing
 * new can be accepted, while everything stored can still be read.
 */
export function redisOutOfMemory(): AppError {
  return new AppError(
    'service_unavailable',
    'The job store (Redis) is out of memory, so no new work can be accepted right now; existing jobs can still be read. Retry later.',
    [],
    { 'Retry-After': '10' },
  );
}

type Issue = z.core.$ZodIssue;

/**
 * A union's failure is reported through the branch that matched the value's type (the
 * object branch for an object), so the client hears `query.aggregates.0.fn` rather
 * than "query: invalid input".
 */
function flattenIssues(issues: readonly Issue[], prefix: PropertyKey[] = []): Issue[] {
  return issues.flatMap((issue): Issue[] => {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const typed = issue.errors.filter(
        (branch) => !branch.every((i) => i.code === 'invalid_type' && i.path.length === 0),
      );
      if (typed.length === 1 && typed[0]) return flattenIssues(typed[0], path);
    }
    return [{ ...issue, path }];
  });
}

/** Zod issues as field paths (`parameters.month`) and one sentence listing them. */
export function validationError(error: z.ZodError, where: string): AppError {
  const details: string[] = [];
  const parts: string[] = [];
  for (const issue of flattenIssues(error.issues)) {
    const base = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const path = base ? `${base}.${key}` : key;
        details.push(path);
        parts.push(`${path}: unknown field`);
      }
      continue;
    }
    const path = base || where;
    details.push(path);
    parts.push(`${path}: ${issue.message}`);
  }
  return new AppError('validation_failed', `Invalid ${where}: ${parts.join('; ')}.`, details);
}

export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw validationError(parsed.error, where);
  return parsed.data;
}
