import { BlockList, isIP } from 'node:net';

/**
 * Addresses a webhook may never reach unless its host is allow-listed: loopback, private,
 * link-local (cloud metadata at 169.254.169.254 included), carrier-grade NAT, "this
 * network", multicast and reserved ranges, in IPv4 and IPv6 (with IPv4 mapped or
 * translated into IPv6 checked as the IPv4 address it carries).
 */
const FORBIDDEN = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  FORBIDDEN.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  FORBIDDEN.addSubnet(network, prefix, 'ipv6');
}

/** The IPv4 address an IPv6 one carries (::ffff:a.b.c.d, 64:ff9b::/96), if any. */
function embeddedIPv4(address: string): string | null {
  const lower = address.toLowerCase();
  const dotted = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted?.[1]) return dotted[1];
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (!hex?.[1] || !hex[2]) return null;
  const high = Number.parseInt(hex[1], 16);
  const low = Number.parseInt(hex[2], 16);
  return [high >> 8, high & 255, low >> 8, low & 255].join('.');
}

/** Why an address is refused, or null when a webhook may reach it. */
export function forbiddenAddressReason(address: string): string | null {
  const family = isIP(address);
  if (family === 0) return `${address} is not an IP address`;
  if (family === 6) {
    const v4 = embeddedIPv4(address);
    if (v4) return forbiddenAddressReason(v4);
    return FORBIDDEN.check(address, 'ipv6')
      ? `${address} is a loopback, private or link-local address`
      : null;
  }
  return FORBIDDEN.check(address, 'ipv4') ? `${address} is a loopback, private or link-local address` : null;
}

export function isAllowedHost(hostname: string, allowedHosts: readonly string[]): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return allowedHosts.some((allowed) => allowed.toLowerCase() === host);
}

/**
 * What can be said of a callback URL before any DNS lookup: only http(s), no credentials
 * in it, and a literal address or `localhost` must be allowed. Null when acceptable.
 */
export function callbackUrlProblem(raw: string, allowedHosts: readonly string[]): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'callback_url is not a URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return 'callback_url must be an http or https URL';
  if (url.username || url.password) return 'callback_url must not carry credentials';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isAllowedHost(host, allowedHosts)) return null;
  if (host.toLowerCase() === 'localhost' || host.toLowerCase().endsWith('.localhost')) {
    return 'callback_url must not point at this machine (localhost)';
  }
  if (isIP(host)) {
    const reason = forbiddenAddressReason(host);
    if (reason) return `callback_url refused: ${reason}`;
  }
  return null;
}
