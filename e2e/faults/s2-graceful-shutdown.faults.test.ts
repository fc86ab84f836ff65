import { type ServiceProcess, waitFor } from '@repo/test-utils';
import { reportFigures, tally } from './harness/figures';
import { RestartableRedis } from './harness/redis-servers';
import { FaultStack, jobsLogged, logEvents, type Seed } from './harness/stack';
import { submitMany } from './harness/submit';

const GRACE_MS = 1_000;
/** Generous: the grace period, then handing jobs back and closing connections on a loaded machine. */
const EXIT_BOUND_MS = GRACE_MS + 20_000;
const SHORT_N = 1_500;
/** Several seconds of work: longer than the grace period, so such a job is handed back. */
const LONG_N = 15_000;

/**
 * Scenario 2: SIGTERM to a worker (of three) while it runs a short and a long job: it
 * takes no new job, finishes the short one, hands the long one back when the grace
 * period ends, and exits 0; another worker completes what it handed back, and no job is
 * left `running`. (apps/worker/src/worker-shutdown.int.test.ts covers the same with one
 * worker: finishing within the grace period, handing back past it, taking no new job.)
 */
describe('scenario 2: graceful shutdown of a busy worker', () => {
  let redis: RestartableRedis;
  let stack: FaultStack;
  let seed: Seed;
  /** The worker with the short grace period (processes are listed in the order they became ready). */
  let victim: ServiceProcess;

  beforeAll(async () => {
    redis = await RestartableRedis.start();
    stack = new FaultStack(redis.url);
    [victim] = await Promise.all([
      stack.startWorker({ WORKER_SHUTDOWN_GRACE_MS: String(GRACE_MS) }),
      stack.startWorker(),
      stack.startWorker(),
      stack.startApi(),
    ]);
    seed = await stack.seed();
  });

  afterAll(async () => {
    await stack?.stop();
    await redis?.dispose();
  });

  it('takes no new job, finishes or hands back its running jobs, exits 0, leaves nothing running', async () => {
    const api = stack.api();
    // Short and long jobs interleaved, more than the workers' six slots.
    const accepted = await submitMany(api, seed.workQueryId, 30, (i) => ({
      n: i % 3 === 0 ? LONG_N : SHORT_N,
    }));
    const long = new Set(accepted.filter((_, i) => i % 3 === 0));

    // SIGTERM just after the victim started a long job, while it still has most of it to run.
    await waitFor(
      'the victim to start a long job',
      async () => {
        const done = jobsLogged(victim, 'query succeeded');
        return [...jobsLogged(victim, 'query started').keys()].some((id) => long.has(id) && !done.has(id));
      },
      120_000,
      20,
    );
    const termAt = Date.now();
    const exitCode = await victim.stop('SIGTERM');
    const exitMs = Date.now() - termAt;

    const events = logEvents(victim);
    const shutdownAt = events.find((e) => e.msg === 'shutting down: taking no new jobs')?.time ?? termAt;
    const startedAfterShutdown = events.filter((e) => e.msg === 'query started' && e.time > shutdownAt);
    const finishedInGrace = events.filter((e) => e.msg === 'query succeeded' && e.time >= shutdownAt);
    const handedBack = events.filter((e) => e.msg === 'query handed back on shutdown');

    const snapshots = await stack.waitEnded(accepted, 240_000);
    const outcome = tally(accepted, snapshots);
    const active = await stack.admin.llen(`${stack.prefix}:analytics-queries:active`);
    const handedBackAt = new Map(handedBack.map((e) => [e.jobId ?? '', e.time]));
    const retakenAt: number[] = [];
    for (const survivor of stack.workers.filter((w) => w !== victim)) {
      for (const [jobId, time] of jobsLogged(survivor, 'query started')) {
        if (handedBackAt.has(jobId) && time >= termAt) retakenAt.push(time - (handedBackAt.get(jobId) ?? 0));
      }
    }

    reportFigures('2 worker SIGTERM (graceful, 3 workers)', {
      accepted: accepted.length,
      succeeded: outcome.succeeded,
      failed: outcome.failed,
      lost: outcome.lost,
      runTwice: outcome.runTwice,
      recoveryMs: retakenAt.length > 0 ? Math.max(...retakenAt) : null,
      extra: {
        graceMs: GRACE_MS,
        exitCode,
        exitMs,
        finishedInGrace: finishedInGrace.length,
        handedBack: handedBack.length,
        startedAfterSigterm: startedAfterShutdown.length,
        leftActive: active,
      },
      note: 'recovery: a handed-back job taken by another worker; run twice = the handed-back jobs',
    });

    expect(exitCode).toBe(0);
    expect(exitMs).toBeLessThan(EXIT_BOUND_MS);
    expect(startedAfterShutdown).toEqual([]);
    expect(handedBack.length).toBeGreaterThanOrEqual(1);
    expect(outcome.failures).toEqual([]);
    expect(outcome).toMatchObject({ succeeded: accepted.length, failed: 0, lost: 0 });
    expect(active).toBe(0);
    // Only what the victim handed back ran twice.
    const twice = [...snapshots].filter(([, s]) => s.started > 1).map(([id]) => id);
    expect(twice.filter((id) => !handedBackAt.has(id))).toEqual([]);
  });
});
