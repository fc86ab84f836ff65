import { z } from 'zod';

export const DATASET_CONTENT_TYPES = {
  'text/csv': 'csv',
  'application/x-ndjson': 'ndjson',
  'application/json': 'json',
  'application/vnd.apache.parquet': 'parquet',
} as const;
export type DatasetFormat = (typeof DATASET_CONTENT_TYPES)[keyof typeof DATASET_CONTENT_TYPES];

export const ZUploadDatasetQuery = z.object({
  name: z.string().trim().min(1).max(200),
});

export const ZColumn = z.object({ name: z.string(), dtype: z.string(), null_count: z.number().int() });
export type TColumn = z.infer<typeof ZColumn>;

export const ZDataset = z.object({
  dataset_id: z.string(),
  name: z.string(),
  row_count: z.number().int(),
  columns: z.array(ZColumn),
  size_bytes: z.number().int(),
  created_at: z.string(),
});
export type TDataset = z.infer<typeof ZDataset>;

export const ZDatasetSchema = z.object({ dataset_id: z.string(), columns: z.array(ZColumn) });
export type TDatasetSchema = z.infer<typeof ZDatasetSchema>;
