import type { ExecutionMode, Priority, TParameterValue } from '@repo/contracts';
import { isId } from '@repo/contracts';
import { callbackUrlProblem, type TRunQueryPayload } from '@repo/queue';
import type { AppDeps } from '../../app-deps';
import { AppError, notFound } from '../../app-error';
import { checkParameters } from './check-parameters';

export interface RunRequest {
  dataset_id?: string;
  parameters: Record<string, TParameterValue>;
  execution_mode: ExecutionMode;
  priority: Priority;
  timeout_ms?: number;
  callback_url?: string;
  batch_id?: string;
}

/**
 * Everything checked before a run is queued — the query and dataset are the tenant's, the
 * parameters are exactly the query's, the timeout and callback are acceptable — and the
 * job payload built from them.
 */
export async function prepareRun(
  deps: Pick<AppDeps, 'config' | 'queries' | 'datasets'>,
  tenant: string,
  queryId: string,
  run: RunRequest,
): Promise<TRunQueryPayload> {
  const { config } = deps;
  const query = isId('query', queryId) ? await deps.queries.get(tenant, queryId) : null;
  if (!query) throw notFound('saved query', queryId);
  const datasetId = run.dataset_id ?? query.dataset_id;
  if (datasetId === null || datasetId === undefined) {
    throw new AppError(
      'dataset_required',
      'This query has no bound dataset: give "dataset_id" in the request body.',
      ['dataset_id'],
    );
  }
  const dataset = isId('dataset', datasetId) ? await deps.datasets.get(tenant, datasetId) : null;
  if (!dataset) throw notFound('dataset', datasetId);
  checkParameters(query.parameters, run.parameters);
  if (run.callback_url !== undefined) {
    const problem = callbackUrlProblem(run.callback_url, config.WEBHOOK_ALLOWED_HOSTS);
    if (problem) throw new AppError('invalid_callback_url', `${problem}.`, ['callback_url']);
  }
  const timeoutMs = run.timeout_ms ?? config.QUERY_TIMEOUT_DEFAULT_MS;
  if (timeoutMs > config.QUERY_TIMEOUT_MAX_MS) {
    throw new AppError(
      'validation_failed',
      `timeout_ms must be at most ${config.QUERY_TIMEOUT_MAX_MS} on this server.`,
      ['timeout_ms'],
    );
  }
  return {
    tenant,
    query_id: query.query_id,
    dataset_id: dataset.dataset_id,
    sql: query.sql,
    // Literals last: a run's parameters can never replace a structured query's values.
    params: { ...run.parameters, ...query.literals },
    execution_mode: run.execution_mode,
    priority: run.priority,
    timeout_ms: timeoutMs,
    ...(run.callback_url ? { callback_url: run.callback_url } : {}),
    ...(run.batch_id ? { batch_id: run.batch_id } : {}),
  };
}
