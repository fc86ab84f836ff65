import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseFailure } from '@repo/queue';
import { numbersCsv, SLOW_SQL, startWorker, waitFor } from '@repo/test-utils';
import { enqueueRun, storeDataset, useTestQueue } from './testing/worker-fixtures';

/**
 * A job whose workers die more often than BullMQ's stall limit (one) is failed by BullMQ
 * itself, never reaching the processor that announces ends: its webhook must come anyway.
 */
describe('worker: a job BullMQ fails after its workers died', () => {
  const { testEnv, queue } = useTestQueue({
    WORKER_CONCURRENCY: '1',
    WORKER_LOCK_DURATION_MS: '1000',
    WORKER_STALLED_INTERVAL_MS: '1000',
    WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
  });
  const received: string[] = [];
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      received.push(body);
      res.end();
    });
  });
  beforeAll(() => new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve)));
  afterAll(() => {
    receiver.close();
  });

  it('announces its end: the webhook is delivered, and the job reads failed as internal', async () => {
    const datasetId = await storeDataset(testEnv.dataDir, numbersCsv(30_000));
    const callbackUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const jobId = await enqueueRun(queue, testEnv.config, datasetId, SLOW_SQL, { callback_url: callbackUrl });

    // Two workers in turn take the job and are killed while they run it.
    for (let death = 1; death <= 2; death += 1) {
      const worker = await startWorker(testEnv.env);
      await waitFor(`worker ${death} to run the job`, async () => worker.output().includes('query started'));
      await worker.stop('SIGKILL');
    }
    const last = await startWorker(testEnv.env);
    try {
      await waitFor('BullMQ to fail the job', async () => (await queue.getJobState(jobId)) === 'failed');
      await waitFor('the webhook', async () => received.length > 0);
      expect(JSON.parse(received[0] ?? '{}')).toMatchObject({ job_id: jobId, status: 'failed' });
      const job = await queue.getJob(jobId);
      expect(parseFailure(job?.failedReason).code).toBe('internal');
      expect(last.output()).toContain('job failed by BullMQ; announcing its end');
    } finally {
      await last.stop('SIGTERM');
    }
  });
});
