import { JOB_STATUSES } from '../types';
import {
  allowOnly,
  idArgument,
  oneOf,
  type ParsedArgs,
  positiveInteger,
  stringOption,
  UsageError,
} from './cli-args';
import { type CliContext, EXIT, pipeToOutput } from './cli-context';
import { pageOrAll, printPage } from './datasets.command';
import { followJob } from './follow-job';
import { printResults } from './outcome';
import { json, progressCell, table } from './render';

/** How long `jobs cancel` follows a job that is still stopping before it reports so. */
const CANCEL_FOLLOW_MS = 10_000;

const RESULT_FORMATS = ['table', 'json', 'csv', 'ndjson'] as const;

/** `analytics jobs get|list|wait|cancel|results …` */
export async function jobsCommand(ctx: CliContext, args: ParsedArgs): Promise<number> {
  const action = args.positionals[1];
  const jobs = () => ctx.client().jobs;
  switch (action) {
    case 'get': {
      allowOnly(args, 'jobs get', []);
      const job = await jobs().get(idArgument(args, 2, 'job', 'jobs get'), { signal: ctx.signal });
      if (ctx.json) {
        ctx.stdout.write(json(job));
        return EXIT.ok;
      }
      ctx.stdout.write(
        table(
          ['job_id', 'status', 'progress', 'query_id', 'dataset_id', 'created_at', 'completed_at'],
          [
            [
              job.job_id,
              job.status,
              progressCell(job),
              job.query_id,
              job.dataset_id,
              job.created_at,
              job.completed_at,
            ],
          ],
        ),
      );
      if (job.error) ctx.stdout.write(`error (${job.error_code}): ${job.error}\n`);
      if (job.results) printResults(ctx, job.results, job.job_id);
      return EXIT.ok;
    }
    case 'list': {
      allowOnly(args, 'jobs list', ['status', 'query', 'limit', 'cursor', 'all']);
      const status = oneOf(args, 'status', JOB_STATUSES);
      const queryId = stringOption(args, 'query');
      const limit = positiveInteger(args, 'limit');
      const page = await pageOrAll(args, (cursor) =>
        jobs().list({ status, queryId, limit, cursor, signal: ctx.signal }),
      );
      printPage(
        ctx,
        page,
        ['job_id', 'status', 'progress', 'query_id', 'created_at', 'error_code'],
        (j) => [j.job_id, j.status, progressCell(j), j.query_id, j.created_at, j.error_code],
        'analytics jobs list',
      );
      return EXIT.ok;
    }
    case 'wait': {
      allowOnly(args, 'jobs wait', ['wait-timeout-ms']);
      const jobId = idArgument(args, 2, 'job', 'jobs wait');
      return followJob(ctx, jobId, positiveInteger(args, 'wait-timeout-ms'));
    }
    case 'cancel': {
      allowOnly(args, 'jobs cancel', []);
      let job = await jobs().cancel(idArgument(args, 2, 'job', 'jobs cancel'), { signal: ctx.signal });
      if (job.status !== 'failed') {
        // 202: the worker holding it is still stopping (a loaded machine); give it a little longer.
        job = await jobs()
          .wait(job.job_id, { signal: ctx.signal, timeoutMs: CANCEL_FOLLOW_MS })
          .catch(() => job);
      }
      if (ctx.json) ctx.stdout.write(json(job));
      else if (!ctx.quiet) {
        ctx.stdout.write(
          job.status === 'failed'
            ? `Cancelled ${job.job_id}\n`
            : `Cancelling ${job.job_id}: it is still stopping (see: analytics jobs get ${job.job_id})\n`,
        );
      }
      return EXIT.ok;
    }
    case 'results': {
      allowOnly(args, 'jobs results', ['format', 'limit', 'cursor']);
      const jobId = idArgument(args, 2, 'job', 'jobs results');
      const format = oneOf(args, 'format', RESULT_FORMATS) ?? (ctx.json ? 'json' : 'table');
      if (format === 'csv' || format === 'ndjson') {
        if (args.values.limit !== undefined || args.values.cursor !== undefined) {
          throw new UsageError(
            `--format ${format} streams the whole result: --limit and --cursor do not apply.`,
          );
        }
        const stream = await jobs().results(jobId, { format, as: 'stream', signal: ctx.signal });
        await pipeToOutput(stream, ctx.stdout);
        return EXIT.ok;
      }
      const page = await jobs().results(jobId, {
        limit: positiveInteger(args, 'limit'),
        cursor: stringOption(args, 'cursor'),
        signal: ctx.signal,
      });
      if (format === 'json') {
        ctx.stdout.write(json(page));
        return EXIT.ok;
      }
      ctx.stdout.write(table(page.columns, page.rows));
      ctx.stdout.write(
        page.next_cursor
          ? `(${page.rows.length} of ${page.row_count} rows; next page: analytics jobs results ${jobId} --cursor ${page.next_cursor})\n`
          : `(${page.row_count} ${page.row_count === 1 ? 'row' : 'rows'})\n`,
      );
      return EXIT.ok;
    }
    default:
      throw new UsageError(
        action === undefined
          ? '"jobs" needs an action: get, list, wait, cancel or results.'
          : `Unknown action "jobs ${action}": get, list, wait, cancel or results.`,
      );
  }
}
