import type { TRunQueryPayload } from '@repo/queue';
import type { BenchProcess } from './processes';
import type { RawDuckdb } from './raw-duckdb';
import type { Settings } from './settings';
import type { ApiClient, ApiHandle, Stack } from './stack';

/** Everything the pairs share: the running stack and the fixtures made at start-up. */
export interface Context {
  settings: Settings;
  stack: Stack;
  api: ApiHandle;
  client: ApiClient;
  bare: ApiHandle;
  rawDuckdb: RawDuckdb;
  /** The service worker processes currently running (pairs may replace them). */
  workers: BenchProcess[];
  ids: {
    smallDataset: string;
    /** `SELECT count(*)` over the small dataset: the trivial query. */
    trivialQuery: string;
    /** Held active by the harness's own BullMQ worker: status `running`. */
    runningJob: string;
    /** The small GROUP BY, succeeded: status with an 8-row result. */
    succeededJob: string;
  };
  /** A payload exactly like those the service enqueues, for the raw side's jobs. */
  payload: TRunQueryPayload;
  /** The POST body of an async run of the trivial query. */
  runBody: string;
  log(message: string): void;
}
