import { newId } from '@repo/contracts';
import { indexJob, jobKey, RUN_QUERY_JOB_NAME, runQueryJobOptions, type TRunQueryPayload } from '@repo/queue';
import type { AppDeps } from '../../app-deps';
import { AppError } from '../../app-error';
import { fingerprint } from '../../stores/idempotency-store';

export interface EnqueuedRun {
  jobId: string;
  createdMs: number;
  /** False when an Idempotency-Key led back to an existing job. */
  fresh: boolean;
}

/**
 * Indexes the job, then adds it to BullMQ; the request is answered only after both.
 * Index entries come first so that no job can exist that a listing misses; an entry
 * whose job never arrived (a crash in between) is skipped by listings and swept later.
 * With an Idempotency-Key, every request for the same key and body uses one job id, and
 * BullMQ never creates a job twice under one id — racing requests get one job, and a
 * client repeating a request that died half-way (whenever it repeats it) gets it made.
 */
export async function enqueueRun(
  deps: AppDeps,
  payload: TRunQueryPayload,
  idempotencyKey: string | undefined,
  requestBody: unknown,
): Promise<EnqueuedRun> {
  const { config, redis, queue } = deps;
  let run: EnqueuedRun = { jobId: newId('job'), createdMs: Date.now(), fresh: true };
  if (idempotencyKey !== undefined) {
    run = await deps.idempotency.reserve(payload.tenant, idempotencyKey, fingerprint(requestBody), run);
    if (!run.fresh) {
      if ((await redis.exists(jobKey(config.QUEUE_PREFIX, run.jobId))) === 1) return run;
      // Missing. It can have run and been swept only once RESULT_TTL_SECONDS have passed since
      // it was made; before that, the request that reserved the key died before adding the job
      // (an API replica killed, Redis lost between the two writes) or is still adding it, and
      // this repeat adds it below — BullMQ keeps one job per id.
      if (Date.now() - run.createdMs >= config.RESULT_TTL_SECONDS * 1000) {
        throw new AppError(
          'not_found',
          `The job ${run.jobId} made for this Idempotency-Key has expired; use a new key to run the query again.`,
        );
      }
    }
  }
  if (run.fresh) {
    // Over MAX_ACTIVE_JOBS_PER_TENANT: 429, and the Idempotency-Key is free for a retry.
    await deps.quotas.admitJob(payload.tenant, run.jobId).catch(async (error: unknown) => {
      if (idempotencyKey !== undefined)
        await deps.idempotency.release(payload.tenant, idempotencyKey, run.jobId);
      throw error;
    });
  }
  await indexJob(redis, config.QUEUE_PREFIX, {
    tenant: payload.tenant,
    queryId: payload.query_id,
    jobId: run.jobId,
    createdMs: run.createdMs,
  });
  await queue.add(
    RUN_QUERY_JOB_NAME,
    payload,
    runQueryJobOptions(config, run.jobId, payload.priority, run.createdMs),
  );
  return run;
}
