import { isId, newId, toTimestamp, ZListQuery, ZSaveQueryBody } from '@repo/contracts';
import { dataKeys } from '@repo/queue';
import { type RequestHandler, Router } from 'express';
import type { AppDeps } from '../../app-deps';
import { notFound, parseOrThrow } from '../../app-error';
import { tenantOf } from '../../middleware/authenticate';
import { requireJson } from '../../middleware/require-json';
import { type QueryRecord, toSavedQueryBody } from '../../stores/query-store';
import { type PreparedQuery, prepareQuery } from './prepare-query';

/** `POST /v1/save` and its alias `POST /v1/queries`. */
export function saveQueryHandler(deps: AppDeps): RequestHandler[] {
  const save: RequestHandler = async (req, res) => {
    const body = parseOrThrow(ZSaveQueryBody, req.body, 'request body');
    const tenant = tenantOf(res);
    let prepared: PreparedQuery;
    if (body.dataset_id !== undefined) {
      const record = isId('dataset', body.dataset_id)
        ? await deps.datasets.get(tenant, body.dataset_id)
        : null;
      if (!record) throw notFound('dataset', body.dataset_id);
      // Bound to the dataset's file: a local copy of it when it lives in a bucket.
      prepared = await deps.cache.withLocal(dataKeys.dataset(tenant, record.dataset_id), (path) =>
        prepareQuery(deps, tenant, body.query, { record, path }),
      );
    } else {
      prepared = await prepareQuery(deps, tenant, body.query, null);
    }
    const queryId = newId('query');
    const record: QueryRecord = {
      tenant,
      query_id: queryId,
      name: body.name,
      description: body.description ?? null,
      query: body.query,
      dataset_id: body.dataset_id ?? null,
      sql: prepared.sql,
      parameters: prepared.parameters,
      literals: prepared.literals,
      created_ms: Date.now(),
    };
    await deps.queries.insert(queryId, record);
    res
      .status(201)
      .location(`/v1/queries/${queryId}`)
      .json({
        query_id: queryId,
        name: record.name,
        created_at: toTimestamp(record.created_ms),
        status: 'saved',
      });
  };
  return [requireJson, save];
}

export function queriesRouter(deps: AppDeps): Router {
  const router = Router();
  router.post('/', ...saveQueryHandler(deps));

  router.get('/', async (req, res) => {
    const { limit, cursor } = parseOrThrow(ZListQuery, req.query, 'query string');
    const page = await deps.queries.list(tenantOf(res), limit, cursor);
    res.json({ data: page.data.map(toSavedQueryBody), next_cursor: page.next_cursor });
  });

  router.get('/:queryId', async (req, res) => {
    const id = req.params.queryId;
    const record = isId('query', id) ? await deps.queries.get(tenantOf(res), id) : null;
    if (!record) throw notFound('saved query', id);
    res.json(toSavedQueryBody(record));
  });

  router.delete('/:queryId', async (req, res) => {
    const id = req.params.queryId;
    const removed = isId('query', id) ? await deps.queries.remove(tenantOf(res), id) : null;
    if (!removed) throw notFound('saved query', id);
    res.status(204).end();
  });

  return router;
}
