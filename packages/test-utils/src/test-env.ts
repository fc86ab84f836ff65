import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Config, loadConfig } from '@repo/config';

export const TEST_KEYS = {
  acme: 'acme-test-key-0123456789',
  globex: 'globex-test-key-0123456789',
} as const;

/** The private redis-server that globalSetup started for this run (never the user's 6379). */
export function testRedisUrl(): string {
  const url = process.env.TEST_REDIS_URL;
  if (!url)
    throw new Error('TEST_REDIS_URL is unset: run integration tests through jest (globalSetup starts Redis)');
  return url;
}

export interface TestEnv {
  /** The environment, as strings, for child processes. */
  env: Record<string, string>;
  config: Config;
  dataDir: string;
  prefix: string;
}

/**
 * A fresh key prefix and data folder per test file (or per call), so files running
 * side by side on one Redis never see each other's queues or datasets.
 */
export function makeTestEnv(overrides: Record<string, string> = {}): TestEnv {
  const env: Record<string, string> = {
    REDIS_URL: testRedisUrl(),
    QUEUE_PREFIX: overrides.QUEUE_PREFIX ?? `{t${randomBytes(6).toString('hex')}}`,
    DATA_DIR: overrides.DATA_DIR ?? mkdtempSync(join(tmpdir(), 'analytics-data-')),
    API_KEYS: Object.entries(TEST_KEYS)
      .map(([tenant, key]) => `${tenant}:${key}`)
      .join(','),
    LOG_LEVEL: 'warn',
    DUCKDB_THREADS: '1',
    ...overrides,
  };
  const config = loadConfig(env);
  return { env, config, dataDir: config.DATA_DIR, prefix: config.QUEUE_PREFIX };
}
