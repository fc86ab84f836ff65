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
  SandboxedEngine,
} from './engine-types';
export { ABORT_GRACE_MS } from './sandbox-process';
export { createSandboxedEngine, type SandboxedEngineOptions } from './sandboxed-engine';
export { toJsonValue } from './to-json-value';
