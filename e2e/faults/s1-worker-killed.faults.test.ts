import { useFaultStack } from './harness/use-fault-stack';
import { killWorkerMidJob, workerKillEnv } from './scenarios/worker-kill';

/**
 * Scenario 1: a worker SIGKILLed mid-job among three, 120 jobs in flight: every job ends
 * `succeeded`, none is lost, and the dead worker's jobs run again within the stall window
 * (WORKER_LOCK_DURATION_MS + WORKER_STALLED_INTERVAL_MS).
 */
describe('scenario 1: a worker SIGKILLed mid-job among three', () => {
  const fault = useFaultStack({ env: workerKillEnv, apis: 1, workers: 3 });

  it('loses no job: the killed worker’s jobs run again elsewhere within the stall window', async () => {
    await killWorkerMidJob(fault.stack, fault.seed, '1 worker SIGKILL mid-job (3 workers)');
  });
});
