import { isIPv4 } from 'node:net';
import { ipv4Text, ipv6Bytes, ipv6Groups } from './ip-address';

const IPV4_MAPPED = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

/**
 * The client a failed login is counted against: an IPv4 address as it is (IPv4-mapped
 * IPv6 too, as a dual-stack socket reports it), and an IPv6 address by its /64 — one host
 * usually holds a whole /64, so counting single addresses would let it try 2^64 times as
 * often. `ip` is the TCP peer as Express's `req.ip` gives it when no `trust proxy` is set,
 * so X-Forwarded-For never decides it.
 */
export function clientAddressKey(ip: string | undefined): string {
  if (!ip) return 'unknown';
  if (isIPv4(ip)) return ip;
  const bytes = ipv6Bytes(ip);
  if (!bytes) return 'unknown';
  if (IPV4_MAPPED.every((byte, i) => bytes[i] === byte)) return ipv4Text(bytes.subarray(12));
  return `${ipv6Groups(bytes)
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`;
}
