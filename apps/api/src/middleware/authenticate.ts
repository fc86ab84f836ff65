import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiKeyEntry } from '@repo/config';
import type { RequestHandler } from 'express';
import { AppError } from '../app-error';

const digest = (key: string) => createHash('sha256').update(key).digest();

/**
 * X-API-Key against the configured keys. Keys are compared as SHA-256 digests with
 * timingSafeEqual, and every key is compared each time, so the answer's timing says
 * nothing about how much of a key matched or which one.
 */
export function authenticate(keys: ApiKeyEntry[]): RequestHandler {
  const known = keys.map((entry) => ({ tenant: entry.tenant, digest: digest(entry.key) }));
  return (req, res, next) => {
    const presented = req.get('x-api-key');
    if (!presented) {
      next(new AppError('unauthorized', 'Missing X-API-Key header.'));
      return;
    }
    const candidate = digest(presented);
    let tenant: string | undefined;
    for (const entry of known) {
      if (timingSafeEqual(candidate, entry.digest) && tenant === undefined) tenant = entry.tenant;
    }
    if (tenant === undefined) {
      next(new AppError('unauthorized', 'The X-API-Key is not valid.'));
      return;
    }
    res.locals.tenant = tenant;
    next();
  };
}

/** The tenant set by `authenticate` for this request. */
export function tenantOf(res: { locals: Record<string, unknown> }): string {
  const tenant = res.locals.tenant;
  if (typeof tenant !== 'string') throw new Error('authenticate middleware did not run');
  return tenant;
}
