import { isIPv4, isIPv6 } from 'node:net';

/**
 * The 16 bytes of an IPv6 address in any spelling Node accepts (`::` compression, leading
 * zeros, upper case, a trailing dotted quad, a `%zone`), or null if it is not one. Checks
 * that care what an address is read these bytes, never its text: one address has many
 * spellings (`::ffff:127.0.0.1`, `::ffff:7f00:1`, `0:0:0:0:0:FFFF:7F00:0001`).
 */
export function ipv6Bytes(address: string): Uint8Array | null {
  const text = address.replace(/%.*$/, '');
  // Node's own parser decides what is an address; what follows only reads a valid one.
  if (!isIPv6(text)) return null;
  const groups = (part: string): number[] => {
    if (part === '') return [];
    const out: number[] = [];
    for (const piece of part.split(':')) {
      if (isIPv4(piece)) {
        const [a = 0, b = 0, c = 0, d = 0] = piece.split('.').map(Number);
        out.push((a << 8) | b, (c << 8) | d);
      } else {
        out.push(Number.parseInt(piece, 16));
      }
    }
    return out;
  };
  const [head = '', tail] = text.split('::');
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all = [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
  if (all.length !== 8) return null;
  const bytes = new Uint8Array(16);
  all.forEach((group, i) => {
    bytes[2 * i] = group >> 8;
    bytes[2 * i + 1] = group & 0xff;
  });
  return bytes;
}

/** The eight 16-bit groups of an IPv6 address's bytes. */
export function ipv6Groups(bytes: Uint8Array): number[] {
  return Array.from({ length: 8 }, (_, i) => ((bytes[2 * i] ?? 0) << 8) | (bytes[2 * i + 1] ?? 0));
}

/** Four bytes as a dotted quad. */
export function ipv4Text(bytes: ArrayLike<number>): string {
  return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
}
