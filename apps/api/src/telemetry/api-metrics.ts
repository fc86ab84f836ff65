import type { QueryQueue } from '@repo/queue';
import type { RequestHandler } from 'express';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

const QUEUE_STATES = ['waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed'] as const;

/** `/v1/jobs` + `/:jobId`; a router's own `/` is the mount path itself. */
export function routeTemplate(routePath: unknown, base: string): string {
  if (typeof routePath !== 'string') return 'unmatched';
  const joined = `${base}${routePath}`;
  return joined.length > 1 && joined.endsWith('/') ? joined.slice(0, -1) : joined;
}

/**
 * Express forgets a sub-router's mount path (req.baseUrl) once an error leaves it, before
 * the response finishes; this remembers it for the metrics label.
 */
export function labelRoutesUnder(base: string): RequestHandler {
  return (_req, res, next) => {
    res.locals.routeBase = base;
    next();
  };
}

export interface ApiMetrics {
  registry: Registry;
  /** Counts and times every request by method, route template and status. */
  middleware: RequestHandler;
}

/**
 * The API's metrics, in a registry of its own (injected, never global). Routes are labelled
 * by template (`/v1/jobs/:jobId`), never by raw path, so ids cannot explode the series.
 */
export function createApiMetrics(queue: QueryQueue): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'analytics_http_requests_total',
    help: 'HTTP requests by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'analytics_http_request_duration_seconds',
    help: 'HTTP request latency by method, route template and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 30],
    registers: [registry],
  });
  new Gauge({
    name: 'analytics_queue_jobs',
    help: 'Jobs in the query queue by BullMQ state, read from Redis at scrape time',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      const counts = await queue.getJobCounts(...QUEUE_STATES);
      for (const state of QUEUE_STATES) this.set({ state }, counts[state] ?? 0);
    },
  });

  const middleware: RequestHandler = (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const route = routeTemplate(req.route?.path, res.locals.routeBase ?? req.baseUrl);
      const labels = { method: req.method, route, status: String(res.statusCode) };
      requests.inc(labels);
      duration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  };
  return { registry, middleware };
}
