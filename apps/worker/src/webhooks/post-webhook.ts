import { lookup } from 'node:dns/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { forbiddenAddressReason, isAllowedHost } from '@repo/queue';

/**
 * A delivery that failed before an HTTP answer. `message` is for operators (the worker's
 * log, the webhook job's failedReason) and may name the addresses a host resolved to;
 * `tenantMessage` says only what kind of problem it was, for the job's `last_error` — a
 * tenant must not learn through a callback_url what a name resolves to (internal DNS
 * included), nor anything else of the worker's network.
 */
export class WebhookFailure extends Error {
  override name = 'WebhookFailure';

  constructor(
    readonly tenantMessage: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(detail, options);
  }
}

/** A delivery never attempted, and never retried: the URL or the address it resolves to is not allowed. */
export class WebhookRefused extends WebhookFailure {
  override name = 'WebhookRefused';
}

/** The kind of a network error, in words that hold no address: Node's own messages do (`connect ECONNREFUSED 10.0.0.5:80`). */
function networkProblem(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? '';
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ETIMEDOUT':
      return 'timed out';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'the connection was reset';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EHOSTDOWN':
    case 'ENETDOWN':
      return 'the host is unreachable';
    default:
      if (/^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|ERR_OSSL_)/.test(code))
        return 'the TLS handshake failed';
      return 'the connection failed';
  }
}

export interface WebhookResponse {
  status: number;
}

/**
 * POSTs one webhook. The host is resolved here and every address it resolves to is
 * checked (unless the host is allow-listed); the connection then goes to the address
 * that was checked — the socket's lookup is pinned — so a DNS answer that changes between
 * the check and the connect cannot redirect it. Redirects are not followed: a 3xx is a
 * failed delivery like any other non-2xx. Anything short of an HTTP answer is a
 * WebhookFailure (see there for what a tenant is told and what operators are).
 */
export async function postWebhook(options: {
  url: string;
  body: string;
  headers: Record<string, string>;
  allowedHosts: readonly string[];
  timeoutMs: number;
}): Promise<WebhookResponse> {
  const url = new URL(options.url);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    const only = 'only http and https callback URLs are delivered';
    throw new WebhookRefused(only, only);
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const unresolved = 'the host name could not be resolved';
  const addresses = await lookup(host, { all: true, verbatim: true }).catch((error: unknown) => {
    throw new WebhookFailure(unresolved, `could not resolve ${host}: ${String(error)}`, { cause: error });
  });
  if (addresses.length === 0) throw new WebhookFailure(unresolved, `could not resolve ${host}`);
  if (!isAllowedHost(host, options.allowedHosts)) {
    for (const { address } of addresses) {
      const reason = forbiddenAddressReason(address);
      if (reason) {
        throw new WebhookRefused(
          'the host resolves to a private or loopback address (refused)',
          `${host} resolves to ${address}: ${reason} (refused)`,
        );
      }
    }
  }
  const pinned = addresses[0] as { address: string; family: number };
  const pinnedLookup: LookupFunction = (_hostname, lookupOptions, callback) => {
    if (lookupOptions.all) callback(null, [pinned]);
    else callback(null, pinned.address, pinned.family);
  };
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    // The request's and the response's errors alike (a reset mid-body, the timeout below).
    const fail = (error: Error) =>
      reject(
        error instanceof WebhookFailure
          ? error
          : new WebhookFailure(networkProblem(error), `${host} (${pinned.address}): ${error.message}`, {
              cause: error,
            }),
      );
    const req = send(
      url,
      {
        method: 'POST',
        lookup: pinnedLookup,
        timeout: options.timeoutMs,
        headers: {
          'Content-Type': 'application/json',
          'Content-Length': Buffer.byteLength(options.body),
          ...options.headers,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
        res.on('error', fail);
      },
    );
    req.on('timeout', () =>
      req.destroy(
        new WebhookFailure(
          'timed out',
          `no answer from ${host} (${pinned.address}) within ${options.timeoutMs} ms`,
        ),
      ),
    );
    req.on('error', fail);
    req.end(options.body);
  });
}
