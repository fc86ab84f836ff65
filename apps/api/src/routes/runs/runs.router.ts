import { isId, type TJobStatus, type TRunResponse, toTimestamp, ZRunQueryBody } from '@repo/contracts';
import { callbackUrlProblem, readJobStatus, type TRunQueryPayload } from '@repo/queue';
import { Router } from 'express';
import type { AppDeps } from '../../app-deps';
import { AppError, notFound, parseOrThrow } from '../../app-error';
import { tenantOf } from '../../middleware/authenticate';
import { requireJson } from '../../middleware/require-json';
import { asyncJobsDisabled } from '../jobs/async-jobs-gate';
import { waitForJobEnd } from '../jobs/wait-for-job-end';
import { checkParameters } from './check-parameters';
import { enqueueRun } from './enqueue-run';

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
    const queryId = String(req.params.queryId);
    const query = isId('query', queryId) ? await deps.queries.get(tenant, queryId) : null;
    if (!query) throw notFound('saved query', queryId);
    const datasetId = body.dataset_id ?? query.dataset_id;
    if (datasetId === null || datasetId === undefined) {
      throw new AppError(
        'dataset_required',
        'This query has no bound dataset: give "dataset_id" in the request body.',
        ['dataset_id'],
      );
    }
    const dataset = isId('dataset', datasetId) ? await deps.datasets.get(tenant, datasetId) : null;
    if (!dataset) throw notFound('dataset', datasetId);
    checkParameters(query.parameters, body.parameters);
    if (body.callback_url !== undefined) {
      const problem = callbackUrlProblem(body.callback_url, config.WEBHOOK_ALLOWED_HOSTS);
      if (problem) throw new AppError('invalid_callback_url', `${problem}.`, ['callback_url']);
    }
    const timeoutMs = body.timeout_ms ?? config.QUERY_TIMEOUT_DEFAULT_MS;
    if (timeoutMs > config.QUERY_TIMEOUT_MAX_MS) {
      throw new AppError(
        'validation_failed',
        `timeout_ms must be at most ${config.QUERY_TIMEOUT_MAX_MS} on this server.`,
        ['timeout_ms'],
      );
    }

    const payload: TRunQueryPayload = {
      tenant,
      query_id: query.query_id,
      dataset_id: dataset.dataset_id,
      sql: query.sql,
      // Literals last: a run's parameters can never replace a structured query's values.
      params: { ...body.parameters, ...query.literals },
      execution_mode: body.execution_mode,
      priority: body.priority,
      timeout_ms: timeoutMs,
      ...(body.callback_url ? { callback_url: body.callback_url } : {}),
    };
    const run = await enqueueRun(deps, payload, idempotencyKey, { query_id: query.query_id, ...body });
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
