import { isId, newId, TERMINAL_STATUSES, ZCreateBatchBody } from '@repo/contracts';
import {
  addJobToIndexes,
  batchJobId,
  batchKeys,
  callbackUrlProblem,
  createWebhookQueue,
  execMulti,
  RUN_QUERY_JOB_NAME,
  readBatchStatus,
  runQueryJobOptions,
  type TRunQueryPayload,
} from '@repo/queue';
import { type Response, Router } from 'express';
import type { AppDeps } from '../../app-deps';
import { AppError, notFound, parseOrThrow } from '../../app-error';
import { tenantOf } from '../../middleware/authenticate';
import { requireJson } from '../../middleware/require-json';
import { fingerprint } from '../../stores/idempotency-store';
import { asyncJobsGate } from '../jobs/async-jobs-gate';
import { requestCancel } from '../jobs/request-cancel';
import { prepareRun } from '../runs/prepare-run';

/** A batch record outlives its jobs' retention at most by this, should its last job never end. */
const BATCH_RECORD_MAX_SECONDS = 30 * 86_400;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** An error about one job of the batch, said with its place: `jobs.3.parameters.month`. */
function inJob(index: number, error: unknown): unknown {
  if (!(error instanceof AppError)) return error;
  return new AppError(
    error.code,
    `jobs[${index}]: ${error.message}`,
    error.details.length > 0 ? error.details.map((d) => `jobs.${index}.${d}`) : [`jobs.${index}`],
    error.headers,
  );
}

/**
 * Batches: many runs accepted in one request, all or none. The batch is a record of its
 * jobs; its status and progress are computed from them, and its webhook is sent once,
 * when the last of them has ended.
 */
export function batchesRouter(deps: AppDeps): Router {
  const { config, redis, queue } = deps;
  const router = Router();
  router.use(asyncJobsGate(config.ASYNC_JOBS_ENABLED));
  const webhooks = createWebhookQueue(redis, config.QUEUE_PREFIX);

  async function loadBatch(res: Response, id: string) {
    const batch = isId('batch', id)
      ? await readBatchStatus(redis, config.QUEUE_PREFIX, id, tenantOf(res))
      : null;
    if (!batch) throw notFound('batch', id);
    return batch;
  }

  router.post('/', requireJson, async (req, res) => {
    const body = parseOrThrow(ZCreateBatchBody, req.body, 'request body');
    const tenant = tenantOf(res);
    const idempotencyKey = req.get('idempotency-key');
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw new AppError('validation_failed', 'Idempotency-Key must be 1 to 255 visible ASCII characters.', [
        'Idempotency-Key',
      ]);
    }
    if (body.callback_url !== undefined) {
      const problem = callbackUrlProblem(body.callback_url, config.WEBHOOK_ALLOWED_HOSTS);
      if (problem) throw new AppError('invalid_callback_url', `${problem}.`, ['callback_url']);
    }
    let batch = { jobId: newId('batch'), createdMs: Date.now(), fresh: true };
    if (idempotencyKey !== undefined) {
      batch = await deps.idempotency.reserve(tenant, `batch:${idempotencyKey}`, fingerprint(body), batch);
    }
    const batchId = batch.jobId;
    const payloads: TRunQueryPayload[] = [];
    for (const [index, job] of body.jobs.entries()) {
      try {
        payloads.push(
          await prepareRun(deps, tenant, job.query_id, {
            ...job,
            execution_mode: 'async',
            batch_id: batchId,
          }),
        );
      } catch (error) {
        throw inJob(index, error);
      }
    }
    const jobIds = payloads.map((_, index) => batchJobId(batchId, index));
    if (batch.fresh) {
      // Over MAX_ACTIVE_JOBS_PER_TENANT: 429 for the whole batch, and the Idempotency-Key is free again.
      await deps.quotas.admitJobs(tenant, jobIds).catch(async (error: unknown) => {
        if (idempotencyKey !== undefined)
          await deps.idempotency.release(tenant, `batch:${idempotencyKey}`, batchId);
        throw error;
      });
    }
    // The record and every index entry in one MULTI, then every job in one addBulk; a
    // retry under the same Idempotency-Key re-adds the same ids, which BullMQ ignores.
    const multi = redis.multi().set(
      batchKeys.record(config.QUEUE_PREFIX, batchId),
      JSON.stringify({
        tenant,
        job_ids: jobIds,
        created_ms: batch.createdMs,
        callback_url: body.callback_url ?? null,
      }),
      'EX',
      config.RESULT_TTL_SECONDS + BATCH_RECORD_MAX_SECONDS,
    );
    for (const [index, payload] of payloads.entries()) {
      addJobToIndexes(multi, config.QUEUE_PREFIX, {
        tenant,
        queryId: payload.query_id,
        jobId: jobIds[index] ?? '',
        createdMs: batch.createdMs,
      });
    }
    await execMulti(multi);
    await queue.addBulk(
      payloads.map((payload, index) => ({
        name: RUN_QUERY_JOB_NAME,
        data: payload,
        opts: runQueryJobOptions(config, jobIds[index] ?? '', payload.priority, batch.createdMs),
      })),
    );
    const status = batch.fresh
      ? 'queued'
      : ((await readBatchStatus(redis, config.QUEUE_PREFIX, batchId, tenant))?.status ?? 'queued');
    res.status(202).location(`/v1/batches/${batchId}`).json({ batch_id: batchId, job_ids: jobIds, status });
  });

  router.get('/:batchId', async (req, res) => {
    res.json(await loadBatch(res, req.params.batchId));
  });

  /** Cancels every job of the batch that has not ended; answers the batch as it then is. */
  router.post('/:batchId/cancel', async (req, res) => {
    const before = await loadBatch(res, req.params.batchId);
    if (TERMINAL_STATUSES.includes(before.status)) {
      throw new AppError(
        'conflict',
        `The batch has already ${before.status}; there is nothing left to cancel.`,
      );
    }
    for (const job of before.jobs) {
      if (!TERMINAL_STATUSES.includes(job.status))
        await requestCancel({ config, redis, webhooks }, job.job_id);
    }
    res.json(await loadBatch(res, req.params.batchId));
  });

  return router;
}
