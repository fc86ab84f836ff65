import * as contracts from '@repo/contracts';
import type { z } from 'zod';
import type {
  Column,
  Dataset,
  DatasetSchema,
  ErrorEnvelope,
  Job,
  JobSummary,
  Page,
  QueryResults,
  RunResponse,
  SavedQuery,
  SavedQueryCreated,
  StructuredQuery,
} from './types';
import {
  DATASET_CONTENT_TYPES,
  EXECUTION_MODES,
  JOB_ERROR_CODES,
  JOB_STATUSES,
  PRIORITIES,
  TERMINAL_JOB_STATUSES,
} from './types';

/**
 * The SDK's types are written out (the published package must not depend on the private
 * contracts package), so these checks tie them to the contracts: `tsc` fails here when a
 * contract changes in a way the SDK does not follow.
 */
type Fits<From, To> = [From] extends [To] ? true : false;
type SameKeys<A, B> = [keyof A] extends [keyof B] ? ([keyof B] extends [keyof A] ? true : false) : false;
/** Answers: whatever the server may send is a value of the SDK's type, with no field missing. */
type Answer<Server, Sdk> = Fits<Server, Sdk> extends true ? SameKeys<Server, Sdk> : false;

/** The bodies the SDK sends, as it builds them. */
interface SaveBody {
  name: string;
  description?: string;
  query: string | StructuredQuery;
  dataset_id?: string;
}
interface RunBody {
  parameters?: Record<string, import('./types').ParameterValue>;
  dataset_id?: string;
  execution_mode?: import('./types').ExecutionMode;
  priority?: import('./types').Priority;
  timeout_ms?: number;
}

describe('the SDK types follow @repo/contracts', () => {
  it('accepts every answer the contracts allow and sends only requests they accept', () => {
    const checks: true[] = [
      true satisfies Answer<contracts.TColumn, Column>,
      true satisfies Answer<contracts.TDataset, Dataset>,
      true satisfies Answer<contracts.TDatasetSchema, DatasetSchema>,
      true satisfies Answer<contracts.TSavedQuery, SavedQuery>,
      true satisfies Answer<z.infer<typeof contracts.ZSavedQueryCreated>, SavedQueryCreated>,
      true satisfies Answer<contracts.TJobStatus, Job>,
      true satisfies Answer<contracts.TJobSummary, JobSummary>,
      true satisfies Answer<contracts.TQueryResults, QueryResults>,
      true satisfies Answer<contracts.TRunResponse, RunResponse>,
      true satisfies Answer<contracts.TErrorEnvelope, ErrorEnvelope>,
      true satisfies Answer<contracts.ListPage<contracts.TDataset>, Page<Dataset>>,
      true satisfies Fits<contracts.TStructuredQuery, StructuredQuery>,
      true satisfies Fits<SaveBody, z.input<typeof contracts.ZSaveQueryBody>>,
      true satisfies Fits<RunBody, z.input<typeof contracts.ZRunQueryBody>>,
    ];
    expect(checks.every(Boolean)).toBe(true);
  });

  it('lists the same statuses, error codes, modes, priorities and upload types', () => {
    expect(JOB_STATUSES).toEqual(contracts.JOB_STATUSES);
    expect(TERMINAL_JOB_STATUSES).toEqual(contracts.TERMINAL_STATUSES);
    expect(JOB_ERROR_CODES).toEqual(contracts.JOB_ERROR_CODES);
    expect(EXECUTION_MODES).toEqual(contracts.EXECUTION_MODES);
    expect(PRIORITIES).toEqual(contracts.PRIORITIES);
    expect(new Set(Object.values(DATASET_CONTENT_TYPES))).toEqual(
      new Set(Object.keys(contracts.DATASET_CONTENT_TYPES)),
    );
  });
});
