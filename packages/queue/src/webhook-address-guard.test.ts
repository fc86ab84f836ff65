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
  ])('refuses %s', (url, message) => {
    expect(callbackUrlProblem(url, [])).toMatch(message);
  });

  it('accepts public names and allow-listed hosts', () => {
    expect(callbackUrlProblem('https://hooks.example.com/x', [])).toBeNull();
    expect(callbackUrlProblem('http://127.0.0.1:9000/hook', ['127.0.0.1'])).toBeNull();
    expect(isAllowedHost('[::1]', ['::1'])).toBe(true);
  });
});
