import type { Readable } from 'node:stream';

export type StorageKind = 'local' | 's3';

/** What a store knows of one object. `etag` is opaque (no quotes); it changes when the bytes do. */
export interface ObjectInfo {
  size: number;
  etag: string;
}

export interface ListedObject extends ObjectInfo {
  key: string;
}

export interface TransferOptions {
  /** Aborting rejects with the signal's reason and leaves no object or file behind. */
  signal?: AbortSignal;
}

export interface ReadStreamOptions extends TransferOptions {
  /** First byte, default 0. */
  start?: number;
  /** Last byte, inclusive (as in fs.createReadStream and HTTP ranges); default the last. */
  end?: number;
}

export interface PresignOptions {
  /** Served as `Content-Disposition: attachment; filename="…"` (key characters only). */
  downloadName?: string;
}

/**
 * One file store over keys such as `tenants/acme/datasets/ds_1.parquet` (grammar in
 * ./object-key.ts). Implemented by the local store (a folder) and the S3 store (a bucket and
 * optional prefix); both pass one contract suite (./object-store-contract.fixture.ts).
 *
 * Every method validates its keys first (`invalid_key`) and reports failures as StorageError:
 * `missing` for an absent object, `unavailable` for transient trouble. Ranges past the end are
 * clamped; a range starting at or past the end reads as empty.
 */
export interface ObjectStore {
  readonly kind: StorageKind;

  /**
   * Stores a copy of the local file under `key`, replacing any object there. Readers see the old
   * object or the whole new one, never a part. Streams the file (multipart on S3 above the part
   * size); on failure or abort nothing of the new object is left.
   */
  putFile(key: string, localPath: string, options?: TransferOptions): Promise<ObjectInfo>;

  /** Copies the object to `localPath` (streamed to a temporary file, then renamed into place). */
  getToFile(key: string, localPath: string, options?: TransferOptions): Promise<ObjectInfo>;

  /** Bytes `start`..`endInclusive`, in memory: for footers and pages, not whole files. */
  getRange(key: string, start: number, endInclusive: number, options?: TransferOptions): Promise<Buffer>;

  /**
   * A stream of the object or of a byte range. The promise rejects (`missing`…) before any
   * byte is sent, so an HTTP handler can still answer 404; later failures are emitted on the
   * stream as StorageError.
   */
  createReadStream(key: string, options?: ReadStreamOptions): Promise<Readable>;

  /** Size and ETag, or null when the object does not exist. */
  head(key: string): Promise<ObjectInfo | null>;

  /** Removes the object; no error when it does not exist. */
  delete(key: string): Promise<void>;

  /** Removes every listed object (all keys are validated before any is removed). */
  deleteMany(keys: readonly string[]): Promise<void>;

  /**
   * Removes every object whose key starts with `prefix` (non-empty: a typo must not empty the
   * store) and returns how many there were.
   */
  deletePrefix(prefix: string): Promise<number>;

  /** Every object whose key starts with `prefix` ('' for all), in no promised order. */
  list(prefix: string): AsyncIterable<ListedObject>;

  /**
   * A URL that lets anyone holding it GET the object for `ttlSeconds` (1 s to 7 days). S3 only:
   * the local store throws `unsupported`. It does not check that the object exists.
   */
  presignGet(key: string, ttlSeconds: number, options?: PresignOptions): Promise<string>;

  /**
   * The object's own file when this store keeps objects on this machine's disk (so DuckDB can
   * read it in place, without a copy), else null. Does not check that the file exists.
   */
  localPathOf(key: string): string | null;

  /** Releases connections (the S3 client's sockets); the store is unusable afterwards. */
  close(): void;
}
