import { RestartableRedis } from './harness/redis-servers';
import { FaultStack, type Seed } from './harness/stack';
import { killWorkerMidJob, workerKillEnv } from './scenarios/worker-kill';

/**
 * Scenario 1: a worker SIGKILLed mid-job among three, 120 jobs in flight: every job ends
 * `succeeded`, none is lost, and the dead worker's jobs run again within the stall window
 * (WORKER_LOCK_DURATION_MS + WORKER_STALLED_INTERVAL_MS).
 */
describe('scenario 1: a worker SIGKILLed mid-job among three', () => {
  let redis: RestartableRedis;
  let stack: FaultStack;
  let seed: Seed;

  beforeAll(async () => {
    redis = await RestartableRedis.start();
    stack = new FaultStack(redis.url, workerKillEnv);
    await stack.start(1, 3);
    seed = await stack.seed();
  });

  afterAll(async () => {
    await stack?.stop();
    await redis?.dispose();
  });

  it('loses no job: the killed worker’s jobs run again elsewhere within the stall window', async () => {
    await killWorkerMidJob(stack, seed, '1 worker SIGKILL mid-job (3 workers)');
  });
});
