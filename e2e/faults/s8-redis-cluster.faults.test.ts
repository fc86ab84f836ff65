import { waitFor } from '@repo/test-utils';
import { reportFigures, tally } from './harness/figures';
import { PrivateCluster } from './harness/redis-servers';
import { FaultStack, type Seed } from './harness/stack';
import { submitMany } from './harness/submit';
import { acrossReplicas } from './scenarios/replicas';
import { killWorkerMidJob, workerKillEnv } from './scenarios/worker-kill';

/**
 * Scenario 8: REDIS_CLUSTER=true against a three-master Redis Cluster the test makes on
 * loopback ports. Every key of the product carries the hash-tagged prefix, so it all lives
 * in one slot (one shard): MULTI, Lua scripts and BullMQ's own scripts never cross slots.
 * The core flow (upload, save, sync and async runs, status, list, cancel, SSE, CSV) runs
 * across two API replicas, then scenario 1 (a worker SIGKILLed mid-job among three), with
 * rate limits and quotas on.
 */
const JOBS_FOR_COST = 300;

describe('scenario 8: Redis Cluster (three masters)', () => {
  let cluster: PrivateCluster;
  let stack: FaultStack;
  let seed: Seed;

  beforeAll(async () => {
    cluster = await PrivateCluster.start(3);
    // Rate limits and quotas on (far above what the scenarios need), so their Lua runs on the cluster too.
    stack = new FaultStack(
      cluster.url,
      { ...workerKillEnv, RATE_LIMIT_PER_SECOND: '1000', MAX_ACTIVE_JOBS_PER_TENANT: '1000' },
      true,
    );
    await stack.start(2, 3);
    seed = await stack.seed();
  });

  afterAll(async () => {
    await stack?.stop();
    await cluster?.dispose();
  });

  it('runs the core flow: sync and async runs, reads, cancel, SSE and CSV across replicas', async () => {
    const sync = await stack.api(1).call('POST', `/v1/query/${seed.fastQueryId}`, {
      body: { parameters: { n: 1234 } },
    });
    expect(sync.status).toBe(200);
    expect(sync.json).toMatchObject({ status: 'succeeded', results: { rows: [[1234]] } });
    // The same Idempotency-Key through both replicas: one job.
    const twice = await Promise.all(
      [0, 1].map((i) => stack.api(i).submit(seed.fastQueryId, { n: 7 }, { idempotencyKey: 'cluster-once' })),
    );
    expect(new Set(twice.map((t) => t.json.job_id)).size).toBe(1);
    await acrossReplicas(stack, seed, '8a Redis Cluster: core flow, 2 APIs + 3 workers');
  });

  it('scenario 1 on the cluster: a worker SIGKILLed mid-job loses nothing', async () => {
    await killWorkerMidJob(stack, seed, '8b Redis Cluster: worker SIGKILL mid-job (3 workers)');
  });

  it('keeps every key on the one master of the prefix’s slot, and measures a job’s cost there', async () => {
    const owner = await cluster.masterOf(`${stack.prefix}:analytics-queries:wait`);
    const stats = async () => {
      const info = await cluster.cli(owner, 'info');
      const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1]);
      return {
        commands: field('total_commands_processed'),
        cpu: field('used_cpu_user') + field('used_cpu_sys'),
      };
    };
    const completedKey = `${stack.prefix}:analytics-queries:completed`;
    const completedBefore = await stack.admin.zcard(completedKey);
    const before = await stats();
    const started = Date.now();
    const accepted = await submitMany(stack.api(0), seed.fastQueryId, JOBS_FOR_COST, (i) => ({ n: i }));
    // One ZCARD per poll, so that the test's own reads hardly count.
    await waitFor(
      'the jobs to complete',
      async () => (await stack.admin.zcard(completedKey)) - completedBefore >= JOBS_FOR_COST,
      120_000,
      500,
    );
    const seconds = (Date.now() - started) / 1000;
    const after = await stats();
    const perNode = await Promise.all(cluster.nodes.map((node) => cluster.cli(node.port, 'dbsize')));
    const cpuMsPerJob = ((after.cpu - before.cpu) * 1000) / JOBS_FOR_COST;
    const outcome = tally(accepted, await stack.waitEnded(accepted, 30_000));
    reportFigures('8c Redis Cluster: cost of a job on its shard', {
      accepted: accepted.length,
      succeeded: outcome.succeeded,
      failed: outcome.failed,
      lost: outcome.lost,
      runTwice: outcome.runTwice,
      recoveryMs: null,
      extra: {
        keysPerMaster: perNode.join('/'),
        redisCommandsPerJob: Math.round((after.commands - before.commands) / JOBS_FOR_COST),
        redisCpuMsPerJob: Number(cpuMsPerJob.toFixed(3)),
        jobsPerSecondHere: Math.round(JOBS_FOR_COST / seconds),
        shardCeilingJobsPerSecond: Math.round(1000 / cpuMsPerJob),
      },
      note: 'a fast job from submit to completion, through the API; ceiling = 1 s of Redis CPU / CPU per job',
    });
    expect(outcome).toMatchObject({ succeeded: JOBS_FOR_COST, lost: 0 });
    // All of the product's keys are on the master that serves the prefix's slot.
    const nonEmpty = cluster.nodes.filter((_, i) => Number(perNode[i]) > 0).map((node) => node.port);
    expect(nonEmpty).toEqual([owner]);
  });
});
