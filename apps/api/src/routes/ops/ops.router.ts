import { buildOpenApiDocument } from '@repo/contracts';
import { checkRedisPolicy } from '@repo/queue';
import { Router } from 'express';
import type { AppDeps } from '../../app-deps';
import { docsRouter } from './docs-page';

/** How long /readyz waits for Redis before calling it unreachable. */
const READY_TIMEOUT_MS = 1_000;

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T | 'timeout'> {
  return Promise.race([
    work,
    new Promise<'timeout'>((resolve) => setTimeout(resolve, ms, 'timeout').unref()),
  ]);
}

/** Operations endpoints: no API key. */
export function opsRouter(deps: AppDeps): Router {
  const router = Router();
  const openApi = JSON.stringify(buildOpenApiDocument());

  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/readyz', async (_req, res) => {
    const result = await withDeadline(
      deps.redis.ping().then(() => checkRedisPolicy(deps.redis)),
      READY_TIMEOUT_MS,
    ).catch(() => 'timeout' as const);
    if (result === 'timeout') {
      res.status(503).set('Retry-After', '2').json({ status: 'unavailable', redis: 'unreachable' });
      return;
    }
    res.json({
      status: 'ready',
      redis: 'ok',
      maxmemory_policy: result.maxmemoryPolicy,
      ...(result.warning ? { warning: result.warning } : {}),
    });
  });

  router.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });

  router.get('/openapi.json', (_req, res) => {
    res.type('json').send(openApi);
  });

  // Browsers ask for it on every visit (of /docs, /healthz...): nothing, rather than a 404
  // logged as a warning each time; cached for a day so they ask less.
  router.get('/favicon.ico', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=86400').status(204).end();
  });

  router.use(docsRouter());
  return router;
}
