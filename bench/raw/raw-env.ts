import { Redis } from 'ioredis';

/** The raw BullMQ side's settings, given by the harness as JSON in argv[2]. */
export interface RawSpec {
  redisUrl: string;
  prefix: string;
  queue: string;
  concurrency: number;
  /** queue-add-load only: how long to add, and what. */
  durationMs?: number;
  payload?: unknown;
  /** bullmq-duckdb-worker only: the SQL each job runs. */
  sql?: string;
}

export function rawSpec(): RawSpec {
  const spec = JSON.parse(process.argv[2] ?? '{}') as Partial<RawSpec>;
  if (!spec.redisUrl || !spec.prefix || !spec.queue)
    throw new Error('argv[2] must give redisUrl, prefix and queue');
  return { concurrency: 2, ...spec } as RawSpec;
}

/** A connection of the kind BullMQ's guide asks for (blocking commands retry forever). */
export function rawConnection(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null });
}

/** What a raw user would put on the queue: the same payload shape the service enqueues. */
export const RAW_JOB_OPTIONS = { attempts: 3, backoff: { type: 'exponential', delay: 1_000 } } as const;

export const RAW_JOB_NAME = 'raw.run';
