import { type TJobStatus, type TRunResponse, toTimestamp, ZRunQueryBody } from '@repo/contracts';
import { readJobStatus } from '@repo/queue';
import { Router } from 'express';
import type { AppDeps } from '../../app-deps';
import { AppError, parseOrThrow } from '../../app-error';
import { tenantOf } from '../../middleware/authenticate';
import { requireJson } from '../../middleware/require-json';
import { asyncJobsDisabled } from '../jobs/async-jobs-gate';
import { waitForJobEnd } from '../jobs/wait-for-job-end';
import { enqueueRun } from './enqueue-run';
import { prepareRun } from './prepare-run';

/** A failed sync run answers 422 when the query is at fault and 500 when we are. */
function failedRunStatus(status: TJobStatus): number {
  return status.error_code === 'internal' ? 500 : 422;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

export function runsRouter(deps: AppDeps): Router {
  const { config } = deps;
  const router = Router();

  router.post('/:queryId', requireJson, async (req, res) => {
    const body = parseOrThrow(ZRunQueryBody, req.body ?? {}, 'request body');
    if (body.execution_mode === 'async' && !config.ASYNC_JOBS_ENABLED) throw asyncJobsDisabled();
    const idempotencyKey = req.get('idempotency-key');
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw new AppError('validation_failed', 'Idempotency-Key must be 1 to 255 visible ASCII characters.', [
        'Idempotency-Key',
      ]);
    }
    const tenant = tenantOf(res);
    const payload = await prepareRun(deps, tenant, String(req.params.queryId), body);
    const run = await enqueueRun(deps, payload, idempotencyKey, { query_id: payload.query_id, ...body });
    const accepted: TRunResponse = {
      query_id: payload.query_id,
      dataset_id: payload.dataset_id,
      execution_mode: 'async',
      status: 'queued',
      results: null,
      job_id: run.jobId,
      created_at: toTimestamp(run.createdMs),
    };
    const readStatus = () =>
      readJobStatus(deps.redis, config.QUEUE_PREFIX, run.jobId, tenant, config.RESULT_TTL_SECONDS);

    if (body.execution_mode === 'sync' && config.SYNC_WAIT_MS > 0) {
      await waitForJobEnd(deps, run.jobId, config.SYNC_WAIT_MS);
      const status = await readStatus();
      if (status && (status.status === 'succeeded' || status.status === 'failed')) {
        const answer: TRunResponse = {
          ...accepted,
          execution_mode: 'sync',
          status: status.status,
          results: status.results,
          job_id: null,
        };
        if (status.status === 'failed') {
          res
            .status(failedRunStatus(status))
            .json({ ...answer, error: status.error, error_code: status.error_code });
        } else {
          res.status(200).json(answer);
        }
        return;
      }
      if (status) accepted.status = status.status;
    } else if (!run.fresh) {
      // A repeat of an idempotent request answers with its job as it is now.
      const status = await readStatus();
      if (status) accepted.status = status.status;
    }
    // Async, or a sync run still going after SYNC_WAIT_MS: the work goes on as a job.
    res.status(202).location(`/v1/jobs/${run.jobId}`).json(accepted);
  });

  return router;
}
