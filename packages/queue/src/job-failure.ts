import { JOB_ERROR_CODES, type JobErrorCode } from '@repo/contracts';

/**
 * A failure is stored in BullMQ's `failedReason` as `<code>: <sentence>`, so that the
 * status read stays one HMGET and operators read the same sentence on the dashboard.
 */
export function formatFailure(code: JobErrorCode, message: string): string {
  return `${code}: ${message}`;
}

const FAILURE = new RegExp(`^(${JOB_ERROR_CODES.join('|')}): ([\\s\\S]+)$`);

/** Whether a failedReason was written by this service's processor (rather than by BullMQ). */
export function isServiceFailure(failedReason: string | null | undefined): boolean {
  return failedReason ? FAILURE.test(failedReason) : false;
}

export function parseFailure(failedReason: string | null | undefined): {
  code: JobErrorCode;
  message: string;
} {
  const match = failedReason ? FAILURE.exec(failedReason) : null;
  if (match?.[1] && match[2]) return { code: match[1] as JobErrorCode, message: match[2] };
  // Anything else came from BullMQ itself (a stalled job out of retries, a lost lock).
  return {
    code: 'internal',
    message:
      'The job failed inside the service (the worker running it stopped or lost it). Run the query again.',
  };
}
