import { ipv6Bytes, ipv6Groups } from './ip-address';

const hex = (bytes: Uint8Array | null) => (bytes ? Buffer.from(bytes).toString('hex') : null);

describe('ipv6Bytes', () => {
  it.each([
    ['::', '00000000000000000000000000000000'],
    ['::1', '00000000000000000000000000000001'],
    ['::ffff:127.0.0.1', '00000000000000000000ffff7f000001'],
    ['::ffff:7f00:1', '00000000000000000000ffff7f000001'],
    ['0:0:0:0:0:FFFF:7F00:0001', '00000000000000000000ffff7f000001'],
    ['64:ff9b::10.0.0.1', '0064ff9b00000000000000000a000001'],
    ['2002:a00:1::', '20020a00000100000000000000000000'],
    ['1:2:3:4:5:6:7::', '00010002000300040005000600070000'],
    ['1::8', '00010000000000000000000000000008'],
    ['fe80::1%eth0', 'fe800000000000000000000000000001'],
  ])('reads %s as its 16 bytes', (address, bytes) => {
    expect(hex(ipv6Bytes(address))).toBe(bytes);
  });

  it.each(['127.0.0.1', 'example.com', '', ':::1', '1::2::3', '::ffff:01.2.3.4', '12345::', '::g'])(
    'is null for %j',
    (text) => {
      expect(ipv6Bytes(text)).toBeNull();
    },
  );

  it('gives the groups back', () => {
    const bytes = ipv6Bytes('2001:db8::ff00:42:8329');
    expect(bytes && ipv6Groups(bytes)).toEqual([0x2001, 0xdb8, 0, 0, 0, 0xff00, 0x42, 0x8329]);
  });
});
