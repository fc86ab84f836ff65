export { freePort, type PrivateRedis, startRedis } from './redis-server';
export { makeTestEnv, TEST_KEYS, type TestEnv, testRedisUrl } from './test-env';
export { waitFor } from './wait-for';
export { startWorker, type WorkerProcess } from './worker-process';
