import { z } from 'zod';
import { ZBatchAccepted, ZBatchStatus, ZCreateBatchBody } from './batches';
import { ZDataset, ZDatasetSchema, ZUploadDatasetQuery } from './datasets';
import { ZErrorEnvelope } from './errors';
import {
  ZJobStatus,
  ZJobsPage,
  ZListJobsQuery,
  ZResultsLink,
  ZResultsPage,
  ZResultsQuery,
  ZRunResponse,
  ZStatusQuery,
} from './jobs';
import { ZListQuery } from './pagination';
import { ZSavedQuery, ZSavedQueryCreated, ZSaveQueryBody } from './queries';
import { ZRunQueryBody } from './runs';
import { RETRY_AFTER_HEADER, withSharedResponses } from './shared-responses';

type Method = 'get' | 'post' | 'delete';

export interface ApiRoute {
  method: Method;
  /** OpenAPI style: `/v1/jobs/{job_id}`. */
  path: string;
  summary: string;
  tag: 'Datasets' | 'Queries' | 'Runs' | 'Jobs' | 'Batches' | 'Operations';
  /** False for the operations endpoints, which need no API key. */
  auth: boolean;
  query?: z.ZodObject;
  body?: { contentTypes: string[]; schema: z.ZodType };
  /** Tenant quotas the route can answer 429 for (beyond the limits every /v1 route has). */
  quotas?: readonly TenantQuota[];
  responses: Record<number, ApiResponse>;
}

export type TenantQuota = 'active-jobs' | 'dataset-bytes';

/** An OpenAPI Header Object, as the document carries it. */
export interface ApiResponseHeader {
  description: string;
  required: boolean;
  schema: { type: 'string' | 'integer'; minimum?: number };
}

export interface ApiResponse {
  description: string;
  schema?: z.ZodType;
  contentType?: string;
  headers?: Record<string, ApiResponseHeader>;
}

const ZListPage = <T extends z.ZodType>(item: T) =>
  z.object({ data: z.array(item), next_cursor: z.string().nullable() });
const error = (description: string) => ({ description, schema: ZErrorEnvelope });
const common = {
  401: error('Missing, unknown, revoked or doubled X-API-Key'),
  503: { ...error('Redis unreachable'), headers: { 'Retry-After': RETRY_AFTER_HEADER } },
};
const byId = { ...common, 404: error('Unknown id, or another tenant’s') };

/** The routes as written; API_ROUTES adds what middleware answers on them. */
const ROUTE_TABLE: ApiRoute[] = [
  {
    method: 'post',
    path: '/v1/datasets',
    summary: 'Upload a dataset (CSV, NDJSON, JSON array or Parquet), stored as Parquet',
    tag: 'Datasets',
    auth: true,
    quotas: ['dataset-bytes'],
    query: ZUploadDatasetQuery,
    body: {
      contentTypes: [
        'text/csv',
        'application/x-ndjson',
        'application/json',
        'application/vnd.apache.parquet',
      ],
      schema: z.string().meta({ format: 'binary' }),
    },
    responses: {
      201: { description: 'Stored', schema: ZDataset },
      413: error('Larger than MAX_UPLOAD_BYTES'),
      415: error('Unsupported content type'),
      422: error('Malformed file (says where)'),
      ...common,
    },
  },
  {
    method: 'get',
    path: '/v1/datasets',
    summary: 'List datasets, newest first',
    tag: 'Datasets',
    auth: true,
    query: ZListQuery,
    responses: { 200: { description: 'A page', schema: ZListPage(ZDataset) }, ...common },
  },
  {
    method: 'get',
    path: '/v1/datasets/{dataset_id}',
    summary: 'Get a dataset',
    tag: 'Datasets',
    auth: true,
    responses: { 200: { description: 'The dataset', schema: ZDataset }, ...byId },
  },
  {
    method: 'delete',
    path: '/v1/datasets/{dataset_id}',
    summary: 'Delete a dataset and its file',
    tag: 'Datasets',
    auth: true,
    responses: { 204: { description: 'Deleted' }, ...byId },
  },
  {
    method: 'get',
    path: '/v1/datasets/{dataset_id}/schema',
    summary: 'Column names, types and null counts',
    tag: 'Datasets',
    auth: true,
    responses: { 200: { description: 'The schema', schema: ZDatasetSchema }, ...byId },
  },
  ...(['/v1/save', '/v1/queries'] as const).map(
    (path): ApiRoute => ({
      method: 'post',
      path,
      summary: path === '/v1/save' ? 'Save a query' : 'Save a query (alias of /v1/save)',
      tag: 'Queries',
      auth: true,
      body: { contentTypes: ['application/json'], schema: ZSaveQueryBody },
      responses: {
        201: { description: 'Saved', schema: ZSavedQueryCreated },
        422: error('Not one read-only SELECT, or an unknown column'),
        ...common,
      },
    }),
  ),
  {
    method: 'get',
    path: '/v1/queries',
    summary: 'List saved queries, newest first',
    tag: 'Queries',
    auth: true,
    query: ZListQuery,
    responses: { 200: { description: 'A page', schema: ZListPage(ZSavedQuery) }, ...common },
  },
  {
    method: 'get',
    path: '/v1/queries/{query_id}',
    summary: 'Get a saved query',
    tag: 'Queries',
    auth: true,
    responses: { 200: { description: 'The query', schema: ZSavedQuery }, ...byId },
  },
  {
    method: 'delete',
    path: '/v1/queries/{query_id}',
    summary: 'Delete a saved query',
    tag: 'Queries',
    auth: true,
    responses: { 204: { description: 'Deleted' }, ...byId },
  },
  {
    method: 'post',
    path: '/v1/query/{query_id}',
    summary: 'Run a saved query, sync (default) or as an async job; header Idempotency-Key optional',
    tag: 'Runs',
    auth: true,
    quotas: ['active-jobs'],
    body: { contentTypes: ['application/json'], schema: ZRunQueryBody },
    responses: {
      200: { description: 'Sync run succeeded', schema: ZRunResponse },
      202: {
        description: 'Queued (async, or sync past SYNC_WAIT_MS); Location: /v1/jobs/{job_id}',
        schema: ZRunResponse,
      },
      422: { description: 'Invalid parameters, or a sync run whose query failed', schema: ZRunResponse },
      500: { description: 'A sync run failed inside the service', schema: ZRunResponse },
      501: error('Async jobs disabled'),
      ...byId,
    },
  },
  {
    method: 'get',
    path: '/v1/jobs',
    summary: 'List jobs, newest first, without inline results',
    tag: 'Jobs',
    auth: true,
    query: ZListJobsQuery,
    responses: {
      200: { description: 'A page', schema: ZJobsPage },
      501: error('Async jobs disabled'),
      ...common,
    },
  },
  {
    method: 'get',
    path: '/v1/jobs/{job_id}',
    summary: 'Get job status (the original product’s fields, plus extensions); ?wait=N long-polls',
    tag: 'Jobs',
    auth: true,
    query: ZStatusQuery,
    responses: {
      200: { description: 'The job', schema: ZJobStatus },
      501: error('Async jobs disabled'),
      ...byId,
    },
  },
  {
    method: 'get',
    path: '/v1/jobs/{job_id}/events',
    summary:
      'Server-Sent Events: the current status, then progress and status events; closes after the terminal one',
    tag: 'Jobs',
    auth: true,
    responses: {
      200: { description: 'An event stream (event: status | progress)', contentType: 'text/event-stream' },
      501: error('Async jobs disabled'),
      ...byId,
    },
  },
  {
    method: 'post',
    path: '/v1/jobs/{job_id}/cancel',
    summary: 'Cancel a queued or running job',
    tag: 'Jobs',
    auth: true,
    responses: {
      200: { description: 'Ended, cancelled', schema: ZJobStatus },
      202: { description: 'Still stopping', schema: ZJobStatus },
      409: error('Already ended'),
      ...byId,
    },
  },
  {
    method: 'get',
    path: '/v1/jobs/{job_id}/results',
    summary: 'Page through results, or stream them all as CSV or NDJSON',
    tag: 'Jobs',
    auth: true,
    query: ZResultsQuery,
    responses: {
      200: {
        description:
          'A page (JSON), the whole result (text/csv, application/x-ndjson), or with link=true a presigned URL of its Parquet file',
        schema: z.union([ZResultsPage, ZResultsLink]),
      },
      400: error('link=true on the local file store, or for a result small enough to be inline'),
      409: error('The job has not succeeded'),
      ...byId,
    },
  },
  {
    method: 'post',
    path: '/v1/batches',
    summary: 'Run many saved queries as one batch (all accepted or none); header Idempotency-Key optional',
    tag: 'Batches',
    auth: true,
    quotas: ['active-jobs'],
    body: { contentTypes: ['application/json'], schema: ZCreateBatchBody },
    responses: {
      202: { description: 'Queued; Location: /v1/batches/{batch_id}', schema: ZBatchAccepted },
      422: error('A job of the batch is invalid (details name it: jobs.N...)'),
      501: error('Async jobs disabled'),
      ...byId,
    },
  },
  {
    method: 'get',
    path: '/v1/batches/{batch_id}',
    summary: 'Aggregate status and progress of a batch, and each job’s',
    tag: 'Batches',
    auth: true,
    responses: {
      200: { description: 'The batch', schema: ZBatchStatus },
      501: error('Async jobs disabled'),
      ...byId,
    },
  },
  {
    method: 'post',
    path: '/v1/batches/{batch_id}/cancel',
    summary: 'Cancel every job of the batch that has not ended',
    tag: 'Batches',
    auth: true,
    responses: {
      200: { description: 'The batch', schema: ZBatchStatus },
      409: error('Already ended'),
      ...byId,
    },
  },
  {
    method: 'get',
    path: '/v1/webhooks/secret',
    summary: 'The secret your webhooks are signed with (X-Signature), made on first use',
    tag: 'Jobs',
    auth: true,
    responses: { 200: { description: 'The secret', schema: z.object({ secret: z.string() }) }, ...common },
  },
  {
    method: 'get',
    path: '/healthz',
    summary: 'The process is alive',
    tag: 'Operations',
    auth: false,
    responses: { 200: { description: 'Alive' } },
  },
  {
    method: 'get',
    path: '/readyz',
    summary: 'Redis answers (and its maxmemory-policy)',
    tag: 'Operations',
    auth: false,
    responses: { 200: { description: 'Ready' }, 503: { description: 'Redis unreachable' } },
  },
  {
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics',
    tag: 'Operations',
    auth: false,
    responses: { 200: { description: 'Prometheus text format', contentType: 'text/plain' } },
  },
  {
    method: 'get',
    path: '/openapi.json',
    summary: 'This document',
    tag: 'Operations',
    auth: false,
    responses: { 200: { description: 'OpenAPI 3.1' } },
  },
  {
    method: 'get',
    path: '/docs',
    summary: 'The API reference page',
    tag: 'Operations',
    auth: false,
    responses: { 200: { description: 'HTML', contentType: 'text/html' } },
  },
];

/**
 * Every public route, in one table: the OpenAPI document is generated from it and a test
 * checks it against the routes the Express app really has. The answers middleware gives
 * (timeouts, limits, body parsing) are added to each route in one place.
 */
export const API_ROUTES: ApiRoute[] = ROUTE_TABLE.map(withSharedResponses);
