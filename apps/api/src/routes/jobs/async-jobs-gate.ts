import type { RequestHandler } from 'express';
import { AppError } from '../../app-error';

export function asyncJobsDisabled(): AppError {
  return new AppError(
    'not_implemented',
    'Asynchronous jobs are disabled on this server (ASYNC_JOBS_ENABLED=false); run queries with "execution_mode": "sync".',
  );
}

/** With ASYNC_JOBS_ENABLED=false every /v1/jobs route answers 501, as the seed's Phase 1 did. */
export function asyncJobsGate(enabled: boolean): RequestHandler {
  return (_req, _res, next) => next(enabled ? undefined : asyncJobsDisabled());
}
