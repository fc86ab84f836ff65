import { waitFor } from '@repo/test-utils';
import { reportFigures, tally } from './harness/figures';
import { AOF_ARGS } from './harness/redis-servers';
import { type CallResult, jobsLogged } from './harness/stack';
import { submitMany } from './harness/submit';
import { useFaultStack } from './harness/use-fault-stack';

/** Longer than a minute, and far longer than the workers' drain delay (5 s). */
const OUTAGE_MS = 65_000;
/** The contract: a request that needs Redis answers 503 within 2 s, never hangs. */
const FAIL_FAST_MS = 2_000;

/**
 * Scenario 4: Redis first hangs (SIGSTOP, a few seconds), then stops for over a minute
 * (its data kept on disk, AOF) while jobs run and wait. Meanwhile the API answers 503
 * with Retry-After within 2 s to every request that needs Redis, and /readyz is 503; no
 * process exits. When Redis returns, the API and
 * the workers reconnect by themselves and go on: the jobs accepted before the outage and
 * new ones all succeed. (BullMQ 6.0.10–6.2.0 workers never resumed after an outage longer
 * than the drain delay; this is the proof that 6.7 does.)
 */
describe('scenario 4: Redis down for more than a minute', () => {
  const fault = useFaultStack({
    redisArgs: AOF_ARGS,
    env: {
      WORKER_LOCK_DURATION_MS: '5000',
      WORKER_STALLED_INTERVAL_MS: '2500',
    },
    apis: 1,
    workers: 2,
  });

  it('fails fast while Redis is away, then reconnects and goes on processing', async () => {
    const api = fault.stack.api();
    const before = await submitMany(api, fault.seed.workQueryId, 4, () => ({ n: 1_000 }));
    await fault.stack.waitEnded(before, 60_000);
    // Jobs running and waiting when Redis goes: a few seconds of work each.
    const during = await submitMany(api, fault.seed.workQueryId, 8, () => ({ n: 12_000 }));
    await waitFor('a job to be running', async () =>
      fault.stack.workers.some((w) => jobsLogged(w, 'query started').size > 1),
    );

    const probe = async (into: { what: string; res: CallResult }[]) => {
      const run = async (what: string, call: () => Promise<CallResult>) =>
        into.push({ what, res: await call() });
      await run('submit', () => api.submit(fault.seed.fastQueryId, { n: 5 }, { timeoutMs: 10_000 }));
      await run('status', () => api.call('GET', `/v1/jobs/${during[0]}`, { timeoutMs: 10_000 }));
      await run('list', () => api.call('GET', '/v1/jobs?limit=5', { timeoutMs: 10_000 }));
      await run('readyz', () => api.call('GET', '/readyz', { timeoutMs: 10_000 }));
    };

    // First a Redis that hangs (SIGSTOP): its connections stay open and nothing answers.
    const frozen: { what: string; res: CallResult }[] = [];
    fault.redis.freeze();
    await probe(frozen);
    await probe(frozen);
    fault.redis.thaw();
    const thawed = await waitFor(
      'the API to accept a submission after the freeze',
      async () => {
        const res = await api.submit(fault.seed.fastQueryId, { n: 6 });
        return res.status === 202 ? (res.json.job_id as string) : null;
      },
      30_000,
      100,
    );

    // Then a Redis that is gone, for more than a minute.
    const downAt = Date.now();
    await fault.redis.stopGracefully();
    const probes: { what: string; res: CallResult }[] = [];
    while (Date.now() - downAt < OUTAGE_MS) {
      await probe(probes);
      await new Promise((r) => setTimeout(r, 5_000));
    }
    const alive = [...fault.stack.apis.map((a) => a.process), ...fault.stack.workers].every(
      (p) => p.child.exitCode === null && p.child.signalCode === null,
    );
    await fault.redis.restart();
    const upAt = Date.now();

    // The API takes submissions again by itself.
    const firstAccepted = await waitFor(
      'the API to accept a submission again',
      async () => {
        const res = await api.submit(fault.seed.fastQueryId, { n: 5 }).catch(() => null);
        return res?.status === 202 ? res : null;
      },
      60_000,
      100,
    );
    const apiRecoveryMs = Date.now() - upAt;
    const after = [
      firstAccepted.json.job_id as string,
      ...(await submitMany(api, fault.seed.workQueryId, 10, () => ({ n: 1_000 }))),
    ];
    const accepted = [...before, ...during, thawed, ...after];
    const snapshots = await fault.stack.waitEnded(accepted, 180_000);
    const outcome = tally(accepted, snapshots);
    const firstStartAfter = Math.min(
      ...fault.stack.workers.flatMap((w) =>
        [...jobsLogged(w, 'query started').values()].filter((t) => t >= upAt),
      ),
    );
    const ready = await api.call('GET', '/readyz');

    const worst = Math.max(...probes.map((p) => p.res.ms));
    const worstFrozen = Math.max(...frozen.map((p) => p.res.ms));
    reportFigures('4 Redis down 65 s (AOF, then restarted)', {
      accepted: accepted.length,
      succeeded: outcome.succeeded,
      failed: outcome.failed,
      lost: outcome.lost,
      runTwice: outcome.runTwice,
      recoveryMs: firstStartAfter - upAt,
      extra: {
        outageMs: upAt - downAt,
        probesDuringOutage: probes.length,
        slowest503Ms: Math.round(worst),
        slowest503FrozenMs: Math.round(worstFrozen),
        apiRecoveryMs,
        processesAlive: alive,
      },
      note: 'recovery: Redis back to the first job a worker started; apiRecoveryMs: to the first 202',
    });

    expect(alive).toBe(true);
    for (const { what, res } of [...frozen, ...probes]) {
      expect({ what, status: res.status }).toEqual({ what, status: 503 });
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(res.ms).toBeLessThan(FAIL_FAST_MS);
      if (what !== 'readyz') expect(res.json.error.code).toBe('service_unavailable');
    }
    expect(ready.status).toBe(200);
    expect(outcome.failures).toEqual([]);
    expect(outcome).toMatchObject({ succeeded: accepted.length, failed: 0, lost: 0 });
  });
});
