import { join } from 'node:path';

/** What may name a folder: a tenant (as API keys allow) or an id. Never `.`, `..` or a `/`. */
const SEGMENT = /^[A-Za-z0-9_-]{1,128}$/;

function segment(value: string, what: string): string {
  if (!SEGMENT.test(value)) throw new Error(`not a valid ${what} for a file name: ${JSON.stringify(value)}`);
  return value;
}

/**
 * Where files live, as keys relative to the file store's root (DATA_DIR, or a bucket): every
 * tenant's files under a folder of its own, `tenants/<tenant>/`, which is all that tenant's
 * sandboxed DuckDB can reach. Shared by the API (which writes datasets) and the workers
 * (which read them and write results).
 */
export const dataKeys = {
  tenant: (tenant: string) => `tenants/${segment(tenant, 'tenant')}`,
  uploads: (tenant: string) => `${dataKeys.tenant(tenant)}/uploads`,
  datasets: (tenant: string) => `${dataKeys.tenant(tenant)}/datasets`,
  dataset: (tenant: string, datasetId: string) =>
    `${dataKeys.datasets(tenant)}/${segment(datasetId, 'dataset id')}.parquet`,
  results: (tenant: string) => `${dataKeys.tenant(tenant)}/results`,
  /** The whole result of a job whose rows exceed RESULTS_INLINE_MAX_ROWS. */
  result: (tenant: string, jobId: string) =>
    `${dataKeys.results(tenant)}/${segment(jobId, 'job id')}.parquet`,
};

/** The same places as paths under DATA_DIR. */
export const dataLayout = {
  tenantDir: (dataDir: string, tenant: string) => join(dataDir, dataKeys.tenant(tenant)),
  uploadsDir: (dataDir: string, tenant: string) => join(dataDir, dataKeys.uploads(tenant)),
  datasetsDir: (dataDir: string, tenant: string) => join(dataDir, dataKeys.datasets(tenant)),
  datasetFile: (dataDir: string, tenant: string, datasetId: string) =>
    join(dataDir, dataKeys.dataset(tenant, datasetId)),
  resultsDir: (dataDir: string, tenant: string) => join(dataDir, dataKeys.results(tenant)),
  resultFile: (dataDir: string, tenant: string, jobId: string) =>
    join(dataDir, dataKeys.result(tenant, jobId)),
  /** Before tenants had folders of their own, every tenant's files shared these two. */
  legacyDatasetsDir: (dataDir: string) => join(dataDir, 'datasets'),
  legacyResultsDir: (dataDir: string) => join(dataDir, 'results'),
};
