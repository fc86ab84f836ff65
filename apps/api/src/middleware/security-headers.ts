import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * helmet's defaults (a strict Content-Security-Policy: everything from this origin only,
 * which the /docs page meets since swagger-ui is served from local assets; nosniff; frame
 * refusal; no referrer) without `upgrade-insecure-requests`, which would break /docs on a
 * plain-HTTP private deployment. Answers are never cached: they hold tenants' data.
 * Static /docs assets set their own Cache-Control over this one.
 */
export function securityHeaders(): RequestHandler[] {
  const noStore: RequestHandler = (_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  };
  return [
    helmet({ contentSecurityPolicy: { useDefaults: true, directives: { upgradeInsecureRequests: null } } }),
    noStore,
  ];
}
