import type { Job, QueryResults, RunResponse } from '../types';
import { type CliContext, EXIT } from './cli-context';
import { json, table } from './render';

/** The job id behind a truncated result's `next` link (`/v1/jobs/job_…/results?cursor=…`). */
function jobOfNext(next: string | undefined): string | null {
  return next ? (/\/v1\/jobs\/([^/?]+)\/results/.exec(next)?.[1] ?? null) : null;
}

export function printResults(ctx: CliContext, results: QueryResults, jobId: string | null): void {
  ctx.stdout.write(table(results.columns, results.rows));
  const shown = results.rows.length;
  const all = results.row_count;
  if (shown < all) {
    const job = jobId ?? jobOfNext(results.next) ?? 'job_…';
    ctx.stdout.write(
      `(${shown} of ${all} rows shown; all of them: analytics jobs results ${job} --format csv > result.csv)\n`,
    );
  } else {
    ctx.stdout.write(`(${all} ${all === 1 ? 'row' : 'rows'})\n`);
  }
}

/**
 * Prints how a run or job ended: its results, or its error on stderr (exit 1). With --json
 * the API's body, whatever the outcome.
 */
export function printOutcome(ctx: CliContext, outcome: Job | RunResponse): number {
  const jobId = outcome.job_id ?? null;
  if (ctx.json) ctx.stdout.write(json(outcome));
  if (outcome.status === 'failed') {
    const code = outcome.error_code ? ` (${outcome.error_code})` : '';
    ctx.stderr.write(
      `${jobId ? `Job ${jobId}` : 'The run'} failed${code}: ${outcome.error ?? 'no reason given'}\n`,
    );
    return EXIT.failed;
  }
  if (!ctx.json && outcome.results) printResults(ctx, outcome.results, jobId);
  return EXIT.ok;
}
