import { expectError } from '../security/security-fixtures';
import { createTestApi, type TestApi } from '../testing/test-api';

let api: TestApi;
beforeAll(async () => {
  api = await createTestApi();
});
afterAll(() => api?.close());

const save = (contentType: string, body: Buffer | string) =>
  api.as().post('/v1/save').set('Content-Type', contentType).send(body);

/** The text in a charset body-parser decodes (utf-32 and utf-7 it decodes too, via iconv). */
function encode(text: string, charset: 'utf-16le' | 'utf-16be'): Buffer {
  const le = Buffer.from(text, 'utf16le');
  return charset === 'utf-16le' ? le : le.swap16();
}

describe('JSON bodies in charsets other than UTF-8 (RFC 8259: JSON is UTF-8)', () => {
  // Each body breaks a shape rule; in UTF-16 the bytes read as UTF-8 hide the keys from
  // the checks, while body-parser would decode and parse them. They must never be parsed.
  it.each([
    ['utf-16le', '{"name":"a","query":"SELECT 1","name":"b"}'],
    ['utf-16le', '{"name":"a","query":"SELECT 1","__proto__":{"polluted":true}}'],
    ['utf-16be', '{"name":"a","query":"SELECT 1","name":"b"}'],
    ['utf-16be', '{"name":"a","query":"SELECT 1","__proto__":{"polluted":true}}'],
  ] as const)('refuses a %s body %s with 415 in the envelope', async (charset, text) => {
    const res = await save(`application/json; charset=${charset}`, encode(text, charset));
    expectError(res, 415, 'unsupported_media_type', api.dataDir);
    expect(res.body.error.message).toMatch(/UTF-8/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each(['utf-16', 'UTF-32LE', 'utf-32', 'utf-7'])(
    'refuses charset=%s with 415, even for a body that would pass',
    async (charset) => {
      const res = await save(`application/json; charset=${charset}`, '{"name":"a","query":"SELECT 1"}');
      expectError(res, 415, 'unsupported_media_type', api.dataDir);
    },
  );

  it('refuses a run body (the other JSON parser) in UTF-16 as well', async () => {
    const res = await api
      .as()
      .post('/v1/query/qry_whatever')
      .set('Content-Type', 'application/json; charset=utf-16le')
      .send(encode('{"parameters":{"a":1,"a":2}}', 'utf-16le'));
    expectError(res, 415, 'unsupported_media_type', api.dataDir);
  });

  it('takes UTF-8 however it is declared, and still checks its shape', async () => {
    const body = '{"name":"a","query":"SELECT 1"}';
    for (const contentType of [
      'application/json',
      'application/json; charset=utf-8',
      'application/json; charset=UTF-8',
    ]) {
      const res = await save(contentType, body);
      expect({ contentType, status: res.status }).toEqual({ contentType, status: 201 });
    }
    const twice = await save('application/json; charset=UTF-8', '{"name":"a","query":"SELECT 1","name":"b"}');
    expectError(twice, 400, 'malformed_request', api.dataDir);
    expect(twice.body.error.message).toMatch(/"name" appears twice/);
  });
});
