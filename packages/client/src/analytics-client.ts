import { DatasetsResource } from './datasets.resource';
import { eventStreamJobUpdates } from './event-stream-updates';
import { HttpTransport, type TransportOptions } from './http-transport';
import { type PollingOptions, pollingJobUpdates } from './job-updates';
import { JobsResource } from './jobs.resource';
import { QueriesResource } from './queries.resource';

export interface AnalyticsClientOptions extends TransportOptions {
  /** How `jobs.wait` and `jobs.watch` poll a job when they cannot stream it (250 ms doubling to 2 s by default). */
  polling?: PollingOptions;
  /** `events` (default) follows a job over Server-Sent Events, polling where that fails; `polling` only polls. */
  jobUpdates?: 'events' | 'polling';
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
    const polling = pollingJobUpdates((jobId, signal) => this.jobs.get(jobId, { signal }), options.polling);
    this.jobs = new JobsResource(
      http,
      options.jobUpdates === 'polling' ? polling : eventStreamJobUpdates(http, polling),
    );
    this.queries = new QueriesResource(http, this.jobs);
  }
}
