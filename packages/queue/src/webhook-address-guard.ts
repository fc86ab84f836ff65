import { BlockList, isIP, isIPv4 } from 'node:net';
import { ipv4Text, ipv6Bytes, ipv6Groups } from './ip-address';

const REFUSED = 'a loopback, private or link-local address';

/**
 * Addresses a webhook may never reach unless its host is allow-listed: loopback, private,
 * link-local (cloud metadata at 169.254.169.254 included), carrier-grade NAT, "this
 * network", multicast and reserved ranges, in IPv4 and IPv6 (with IPv4 mapped or
 * translated into IPv6 checked as the IPv4 address it carries, see EMBEDDED_IPV4).
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
  // Local-use NAT64 (RFC 8215): where the IPv4 sits depends on the operator's prefix
  // length (RFC 6052 places it differently for /48 to /96), so none can be read out
  // reliably; and it only ever translates into a network of one's own. Refused whole.
  ['64:ff9b:1::', 48],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  FORBIDDEN.addSubnet(network, prefix, 'ipv6');
}

const zeros = (n: number): number[] => Array<number>(n).fill(0);

/**
 * IPv6 prefixes whose addresses carry an IPv4 address that a host (its own stack, a NAT64
 * gateway, a 6to4 or Teredo relay) may end up reaching: the prefix's leading bytes, and
 * where the four bytes of IPv4 sit. Each is checked as that IPv4 address.
 */
const EMBEDDED_IPV4: readonly { name: string; prefix: readonly number[]; at: number; inverted?: true }[] = [
  { name: 'IPv4-mapped', prefix: [...zeros(10), 0xff, 0xff], at: 12 },
  // ::/96, deprecated (RFC 4291); `::` and `::1` fall here too, as 0.0.0.0/8: refused.
  { name: 'IPv4-compatible', prefix: zeros(12), at: 12 },
  // ::ffff:0:0:0/96 (RFC 2765).
  { name: 'SIIT', prefix: [...zeros(8), 0xff, 0xff, 0, 0], at: 12 },
  // 64:ff9b::/96 (RFC 6052).
  { name: 'NAT64', prefix: [0, 0x64, 0xff, 0x9b, ...zeros(8)], at: 12 },
  // 2002::/16 (RFC 3056): the IPv4 address is bits 16 to 48.
  { name: '6to4', prefix: [0x20, 0x02], at: 2 },
  // 2001::/32 (RFC 4380): the client's IPv4 address is the last 32 bits, inverted.
  { name: 'Teredo', prefix: [0x20, 0x01, 0, 0], at: 12, inverted: true },
];

/** The IPv4 address an IPv6 one carries, and how, if it carries one. */
function embeddedIPv4(bytes: Uint8Array): { v4: string; name: string } | null {
  for (const { name, prefix, at, inverted } of EMBEDDED_IPV4) {
    if (!prefix.every((byte, i) => bytes[i] === byte)) continue;
    const four = Array.from(bytes.subarray(at, at + 4), (byte) => (inverted ? byte ^ 0xff : byte));
    return { v4: ipv4Text(four), name };
  }
  return null;
}

/**
 * Why an address is refused, or null when a webhook may reach it. IPv6 is read as its 16
 * bytes, so no spelling of an address (hex or dotted, compressed or not) reads differently.
 * The reason names the address: fit for operators' logs, not for tenants (a tenant must
 * not learn what a name resolves to).
 */
export function forbiddenAddressReason(address: string): string | null {
  if (isIPv4(address)) return FORBIDDEN.check(address, 'ipv4') ? `${address} is ${REFUSED}` : null;
  const bytes = ipv6Bytes(address);
  if (!bytes) return `${address} is not an IP address`;
  const embedded = embeddedIPv4(bytes);
  if (embedded) {
    return FORBIDDEN.check(embedded.v4, 'ipv4')
      ? `${address} carries ${embedded.v4} (${embedded.name}), ${REFUSED}`
      : null;
  }
  const canonical = ipv6Groups(bytes)
    .map((group) => group.toString(16))
    .join(':');
  return FORBIDDEN.check(canonical, 'ipv6') ? `${address} is ${REFUSED}` : null;
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
