export { childEnv } from './child-env';
export { type PrometheusFamily, type PrometheusSample, parsePrometheusText } from './prometheus-text';
export { freePort, type PrivateRedis, startRedis } from './redis-server';
export {
  countObjectGets,
  type RecordedRequest,
  S3RVER_CREDENTIALS,
  type S3TestServer,
  type S3TestStoreOptions,
  startS3TestServer,
} from './s3-test-server';
export { type ServiceProcess, startService, startWorker, type WorkerProcess } from './service-process';
export { numbersCsv, SALES_CSV, SLOW_SQL } from './test-data';
export { makeTestEnv, TEST_KEYS, type TestEnv, testRedisUrl } from './test-env';
export { waitFor } from './wait-for';
