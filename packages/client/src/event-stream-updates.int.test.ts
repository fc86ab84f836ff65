import { numbersCsv, SLOW_SQL } from '@repo/test-utils';
import { AnalyticsApiError, AnalyticsClient } from './index';
import { startStack, type TestStack } from './testing/test-stack';

describe('jobs.wait follows the event stream', () => {
  let stack: TestStack;
  const requests: string[] = [];
  let client: AnalyticsClient;
  let slowQueryId: string;

  beforeAll(async () => {
    stack = await startStack();
    client = new AnalyticsClient({
      baseUrl: stack.url,
      apiKey: stack.apiKey,
      fetch: (input, init) => {
        requests.push(`${init?.method ?? 'GET'} ${new URL(String(input)).pathname}`);
        return fetch(input, init);
      },
    });
    const dataset = await client.datasets.upload(numbersCsv(30_000), { name: 'n', contentType: 'text/csv' });
    slowQueryId = (
      await client.queries.save({ name: 'slow', query: SLOW_SQL, datasetId: dataset.dataset_id })
    ).query_id;
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('reports rising progress from pushed events, with one request and no polling', async () => {
    const run = await client.queries.run(slowQueryId, { mode: 'async' });
    const jobId = run.job_id ?? '';
    requests.length = 0;
    const progress: number[] = [];
    const done = await client.jobs.wait(jobId, { onProgress: (job) => progress.push(job.progress) });
    expect(done.status).toBe('succeeded');
    expect(progress.length).toBeGreaterThan(2);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.at(-1)).toBe(100);
    expect(requests).toEqual([`GET /v1/jobs/${jobId}/events`]);
  });

  it('falls back to polling, which reports an unknown job as the API does', async () => {
    const error = await client.jobs.wait('job_unknown0000000000000000').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AnalyticsApiError);
    expect((error as AnalyticsApiError).code).toBe('not_found');
  });
});
