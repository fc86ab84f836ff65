import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { newId } from '@repo/contracts';
import { batchKeys, createWebhookQueue } from '@repo/queue';
import { startWorker, waitFor } from '@repo/test-utils';
import { enqueueRun, storeDataset, useTestQueue } from '../testing/worker-fixtures';

/**
 * A receiver on 127.0.0.1 (the only allow-listed address): /job fails its first delivery
 * with a 500 and accepts the next, /batch always answers 500.
 */
function startReceiver(): Promise<{ server: Server; url: string; calls: string[] }> {
  const calls: string[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      calls.push(req.url ?? '');
      const jobCalls = calls.filter((url) => url === '/job').length;
      res.statusCode = req.url === '/job' && jobCalls > 1 ? 200 : 500;
      res.end();
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls }),
    );
  });
}

interface LogLine {
  msg: string;
  webhook?: string;
  attempt?: number;
  maxAttempts?: number;
  attempts?: number;
  httpStatus?: number;
}

function webhookLines(output: string, webhookId: string): LogLine[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine)
    .filter((line) => line.webhook === webhookId);
}

describe('worker: webhook delivery log lines', () => {
  const { testEnv, redis, queue } = useTestQueue({
    WEBHOOK_ATTEMPTS: '3',
    WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
  });
  const webhooks = createWebhookQueue(redis, testEnv.prefix);
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(() => {
    receiver.server.close();
  });

  it("say which of BullMQ's attempts each delivery was, and of how many, for a job and a batch", async () => {
    const datasetId = await storeDataset(testEnv.dataDir, 'x\n1\n');
    const batchId = newId('batch');
    const jobId = await enqueueRun(queue, testEnv.config, datasetId, 'SELECT count(*) AS n FROM dataset', {
      callback_url: `${receiver.url}/job`,
      batch_id: batchId,
    });
    // The batch's record, as the API writes it, before any worker can end its one job.
    await redis.set(
      batchKeys.record(testEnv.prefix, batchId),
      JSON.stringify({
        tenant: 'acme',
        job_ids: [jobId],
        created_ms: Date.now(),
        callback_url: `${receiver.url}/batch`,
      }),
    );
    const worker = await startWorker(testEnv.env);
    try {
      // Backoff 1 s then 2 s: the batch's third and last attempt comes about 3 s after its first.
      await waitFor(
        'the job webhook to be delivered',
        async () => (await webhooks.getJobState(`wh_${jobId}`)) === 'completed',
      );
      await waitFor(
        'the batch webhook to fail its last attempt',
        async () => (await webhooks.getJobState(`whb_${batchId}`)) === 'failed',
      );
      const jobHook = await webhooks.getJob(`wh_${jobId}`);
      const batchHook = await webhooks.getJob(`whb_${batchId}`);
      expect(jobHook?.attemptsMade).toBeGreaterThanOrEqual(2);
      expect(batchHook?.attemptsMade).toBe(3);
      const lines = await waitFor('the log lines of the last attempts', async () => {
        const output = worker.output();
        const job = webhookLines(output, `wh_${jobId}`);
        const batch = webhookLines(output, `whb_${batchId}`);
        return job.at(-1)?.msg === 'webhook delivered' && batch.at(-1)?.attempt === 3 ? { job, batch } : null;
      });
      // An attempt that found the query job not ended yet (its end lands a moment after the
      // webhook is enqueued) posts nothing and logs nothing, but it is one of the attempts.
      const delivered = jobHook?.attemptsMade ?? 0;
      expect(lines.job).toEqual([
        expect.objectContaining({
          msg: 'webhook not delivered',
          attempt: delivered - 1,
          maxAttempts: 3,
          httpStatus: 500,
        }),
        expect.objectContaining({
          msg: 'webhook delivered',
          attempt: delivered,
          maxAttempts: 3,
          httpStatus: 200,
        }),
      ]);
      // The batch's failures, numbered up to the last (they all said "attempts":1 before).
      const posted = receiver.calls.filter((url) => url === '/batch').length;
      expect(lines.batch).toEqual(
        Array.from({ length: posted }, (_, i) =>
          expect.objectContaining({
            msg: 'webhook not delivered',
            attempt: 3 - posted + 1 + i,
            maxAttempts: 3,
            httpStatus: 500,
          }),
        ),
      );
      expect(posted).toBeGreaterThanOrEqual(2);
      for (const line of [...lines.job, ...lines.batch]) expect(line.attempts).toBeUndefined();
    } finally {
      await worker.stop();
      await webhooks.obliterate({ force: true });
      await webhooks.close();
    }
  });
});
