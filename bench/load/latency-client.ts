/**
 * Submit → terminal latency at a steady rate, in its own process. Mode `service` POSTs async
 * runs to the API; mode `raw` calls `Queue.add` on the raw queue. Both observe the end the
 * same way: BullMQ's `completed`/`failed` event on the queue's event stream, which the
 * finishing script writes in the same atomic step as the job hash that GET /v1/jobs reads,
 * so the service's status answers `succeeded` from the moment the event exists.
 * argv[2] is a JSON LatencySpec; the last stdout line is a JSON LatencyResult.
 */
import { Agent, request } from 'node:http';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { latencySummary } from '../lib/stats';
import { RAW_JOB_NAME, RAW_JOB_OPTIONS } from '../raw/raw-env';
import type { LatencyResult, LatencySpec } from './latency-types';

const now = () => Number(process.hrtime.bigint()) / 1e6;

function postJson(agent: Agent, url: URL, headers: Record<string, string>, body: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        agent,
        method: 'POST',
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () =>
          res.statusCode === 202 ? resolve(text) : reject(new Error(`${res.statusCode} ${text}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '{}') as LatencySpec;
  const events = new QueueEvents(spec.queue, {
    connection: new Redis(spec.redisUrl, { maxRetriesPerRequest: null }),
    prefix: spec.prefix,
  });
  await events.waitUntilReady();
  const ended = new Map<string, { at: number; ok: boolean }>();
  events.on('completed', ({ jobId }) => ended.set(jobId, { at: now(), ok: true }));
  events.on('failed', ({ jobId }) => ended.set(jobId, { at: now(), ok: false }));

  const connection = new Redis(spec.redisUrl, { maxRetriesPerRequest: null });
  const queue = spec.mode === 'raw' ? new Queue(spec.queue, { connection, prefix: spec.prefix }) : null;
  await queue?.waitUntilReady();
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const url = spec.url ? new URL(spec.url) : null;

  const submitted = new Map<string, number>();
  let submitErrors = 0;
  const submit = async () => {
    const t0 = now();
    try {
      let id: string | undefined;
      if (queue) id = (await queue.add(RAW_JOB_NAME, spec.payload, RAW_JOB_OPTIONS)).id;
      else if (url)
        id = (JSON.parse(await postJson(agent, url, spec.headers, spec.body)) as { job_id: string }).job_id;
      if (id) submitted.set(id, t0);
    } catch {
      submitErrors += 1;
    }
  };

  // Open loop: the i-th submit is due at start + i / rate, whether or not earlier ones ended.
  const count = Math.max(1, Math.round(spec.ratePerSec * spec.durationSec));
  const start = now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < count; i += 1) {
    const due = start + (i * 1000) / spec.ratePerSec;
    const wait = due - now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    inFlight.push(submit());
  }
  await Promise.all(inFlight);
  const drainUntil = now() + 15_000;
  while (now() < drainUntil && [...submitted.keys()].some((id) => !ended.has(id))) {
    await new Promise((r) => setTimeout(r, 20));
  }

  const latencies: number[] = [];
  let failed = 0;
  let missing = 0;
  for (const [id, t0] of submitted) {
    const end = ended.get(id);
    if (!end) missing += 1;
    else if (!end.ok) failed += 1;
    else latencies.push(end.at - t0);
  }
  const result: LatencyResult = {
    submitted: submitted.size,
    submitErrors,
    failed,
    missing,
    latency: latencySummary(latencies),
  };
  agent.destroy();
  await events.close();
  await queue?.close();
  connection.disconnect();
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
