import { readdir } from 'node:fs/promises';
import { dataLayout } from '@repo/queue';
import { waitFor } from '@repo/test-utils';
import { reportFigures, tally } from './harness/figures';
import { type CallResult, logEvents } from './harness/stack';
import { submitMany } from './harness/submit';
import { useFaultStack } from './harness/use-fault-stack';

/** How long Redis stays full: long enough for every process to hit it many times. */
const FULL_MS = 15_000;

/**
 * Scenario 6: Redis reaches `maxmemory` with `noeviction` (as production runs it: it
 * refuses writes rather than evict queued jobs). New submissions answer 503 with a clear
 * error, status reads and listings keep working, no process crashes; when memory frees,
 * submissions are accepted again and the job that was running when Redis filled up
 * completes (once its worker can write again, or on another attempt).
 */
describe('scenario 6: Redis out of memory (noeviction)', () => {
  const fault = useFaultStack({
    redisArgs: ['--maxmemory-policy', 'noeviction'],
    env: {
      WORKER_LOCK_DURATION_MS: '5000',
      WORKER_STALLED_INTERVAL_MS: '2500',
    },
    apis: 1,
    workers: 1,
  });

  it('refuses new work with 503, keeps serving reads, and resumes when memory frees', async () => {
    const api = fault.stack.api();
    const done = await submitMany(api, fault.seed.workQueryId, 5, () => ({ n: 500 }));
    await fault.stack.waitEnded(done, 60_000);
    // A job that is running when Redis fills up.
    const [running] = await submitMany(api, fault.seed.workQueryId, 1, () => ({ n: 20_000 }));
    await waitFor(
      'the long job to start',
      async () => (await fault.stack.readJobs([running ?? ''])).get(running ?? '')?.state === 'running',
    );

    // 2 MB of ballast, then a limit 1 MB below what Redis uses: from then on it refuses every write.
    const ballast = Array.from({ length: 20 }, (_, i) => `ballast:${i}`);
    for (const key of ballast) await fault.stack.admin.set(key, 'x'.repeat(100_000));
    const used = Number((await fault.redis.cli('info', 'memory')).match(/used_memory:(\d+)/)?.[1]);
    await fault.redis.cli('config', 'set', 'maxmemory', String(used - 1_000_000));
    const fullAt = Date.now();
    const workerErrorLines = () =>
      fault.stack.workers.flatMap(logEvents).filter((e) => e.msg === 'worker error').length;
    const workerErrorsBefore = workerErrorLines();

    const submits: CallResult[] = [];
    const reads: CallResult[] = [];
    while (Date.now() - fullAt < FULL_MS) {
      submits.push(await api.submit(fault.seed.fastQueryId, { n: 1 }));
      submits.push(
        await api.submit(fault.seed.fastQueryId, { n: 2 }, { idempotencyKey: `oom-${submits.length}` }),
      );
      reads.push(await api.call('GET', `/v1/jobs/${done[submits.length % done.length]}`));
      reads.push(await api.call('GET', `/v1/jobs/${running}`));
      reads.push(await api.call('GET', '/v1/jobs?limit=10'));
      await new Promise((r) => setTimeout(r, 500));
    }
    const upload = await api.call('POST', '/v1/datasets?name=late', { body: 'x\n1\n2\n' });
    const ready = await api.call('GET', '/readyz');
    const alive = [api.process, ...fault.stack.workers].every((p) => p.child.exitCode === null);
    const workerErrors = workerErrorLines() - workerErrorsBefore;

    await fault.stack.admin.del(...ballast);
    const freedAt = Date.now();
    const first = await waitFor(
      'a submission to be accepted again',
      async () => {
        const res = await api.submit(fault.seed.fastQueryId, { n: 3 });
        return res.status === 202 ? res : null;
      },
      30_000,
      100,
    );
    const recoveryMs = Date.now() - freedAt;
    const after = await submitMany(api, fault.seed.workQueryId, 5, () => ({ n: 500 }));
    const accepted = [...done, running ?? '', first.json.job_id, ...after];
    const snapshots = await fault.stack.waitEnded(accepted, 120_000);
    const outcome = tally(accepted, snapshots);

    reportFigures('6 Redis out of memory (noeviction)', {
      accepted: accepted.length,
      succeeded: outcome.succeeded,
      failed: outcome.failed,
      lost: outcome.lost,
      runTwice: outcome.runTwice,
      recoveryMs,
      extra: {
        fullMs: freedAt - fullAt,
        submitsRefused: submits.filter((s) => s.status === 503).length,
        submitsOther: submits.filter((s) => s.status !== 503).length,
        readsOk: reads.filter((r) => r.status === 200).length,
        readsFailed: reads.filter((r) => r.status !== 200).length,
        readyzWhileFull: ready.status,
        workerErrorLines: workerErrors,
        processesAlive: alive,
      },
      note: 'recovery: memory freed to the next 202',
    });

    for (const res of submits) {
      expect({ status: res.status, code: res.json?.error?.code }).toEqual({
        status: 503,
        code: 'service_unavailable',
      });
      expect(res.json.error.message).toMatch(/memory/i);
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    }
    // An upload is refused the same way and leaves no file behind.
    expect(upload.status).toBe(503);
    expect(upload.json.error.message).toMatch(/memory/i);
    expect(await readdir(dataLayout.datasetsDir(fault.stack.dataDir, 'acme'))).toEqual([
      `${fault.seed.datasetId}.parquet`,
    ]);
    expect(reads.filter((r) => r.status !== 200).map((r) => r.text)).toEqual([]);
    expect(alive).toBe(true);
    expect(outcome.failures).toEqual([]);
    expect(outcome).toMatchObject({ succeeded: accepted.length, lost: 0 });
  });
});
