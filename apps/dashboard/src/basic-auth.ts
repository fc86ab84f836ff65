import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * HTTP Basic authentication in front of everything, bull-board's JSON routes included.
 * Both parts are compared as SHA-256 digests with timingSafeEqual, and both are always
 * compared, so the timing says nothing about which part was wrong.
 */
export function basicAuth(user: string, password: string, realm = 'Analytics queues'): RequestHandler {
  const expectedUser = digest(user);
  const expectedPassword = digest(password);
  return (req, res, next) => {
    const header = req.get('authorization') ?? '';
    const [scheme, encoded] = header.split(' ');
    let ok = false;
    if (scheme?.toLowerCase() === 'basic' && encoded) {
      const decoded = Buffer.from(encoded, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const userOk = timingSafeEqual(digest(colon < 0 ? decoded : decoded.slice(0, colon)), expectedUser);
      const passwordOk = timingSafeEqual(digest(colon < 0 ? '' : decoded.slice(colon + 1)), expectedPassword);
      ok = colon >= 0 && userOk && passwordOk;
    }
    if (ok) {
      next();
      return;
    }
    res
      .status(401)
      .set('WWW-Authenticate', `Basic realm="${realm}", charset="UTF-8"`)
      .type('text')
      .send('Authentication required.\n');
  };
}
