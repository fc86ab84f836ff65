import { isTerminal } from '../job-updates';
import type { RunOptions } from '../queries.resource';
import { PRIORITIES } from '../types';
import {
  allowOnly,
  flag,
  idArgument,
  oneOf,
  type ParsedArgs,
  parameters,
  positiveInteger,
  stringOption,
} from './cli-args';
import { type CliContext, EXIT } from './cli-context';
import { followJob } from './follow-job';
import { printOutcome } from './outcome';
import { json } from './render';

/** `analytics run qry_… [--param k=v]… [--async] [--wait] …` */
export async function runCommand(ctx: CliContext, args: ParsedArgs): Promise<number> {
  allowOnly(args, 'run', [
    'param',
    'dataset',
    'async',
    'wait',
    'priority',
    'timeout-ms',
    'wait-timeout-ms',
    'idempotency-key',
  ]);
  const queryId = idArgument(args, 1, 'qry', 'run');
  const options: RunOptions = {
    parameters: parameters(args),
    datasetId: stringOption(args, 'dataset'),
    priority: oneOf(args, 'priority', PRIORITIES),
    timeoutMs: positiveInteger(args, 'timeout-ms'),
    idempotencyKey: stringOption(args, 'idempotency-key'),
    signal: ctx.signal,
  };
  const waitTimeoutMs = positiveInteger(args, 'wait-timeout-ms');
  const client = ctx.client();

  if (flag(args, 'wait') || flag(args, 'async')) {
    const accepted = await client.queries.run(queryId, { ...options, mode: 'async' });
    const jobId = accepted.job_id ?? '';
    if (flag(args, 'wait')) return followJob(ctx, jobId, waitTimeoutMs);
    if (ctx.json) ctx.stdout.write(json(accepted));
    else if (ctx.quiet) ctx.stdout.write(`${jobId}\n`);
    else ctx.stdout.write(`${jobId} ${accepted.status} (follow it: analytics jobs wait ${jobId})\n`);
    return EXIT.ok;
  }

  const answer = await client.queries.run(queryId, { ...options, mode: 'sync' });
  if (answer.job_id && !isTerminal(answer)) {
    // Longer than the API's sync wait: the work goes on as a job, which we follow.
    if (!ctx.quiet)
      ctx.stderr.write(`Still running after the API's sync wait; following job ${answer.job_id}.\n`);
    return followJob(ctx, answer.job_id, waitTimeoutMs);
  }
  return printOutcome(ctx, answer);
}
