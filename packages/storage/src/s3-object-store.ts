import { createWriteStream } from 'node:fs';
import { type FileHandle, open, stat } from 'node:fs/promises';
import { addAbortSignal, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  type _Object,
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsCommand,
  type ListObjectsCommandOutput,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { loadConfig, NODE_REGION_CONFIG_FILE_OPTIONS, NODE_REGION_CONFIG_OPTIONS } from '@smithy/core/config';
import { abortReason } from './abort';
import { checkRange, emptyStream, withMappedErrors } from './byte-range';
import { fromCallerFileError } from './fs-error';
import { assertValidKey, assertValidPrefix, isKeySegment, isValidKey } from './object-key';
import type {
  ListedObject,
  ObjectInfo,
  ObjectStore,
  PresignOptions,
  ReadStreamOptions,
  TransferOptions,
} from './object-store';
import { fromS3Error, isS3InvalidRange, isS3NotFound } from './s3-error';
import { missingObject, StorageError } from './storage-error';
import { writeFileAtomically } from './temp-file';

export interface S3ObjectStoreOptions {
  bucket: string;
  /** Every key is stored under `<prefix>/`; '' or absent for the bucket's root. */
  prefix?: string;
  /** An S3-compatible endpoint (MinIO, Ceph, R2, a test server); absent: AWS. */
  endpoint?: string;
  forcePathStyle?: boolean;
  /** Absent: the SDK's chain (AWS_REGION, the shared config file), else us-east-1. */
  region?: string;
  /** Absent: the SDK's default credential chain (environment, profile, web identity, IMDS…). */
  credentials?: S3ClientConfig['credentials'];
  /** Files larger than this are sent as a multipart upload of parts this size (min 5 MiB). */
  partSizeBytes?: number;
  /** Parts of one upload in flight at once (memory: this × partSizeBytes). */
  uploadConcurrency?: number;
  /** Connecting longer than this fails the attempt: a dead endpoint fails in seconds. */
  connectionTimeoutMs?: number;
  /** A connection idle this long (no byte either way) fails the attempt: a hung server too. */
  socketTimeoutMs?: number;
  /** Attempts per request, first included (the SDK retries network errors, 5xx, throttling). */
  maxAttempts?: number;
  /** Keys per listing request (S3's maximum is 1000). */
  listPageSize?: number;
}

export const S3_DEFAULTS = {
  partSizeBytes: 16 * 1024 * 1024,
  uploadConcurrency: 4,
  connectionTimeoutMs: 3_000,
  socketTimeoutMs: 15_000,
  maxAttempts: 3,
  listPageSize: 1_000,
} as const;

/** S3's limits: DeleteObjects takes at most 1000 keys; a presigned URL lives at most 7 days. */
const DELETE_BATCH = 1_000;
const MAX_PRESIGN_SECONDS = 604_800;

/** The region from the SDK's own chain, or us-east-1 (what S3-compatible servers expect). */
const regionFromChain = loadConfig(NODE_REGION_CONFIG_OPTIONS, NODE_REGION_CONFIG_FILE_OPTIONS);
async function defaultRegion(): Promise<string> {
  try {
    return await regionFromChain();
  } catch {
    return 'us-east-1';
  }
}

/**
 * Objects in an S3 bucket (AWS or compatible). Uploads go through lib-storage's Upload, which
 * sends buffered parts with CRC32 checksums — a stream body given straight to PutObject would
 * be sent aws-chunked, which some compatible servers store verbatim (corrupt). Listing uses
 * ListObjects (v1, paged by Marker), supported everywhere; some compatible servers cannot make
 * ListObjectsV2 continuation tokens.
 */
export class S3ObjectStore implements ObjectStore {
  readonly kind = 's3' as const;
  readonly bucket: string;
  readonly prefix: string;
  private readonly client: S3Client;
  private readonly partSizeBytes: number;
  private readonly uploadConcurrency: number;
  private readonly listPageSize: number;

  constructor(options: S3ObjectStoreOptions) {
    this.bucket = options.bucket;
    this.prefix = (options.prefix ?? '').replace(/^\/+|\/+$/g, '');
    if (this.prefix !== '' && !isValidKey(this.prefix)) {
      throw new StorageError('invalid_key', 'The S3 key prefix must follow the key grammar');
    }
    this.partSizeBytes = options.partSizeBytes ?? S3_DEFAULTS.partSizeBytes;
    this.uploadConcurrency = options.uploadConcurrency ?? S3_DEFAULTS.uploadConcurrency;
    this.listPageSize = Math.min(options.listPageSize ?? S3_DEFAULTS.listPageSize, DELETE_BATCH);
    this.client = new S3Client({
      region: options.region ?? defaultRegion,
      ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
      forcePathStyle: options.forcePathStyle ?? false,
      ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
      maxAttempts: options.maxAttempts ?? S3_DEFAULTS.maxAttempts,
      requestHandler: {
        connectionTimeout: options.connectionTimeoutMs ?? S3_DEFAULTS.connectionTimeoutMs,
        socketTimeout: options.socketTimeoutMs ?? S3_DEFAULTS.socketTimeoutMs,
      },
    });
  }

  localPathOf(key: string): null {
    assertValidKey(key);
    return null;
  }

  async putFile(key: string, localPath: string, options?: TransferOptions): Promise<ObjectInfo> {
    const Key = this.objectKey(key);
    const signal = options?.signal;
    signal?.throwIfAborted();
    let source: FileHandle | undefined;
    let size: number;
    try {
      source = await open(localPath, 'r');
      size = (await source.stat()).size;
    } catch (error) {
      await source?.close().catch(() => {});
      throw fromCallerFileError(error, 'source', key);
    }
    const body = source.createReadStream(); // closes the handle when it ends or is destroyed
    const upload = new Upload({
      client: sendingWithSignal(this.client, signal),
      params: { Bucket: this.bucket, Key, Body: body, ContentLength: size },
      partSize: this.partSizeBytes,
      queueSize: this.uploadConcurrency,
      leavePartsOnError: false, // a failed or aborted multipart upload is aborted on the server
    });
    try {
      const result = await upload.done();
      const etag = unquote(result.ETag);
      return etag === undefined ? await this.headOrThrow(key) : { size, etag };
    } catch (error) {
      if (signal?.aborted) throw abortReason(signal);
      throw fromS3Error(error, 'store', key);
    } finally {
      body.destroy();
    }
  }

  async getToFile(key: string, localPath: string, options?: TransferOptions): Promise<ObjectInfo> {
    const signal = options?.signal;
    const response = await this.getObject(key, undefined, signal);
    const body = response.Body as Readable;
    const size = response.ContentLength ?? 0;
    let bodyFailed = false;
    body.on('error', () => {
      bodyFailed = true; // the network, not the target file, failed
    });
    try {
      await writeFileAtomically(
        localPath,
        async (tempPath) => {
          await pipeline(body, createWriteStream(tempPath), { signal });
          // A connection closed early can look like a clean end: count what arrived.
          if ((await stat(tempPath)).size !== size) {
            throw new StorageError('unavailable', `Could not read ${key}: the download ended early`, {
              key,
              detail: 'truncated',
            });
          }
        },
        { signal },
      );
    } catch (error) {
      body.destroy();
      if (signal?.aborted) throw abortReason(signal);
      throw bodyFailed || error instanceof StorageError
        ? fromS3Error(error, 'read', key)
        : fromCallerFileError(error, 'target', key);
    }
    return { size, etag: unquote(response.ETag) ?? '' };
  }

  async getRange(
    key: string,
    start: number,
    endInclusive: number,
    options?: TransferOptions,
  ): Promise<Buffer> {
    checkRange(start, endInclusive);
    const signal = options?.signal;
    const response = await this.getObject(key, `bytes=${start}-${endInclusive}`, signal);
    if (!response) return Buffer.alloc(0);
    try {
      const bytes = await (
        response.Body as { transformToByteArray(): Promise<Uint8Array> }
      ).transformToByteArray();
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } catch (error) {
      throw this.readError(error, key, signal);
    }
  }

  async createReadStream(key: string, options?: ReadStreamOptions): Promise<Readable> {
    const start = options?.start ?? 0;
    checkRange(start, options?.end);
    const signal = options?.signal;
    const ranged = start > 0 || options?.end !== undefined;
    const response = await this.getObject(
      key,
      ranged ? `bytes=${start}-${options?.end ?? ''}` : undefined,
      signal,
    );
    if (!response) return emptyStream();
    const body = response.Body as Readable;
    if (signal) addAbortSignal(signal, body);
    return withMappedErrors(body, (error) => this.readError(error, key, signal));
  }

  async head(key: string): Promise<ObjectInfo | null> {
    const command = new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) });
    try {
      const response = await this.client.send(command);
      return { size: response.ContentLength ?? 0, etag: unquote(response.ETag) ?? '' };
    } catch (error) {
      if (isS3NotFound(error)) {
        // A HEAD answer has no body: a missing bucket is a bare 404 too, and must not read as
        // "this object is gone" (a misconfigured bucket would fail every job as the user's).
        await this.assertBucketExists(key);
        return null;
      }
      throw fromS3Error(error, 'inspect', key);
    }
  }

  private async assertBucketExists(key: string): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404) {
        throw new StorageError('internal', `Could not inspect ${key}: the bucket does not exist`, {
          key,
          detail: 'NoSuchBucket 404',
        });
      }
      throw fromS3Error(error, 'inspect', key);
    }
  }

  async delete(key: string): Promise<void> {
    const command = new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) });
    try {
      await this.client.send(command);
    } catch (error) {
      if (!isS3NotFound(error)) throw fromS3Error(error, 'delete', key);
    }
  }

  async deleteMany(keys: readonly string[]): Promise<void> {
    const objectKeys = keys.map((key) => this.objectKey(key));
    for (let i = 0; i < objectKeys.length; i += DELETE_BATCH) {
      await this.deleteObjectKeys(objectKeys.slice(i, i + DELETE_BATCH));
    }
  }

  async deletePrefix(prefix: string): Promise<number> {
    assertValidPrefix(prefix);
    if (prefix === '') throw new StorageError('invalid_key', 'deletePrefix needs a non-empty prefix');
    let deleted = 0;
    // Everything under the prefix, including objects other tools named outside the grammar.
    for await (const page of this.listPages(prefix)) {
      const objectKeys = page.flatMap((entry) => (entry.Key === undefined ? [] : [entry.Key]));
      await this.deleteObjectKeys(objectKeys);
      deleted += objectKeys.length;
    }
    return deleted;
  }

  async *list(prefix: string): AsyncIterable<ListedObject> {
    for await (const page of this.listPages(prefix)) {
      for (const entry of page) {
        const key = this.relativeKey(entry.Key);
        // Objects other tools wrote with keys outside the grammar ("folder" markers…) are skipped.
        if (key === undefined || !isValidKey(key)) continue;
        yield { key, size: entry.Size ?? 0, etag: unquote(entry.ETag) ?? '' };
      }
    }
  }

  async presignGet(key: string, ttlSeconds: number, options?: PresignOptions): Promise<string> {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_PRESIGN_SECONDS) {
      throw new RangeError(`ttlSeconds must be a whole number from 1 to ${MAX_PRESIGN_SECONDS}`);
    }
    const name = options?.downloadName;
    if (name !== undefined && !isKeySegment(name)) {
      throw new StorageError('invalid_key', 'downloadName may hold only A-Z, a-z, 0-9, ".", "_" and "-"');
    }
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: this.objectKey(key),
      ...(name === undefined ? {} : { ResponseContentDisposition: `attachment; filename="${name}"` }),
    });
    try {
      return await getSignedUrl(this.client, command, { expiresIn: ttlSeconds });
    } catch (error) {
      throw fromS3Error(error, 'sign a link to', key);
    }
  }

  close(): void {
    this.client.destroy();
  }

  /** ListObjects pages under the prefix; deleting what a page held does not upset the next. */
  private async *listPages(prefix: string): AsyncGenerator<_Object[]> {
    assertValidPrefix(prefix);
    const Prefix = this.prefix === '' ? prefix : `${this.prefix}/${prefix}`;
    let Marker: string | undefined;
    for (;;) {
      const command = new ListObjectsCommand({
        Bucket: this.bucket,
        Prefix,
        MaxKeys: this.listPageSize,
        Marker,
      });
      let page: ListObjectsCommandOutput;
      try {
        page = await this.client.send(command);
      } catch (error) {
        throw fromS3Error(error, 'list', prefix === '' ? 'the bucket' : prefix);
      }
      const contents = page.Contents ?? [];
      if (contents.length > 0) yield contents;
      const last = contents.at(-1)?.Key;
      if (!page.IsTruncated || last === undefined) return;
      Marker = page.NextMarker ?? last; // NextMarker comes only with a delimiter
    }
  }

  /** At most DELETE_BATCH bucket keys, in one DeleteObjects request. */
  private async deleteObjectKeys(objectKeys: string[]): Promise<void> {
    if (objectKeys.length === 0) return;
    const label = this.relativeKey(objectKeys[0]) ?? 'objects';
    let errors: { Key?: string; Code?: string }[] | undefined;
    try {
      const command = new DeleteObjectsCommand({
        Bucket: this.bucket,
        Delete: { Objects: objectKeys.map((Key) => ({ Key })), Quiet: true },
      });
      errors = (await this.client.send(command)).Errors;
    } catch (error) {
      throw fromS3Error(error, 'delete', label);
    }
    const failed = errors?.find((entry) => entry.Code !== 'NoSuchKey');
    if (failed)
      throw fromS3Error({ name: failed.Code ?? 'Error' }, 'delete', this.relativeKey(failed.Key) ?? label);
  }

  private objectKey(key: string): string {
    assertValidKey(key);
    return this.prefix === '' ? key : `${this.prefix}/${key}`;
  }

  /** The store-relative key of a bucket key, or undefined when it is outside the prefix. */
  private relativeKey(objectKey: string | undefined): string | undefined {
    if (objectKey === undefined) return undefined;
    if (this.prefix === '') return objectKey;
    return objectKey.startsWith(`${this.prefix}/`) ? objectKey.slice(this.prefix.length + 1) : undefined;
  }

  /**
   * GetObject, with errors mapped. With a range: null when it starts at or past the end (S3
   * answers 416), which the callers read as empty.
   */
  private getObject(key: string, range: undefined, signal?: AbortSignal): Promise<GetObjectCommandOutput>;
  private getObject(
    key: string,
    range: string | undefined,
    signal?: AbortSignal,
  ): Promise<GetObjectCommandOutput | null>;
  private async getObject(
    key: string,
    range: string | undefined,
    signal?: AbortSignal,
  ): Promise<GetObjectCommandOutput | null> {
    signal?.throwIfAborted();
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: this.objectKey(key),
      ...(range === undefined ? {} : { Range: range }),
    });
    try {
      return await this.client.send(command, signal ? { abortSignal: signal } : {});
    } catch (error) {
      if (range !== undefined && isS3InvalidRange(error)) return null;
      throw this.readError(error, key, signal);
    }
  }

  private readError(error: unknown, key: string, signal: AbortSignal | undefined): unknown {
    return signal?.aborted ? abortReason(signal) : fromS3Error(error, 'read', key);
  }

  private async headOrThrow(key: string): Promise<ObjectInfo> {
    const info = await this.head(key);
    if (!info) throw missingObject(key);
    return info;
  }
}

/**
 * The client as Upload sees it, with the caller's signal on every request it sends — Upload has
 * no way to pass one — except the two that must run after an abort or not at all: completing
 * the upload is its commit point (refused once aborted, never cut in flight, so an abort leaves
 * either the whole object or none), and aborting the multipart upload is the clean-up.
 */
function sendingWithSignal(client: S3Client, signal: AbortSignal | undefined): S3Client {
  if (!signal) return client;
  const wrapped = Object.create(client) as S3Client;
  const send = (command: unknown) => {
    if (command instanceof AbortMultipartUploadCommand) return client.send(command);
    if (command instanceof CompleteMultipartUploadCommand) {
      if (signal.aborted) return Promise.reject(abortReason(signal));
      return client.send(command);
    }
    return client.send(command as GetObjectCommand, { abortSignal: signal });
  };
  wrapped.send = send as S3Client['send'];
  return wrapped;
}

function unquote(etag: string | undefined): string | undefined {
  return etag?.replace(/^(W\/)?"|"$/g, '');
}
