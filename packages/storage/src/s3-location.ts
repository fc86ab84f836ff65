import { isValidKey } from './object-key';

export interface S3Location {
  bucket: string;
  /** '' or a valid key without a trailing '/': every object key is stored under `<prefix>/`. */
  prefix: string;
}

/**
 * Reads `s3://bucket` or `s3://bucket/some/prefix/` (the form OBJECT_STORE_URL is validated to
 * by packages/config). The prefix must follow the key grammar so that it maps to nothing odd.
 */
export function parseObjectStoreUrl(url: string): S3Location {
  const match = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(url);
  const bucket = match?.[1];
  if (!bucket) throw new Error('OBJECT_STORE_URL: expected s3://<bucket>/<optional prefix>');
  const prefix = (match[2] ?? '').replace(/^\/+|\/+$/g, '');
  if (prefix !== '' && !isValidKey(prefix)) {
    throw new Error('OBJECT_STORE_URL: the prefix may hold only A-Z, a-z, 0-9, ".", "_", "-" and single "/"');
  }
  return { bucket, prefix };
}
