export {
  AnalyticsApiError,
  type AnalyticsApiErrorInit,
  CLIENT_ERROR_CODES,
  type ClientErrorCode,
  isAnalyticsApiError,
} from './analytics-api-error';
export { AnalyticsClient, type AnalyticsClientOptions } from './analytics-client';
export type { DatasetsResource, UploadOptions } from './datasets.resource';
export type { QueryString, RetryInfo, TransportOptions } from './http-transport';
export type { PollingOptions } from './job-updates';
export type {
  JobsResource,
  ListJobsOptions,
  ResultsFileOptions,
  ResultsPageOptions,
  WaitOptions,
} from './jobs.resource';
export type { ListOptions, RequestOptions } from './pages';
export type { QueriesResource, RunAndWaitOptions, RunOptions, SaveQueryInput } from './queries.resource';
export * from './types';
export { contentTypeForFile, type UploadSource } from './upload-body';
