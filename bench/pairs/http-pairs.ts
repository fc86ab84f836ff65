import { cpus } from 'node:os';
import { Queue } from 'bullmq';
import type { Context } from '../lib/context';
import { lastJsonLine, runLoad } from '../lib/load';
import { type Comparison, type Curve, compare, rotate } from '../lib/model';
import { coreMeter, PATHS, spawnTs } from '../lib/processes';
import { RAW_PREFIX, startApi } from '../lib/stack';
import { spread } from '../lib/stats';
import type { LoadResult, LoadSpec } from '../load/load-types';
import type { RawSpec } from '../raw/raw-env';

function getSpec(ctx: Context, urls: string[], seconds: number): LoadSpec {
  return {
    urls,
    method: 'GET',
    headers: ctx.client.headers,
    connections: ctx.settings.connections,
    durationSec: seconds,
  };
}

function postSpec(ctx: Context, url: string, seconds: number): LoadSpec {
  return {
    urls: [url],
    method: 'POST',
    headers: { ...ctx.client.headers, 'content-type': 'application/json' },
    body: ctx.runBody,
    connections: ctx.settings.connections,
    durationSec: seconds,
  };
}

function checkClean(what: string, result: LoadResult): void {
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${what}: ${result.non2xx} non-2xx answers and ${result.errors} errors under load`);
  }
}

/**
 * Pair 1: GET /v1/jobs/{id} for a running and a succeeded job against the bare Express
 * endpoint, rotating which goes first each round. Throughput and p99 are paired per round.
 */
export async function statusReads(ctx: Context): Promise<Comparison[]> {
  const { settings, api, bare, ids } = ctx;
  const sides = {
    bare: (s: number) => runLoad(getSpec(ctx, [`${bare.url}/v1/jobs/${ids.succeededJob}`], s)),
    running: (s: number) => runLoad(getSpec(ctx, [`${api.url}/v1/jobs/${ids.runningJob}`], s)),
    succeeded: (s: number) => runLoad(getSpec(ctx, [`${api.url}/v1/jobs/${ids.succeededJob}`], s)),
  };
  if (settings.warmSeconds > 0) {
    for (const run of Object.values(sides)) await run(settings.warmSeconds);
  }
  const r = await rotate(settings.httpRounds, {
    bare: () => sides.bare(settings.httpSeconds),
    running: () => sides.running(settings.httpSeconds),
    succeeded: () => sides.succeeded(settings.httpSeconds),
  });
  for (const [name, results] of Object.entries(r)) for (const x of results) checkClean(`status ${name}`, x);
  ctx.log(
    `status reads req/s: bare ${r.bare.map((x) => Math.round(x.rps))}, running ${r.running.map((x) => Math.round(x.rps))}, succeeded ${r.succeeded.map((x) => Math.round(x.rps))}`,
  );
  const out: Comparison[] = [];
  for (const kind of ['running', 'succeeded'] as const) {
    const label = `GET /v1/jobs/{id}, ${kind}${kind === 'succeeded' ? ' (8-row result)' : ''}`;
    out.push(
      compare(
        {
          id: `status-${kind}-throughput`,
          pair: 1,
          title: `Status read, ${kind}: throughput`,
          unit: 'req/s',
          serviceLabel: label,
          rawLabel: 'bare Express 5, constant JSON',
          target: { kind: 'min-ratio', value: 0.8 },
        },
        r[kind].map((x) => x.rps),
        r.bare.map((x) => x.rps),
      ),
      compare(
        {
          id: `status-${kind}-p99`,
          pair: 1,
          title: `Status read, ${kind}: p99 latency`,
          unit: 'p99 ms',
          serviceLabel: label,
          rawLabel: 'bare Express 5, constant JSON',
          target: { kind: 'max-ratio', value: 2 },
          note: `${settings.connections} connections`,
        },
        r[kind].map((x) => x.latency.p99),
        r.bare.map((x) => x.latency.p99),
      ),
    );
  }
  return out;
}

/** Raw `Queue.add` load at the same concurrency, in its own process. */
async function rawAdds(ctx: Context, seconds: number): Promise<LoadResult> {
  const spec: RawSpec = {
    redisUrl: ctx.stack.redis.url,
    prefix: RAW_PREFIX,
    queue: 'raw-submits',
    concurrency: ctx.settings.connections,
    durationMs: Math.round(seconds * 1000),
    payload: ctx.payload,
  };
  const proc = spawnTs('queue-add-load', PATHS.queueAddLoad, {}, { args: [JSON.stringify(spec)] });
  return lastJsonLine<LoadResult>(proc);
}

/**
 * Pair 2: async submits. The service queue is paused so no worker runs what is submitted;
 * jobs added here are drained afterwards.
 */
export async function submits(ctx: Context): Promise<Comparison[]> {
  const { settings, api, bare, stack, ids } = ctx;
  await stack.serviceQueue.pause();
  const sides = {
    bare: (s: number) => runLoad(postSpec(ctx, `${bare.url}/v1/query/${ids.trivialQuery}`, s)),
    service: (s: number) => runLoad(postSpec(ctx, `${api.url}/v1/query/${ids.trivialQuery}`, s)),
    queueAdd: (s: number) => rawAdds(ctx, s),
  };
  try {
    if (settings.warmSeconds > 0) {
      for (const run of Object.values(sides)) await run(settings.warmSeconds);
    }
    const r = await rotate(settings.httpRounds, {
      bare: () => sides.bare(settings.httpSeconds),
      service: () => sides.service(settings.httpSeconds),
      queueAdd: () => sides.queueAdd(settings.httpSeconds),
    });
    for (const [name, results] of Object.entries(r)) for (const x of results) checkClean(`submit ${name}`, x);
    ctx.log(
      `submits/s: bare ${r.bare.map((x) => Math.round(x.rps))}, service ${r.service.map((x) => Math.round(x.rps))}, Queue.add ${r.queueAdd.map((x) => Math.round(x.rps))}`,
    );
    const serviceLabel = 'POST /v1/query/{id} async';
    return [
      compare(
        {
          id: 'submit-vs-bare',
          pair: 2,
          title: 'Async submit vs bare endpoint: throughput',
          unit: 'req/s',
          serviceLabel,
          rawLabel: 'bare Express 5 POST (JSON body parsed)',
          target: { kind: 'min-ratio', value: 0.5 },
        },
        r.service.map((x) => x.rps),
        r.bare.map((x) => x.rps),
      ),
      compare(
        {
          id: 'submit-vs-queue-add',
          pair: 2,
          title: 'Async submit vs raw Queue.add: throughput',
          unit: 'jobs/s',
          serviceLabel,
          rawLabel: `Queue.add, ${settings.connections} in flight`,
          target: { kind: 'min-ratio', value: 0.5 },
          note: `${settings.connections} concurrent requests / adds`,
        },
        r.service.map((x) => x.rps),
        r.queueAdd.map((x) => x.rps),
      ),
    ];
  } finally {
    // What was submitted here never runs: drop it, then let the queue serve again.
    await stack.serviceQueue.drain();
    await stack.serviceQueue.resume();
    const rawQueue = new Queue('raw-submits', { connection: stack.connection, prefix: RAW_PREFIX });
    await rawQueue.obliterate({ force: true });
    await rawQueue.close();
  }
}

/** Pair 7, reads: status reads of the running job with 1 and 2 API processes behind the load. */
export async function statusReadScale(ctx: Context): Promise<Curve> {
  const { settings, stack, ids } = ctx;
  const extra = [];
  const apis = [ctx.api];
  for (let i = apis.length; i < Math.max(...settings.scaleApis); i += 1) {
    const api = await startApi(stack, `api-${i + 1}`);
    extra.push(api);
    apis.push(api);
  }
  try {
    const byCount = new Map<number, { rps: number[]; cores: number[] }>();
    for (let round = 0; round < settings.scaleRounds; round += 1) {
      const order = round % 2 === 0 ? settings.scaleApis : [...settings.scaleApis].reverse();
      for (const n of order) {
        const used = apis.slice(0, n);
        const meter = coreMeter([...used.map((a) => a.proc.pid), stack.redisPid]);
        const result = await runLoad(
          getSpec(
            ctx,
            used.map((a) => `${a.url}/v1/jobs/${ids.runningJob}`),
            settings.httpSeconds,
          ),
        );
        const { cores } = meter.stop();
        checkClean(`status reads with ${n} API processes`, result);
        const entry = byCount.get(n) ?? { rps: [], cores: [] };
        entry.rps.push(result.rps);
        entry.cores.push(cores);
        byCount.set(n, entry);
      }
    }
    return {
      id: 'scale-status-reads',
      pair: 7,
      title: 'Status reads (running job) by API processes',
      xLabel: 'API processes',
      yLabel: 'req/s',
      points: settings.scaleApis.map((n) => ({
        x: n,
        y: spread(byCount.get(n)?.rps ?? []),
        cores: spread(byCount.get(n)?.cores ?? []),
      })),
      note: `cores = CPU used by the API processes and Redis; autocannon (${settings.connections} connections, spread over the APIs) shares the same ${cpus().length} cores`,
    };
  } finally {
    await Promise.all(extra.map((a) => a.proc.stop()));
  }
}
