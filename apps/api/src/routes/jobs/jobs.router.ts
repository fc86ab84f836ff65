import { isId } from '@repo/contracts';
import { readJobStatus } from '@repo/queue';
import { Router } from 'express';
import type { AppDeps } from '../../app-deps';
import { notFound } from '../../app-error';
import { tenantOf } from '../../middleware/authenticate';
import { asyncJobsGate } from './async-jobs-gate';

export function jobsRouter(deps: AppDeps): Router {
  const { config } = deps;
  const router = Router();
  router.use(asyncJobsGate(config.ASYNC_JOBS_ENABLED));

  router.get('/:jobId', async (req, res) => {
    const id = req.params.jobId;
    const status = isId('job', id)
      ? await readJobStatus(deps.redis, config.QUEUE_PREFIX, id, tenantOf(res), config.RESULT_TTL_SECONDS)
      : null;
    if (!status) throw notFound('job', id);
    res.json(status);
  });

  return router;
}
