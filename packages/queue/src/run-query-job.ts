import type { Config } from '@repo/config';
import { EXECUTION_MODES, PRIORITIES, type Priority, type TQueryResults, ZJsonValue } from '@repo/contracts';
import type { JobsOptions } from 'bullmq';
import { z } from 'zod';

/** What the API puts on the queue and the worker parses again before running it. */
export const ZRunQueryPayload = z.object({
  tenant: z.string().min(1),
  query_id: z.string().min(1),
  dataset_id: z.string().min(1),
  sql: z.string().min(1),
  /** The run's parameters merged with the structured query's bound literals. */
  params: z.record(z.string(), ZJsonValue),
  execution_mode: z.enum(EXECUTION_MODES),
  priority: z.enum(PRIORITIES),
  timeout_ms: z.number().int().positive(),
  callback_url: z.string().optional(),
  /** Set for a job created as part of a batch. */
  batch_id: z.string().optional(),
});
export type TRunQueryPayload = z.infer<typeof ZRunQueryPayload>;

/** The job's return value: the public results object. */
export type TRunQueryResult = TQueryResults;

/**
 * BullMQ serves jobs without a priority before prioritized ones, and lower numbers
 * first among those: interactive work overtakes batch work that is waiting.
 */
const PRIORITY_VALUE: Record<Priority, number | undefined> = { interactive: undefined, batch: 10 };

/**
 * Finished jobs are kept (no removeOnComplete/removeOnFail): the retention sweep removes
 * them with their index entries and result files, all at once, after RESULT_TTL_SECONDS.
 */
export function runQueryJobOptions(
  config: Pick<Config, 'JOB_ATTEMPTS'>,
  jobId: string,
  priority: Priority,
  createdMs: number,
): JobsOptions {
  return {
    jobId,
    timestamp: createdMs,
    priority: PRIORITY_VALUE[priority],
    attempts: config.JOB_ATTEMPTS,
    backoff: { type: 'exponential', delay: 1_000 },
  };
}
