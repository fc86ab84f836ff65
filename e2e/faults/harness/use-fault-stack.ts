import { RestartableRedis } from './redis-servers';
import { FaultStack, type Seed } from './stack';

export interface FaultStackSetup {
  /** Arguments for the scenario's own redis-server (AOF, a memory policy, …). */
  redisArgs?: string[];
  /** The services' environment on top of the stack's own. */
  env?: Record<string, string>;
  apis: number;
  workers: number;
}

/** A scenario's Redis, service processes and seeded query, once its beforeAll has run. */
export interface FaultStackHandle {
  redis: RestartableRedis;
  stack: FaultStack;
  seed: Seed;
}

/**
 * Starts a scenario's own Redis and stack before its tests and stops both after them
 * (the setup most scenarios share). Read the handle's fields inside tests, not before.
 */
export function useFaultStack(setup: FaultStackSetup): FaultStackHandle {
  const handle = {} as FaultStackHandle;
  beforeAll(async () => {
    handle.redis = await RestartableRedis.start(setup.redisArgs);
    handle.stack = new FaultStack(handle.redis.url, setup.env);
    await handle.stack.start(setup.apis, setup.workers);
    handle.seed = await handle.stack.seed();
  });
  afterAll(async () => {
    await handle.stack?.stop();
    await handle.redis?.dispose();
  });
  return handle;
}
