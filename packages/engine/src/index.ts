export { type CompiledQuery, compileStructuredQuery } from './compile-structured-query';
export { createEngine } from './create-engine';
export { EngineError, type EngineErrorCode } from './engine-error';
export type {
  ColumnInfo,
  DatasetFormat,
  Engine,
  EngineOptions,
  ExecuteOptions,
  IngestOptions,
  IngestResult,
  QueryResult,
} from './engine-types';
export { toJsonValue } from './to-json-value';
