import { isAbortError } from './abort';
import { missingObject, StorageError } from './storage-error';

/** Node socket errors: the endpoint is down, unreachable or dropped the connection. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

/** Error names S3 and compatible servers use for "slow down" and "try again". */
const TRANSIENT_NAMES = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ServiceUnavailable',
  'InternalError',
]);

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/**
 * The SDK's retry layer re-wraps an error that is not `instanceof Error` in its own realm (as
 * under Jest's module sandbox), keeping only the message: "…wrapper for Error: connect
 * ECONNREFUSED …". The socket code is then read back from that message.
 */
function networkCodeIn(message: unknown): string | undefined {
  if (typeof message !== 'string') return undefined;
  return message
    .match(/\b(?:E[A-Z]{3,}|ERR_STREAM_PREMATURE_CLOSE)\b/g)
    ?.find((code) => NETWORK_CODES.has(code));
}

function describe(error: unknown): { name: string; code?: string; status?: number } {
  const shape = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape & {
    message?: unknown;
  };
  const name = typeof shape.name === 'string' ? shape.name : 'Error';
  const code = typeof shape.code === 'string' ? shape.code : networkCodeIn(shape.message);
  const status = shape.$metadata?.httpStatusCode;
  return { name, ...(code === undefined ? {} : { code }), ...(status === undefined ? {} : { status }) };
}

export function isS3NotFound(error: unknown): boolean {
  const { name, status } = describe(error);
  return name === 'NoSuchKey' || name === 'NotFound' || (status === 404 && name !== 'NoSuchBucket');
}

export function isS3InvalidRange(error: unknown): boolean {
  const { name, status } = describe(error);
  return name === 'InvalidRange' || status === 416;
}

/**
 * Maps an error of the AWS SDK (or of a response stream) about `key` to a StorageError. The
 * SDK's messages can name the endpoint, so only its error name, HTTP status and socket code are
 * kept (as `detail`). An AbortError is returned unchanged: the caller's signal decides.
 */
export function fromS3Error(error: unknown, action: string, key: string): unknown {
  if (error instanceof StorageError || isAbortError(error)) return error;
  const { name, code, status } = describe(error);
  const detail = [name, status, code].filter((part) => part !== undefined).join(' ');
  if (isS3NotFound(error)) return missingObject(key, detail);
  if (name === 'NoSuchBucket') {
    return new StorageError('internal', `Could not ${action} ${key}: the bucket does not exist`, {
      key,
      detail,
    });
  }
  if (name === 'CredentialsProviderError') {
    return new StorageError('internal', `Could not ${action} ${key}: no S3 credentials could be loaded`, {
      key,
      detail,
    });
  }
  const transient =
    (status !== undefined && (status >= 500 || status === 429 || status === 408)) ||
    TRANSIENT_NAMES.has(name) ||
    (code !== undefined && NETWORK_CODES.has(code)) ||
    (status === undefined &&
      /socket hang up/i.test(String((error as { message?: unknown } | null)?.message)));
  if (transient) {
    return new StorageError('unavailable', `Could not ${action} ${key}: the object store is unavailable`, {
      key,
      detail,
    });
  }
  return new StorageError('internal', `Could not ${action} ${key}: the object store refused (${name})`, {
    key,
    detail,
  });
}
