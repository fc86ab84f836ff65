import { hostname } from 'node:os';
import { jobKey, QUERY_QUEUE_NAME } from '@repo/queue';
import { waitFor } from '@repo/test-utils';
import { type Figures, reportFigures, tally } from '../harness/figures';
import { type FaultStack, jobsLogged, type Seed } from '../harness/stack';
import { submitMany } from '../harness/submit';

/** Short lock and stall check, so that recovery is quick to observe (defaults: 30 s each). */
export const KILL_LOCK_MS = 5_000;
export const KILL_STALL_MS = 2_500;
/** The product's bound (the lock lapses, then the next stall check runs) plus room for a loaded machine. */
export const RECOVERY_BOUND_MS = KILL_LOCK_MS + KILL_STALL_MS + 10_000;

export const workerKillEnv = {
  WORKER_LOCK_DURATION_MS: String(KILL_LOCK_MS),
  WORKER_STALLED_INTERVAL_MS: String(KILL_STALL_MS),
};

/**
 * `jobs` runs of a few hundred ms each through the first API; the first worker is
 * SIGKILLed while it holds jobs. Its jobs' locks lapse, a surviving worker's stall check
 * puts them back in the queue, and they run again. Asserts that every job succeeded, and
 * returns (and reports) the figures.
 */
export async function killWorkerMidJob(
  stack: FaultStack,
  seed: Seed,
  scenario: string,
  jobs = 120,
): Promise<Figures> {
  const api = stack.api();
  const accepted = await submitMany(api, seed.workQueryId, jobs, (i) => ({ n: 1_500 + (i % 7) * 100 }));
  const [victim, ...survivors] = stack.workers;
  if (!victim) throw new Error('no worker');

  // Kill it while it holds work: it has started a job it has not finished.
  await waitFor(
    'the victim to be running a job',
    async () => {
      const started = jobsLogged(victim, 'query started');
      const done = jobsLogged(victim, 'query succeeded');
      return done.size >= 3 && [...started.keys()].some((id) => !done.has(id));
    },
    120_000,
    20,
  );
  const killedAt = Date.now();
  victim.child.kill('SIGKILL');
  await victim.stop();
  // The jobs it held: active, last taken by it (BullMQ's processedBy is the worker's host:pid).
  const victimName = `${hostname()}:${victim.child.pid}`;
  const active = await stack.admin.lrange(`${stack.prefix}:${QUERY_QUEUE_NAME}:active`, 0, -1);
  const takenBy = await Promise.all(active.map((id) => stack.admin.hget(jobKey(stack.prefix, id), 'pb')));
  const orphans = new Set(active.filter((_, i) => takenBy[i] === victimName));

  const snapshots = await stack.waitEnded(accepted, 240_000);
  const outcome = tally(accepted, snapshots);

  // When a surviving worker took each orphan again.
  const retakenAt = new Map<string, number>();
  for (const survivor of survivors) {
    for (const [jobId, time] of jobsLogged(survivor, 'query started')) {
      if (orphans.has(jobId) && time >= killedAt) retakenAt.set(jobId, time);
    }
  }
  const recoveryMs = retakenAt.size > 0 ? Math.max(...retakenAt.values()) - killedAt : null;
  const figures: Figures = {
    accepted: accepted.length,
    succeeded: outcome.succeeded,
    failed: outcome.failed,
    lost: outcome.lost,
    runTwice: outcome.runTwice,
    recoveryMs,
    extra: {
      orphaned: orphans.size,
      lockMs: KILL_LOCK_MS,
      stallIntervalMs: KILL_STALL_MS,
    },
    note: 'orphaned: jobs the killed worker held; recovery: SIGKILL to the last of them started again elsewhere',
  };
  reportFigures(scenario, figures);

  expect(outcome.failures).toEqual([]);
  expect(outcome).toMatchObject({ succeeded: jobs, failed: 0, lost: 0 });
  // The kill did land mid-job, and every job it held ran again within the stall window.
  expect(orphans.size).toBeGreaterThanOrEqual(1);
  expect([...orphans].filter((id) => !retakenAt.has(id))).toEqual([]);
  expect(recoveryMs).toBeLessThanOrEqual(RECOVERY_BOUND_MS);

  // Every accepted job reads `succeeded` through the API, with its result.
  for (const id of accepted) {
    const job = await api.call('GET', `/v1/jobs/${id}`);
    expect(job.status).toBe(200);
    expect(job.json).toMatchObject({ status: 'succeeded', progress: 100, results: { row_count: 1 } });
  }
  return figures;
}
