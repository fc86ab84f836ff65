import { callbackUrlProblem, forbiddenAddressReason, isAllowedHost } from './webhook-address-guard';

describe('forbiddenAddressReason (checked on the address alone; nothing is ever contacted)', () => {
  it.each([
    '127.0.0.1',
    '127.0.0.2',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '::1',
    '::',
    'fd00::1',
    'fe80::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:169.254.169.254',
    '64:ff9b::10.0.0.1',
  ])('refuses %s', (address) => {
    expect(forbiddenAddressReason(address)).toMatch(/loopback, private or link-local/);
  });

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '2001:4860:4860::8888', '::ffff:8.8.8.8'])(
    'allows %s',
    (address) => {
      expect(forbiddenAddressReason(address)).toBeNull();
    },
  );

  // IPv4 carried inside IPv6, in every spelling: each is the IPv4 address it carries.
  it.each([
    // IPv4-mapped (::ffff:0:0/96), hex and long forms.
    ['::ffff:7f00:1', '127.0.0.1'],
    ['::FFFF:7F00:0001', '127.0.0.1'],
    ['0:0:0:0:0:ffff:a9fe:a9fe', '169.254.169.254'],
    ['0000:0000:0000:0000:0000:ffff:10.0.0.1', '10.0.0.1'],
    // IPv4-compatible (::/96).
    ['::127.0.0.1', '127.0.0.1'],
    ['::7f00:1', '127.0.0.1'],
    ['::169.254.169.254', '169.254.169.254'],
    ['::c0a8:101', '192.168.1.1'],
    // SIIT (::ffff:0:0:0/96).
    ['::ffff:0:127.0.0.1', '127.0.0.1'],
    ['::ffff:0:7f00:1', '127.0.0.1'],
    ['0:0:0:0:ffff:0:a00:1', '10.0.0.1'],
    // NAT64 well-known prefix (64:ff9b::/96).
    ['64:ff9b::127.0.0.1', '127.0.0.1'],
    ['64:ff9b::7f00:1', '127.0.0.1'],
    ['64:FF9B:0:0:0:0:7F00:1', '127.0.0.1'],
    ['0064:ff9b:0000:0000:0000:0000:a9fe:a9fe', '169.254.169.254'],
    ['64:ff9b::0:a00:1', '10.0.0.1'],
    // 6to4 (2002::/16): the IPv4 address is bits 16 to 48.
    ['2002:7f00:1::', '127.0.0.1'],
    ['2002:a9fe:a9fe::1', '169.254.169.254'],
    ['2002:c0a8:0101:1:2:3:4:5', '192.168.1.1'],
    ['2002:0a00:0001::a00:1', '10.0.0.1'],
    // Teredo (2001::/32): the client's address, inverted, in the last 32 bits.
    ['2001:0:4136:e378:8000:63bf:80ff:fffe', '127.0.0.1'],
  ])('refuses %s as the %s it carries', (address, v4) => {
    const reason = forbiddenAddressReason(address);
    expect(reason).toMatch(/loopback, private or link-local/);
    expect(reason).toContain(`carries ${v4} `);
  });

  it.each(['64:ff9b:1::', '64:ff9b:1::8.8.8.8', '64:ff9b:1:ffff:ffff:ffff:ffff:ffff', '64:ff9b:1:808:800::'])(
    'refuses all of local-use NAT64 64:ff9b:1::/48, public IPv4 or not: %s',
    (address) => {
      expect(forbiddenAddressReason(address)).toMatch(/loopback, private or link-local/);
    },
  );

  it.each([
    '::ffff:808:808',
    '64:ff9b::8.8.8.8',
    '64:ff9b::808:808',
    '::ffff:0:808:808',
    '2002:808:808::1',
    '2001:0:4136:e378:8000:63bf:f7f7:f7f7',
    // Neighbours of the prefixes above, which carry nothing.
    '64:ff9b:2::7f00:1',
    '64:ff9a::7f00:1',
    '2003:7f00:1::',
    '1::ffff:7f00:1',
  ])('allows %s (a public IPv4 carried, or no prefix that carries one)', (address) => {
    expect(forbiddenAddressReason(address)).toBeNull();
  });

  it('reads an address with a zone as the address', () => {
    expect(forbiddenAddressReason('fe80::1%eth0')).toMatch(/link-local/);
    expect(forbiddenAddressReason('::ffff:7f00:1%1')).toMatch(/carries 127\.0\.0\.1 /);
  });

  it('is not fooled by a name', () => {
    expect(forbiddenAddressReason('example.com')).toMatch(/not an IP address/);
  });
});

describe('callbackUrlProblem', () => {
  it.each([
    ['file:///etc/passwd', /http or https/],
    ['gopher://x', /http or https/],
    ['not a url', /not a URL/],
    ['http://user:pw@example.com/', /credentials/],
    ['http://localhost:9000/hook', /localhost/],
    ['http://127.0.0.2/hook', /127\.0\.0\.2/],
    ['http://[::1]:8080/hook', /::1/],
    ['http://169.254.169.254/latest/meta-data', /169\.254\.169\.254/],
    ['http://[64:ff9b::7f00:1]/hook', /carries 127\.0\.0\.1/],
    ['http://[::ffff:0:a9fe:a9fe]/latest', /carries 169\.254\.169\.254/],
    ['http://[2002:a00:1::]/hook', /carries 10\.0\.0\.1/],
    ['http://[64:ff9b:1::1]/hook', /loopback, private or link-local/],
  ])('refuses %s', (url, message) => {
    expect(callbackUrlProblem(url, [])).toMatch(message);
  });

  it('accepts public names and allow-listed hosts', () => {
    expect(callbackUrlProblem('https://hooks.example.com/x', [])).toBeNull();
    expect(callbackUrlProblem('http://127.0.0.1:9000/hook', ['127.0.0.1'])).toBeNull();
    expect(isAllowedHost('[::1]', ['::1'])).toBe(true);
  });
});
