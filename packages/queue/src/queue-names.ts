/** Queue names are kebab-case and job names dotted; every key lives under config.QUEUE_PREFIX. */
export const QUERY_QUEUE_NAME = 'analytics-queries';
export const RUN_QUERY_JOB_NAME = 'analytics.run-query';

/** Every queue of the product (the dashboard shows them all). */
export const ALL_QUEUE_NAMES = [QUERY_QUEUE_NAME, 'analytics-webhooks'] as const;

/** The Redis key of a BullMQ job hash: `<prefix>:<queue>:<jobId>`. */
export function jobKey(prefix: string, jobId: string): string {
  return `${prefix}:${QUERY_QUEUE_NAME}:${jobId}`;
}
