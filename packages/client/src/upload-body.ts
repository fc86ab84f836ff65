import type { RequestBody } from './http-transport';
import { DATASET_CONTENT_TYPES, type DatasetContentType } from './types';

/**
 * What `datasets.upload` can send: a Blob or File (browsers, `fs.openAsBlob`), a web
 * ReadableStream, anything async-iterable over bytes (a Node ReadStream, a generator), or
 * bytes and text already in memory. Streams are sent as they are read, never buffered whole.
 */
export type UploadSource =
  | Blob
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array | string>
  | Uint8Array
  | string;

/** The content type for a file name's extension (`sales.csv` → `text/csv`), if it is one the API takes. */
export function contentTypeForFile(fileName: string): DatasetContentType | undefined {
  const extension = /\.([A-Za-z0-9]+)$/.exec(fileName)?.[1]?.toLowerCase();
  if (!extension) return undefined;
  return (DATASET_CONTENT_TYPES as Record<string, DatasetContentType>)[extension];
}

function isBlob(source: unknown): source is Blob {
  return typeof Blob !== 'undefined' && source instanceof Blob;
}

function isReadableStream(source: unknown): source is ReadableStream<Uint8Array> {
  return typeof ReadableStream !== 'undefined' && source instanceof ReadableStream;
}

function isAsyncIterable(source: unknown): source is AsyncIterable<Uint8Array | string> {
  return (
    typeof source === 'object' &&
    source !== null &&
    typeof (source as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function'
  );
}

/** The file name a source carries: a File's `name`, a Node ReadStream's `path`. */
function fileNameOf(source: UploadSource): string | undefined {
  const named = source as { name?: unknown; path?: unknown };
  if (typeof named.name === 'string') return named.name;
  if (typeof named.path === 'string') return named.path;
  return undefined;
}

/**
 * The content type to send: the one given, else the source's file name's extension, else
 * a Blob's own type when it is one the API takes.
 */
export function uploadContentType(source: UploadSource, given: string | undefined): string {
  if (given) return given;
  const fileName = fileNameOf(source);
  const fromName = fileName === undefined ? undefined : contentTypeForFile(fileName);
  if (fromName) return fromName;
  if (isBlob(source) && source.type) {
    const type = source.type.split(';')[0]?.trim() ?? '';
    if ((Object.values(DATASET_CONTENT_TYPES) as string[]).includes(type)) return source.type;
  }
  throw new TypeError(
    `Cannot tell the upload's format${fileName ? ` from ${JSON.stringify(fileName)}` : ''}: give contentType (${[
      ...new Set(Object.values(DATASET_CONTENT_TYPES)),
    ].join(', ')}).`,
  );
}

export interface UploadBody {
  data: RequestBody;
  streamed: boolean;
  /** The error reading the source raised, if it failed while being sent. */
  sourceError(): unknown;
}

/** A web ReadableStream that reads `iterable` only as fast as the request sends it. */
function streamOf(iterable: AsyncIterable<Uint8Array | string>, onError: (error: unknown) => void) {
  const iterator = iterable[Symbol.asyncIterator]();
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { value, done } = await iterator.next();
        if (done) controller.close();
        else controller.enqueue(typeof value === 'string' ? encoder.encode(value) : value);
      } catch (error) {
        onError(error);
        controller.error(error);
      }
    },
    async cancel(reason) {
      await iterator.return?.(reason);
    },
  });
}

export function toUploadBody(source: UploadSource): UploadBody {
  let failure: unknown;
  const sourceError = () => failure;
  if (typeof source === 'string' || source instanceof Uint8Array || isBlob(source)) {
    return { data: source as RequestBody, streamed: false, sourceError };
  }
  if (isReadableStream(source)) return { data: source, streamed: true, sourceError };
  if (isAsyncIterable(source)) {
    const data = streamOf(source, (error) => {
      failure = error;
    });
    return { data, streamed: true, sourceError };
  }
  throw new TypeError(
    'Upload a Blob/File, a ReadableStream, an async iterable of bytes (a Node ReadStream), bytes or a string.',
  );
}
