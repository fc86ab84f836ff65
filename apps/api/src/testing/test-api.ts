import { rm } from 'node:fs/promises';
import { makeTestEnv, TEST_KEYS, type TestEnv } from '@repo/test-utils';
import type { Express } from 'express';
import pino from 'pino';
import supertest from 'supertest';
import { createApp } from '../app';
import type { AppDeps } from '../app-deps';
import { connectDeps } from '../connect-deps';

export interface TestApi extends TestEnv {
  app: Express;
  deps: AppDeps;
  /** supertest against the app, authenticated as tenant `acme` unless told otherwise. */
  as(tenant?: keyof typeof TEST_KEYS): {
    get(path: string): supertest.Test;
    post(path: string): supertest.Test;
    delete(path: string): supertest.Test;
  };
  close(): Promise<void>;
}

/**
 * The real app on the run's private Redis, with its own prefix and data folder — or,
 * given `sharing`, a second API replica over another's prefix and folder.
 */
export async function createTestApi(
  overrides: Record<string, string> = {},
  sharing?: TestEnv,
): Promise<TestApi> {
  const testEnv = sharing ? makeTestEnv({ ...sharing.env, ...overrides }) : makeTestEnv(overrides);
  const connected = await connectDeps(testEnv.config, pino({ level: 'silent' }));
  const app = createApp(connected.deps);
  const agent = supertest(app);
  return {
    ...testEnv,
    app,
    deps: connected.deps,
    as(tenant = 'acme') {
      const key = TEST_KEYS[tenant];
      return {
        get: (path) => agent.get(path).set('X-API-Key', key),
        post: (path) => agent.post(path).set('X-API-Key', key),
        delete: (path) => agent.delete(path).set('X-API-Key', key),
      };
    },
    async close() {
      const { redis } = connected.deps;
      if (sharing) {
        await connected.close();
        return;
      }
      const keys = await redis.keys(`${testEnv.prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      await connected.close();
      await rm(testEnv.dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * For a test file that opens several test APIs: returns the function that opens one (as
 * createTestApi does) and closes them all, last first, after the file's tests.
 */
export function useTestApis(): (overrides?: Record<string, string>, sharing?: TestApi) => Promise<TestApi> {
  const opened: TestApi[] = [];
  afterAll(async () => {
    for (const api of opened.reverse()) await api.close();
  });
  return async (overrides = {}, sharing) => {
    const api = await createTestApi(overrides, sharing);
    opened.push(api);
    return api;
  };
}
