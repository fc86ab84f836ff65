import { reportFigures, tally } from './harness/figures';
import { AOF_ARGS } from './harness/redis-servers';
import { submitUnderLoad } from './harness/submit';
import { useFaultStack } from './harness/use-fault-stack';

const TOTAL = 80;
const RESTART_AFTER = 25;

/**
 * Scenario 5: Redis restarts under load, with AOF (appendfsync everysec) as production
 * runs it. Clients keep submitting (each submission with an Idempotency-Key, repeated
 * after a 503) while Redis stops and starts again from its append-only file.
 * Graceful stop: Redis writes and fsyncs its AOF before exiting, so every accepted job
 * survives and succeeds. SIGKILL: measured and reported, see the README's Resilience
 * section for what it can cost.
 */
describe('scenario 5: Redis restart with AOF under load', () => {
  const fault = useFaultStack({
    redisArgs: AOF_ARGS,
    env: {
      WORKER_LOCK_DURATION_MS: '5000',
      WORKER_STALLED_INTERVAL_MS: '2500',
    },
    apis: 1,
    workers: 2,
  });

  async function restartUnderLoad(how: 'graceful' | 'SIGKILL') {
    let restartedAt = 0;
    let downAt = 0;
    let restarting: Promise<void> = Promise.resolve();
    let restarted = false;
    const load = await submitUnderLoad(fault.stack.api(), fault.seed.fastQueryId, {
      clients: 4,
      total: TOTAL,
      keyPrefix: how,
      onTold: (count) => {
        if (count !== RESTART_AFTER || restarted) return;
        restarted = true;
        downAt = Date.now();
        restarting = (how === 'graceful' ? fault.redis.stopGracefully() : fault.redis.kill())
          .then(() => new Promise((r) => setTimeout(r, 1_000)))
          .then(() => fault.redis.restart())
          .then(() => {
            restartedAt = Date.now();
          });
      },
    });
    await restarting;
    const accepted = new Set(load.told.map((t) => t.jobId));
    const snapshots = await fault.stack.waitEnded(accepted, 120_000);
    const outcome = tally(accepted, snapshots);
    const firstAfter = Math.min(...load.told.filter((t) => t.at > restartedAt).map((t) => t.at));
    const toldBeforeStop = load.told.filter((t) => t.at <= downAt).length;
    return { load, accepted, snapshots, outcome, restartedAt, downAt, firstAfter, toldBeforeStop };
  }

  it('graceful restart: every accepted job survives and succeeds', async () => {
    const run = await restartUnderLoad('graceful');
    reportFigures('5a Redis graceful restart (AOF everysec) under load', {
      accepted: run.accepted.size,
      succeeded: run.outcome.succeeded,
      failed: run.outcome.failed,
      lost: run.outcome.lost,
      runTwice: run.outcome.runTwice,
      recoveryMs: run.firstAfter - run.restartedAt,
      extra: {
        downMs: run.restartedAt - run.downAt,
        toldBeforeStop: run.toldBeforeStop,
        answered503: run.load.unavailable,
        networkFailures: run.load.networkFailures,
      },
      note: 'recovery: Redis started again to the next 202',
    });
    expect(run.load.unexpected).toEqual([]);
    expect(run.accepted.size).toBe(TOTAL);
    expect(run.outcome.failures).toEqual([]);
    expect(run.outcome).toMatchObject({ succeeded: TOTAL, failed: 0, lost: 0 });
  });

  it('SIGKILL of Redis: reports what was lost; every job that survived ends', async () => {
    const run = await restartUnderLoad('SIGKILL');
    reportFigures('5b Redis SIGKILL + restart (AOF everysec) under load', {
      accepted: run.accepted.size,
      succeeded: run.outcome.succeeded,
      failed: run.outcome.failed,
      lost: run.outcome.lost,
      runTwice: run.outcome.runTwice,
      recoveryMs: run.firstAfter - run.restartedAt,
      extra: {
        downMs: run.restartedAt - run.downAt,
        toldBeforeKill: run.toldBeforeStop,
        answered503: run.load.unavailable,
        networkFailures: run.load.networkFailures,
      },
      note: 'lost = told 202 but missing after the restart (the AOF had not got it)',
    });
    expect(run.load.unexpected).toEqual([]);
    // Nothing that Redis kept is left hanging: every job present ended.
    const present = [...run.snapshots.values()].filter((s) => s.state !== 'missing');
    expect(present.filter((s) => s.state !== 'succeeded')).toEqual([]);
  });
});
