import { RestartableRedis } from './harness/redis-servers';
import { FaultStack, type Seed } from './harness/stack';
import { acrossReplicas } from './scenarios/replicas';

/**
 * Scenario 7: two API and three worker processes on one Redis. Jobs submitted through
 * one API are read, cancelled, followed (SSE) and streamed (CSV) through the other, and
 * every worker takes work. (apps/api/src/replicas.int.test.ts runs the same flow on 2 + 2.)
 */
describe('scenario 7: two API replicas and three workers', () => {
  let redis: RestartableRedis;
  let stack: FaultStack;
  let seed: Seed;

  beforeAll(async () => {
    redis = await RestartableRedis.start();
    stack = new FaultStack(redis.url);
    await stack.start(2, 3);
    seed = await stack.seed();
  });

  afterAll(async () => {
    const codes = await stack?.stop();
    await redis?.dispose();
    expect(codes).toEqual([0, 0, 0, 0, 0]);
  });

  it('serves any job through any replica, and spreads work over every worker', async () => {
    await acrossReplicas(stack, seed, '7 two APIs + three workers, one Redis');
  });
});
