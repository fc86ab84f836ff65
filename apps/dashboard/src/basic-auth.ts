import { createHash, timingSafeEqual } from 'node:crypto';
import type { Config } from '@repo/config';
import {
  AUTH_FAILURE_WINDOW_SECONDS,
  AuthFailureCounter,
  clientAddressKey,
  type RedisClient,
} from '@repo/queue';
import type { RequestHandler, Response } from 'express';

const digest = (value: string) => createHash('sha256').update(value).digest();

export interface BasicAuthOptions {
  user: string;
  password: string;
  /** Failed logins per client address (AUTH_FAILURES_PER_IP); null when that limit is off. */
  failures: AuthFailureCounter | null;
  realm?: string;
}

/**
 * The dashboard's count of failed logins: AUTH_FAILURES_PER_IP per address, under its own
 * key (`<prefix>:dashboard-authfail:`), apart from the API's failed keys; null when the
 * limit is off (0).
 */
export function dashboardAuthFailures(
  redis: RedisClient,
  config: Pick<Config, 'QUEUE_PREFIX' | 'AUTH_FAILURES_PER_IP'>,
): AuthFailureCounter | null {
  if (config.AUTH_FAILURES_PER_IP <= 0) return null;
  return new AuthFailureCounter({
    redis,
    keyPrefix: `${config.QUEUE_PREFIX}:dashboard-authfail`,
    failures: config.AUTH_FAILURES_PER_IP,
  });
}

/** The API's error envelope, so a client of both reads one shape. */
function sendError(res: Response, status: number, code: string, message: string): void {
  res.status(status).json({ error: { code, message, details: [] } });
}

/**
 * HTTP Basic authentication in front of everything, bull-board's JSON routes included.
 * Both parts are compared as SHA-256 digests with timingSafeEqual, and both are always
 * compared, so the timing says nothing about which part was wrong.
 *
 * Failed logins are counted per client address in Redis (shared with every dashboard
 * replica, as the API counts failed keys). Past AUTH_FAILURES_PER_IP failures in
 * AUTH_FAILURE_WINDOW_SECONDS the address gets 429 with Retry-After for the rest of the
 * window — even with the right credentials: there is one shared, hand-chosen password, and
 * letting a right guess through would tell a guesser when it got there (the API lets a
 * managed key through because its secret cannot be guessed). The price is that an operator
 * behind the same address as a guesser waits out the window. A request without an
 * Authorization header is the browser's first step before its login prompt, not a guess:
 * it is not counted (but a blocked address gets its 429). If the count cannot be read the
 * answer is 503, never a pass.
 */
export function basicAuth(options: BasicAuthOptions): RequestHandler {
  const { failures, realm = 'Analytics queues' } = options;
  const expectedUser = digest(options.user);
  const expectedPassword = digest(options.password);

  const challenge = (res: Response) => {
    res
      .status(401)
      .set('WWW-Authenticate', `Basic realm="${realm}", charset="UTF-8"`)
      .type('text')
      .send('Authentication required.\n');
  };
  const blocked = (res: Response, msLeft: number) => {
    res.set('Retry-After', String(Math.max(1, Math.ceil(msLeft / 1000))));
    sendError(
      res,
      429,
      'rate_limited',
      `Too many failed logins from this address: at most ${failures?.failures} per ${AUTH_FAILURE_WINDOW_SECONDS} s. Retry after the time in Retry-After.`,
    );
  };

  return (req, res, next) => {
    const header = req.get('authorization');
    const [scheme, encoded] = (header ?? '').split(' ');
    let ok = false;
    if (scheme?.toLowerCase() === 'basic' && encoded) {
      const decoded = Buffer.from(encoded, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const userOk = timingSafeEqual(digest(colon < 0 ? decoded : decoded.slice(0, colon)), expectedUser);
      const passwordOk = timingSafeEqual(digest(colon < 0 ? '' : decoded.slice(colon + 1)), expectedPassword);
      ok = colon >= 0 && userOk && passwordOk;
    }
    if (!failures) {
      if (ok) next();
      else challenge(res);
      return;
    }
    const address = clientAddressKey(req.ip);
    // A wrong login is counted (and learns the block on the way); anything else only asks.
    const verdict = ok || header === undefined ? failures.blockMs(address) : failures.countFailure(address);
    verdict.then(
      (msLeft) => {
        if (msLeft > 0) blocked(res, msLeft);
        else if (ok) next();
        else challenge(res);
      },
      () => {
        res.set('Retry-After', '2');
        sendError(res, 503, 'service_unavailable', 'Logins cannot be checked right now; retry shortly.');
      },
    );
  };
}
