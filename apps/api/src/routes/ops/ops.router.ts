import { Router } from 'express';
import type { AppDeps } from '../../app-deps';

/** Health endpoints: no API key. /readyz asks Redis with a short deadline. */
export function opsRouter(deps: AppDeps): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const ok = await Promise.race([
      deps.redis.ping().then(
        () => true,
        () => false,
      ),
      new Promise<boolean>((resolve) => setTimeout(resolve, 1_000, false).unref()),
    ]);
    if (ok) res.json({ status: 'ready', redis: 'ok' });
    else res.status(503).set('Retry-After', '2').json({ status: 'unavailable', redis: 'unreachable' });
  });
  return router;
}
