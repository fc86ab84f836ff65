import { lookup } from 'node:dns/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { forbiddenAddressReason, isAllowedHost } from '@repo/queue';

export class WebhookRefused extends Error {
  override name = 'WebhookRefused';
}

export interface WebhookResponse {
  status: number;
}

/**
 * POSTs one webhook. The host is resolved here and every address it resolves to is
 * checked (unless the host is allow-listed); the connection then goes to the address
 * that was checked — the socket's lookup is pinned — so a DNS answer that changes between
 * the check and the connect cannot redirect it. Redirects are not followed: a 3xx is a
 * failed delivery like any other non-2xx.
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
    throw new WebhookRefused('only http and https callback URLs are delivered');
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = await lookup(host, { all: true, verbatim: true }).catch(() => {
    throw new Error(`could not resolve ${host}`);
  });
  if (addresses.length === 0) throw new Error(`could not resolve ${host}`);
  if (!isAllowedHost(host, options.allowedHosts)) {
    for (const { address } of addresses) {
      const reason = forbiddenAddressReason(address);
      if (reason) throw new WebhookRefused(`${host} resolves to ${address}: ${reason} (refused)`);
    }
  }
  const pinned = addresses[0] as { address: string; family: number };
  const pinnedLookup: LookupFunction = (_hostname, lookupOptions, callback) => {
    if (lookupOptions.all) callback(null, [pinned]);
    else callback(null, pinned.address, pinned.family);
  };
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
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
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(options.body);
  });
}
