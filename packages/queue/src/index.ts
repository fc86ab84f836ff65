export { dataLayout } from './data-layout';
export { formatFailure, parseFailure } from './job-failure';
export { JOB_STATUS_FIELDS, mapJobState, type RawJobFields, readJobStatus, toJobStatus } from './job-status';
export { createQueryQueue, createQueryQueueEvents, type QueryQueue } from './query-queue';
export { jobKey, QUERY_QUEUE_NAME, RUN_QUERY_JOB_NAME } from './queue-names';
export {
  type ConnectionRole,
  createRedisClient,
  isRedisUnavailable,
  type RedisClient,
} from './redis-connection';
export {
  runQueryJobOptions,
  type TRunQueryPayload,
  type TRunQueryResult,
  ZRunQueryPayload,
} from './run-query-job';
