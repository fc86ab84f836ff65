import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TJobStatus } from '@repo/contracts';
import { numbersCsv, startWorker, TEST_KEYS, type WorkerProcess, waitFor } from '@repo/test-utils';
import { createTestApi, type TestApi } from '../../testing/test-api';

interface SseEvent {
  id?: string;
  event: string;
  data: Record<string, unknown>;
}

/** Reads an SSE stream until it closes (or `until` says stop), parsing each event. */
async function readEvents(
  url: string,
  headers: Record<string, string> = {},
  until?: (events: SseEvent[]) => boolean,
): Promise<{ events: SseEvent[]; closedByServer: boolean; comments: number }> {
  const controller = new AbortController();
  const res = await fetch(url, {
    headers: { 'X-API-Key': TEST_KEYS.acme, ...headers },
    signal: controller.signal,
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const reader = res.body?.getReader();
  const decoder = new TextDecoder();
  const events: SseEvent[] = [];
  let buffer = '';
  let comments = 0;
  for (;;) {
    const { value, done } = (await reader?.read()) ?? { done: true, value: undefined };
    if (done) return { events, closedByServer: true, comments };
    buffer += decoder.decode(value, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (block.startsWith(':')) comments += 1;
      else {
        const fields = Object.fromEntries(
          block
            .split('\n')
            .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]),
        );
        events.push({ id: fields.id, event: fields.event ?? '', data: JSON.parse(fields.data ?? 'null') });
      }
      end = buffer.indexOf('\n\n');
    }
    if (until?.(events)) {
      controller.abort();
      return { events, closedByServer: false, comments };
    }
  }
}

describe('job events (SSE) and long polls, through another replica', () => {
  let a: TestApi;
  let b: TestApi;
  let server: Server;
  let base: string;
  let worker: WorkerProcess;
  let slowId: string;
  let quickId: string;

  beforeAll(async () => {
    a = await createTestApi();
    b = await createTestApi({ SSE_KEEPALIVE_MS: '200' }, a);
    server = b.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const numbers = numbersCsv(30_000);
    const dataset = (await a.as().post('/v1/datasets?name=n').set('Content-Type', 'text/csv').send(numbers))
      .body;
    slowId = (
      await a.as().post('/v1/save').send({
        name: 'slow',
        query: 'SELECT count(*) AS n FROM dataset a, dataset b WHERE (a.x * 7 + b.x) % 13 = 0',
        dataset_id: dataset.dataset_id,
      })
    ).body.query_id;
    quickId = (
      await a
        .as()
        .post('/v1/save')
        .send({ name: 'quick', query: 'SELECT count(*) AS n FROM dataset', dataset_id: dataset.dataset_id })
    ).body.query_id;
    worker = await startWorker(a.env);
  });

  afterAll(async () => {
    await worker.stop();
    server.closeAllConnections();
    server.close();
    await b.close();
    await a.close();
  });

  const submit = async (queryId: string) =>
    (await a.as().post(`/v1/query/${queryId}`).send({ execution_mode: 'async' })).body.job_id as string;

  it('streams the current state, rising progress and the terminal status, then closes', async () => {
    const jobId = await submit(slowId);
    const { events, closedByServer, comments } = await readEvents(`${base}/v1/jobs/${jobId}/events`);
    expect(closedByServer).toBe(true);
    expect(events[0]?.event).toBe('status');
    expect(['queued', 'running']).toContain(events[0]?.data.status);
    const progress = events.filter((e) => e.event === 'progress').map((e) => e.data.progress as number);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress).toEqual([...new Set(progress)].sort((x, y) => x - y));
    expect(Math.max(...progress)).toBeLessThan(100);
    const last = events.at(-1);
    expect(last?.event).toBe('status');
    expect(last?.data).toMatchObject({ job_id: jobId, status: 'succeeded', progress: 100 });
    expect(events.filter((e) => e.event === 'status' && e.data.status === 'succeeded')).toHaveLength(1);
    expect(events.every((e) => e.event !== 'progress' || e.id)).toBe(true);
    expect(comments).toBeGreaterThan(0);
    expect(b.deps.jobEvents.watched).toBe(0);
  });

  it('resumes after a dropped connection with Last-Event-ID, missing nothing', async () => {
    const jobId = await submit(slowId);
    const first = await readEvents(`${base}/v1/jobs/${jobId}/events`, {}, (events) =>
      events.some((e) => e.event === 'progress'),
    );
    const lastSeen = first.events.at(-1);
    const seenProgress = Math.max(...first.events.map((e) => Number(e.data.progress ?? 0)));
    await waitFor('the dropped stream to be released', async () => b.deps.jobEvents.watched === 0);
    const second = await readEvents(`${base}/v1/jobs/${jobId}/events`, {
      'Last-Event-ID': lastSeen?.id ?? '',
    });
    expect(second.events[0]?.event).toBe('status');
    expect(Number(second.events[0]?.data.progress)).toBeGreaterThanOrEqual(seenProgress);
    expect(second.events.at(-1)?.data.status).toBe('succeeded');
    // Once the job has ended, a stream is one event: its final state.
    const after = await readEvents(`${base}/v1/jobs/${jobId}/events`);
    expect(after.events.map((e) => [e.event, e.data.status])).toEqual([['status', 'succeeded']]);
  });

  it('serves many idle streams on the one QueueEvents connection', async () => {
    const { redis } = b.deps;
    const clients = async () =>
      String(await redis.client('LIST'))
        .trim()
        .split('\n').length;
    const before = await clients();
    const jobId = await submit(slowId);
    const controllers = Array.from({ length: 100 }, () => new AbortController());
    const opened = controllers.map((c) =>
      fetch(`${base}/v1/jobs/${jobId}/events`, {
        headers: { 'X-API-Key': TEST_KEYS.acme },
        signal: c.signal,
      }),
    );
    await Promise.all(opened);
    await waitFor('100 streams to be watching', async () => b.deps.jobEvents.watched >= 100);
    expect((await clients()) - before).toBeLessThan(5);
    for (const c of controllers) c.abort();
    await waitFor('every stream to be released', async () => b.deps.jobEvents.watched === 0);
    await a.as().post(`/v1/jobs/${jobId}/cancel`);
  });

  it('answers 404 for another tenant and an unknown job, as the status does', async () => {
    const jobId = await submit(quickId);
    const foreign = await b.as('globex').get(`/v1/jobs/${jobId}/events`);
    expect(foreign.status).toBe(404);
    expect((await b.as().get('/v1/jobs/job_nope0000000000000000000/events')).status).toBe(404);
  });

  it('long-polls: ?wait answers as soon as the job ends, or when the wait is over', async () => {
    const slow = await submit(slowId);
    const started = Date.now();
    const early = await b.as().get(`/v1/jobs/${slow}?wait=1`);
    expect(early.status).toBe(200);
    expect(['queued', 'running']).toContain(early.body.status);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    const done = (await b.as().get(`/v1/jobs/${slow}?wait=60`)).body as TJobStatus;
    expect(done.status).toBe('succeeded');
    expect((await b.as().get(`/v1/jobs/${slow}?wait=61`)).status).toBe(400);
  });
});
