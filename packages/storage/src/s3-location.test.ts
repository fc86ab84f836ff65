import { parseObjectStoreUrl } from './s3-location';

describe('parseObjectStoreUrl', () => {
  test.each([
    ['s3://my-bucket', { bucket: 'my-bucket', prefix: '' }],
    ['s3://my-bucket/', { bucket: 'my-bucket', prefix: '' }],
    ['s3://my-bucket/analytics', { bucket: 'my-bucket', prefix: 'analytics' }],
    ['s3://my.bucket/prod/analytics/', { bucket: 'my.bucket', prefix: 'prod/analytics' }],
  ])('%s', (url, expected) => {
    expect(parseObjectStoreUrl(url)).toEqual(expected);
  });

  test('refuses prefixes outside the key grammar', () => {
    expect(() => parseObjectStoreUrl('s3://b/a//b')).toThrow('OBJECT_STORE_URL');
    expect(() => parseObjectStoreUrl('s3://b/../x')).toThrow('OBJECT_STORE_URL');
    expect(() => parseObjectStoreUrl('http://b/x')).toThrow('OBJECT_STORE_URL');
  });
});
