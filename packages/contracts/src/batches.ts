import { z } from 'zod';
import { JOB_STATUSES } from './jobs';
import { PRIORITIES, ZParameterValue } from './runs';
import { PARAMETER_NAME } from './structured-query';

/** At most this many runs in one batch request. */
export const MAX_BATCH_JOBS = 1000;

export const ZBatchJobBody = z.strictObject({
  query_id: z.string().max(100),
  dataset_id: z.string().max(100).optional(),
  parameters: z
    .record(z.string().regex(PARAMETER_NAME, 'a parameter name like month'), ZParameterValue)
    .default({}),
  priority: z.enum(PRIORITIES).default('batch'),
  timeout_ms: z.number().int().min(1).optional(),
});

export const ZCreateBatchBody = z.strictObject({
  jobs: z.array(ZBatchJobBody).min(1).max(MAX_BATCH_JOBS),
  /** Where the batch's status is POSTed, once, when every job has ended. */
  callback_url: z.string().max(2048).optional(),
});
export type TCreateBatchBody = z.infer<typeof ZCreateBatchBody>;

export const ZBatchAccepted = z.object({
  batch_id: z.string(),
  job_ids: z.array(z.string()),
  status: z.enum(JOB_STATUSES),
});

export const ZBatchStatus = z.object({
  batch_id: z.string(),
  status: z.enum(JOB_STATUSES),
  progress: z.number().int().min(0).max(100),
  jobs: z.array(z.object({ job_id: z.string(), status: z.enum(JOB_STATUSES), progress: z.number().int() })),
  created_at: z.string(),
  completed_at: z.string().nullable(),
});
export type TBatchStatus = z.infer<typeof ZBatchStatus>;
