export { announceJobEnded } from './announce-job-ended';
export {
  AUTH_FAILURE_WINDOW_SECONDS,
  AuthFailureCounter,
  type AuthFailureCounterOptions,
} from './auth-failure-counter';
export {
  type BatchRecord,
  batchJobId,
  batchKeys,
  markBatchJobEnded,
  readBatchRecord,
  readBatchStatus,
} from './batch';
export { CANCELLED_MESSAGE, type CancelOutcome, cancelSignal, cancelUnclaimedJob } from './cancel-job';
export { clientAddressKey } from './client-address';
export { dataKeys, dataLayout } from './data-layout';
export { execMulti, type RedisMulti } from './exec-multi';
export { formatFailure, isServiceFailure, parseFailure } from './job-failure';
export { addJobToIndexes, type IndexedJob, indexJob, jobIndexKeys, removeJobFromIndexes } from './job-index';
export { JOB_STATUS_FIELDS, mapJobState, type RawJobFields, readJobStatus, toJobStatus } from './job-status';
export { type ListJobsOptions, listJobs } from './list-jobs';
export { createQueryQueue, createQueryQueueEvents, type QueryQueue } from './query-queue';
export { ALL_QUEUE_NAMES, jobKey, QUERY_QUEUE_NAME, RUN_QUERY_JOB_NAME } from './queue-names';
export {
  type ConnectionRole,
  createRedisClient,
  isRedisOutOfMemory,
  isRedisUnavailable,
  type RedisClient,
  whenReady,
} from './redis-connection';
export { type RedisLimiterOptions, redisLimiter } from './redis-limiter';
export { checkRedisPolicy, type RedisPolicy } from './redis-policy';
export { type RetentionSweepOptions, sweepExpiredJobs } from './retention-sweep';
export {
  runQueryJobOptions,
  type TRunQueryPayload,
  type TRunQueryResult,
  ZRunQueryPayload,
} from './run-query-job';
export { tenantStoredBytes } from './tenant-stored-bytes';
export { timeOrderedIndex } from './time-ordered-index';
export { callbackUrlProblem, forbiddenAddressReason, isAllowedHost } from './webhook-address-guard';
export {
  createWebhookQueue,
  DELIVER_WEBHOOK_JOB_NAME,
  enqueueWebhook,
  recordWebhookState,
  signWebhook,
  type TDeliverWebhookPayload,
  WEBHOOK_QUEUE_NAME,
  type WebhookQueue,
  type WebhookState,
  webhookSecret,
  ZDeliverWebhookPayload,
} from './webhook-job';
