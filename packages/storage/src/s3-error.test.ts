import { fromS3Error } from './s3-error';
import { isMissing, isUnavailable, type StorageError } from './storage-error';

/** Errors shaped as the AWS SDK throws them. */
function sdkError(name: string, status?: number, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`${name} from http://user:secret@minio.internal:9000`), {
    name,
    ...(status === undefined ? {} : { $metadata: { httpStatusCode: status } }),
    ...extra,
  });
}

describe('fromS3Error', () => {
  test.each([sdkError('NoSuchKey', 404), sdkError('NotFound', 404), sdkError('UnknownError', 404)])(
    '%s is missing',
    (error) => {
      expect(isMissing(fromS3Error(error, 'read', 'k'))).toBe(true);
    },
  );

  test.each([
    sdkError('InternalError', 500),
    sdkError('ServiceUnavailable', 503),
    sdkError('SlowDown', 503),
    sdkError('ThrottlingException', 400),
    sdkError('TooManyRequests', 429),
    sdkError('TimeoutError'),
    sdkError('Error', undefined, { code: 'ECONNREFUSED' }),
    sdkError('Error', undefined, { code: 'ECONNRESET' }),
    new Error('AWS SDK error wrapper for Error: connect ECONNREFUSED 127.0.0.1:9'),
  ])('%s is unavailable', (error) => {
    expect(isUnavailable(fromS3Error(error, 'read', 'k'))).toBe(true);
  });

  test.each([
    [sdkError('AccessDenied', 403), 'refused (AccessDenied)'],
    [sdkError('NoSuchBucket', 404), 'the bucket does not exist'],
    [sdkError('CredentialsProviderError'), 'no S3 credentials'],
  ])('%s is internal', (error, words) => {
    const mapped = fromS3Error(error, 'read', 'k') as StorageError;
    expect(mapped.code).toBe('internal');
    expect(mapped.message).toContain(words);
  });

  test('messages keep neither the endpoint nor its credentials', () => {
    const mapped = fromS3Error(sdkError('AccessDenied', 403), 'read', 'tenants/t/x.parquet') as StorageError;
    expect(mapped.message).toBe(
      'Could not read tenants/t/x.parquet: the object store refused (AccessDenied)',
    );
    expect(mapped.detail).toBe('AccessDenied 403');
    expect(JSON.stringify(mapped)).not.toContain('secret');
  });

  test('an AbortError passes through unchanged', () => {
    const abort = new DOMException('aborted', 'AbortError');
    expect(fromS3Error(abort, 'read', 'k')).toBe(abort);
  });
});
