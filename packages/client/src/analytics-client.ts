import { DatasetsResource } from './datasets.resource';
import { HttpTransport, type TransportOptions } from './http-transport';
import { type PollingOptions, pollingJobUpdates } from './job-updates';
import { JobsResource } from './jobs.resource';
import { QueriesResource } from './queries.resource';

export interface AnalyticsClientOptions extends TransportOptions {
  /** How `jobs.wait` and `jobs.watch` poll a job (250 ms doubling to 2 s by default). */
  polling?: PollingOptions;
}

/**
 * The Analytics Jobs API, typed. Works on Node 20+ and in browsers (anything with fetch).
 *
 * ```ts
 * const client = new AnalyticsClient({ baseUrl: 'http://127.0.0.1:3000', apiKey });
 * const job = await client.queries.runAndWait(queryId, { parameters: { month: '2024-05' } });
 * ```
 */
export class AnalyticsClient {
  readonly datasets: DatasetsResource;
  readonly queries: QueriesResource;
  readonly jobs: JobsResource;
  readonly baseUrl: string;

  constructor(options: AnalyticsClientOptions) {
    const http = new HttpTransport(options);
    this.baseUrl = http.baseUrl;
    this.datasets = new DatasetsResource(http);
    this.jobs = new JobsResource(
      http,
      pollingJobUpdates((jobId, signal) => this.jobs.get(jobId, { signal }), options.polling),
    );
    this.queries = new QueriesResource(http, this.jobs);
  }
}
