import { AnalyticsApiError } from './analytics-api-error';
import type { HttpTransport } from './http-transport';
import { eachItem, type ListOptions, type RequestOptions, segment } from './pages';
import type { Dataset, DatasetSchema, Page } from './types';
import { toUploadBody, type UploadSource, uploadContentType } from './upload-body';

export interface UploadOptions extends RequestOptions {
  /** The dataset's name (1–200 characters). */
  name: string;
  /**
   * `text/csv`, `application/x-ndjson`, `application/json` (an array of objects) or
   * `application/vnd.apache.parquet`. Optional when the source has a file name with one of
   * the extensions .csv, .ndjson, .jsonl, .json, .parquet (a File, a Node ReadStream).
   */
  contentType?: string;
}

/** `/v1/datasets`: upload, list, read and delete datasets. */
export class DatasetsResource {
  constructor(private readonly http: HttpTransport) {}

  /**
   * Streams `source` to the API, which stores it as Parquet and infers its columns. Uploads
   * are never retried (a stream cannot be read twice; the API has no idempotency key for them).
   */
  async upload(source: UploadSource, options: UploadOptions): Promise<Dataset> {
    const contentType = uploadContentType(source, options.contentType);
    const body = toUploadBody(source);
    try {
      return await this.http.json<Dataset>({
        method: 'POST',
        path: '/v1/datasets',
        query: { name: options.name },
        body: { data: body.data, contentType, streamed: body.streamed },
        signal: options.signal,
      });
    } catch (error) {
      // A file that fails while it is read is the caller's error, not the network's.
      const sourceError = body.sourceError();
      if (sourceError !== undefined && error instanceof AnalyticsApiError && error.code === 'unreachable') {
        throw sourceError;
      }
      throw error;
    }
  }

  /** One page, newest first. */
  list(options: ListOptions = {}): Promise<Page<Dataset>> {
    return this.http.json({
      method: 'GET',
      path: '/v1/datasets',
      query: { limit: options.limit, cursor: options.cursor },
      signal: options.signal,
    });
  }

  /** Every dataset, newest first, read page by page as you iterate. */
  listAll(options: Omit<ListOptions, 'cursor'> = {}): AsyncGenerator<Dataset> {
    return eachItem((cursor) => this.list({ ...options, cursor }));
  }

  get(datasetId: string, options: RequestOptions = {}): Promise<Dataset> {
    return this.http.json({
      method: 'GET',
      path: `/v1/datasets/${segment(datasetId)}`,
      signal: options.signal,
    });
  }

  schema(datasetId: string, options: RequestOptions = {}): Promise<DatasetSchema> {
    return this.http.json({
      method: 'GET',
      path: `/v1/datasets/${segment(datasetId)}/schema`,
      signal: options.signal,
    });
  }

  delete(datasetId: string, options: RequestOptions = {}): Promise<void> {
    return this.http.empty({
      method: 'DELETE',
      path: `/v1/datasets/${segment(datasetId)}`,
      signal: options.signal,
    });
  }
}
