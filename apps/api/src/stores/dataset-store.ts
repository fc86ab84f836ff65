import type { TColumn, TDataset } from '@repo/contracts';
import { toTimestamp } from '@repo/contracts';
import type { TenantRecord } from './tenant-record-store';

export interface DatasetRecord extends TenantRecord {
  dataset_id: string;
  name: string;
  row_count: number;
  columns: TColumn[];
  size_bytes: number;
}

export function toDatasetBody(record: DatasetRecord): TDataset {
  return {
    dataset_id: record.dataset_id,
    name: record.name,
    row_count: record.row_count,
    columns: record.columns,
    size_bytes: record.size_bytes,
    created_at: toTimestamp(record.created_ms),
  };
}
