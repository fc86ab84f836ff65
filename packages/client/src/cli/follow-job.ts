import { AnalyticsApiError } from '../analytics-api-error';
import type { Job } from '../types';
import { type CliContext, EXIT } from './cli-context';
import { printOutcome } from './outcome';
import { ProgressReporter } from './render';

/** Waits for the job with its progress on stderr, then prints how it ended. */
export async function followJob(
  ctx: CliContext,
  jobId: string,
  waitTimeoutMs: number | undefined,
): Promise<number> {
  const reporter = new ProgressReporter(ctx.stderr);
  let job: Job;
  try {
    job = await ctx.client().jobs.wait(jobId, {
      signal: ctx.signal,
      timeoutMs: waitTimeoutMs,
      onProgress: ctx.quiet ? undefined : (update) => reporter.update(update),
    });
  } catch (error) {
    reporter.finish();
    if (error instanceof AnalyticsApiError && (error.code === 'aborted' || error.code === 'wait_timeout')) {
      const why = error.code === 'aborted' ? 'Stopped waiting' : `Still running after ${waitTimeoutMs} ms`;
      ctx.stderr.write(
        `${why}; job ${jobId} goes on (follow it: analytics jobs wait ${jobId}; stop it: analytics jobs cancel ${jobId}).\n`,
      );
      return error.code === 'aborted' ? EXIT.interrupted : EXIT.waitTimeout;
    }
    throw error;
  }
  reporter.finish();
  return printOutcome(ctx, job);
}
