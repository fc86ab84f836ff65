import { createHmac } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import type { TJobStatus } from '@repo/contracts';
import { freePort, startWorker, type WorkerProcess, waitFor } from '@repo/test-utils';
import { createTestApi, type TestApi } from '../../testing/test-api';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * A webhook receiver on 127.0.0.1 — the only address allow-listed — that fails its first
 * delivery with a 500 and accepts the rest.
 */
function startReceiver(): Promise<{ server: Server; url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.statusCode = received.length === 1 ? 500 : 200;
      res.end();
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received }),
    );
  });
}

describe('webhooks', () => {
  let api: TestApi;
  let worker: WorkerProcess;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let queryId: string;
  let badQueryId: string;

  beforeAll(async () => {
    api = await createTestApi({ WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' });
    worker = await startWorker(api.env);
    receiver = await startReceiver();
    const dataset = (
      await api.as().post('/v1/datasets?name=s').set('Content-Type', 'text/csv').send('r,v\nN,1\nS,2\n')
    ).body;
    queryId = (
      await api.as().post('/v1/save').send({
        name: 'q',
        query: 'SELECT r, sum(v) AS t FROM dataset GROUP BY r ORDER BY r',
        dataset_id: dataset.dataset_id,
      })
    ).body.query_id;
    badQueryId = (
      await api.as().post('/v1/save').send({
        name: 'bad',
        query: 'SELECT CAST(r AS INTEGER) AS n FROM dataset',
        dataset_id: dataset.dataset_id,
      })
    ).body.query_id;
  });

  afterAll(async () => {
    await worker.stop();
    receiver.server.close();
    await api.close();
  });

  const untilEnded = (jobId: string) =>
    waitFor(`job ${jobId}`, async () => {
      const job = (await api.as().get(`/v1/jobs/${jobId}`)).body as TJobStatus;
      return job.status === 'succeeded' || job.status === 'failed' ? job : null;
    });

  it('POSTs the terminal status, signed, retrying after a 500, and shows the delivery on the job', async () => {
    const run = await api
      .as()
      .post(`/v1/query/${queryId}`)
      .send({ execution_mode: 'async', callback_url: receiver.url });
    expect(run.status).toBe(202);
    const ended = await untilEnded(run.body.job_id);
    expect(ended.webhook).toBeDefined();
    await waitFor('two deliveries', async () => receiver.received.length >= 2, 30_000);
    const job = await waitFor('the delivery to be recorded', async () => {
      const status = (await api.as().get(`/v1/jobs/${run.body.job_id}`)).body as TJobStatus;
      return status.webhook?.delivered_at ? status : null;
    });
    expect(job.webhook).toEqual({
      attempts: 2,
      last_status: 200,
      delivered_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      last_error: null,
    });

    const { secret } = (await api.as().get('/v1/webhooks/secret')).body;
    expect(secret).toMatch(/^whsec_/);
    for (const delivery of receiver.received.slice(0, 2)) {
      const timestamp = String(delivery.headers['x-webhook-timestamp']);
      const expected = `sha256=${createHmac('sha256', secret).update(`${timestamp}.${delivery.body}`).digest('hex')}`;
      expect(delivery.headers['x-signature']).toBe(expected);
      expect(Math.abs(Date.now() / 1000 - Number(timestamp))).toBeLessThan(300);
      expect(delivery.headers['content-type']).toBe('application/json');
    }
    const body = JSON.parse(receiver.received[1]?.body ?? '{}');
    const { webhook: _delivery, ...status } = job;
    expect(body).toEqual(status);
    expect(body.results.rows).toEqual([
      ['N', 1],
      ['S', 2],
    ]);
    // Another tenant's secret is another secret.
    expect((await api.as('globex').get('/v1/webhooks/secret')).body.secret).not.toBe(secret);
  });

  it('delivers failures and cancellations of jobs no worker held, once each', async () => {
    const before = receiver.received.length;
    const failed = await api
      .as()
      .post(`/v1/query/${badQueryId}`)
      .send({ execution_mode: 'async', callback_url: receiver.url });
    await untilEnded(failed.body.job_id);
    await waitFor('the failure to be delivered', async () =>
      receiver.received.some((r) => JSON.parse(r.body).job_id === failed.body.job_id),
    );
    const delivered = receiver.received.slice(before).map((r) => JSON.parse(r.body));
    expect(delivered.find((d) => d.job_id === failed.body.job_id)).toMatchObject({
      status: 'failed',
      error_code: 'query_error',
    });

    await worker.stop();
    const queued = await api
      .as()
      .post(`/v1/query/${queryId}`)
      .send({ execution_mode: 'async', callback_url: receiver.url });
    expect((await api.as().post(`/v1/jobs/${queued.body.job_id}/cancel`)).status).toBe(200);
    worker = await startWorker(api.env);
    await waitFor('the cancellation to be delivered', async () =>
      receiver.received.some((r) => JSON.parse(r.body).job_id === queued.body.job_id),
    );
    const cancelled = receiver.received.filter((r) => JSON.parse(r.body).job_id === queued.body.job_id);
    expect(cancelled).toHaveLength(1);
    expect(JSON.parse(cancelled[0]?.body ?? '{}')).toMatchObject({
      status: 'failed',
      error_code: 'cancelled',
    });
  });

  it.each([
    ['file:///etc/passwd', /http or https/],
    ['http://127.0.0.2:9/hook', /127\.0\.0\.2/],
    ['http://[::1]:9/hook', /::1/],
    ['http://localhost:9/hook', /localhost/],
    ['ftp://127.0.0.1/hook', /http or https/],
  ])('refuses %s at submission (422)', async (url, message) => {
    const res = await api
      .as()
      .post(`/v1/query/${queryId}`)
      .send({ execution_mode: 'async', callback_url: url });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'invalid_callback_url', details: ['callback_url'] });
    expect(res.body.error.message).toMatch(message);
  });

  it('refuses at delivery a name that resolves to this machine, without connecting', async () => {
    const name = hostname();
    const resolved = await lookup(name);
    expect(resolved.address).toMatch(/^127\./);
    const before = receiver.received.length;
    const port = new URL(receiver.url).port;
    const run = await api
      .as()
      .post(`/v1/query/${queryId}`)
      .send({ execution_mode: 'async', callback_url: `http://${name}:${port}/hook` });
    expect(run.status).toBe(202);
    await untilEnded(run.body.job_id);
    const job = await waitFor('the refusal to be recorded', async () => {
      const status = (await api.as().get(`/v1/jobs/${run.body.job_id}`)).body as TJobStatus;
      return (status.webhook?.attempts ?? 0) > 0 ? status : null;
    });
    expect(job.webhook).toMatchObject({ attempts: 1, last_status: null, delivered_at: null });
    // The tenant learns the kind of problem, not what the name resolves to...
    expect(job.webhook?.last_error).toBe('the host resolves to a private or loopback address (refused)');
    expect(JSON.stringify(job)).not.toContain(resolved.address);
    // ...which the operator finds in the worker's log.
    await waitFor('the worker to log the address', async () =>
      worker.output().includes(`${name} resolves to ${resolved.address}`),
    );
    expect(receiver.received.length).toBe(before);
  });
});

/**
 * What a tenant reads of a delivery that failed on the network: the kind of problem,
 * never an address. The receivers sit behind `localhost` (allow-listed here), so what the
 * name resolves to is something the tenant did not write; only loopback is ever contacted.
 */
describe('webhook failures as a tenant reads them', () => {
  let api: TestApi;
  let worker: WorkerProcess;
  let queryId: string;
  let loopback: string;
  const servers: Server[] = [];

  beforeAll(async () => {
    api = await createTestApi({ WEBHOOK_ALLOWED_HOSTS: 'localhost', WEBHOOK_TIMEOUT_MS: '1000' });
    worker = await startWorker(api.env);
    loopback = (await lookup('localhost', { verbatim: true })).address;
    expect(loopback === '::1' || loopback.startsWith('127.')).toBe(true);
    const dataset = (
      await api.as().post('/v1/datasets?name=s').set('Content-Type', 'text/csv').send('r,v\nN,1\n')
    ).body;
    queryId = (
      await api
        .as()
        .post('/v1/save')
        .send({ name: 'q', query: 'SELECT r FROM dataset', dataset_id: dataset.dataset_id })
    ).body.query_id;
  });

  afterAll(async () => {
    await worker.stop();
    for (const server of servers) {
      server.closeAllConnections();
      server.close();
    }
    await api.close();
  });

  /** A receiver on the address `localhost` resolves to first (the one a delivery connects to). */
  async function listen(handle: (res: ServerResponse) => void): Promise<number> {
    const server = createServer((req, res) => {
      req.resume();
      handle(res);
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, loopback, resolve));
    return (server.address() as AddressInfo).port;
  }

  async function deliveredTo(port: number): Promise<NonNullable<TJobStatus['webhook']>> {
    const run = await api
      .as()
      .post(`/v1/query/${queryId}`)
      .send({ execution_mode: 'async', callback_url: `http://localhost:${port}/hook` });
    expect(run.status).toBe(202);
    return waitFor('the attempt to be recorded', async () => {
      const status = (await api.as().get(`/v1/jobs/${run.body.job_id}`)).body as TJobStatus;
      return status.webhook && status.webhook.attempts > 0 ? status.webhook : null;
    });
  }

  function expectNoAddress(text: string | null | undefined) {
    expect(text).toEqual(expect.any(String));
    for (const address of [loopback, '127.0.0.1', '::1']) expect(text).not.toContain(address);
    expect(text).not.toMatch(/\d+\.\d+\.\d+\.\d+|ECONN|:\d{2,5}\b/);
  }

  it('says "connection refused" for a port nothing listens on, the address only in the log', async () => {
    const port = await freePort();
    const webhook = await deliveredTo(port);
    expect(webhook).toEqual({
      attempts: 1,
      last_status: null,
      delivered_at: null,
      last_error: 'connection refused',
    });
    expectNoAddress(webhook.last_error);
    await waitFor('the worker to log the address', async () =>
      worker.output().includes(`localhost (${loopback}): connect ECONNREFUSED`),
    );
  });

  it('says "timed out" for a receiver that never answers', async () => {
    const port = await listen(() => undefined);
    const webhook = await deliveredTo(port);
    expect(webhook).toMatchObject({ last_status: null, delivered_at: null, last_error: 'timed out' });
    expectNoAddress(webhook.last_error);
  });

  it('says which HTTP status the receiver answered', async () => {
    const port = await listen((res) => {
      res.statusCode = 500;
      res.end('internal details of the receiver');
    });
    const webhook = await deliveredTo(port);
    expect(webhook).toMatchObject({
      last_status: 500,
      delivered_at: null,
      last_error: 'the receiver answered HTTP 500',
    });
  });
});
