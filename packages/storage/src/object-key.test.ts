import { assertValidKey, assertValidPrefix, isValidKey } from './object-key';
import { StorageError } from './storage-error';

describe('object keys', () => {
  test.each([
    'tenants/acme/datasets/ds_1.parquet',
    'results/job_01HZX.parquet',
    'a',
    '.hidden/x',
    'a/b-c_d.e',
  ])('accepts %s', (key) => {
    expect(isValidKey(key)).toBe(true);
    expect(() => assertValidKey(key)).not.toThrow();
  });

  test.each([
    ['', 'empty'],
    ['/etc/passwd', 'empty'],
    ['a/', 'empty'],
    ['a//b', 'empty'],
    ['..', '".."'],
    ['a/../b', '".."'],
    ['./a', '"."'],
    ['a b', 'character'],
    ['a\\b', 'character'],
    ['a~b', 'character'],
    ['x'.repeat(201), 'longer than 200'],
    [`${'abc/'.repeat(256)}x`, 'longer than 1024'],
  ])('refuses %j (%s) without echoing it', (key, why) => {
    expect(isValidKey(key)).toBe(false);
    let error: unknown;
    try {
      assertValidKey(key);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(StorageError);
    expect(error).toMatchObject({ code: 'invalid_key' });
    expect((error as Error).message).toContain(why);
    if (key.length > 2) expect((error as Error).message).not.toContain(key);
  });

  test('prefixes: empty, a key, or a key and a slash', () => {
    for (const prefix of ['', 'a', 'a/', 'tenants/acme/', 'datasets/ds_1']) {
      expect(() => assertValidPrefix(prefix)).not.toThrow();
    }
    for (const prefix of ['/', '/a', 'a//', '../', 'a b/']) {
      expect(() => assertValidPrefix(prefix)).toThrow(StorageError);
    }
  });
});
