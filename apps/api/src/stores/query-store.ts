import type { JsonValue, TSavedQuery, TStructuredQuery } from '@repo/contracts';
import { toTimestamp } from '@repo/contracts';
import type { TenantRecord } from './tenant-record-store';

export interface QueryRecord extends TenantRecord {
  query_id: string;
  name: string;
  description: string | null;
  /** What the client sent: SQL text or the structured object. */
  query: string | TStructuredQuery;
  dataset_id: string | null;
  /** The SQL that runs (the structured form compiled once at save time). */
  sql: string;
  /** `$name` parameters a run must supply. */
  parameters: string[];
  /** Bound values of a structured query's literals (`__v0`…), merged into every run. */
  literals: Record<string, JsonValue>;
}

export function toSavedQueryBody(record: QueryRecord): TSavedQuery {
  return {
    query_id: record.query_id,
    name: record.name,
    description: record.description,
    query: record.query,
    dataset_id: record.dataset_id,
    parameters: record.parameters,
    created_at: toTimestamp(record.created_ms),
    status: 'saved',
  };
}
