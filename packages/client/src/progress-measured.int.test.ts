import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { numbersCsv, SLOW_SQL } from '@repo/test-utils';
import { AnalyticsClient, type Job } from './index';
import { runAnalytics, startStack, type TestStack } from './testing/test-stack';

/** Seconds of work DuckDB gives no figure for, even on a progress connection: a scan of range(). */
const UNMEASURED_SQL = `SELECT count(DISTINCT ${'md5('.repeat(6)}range::VARCHAR${')'.repeat(6)}) AS n FROM range(1500000)`;

/** The seed's fields, in the seed's order, with the seed's types. */
const SEED_FIELDS = [
  'job_id',
  'query_id',
  'dataset_id',
  'status',
  'progress',
  'results',
  'error',
  'created_at',
  'completed_at',
];

/**
 * The updates seen while the query worked: without one read in the instant between the worker's
 * 100 and the job's completion (one Redis round trip), which says 99, measured.
 */
function whileWorking(updates: Job[]): Job[] {
  const running = updates.filter((u) => u.status === 'running');
  let end = running.length;
  while (end > 0 && running[end - 1]?.progress === 99 && running[end - 1]?.progress_measured) end -= 1;
  return running.slice(0, end);
}

describe('progress_measured, from the worker to the SDK and the CLI', () => {
  let stack: TestStack;
  let events: AnalyticsClient;
  let polling: AnalyticsClient;
  let measuredQueryId: string;
  let unmeasuredQueryId: string;
  let dir: string;

  beforeAll(async () => {
    stack = await startStack();
    events = new AnalyticsClient({ baseUrl: stack.url, apiKey: stack.apiKey });
    polling = new AnalyticsClient({
      baseUrl: stack.url,
      apiKey: stack.apiKey,
      jobUpdates: 'polling',
      polling: { initialDelayMs: 50, maxDelayMs: 50 },
    });
    const numbers = await events.datasets.upload(numbersCsv(30_000), { name: 'n', contentType: 'text/csv' });
    measuredQueryId = (
      await events.queries.save({ name: 'slow', query: SLOW_SQL, datasetId: numbers.dataset_id })
    ).query_id;
    unmeasuredQueryId = (
      await events.queries.save({ name: 'unmeasured', query: UNMEASURED_SQL, datasetId: numbers.dataset_id })
    ).query_id;
    dir = mkdtempSync(join(tmpdir(), 'analytics-progress-'));
  });

  afterAll(async () => {
    await stack?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function follow(client: AnalyticsClient, queryId: string): Promise<Job[]> {
    const updates: Job[] = [];
    const done = await client.queries.runAndWait(queryId, { onProgress: (job) => updates.push(job) });
    expect(done).toMatchObject({ status: 'succeeded', progress: 100, progress_measured: true });
    return updates;
  }

  it.each([
    ['events', () => events],
    ['polling', () => polling],
  ])('follows a measured query (%s): measured, rising, 100 at the end', async (_, client) => {
    const updates = await follow(client(), measuredQueryId);
    const progress = updates.map((u) => u.progress);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    const measured = whileWorking(updates).filter((u) => u.progress_measured);
    expect(measured.some((u) => u.progress > 0 && u.progress < 100)).toBe(true);
    // Once measured, measured to the end.
    const first = updates.findIndex((u) => u.progress_measured);
    expect(updates.slice(first).every((u) => u.progress_measured)).toBe(true);
    expect(updates.at(-1)).toMatchObject({ status: 'succeeded', progress: 100, progress_measured: true });
  });

  it.each([
    ['events', () => events],
    ['polling', () => polling],
  ])('follows a query DuckDB does not measure (%s): not measured while it runs', async (_, client) => {
    const updates = await follow(client(), unmeasuredQueryId);
    const running = whileWorking(updates);
    expect(running.length).toBeGreaterThan(0);
    expect(running.every((u) => u.progress === 0 && u.progress_measured === false)).toBe(true);
  });

  it('keeps the seed’s status shape for clients that know nothing of the field', async () => {
    const run = await events.queries.run(unmeasuredQueryId, { mode: 'async' });
    const jobId = run.job_id ?? '';
    const res = await fetch(`${stack.url}/v1/jobs/${jobId}`, { headers: { 'X-API-Key': stack.apiKey } });
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body).slice(0, SEED_FIELDS.length)).toEqual(SEED_FIELDS);
    expect(Number.isInteger(body.progress)).toBe(true);
    expect(typeof body.progress_measured).toBe('boolean');
    const done = await events.jobs.wait(jobId);
    expect(Object.keys(done).slice(0, SEED_FIELDS.length)).toEqual(SEED_FIELDS);
    expect(done.progress).toBe(100);
  });

  it('has the CLI say the progress is not measured, never 0%, while such a query runs', async () => {
    const env = { ANALYTICS_URL: stack.url, ANALYTICS_API_KEY: stack.apiKey };
    const result = await runAnalytics(['run', unmeasuredQueryId, '--wait'], env, { cwd: dir });
    expect(result.code).toBe(0);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toContainEqual(expect.stringMatching(/^job_\S+ running \(progress not measured\)$/));
    expect(lines.filter((line) => / running \d+%$/.test(line)).every((line) => line.endsWith(' 99%'))).toBe(
      true,
    );
    expect(lines.at(-1)).toMatch(/^job_\S+ succeeded 100%$/);
    expect(result.stdout).toMatch(/^ +n\n-+\n\d+\n\(1 row\)\n$/);
  });
});
