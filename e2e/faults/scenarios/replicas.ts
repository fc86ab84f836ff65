import { TEST_KEYS } from '@repo/test-utils';
import { reportFigures, tally } from '../harness/figures';
import { type ApiProcess, type FaultStack, jobsLogged, type Seed, waitForJob } from '../harness/stack';
import { submitMany } from '../harness/submit';

/** Reads a job's Server-Sent Events to the end; null when the route does not exist (404). */
async function readEvents(
  api: ApiProcess,
  jobId: string,
): Promise<{ event: string; data: unknown }[] | null> {
  const res = await fetch(`${api.url}/v1/jobs/${jobId}/events`, {
    headers: { 'X-API-Key': TEST_KEYS.acme, Accept: 'text/event-stream' },
    signal: AbortSignal.timeout(120_000),
  });
  if (res.status === 404) return null;
  if (res.status !== 200) throw new Error(`events answered ${res.status}: ${await res.text()}`);
  const text = await res.text(); // the stream closes after the terminal event
  return text
    .split('\n\n')
    .filter((block) => block.includes('data: '))
    .map((block) => ({
      event: /^event: (.*)$/m.exec(block)?.[1] ?? 'message',
      data: JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? 'null'),
    }));
}

/**
 * Jobs submitted through the first API replica are read, cancelled, followed (SSE) and
 * streamed (CSV) through the second; every worker takes work. Asserts, and reports.
 */
export async function acrossReplicas(stack: FaultStack, seed: Seed, scenario: string, jobs = 45) {
  const [a, b] = stack.apis as [ApiProcess, ApiProcess];
  const accepted = await submitMany(a, seed.workQueryId, jobs, (i) => ({ n: 1_500 + (i % 5) * 100 }));
  // Followed on the other replica while it is still queued or running.
  const followed = accepted[accepted.length - 1] ?? '';
  const eventsPromise = readEvents(b, followed);

  // Long jobs submitted through A, cancelled through B (queued or running, wherever they are).
  const long = await submitMany(a, seed.workQueryId, 3, () => ({ n: 30_000 }));
  await waitForJob(b, long[0] ?? '', (job) => job.status === 'running', 120_000);
  const cancels = await Promise.all(long.map((id) => b.call('POST', `/v1/jobs/${id}/cancel`)));
  const cancelled = await Promise.all(
    long.map((id) => waitForJob(b, id, (job) => job.status === 'failed', 30_000)),
  );

  const all = [...accepted, ...long];
  const snapshots = await stack.waitEnded(all, 240_000);
  const outcome = tally(all, snapshots);
  const events = await eventsPromise;

  // Statuses and results through B.
  const statuses = await Promise.all(accepted.map((id) => b.call('GET', `/v1/jobs/${id}`)));
  const csv = await b.call('GET', `/v1/jobs/${followed}/results`, { headers: { Accept: 'text/csv' } });
  const listed = await b.call('GET', '/v1/jobs?limit=100');
  const perWorker = stack.workers.map((w) => jobsLogged(w, 'query started').size);

  reportFigures(scenario, {
    accepted: all.length,
    succeeded: outcome.succeeded,
    failed: outcome.failed,
    lost: outcome.lost,
    runTwice: outcome.runTwice,
    recoveryMs: null,
    extra: {
      apis: stack.apis.length,
      workers: stack.workers.length,
      jobsPerWorker: perWorker.join('/'),
      cancelledThroughOtherReplica: cancelled.filter((j) => j.error_code === 'cancelled').length,
      sse: events === null ? 'absent (404): results streamed instead' : `${events.length} events`,
    },
    note: 'submitted through API 1; read, cancelled, followed and streamed through API 2; failed = the cancelled',
  });

  // The only failures are the cancelled jobs.
  expect(outcome.failures.filter((f) => !f.includes(': cancelled: '))).toEqual([]);
  expect(outcome).toMatchObject({ succeeded: accepted.length, failed: long.length, lost: 0 });
  for (const res of statuses)
    expect(res.json).toMatchObject({ status: 'succeeded', results: { row_count: 1 } });
  for (const res of cancels) expect([200, 202]).toContain(res.status);
  for (const job of cancelled) expect(job).toMatchObject({ status: 'failed', error_code: 'cancelled' });
  expect(csv.status).toBe(200);
  expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
  expect(csv.text).toMatch(/^n\r\n\d+\r\n$/);
  expect(listed.json.data.map((j: { job_id: string }) => j.job_id)).toEqual(expect.arrayContaining(all));
  if (events !== null) {
    const last = events[events.length - 1];
    expect(last?.event).toBe('status');
    expect(last?.data).toMatchObject({ job_id: followed, status: 'succeeded', progress: 100 });
  }
  // Every worker took work.
  for (const count of perWorker) expect(count).toBeGreaterThan(0);
}
