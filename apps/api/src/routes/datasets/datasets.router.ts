import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  DATASET_CONTENT_TYPES,
  type DatasetFormat,
  isId,
  newId,
  ZListQuery,
  ZUploadDatasetQuery,
} from '@repo/contracts';
import { dataKeys, dataLayout } from '@repo/queue';
import { type Request, type Response, Router } from 'express';
import type { AppDeps } from '../../app-deps';
import { AppError, notFound, parseOrThrow } from '../../app-error';
import { fromEngineError } from '../../engine-errors';
import { tenantOf } from '../../middleware/authenticate';
import { type DatasetRecord, toDatasetBody } from '../../stores/dataset-store';
import { receiveUpload } from './receive-upload';

function formatOf(req: Request): DatasetFormat {
  const type = (req.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const format = (DATASET_CONTENT_TYPES as Record<string, DatasetFormat>)[type];
  if (!format) {
    throw new AppError(
      'unsupported_media_type',
      `Upload datasets as one of: ${Object.keys(DATASET_CONTENT_TYPES).join(', ')} (got ${type || 'no Content-Type'}).`,
    );
  }
  return format;
}

export function datasetsRouter(deps: AppDeps): Router {
  const { config, engine, datasets, quotas, store, cache } = deps;
  const router = Router();

  async function loadDataset(res: Response, id: string): Promise<DatasetRecord> {
    const record = isId('dataset', id) ? await datasets.get(tenantOf(res), id) : null;
    if (!record) throw notFound('dataset', id);
    return record;
  }

  /**
   * Body → the tenant's uploads/<uuid> (streamed) → DuckDB, in the tenant's sandbox, converts
   * it to the tenant's datasets/<id>.parquet → the object store (in place on the local store,
   * a multipart upload to a bucket) → metadata in Redis, only once the object is complete. A
   * failure at any step removes what the earlier steps wrote.
   */
  router.post('/', async (req, res) => {
    const format = formatOf(req);
    const { name } = parseOrThrow(ZUploadDatasetQuery, req.query, 'query string');
    const tenant = tenantOf(res);
    await quotas.checkDatasetRoom(tenant);
    const datasetId = newId('dataset');
    const uploadPath = join(dataLayout.uploadsDir(config.DATA_DIR, tenant), `${randomUUID()}.${format}`);
    const key = dataKeys.dataset(tenant, datasetId);
    // On a bucket, the Parquet file is staged in the tenant's local folder, then uploaded.
    const inPlace = store.localPathOf(key) !== null;
    const targetPath = dataLayout.datasetFile(config.DATA_DIR, tenant, datasetId);
    let stored = false;
    await mkdir(dataLayout.uploadsDir(config.DATA_DIR, tenant), { recursive: true });
    await mkdir(dataLayout.datasetsDir(config.DATA_DIR, tenant), { recursive: true });
    try {
      const received = await receiveUpload(req, uploadPath, {
        maxBytes: config.MAX_UPLOAD_BYTES,
        format,
        maxDepth: config.UPLOAD_MAX_DEPTH,
        maxLineBytes: config.UPLOAD_MAX_LINE_BYTES,
      });
      if (received === 0)
        throw new AppError('invalid_dataset', 'The upload is empty: send the file as the request body.');
      const ingested = await engine
        .ingest(
          tenant,
          { sourcePath: uploadPath, format, targetPath, maxLineBytes: config.UPLOAD_MAX_LINE_BYTES },
          config.CONVERT_TIMEOUT_MS,
        )
        .catch((error: unknown) => {
          throw fromEngineError(error);
        });
      const record: DatasetRecord = {
        tenant,
        dataset_id: datasetId,
        name,
        row_count: ingested.rowCount,
        columns: ingested.columns,
        size_bytes: ingested.sizeBytes,
        created_ms: Date.now(),
      };
      await quotas.addDatasetBytes(tenant, record.size_bytes);
      try {
        if (!inPlace) await store.putFile(key, targetPath);
        stored = true;
        await datasets.insert(datasetId, record);
      } catch (error) {
        await quotas.releaseDatasetBytes(tenant, record.size_bytes);
        throw error;
      }
      res.status(201).location(`/v1/datasets/${datasetId}`).json(toDatasetBody(record));
    } catch (error) {
      if (stored && !inPlace) await store.delete(key).catch(() => undefined);
      await rm(targetPath, { force: true });
      throw error;
    } finally {
      await rm(uploadPath, { force: true });
      if (!inPlace) await rm(targetPath, { force: true });
    }
  });

  router.get('/', async (req, res) => {
    const { limit, cursor } = parseOrThrow(ZListQuery, req.query, 'query string');
    const page = await datasets.list(tenantOf(res), limit, cursor);
    res.json({ data: page.data.map(toDatasetBody), next_cursor: page.next_cursor });
  });

  router.get('/:datasetId', async (req, res) => {
    res.json(toDatasetBody(await loadDataset(res, req.params.datasetId)));
  });

  router.get('/:datasetId/schema', async (req, res) => {
    const record = await loadDataset(res, req.params.datasetId);
    res.json({ dataset_id: record.dataset_id, columns: record.columns });
  });

  /**
   * The file goes first: with the store unreachable the answer is 503 and nothing changed, so
   * a retry finishes the job, and no object is ever left behind without its record. (A run
   * that starts in between fails saying the dataset is gone, as it then is.)
   */
  router.delete('/:datasetId', async (req, res) => {
    const record = await loadDataset(res, req.params.datasetId);
    const key = dataKeys.dataset(record.tenant, record.dataset_id);
    await store.delete(key);
    const removed = await datasets.remove(record.tenant, record.dataset_id);
    if (!removed) throw notFound('dataset', record.dataset_id);
    await quotas.releaseDatasetBytes(removed.tenant, removed.size_bytes);
    await cache.forget(key);
    res.status(204).end();
  });

  return router;
}
