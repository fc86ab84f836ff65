import { join } from 'node:path';

/**
 * Where files live under DATA_DIR, shared by the API (which writes datasets) and the
 * workers (which read them). Ids are validated before they get here.
 */
export const dataLayout = {
  uploadsDir: (dataDir: string) => join(dataDir, 'uploads'),
  datasetsDir: (dataDir: string) => join(dataDir, 'datasets'),
  datasetFile: (dataDir: string, datasetId: string) => join(dataDir, 'datasets', `${datasetId}.parquet`),
  resultsDir: (dataDir: string) => join(dataDir, 'results'),
  /** The whole result of a job whose rows exceed RESULTS_INLINE_MAX_ROWS. */
  resultFile: (dataDir: string, jobId: string) => join(dataDir, 'results', `${jobId}.parquet`),
};
