import { webhookSecret } from '@repo/queue';
import { Router } from 'express';
import type { AppDeps } from '../../app-deps';
import { tenantOf } from '../../middleware/authenticate';

/**
 * `GET /v1/webhooks/secret`: the key the tenant's webhooks are signed with (made on first
 * use), so a receiver can verify `X-Signature`.
 */
export function webhooksRouter(deps: AppDeps): Router {
  const router = Router();
  router.get('/secret', async (_req, res) => {
    res.json({ secret: await webhookSecret(deps.redis, deps.config.QUEUE_PREFIX, tenantOf(res)) });
  });
  return router;
}
