import { EngineError } from './engine-error';

/**
 * DuckDB error types (the `<type> Error:` prefix of its messages) caused by the query or
 * the data: running the same query again cannot succeed, so they are never retried.
 * "Permission" is the sandbox refusing a file the query names.
 */
const QUERY_ERROR_TYPES = new Set([
  'Binder',
  'Parser',
  'Syntax',
  'Conversion',
  'Invalid Input',
  'Invalid',
  'Invalid type',
  'Out of Range',
  'Catalog',
  'Not implemented',
  'Constraint',
  'Type',
  'Mismatch Type',
  'Unknown Type',
  'Decimal',
  'Divide by Zero',
  'Expression',
  'Dependency',
  'Sequence',
  'Permission',
  'Parameter Not Resolved',
  'Parameter Not Allowed',
  'Missing Extension',
]);

export interface DuckDBErrorParts {
  /** e.g. "Binder", "Conversion", "INTERRUPT"; null when the message has no such prefix. */
  type: string | null;
  /** The message without its prefix, as DuckDB wrote it (several lines). */
  text: string;
}

/** The message of anything thrown. Not `instanceof Error`: errors from the native addon belong to
 * another realm under jest's sandbox. */
export function messageOf(error: unknown): string {
  if (
    typeof error === 'object' &&
    error !== null &&
    'message' in error &&
    typeof error.message === 'string'
  ) {
    return error.message;
  }
  return String(error);
}

export function parseDuckDBError(error: unknown): DuckDBErrorParts {
  const message = messageOf(error);
  const match = /^([A-Za-z][A-Za-z -]*?) Error: ([\s\S]*)$/.exec(message);
  return match ? { type: match[1] ?? null, text: match[2] ?? '' } : { type: null, text: message };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Replaces any path under one of `dirs` (the tenant's own folder) with `dataset`, then any
 * other absolute path with `a file`: a message never tells anyone where the server keeps
 * anything, nor names another tenant's file it refused.
 */
export function scrubPaths(text: string, dirs: readonly string[]): string {
  let result = text;
  for (const dir of dirs) {
    result = result.replace(
      new RegExp(`${escapeRegExp(dir.replace(/\/+$/, ''))}(?:/[^\\s"']*)?`, 'g'),
      'dataset',
    );
  }
  return result.replace(/(^|[\s"'(=:])\/[^\s"')]*/g, '$1a file');
}

/** Ends a phrase as a sentence: capital first letter, one final period (or question mark). */
export function asSentence(text: string): string {
  const trimmed = text.trim().replace(/[!.:;,\s]+$/, '');
  if (trimmed === '') return '';
  const capitalised = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return capitalised.endsWith('?') ? capitalised : `${capitalised}.`;
}

/**
 * DuckDB's first line is the useful part; what follows is the echoed SQL ("LINE 1: ..."),
 * candidate hints ("Did you mean pg_enum?") or internals.
 */
export function cleanDuckDBMessage(text: string, dirs: readonly string[]): string {
  const firstLine = text.split('\n', 1)[0] ?? '';
  return asSentence(scrubPaths(firstLine, dirs));
}

/** The column a binder error says is missing. DuckDB does not escape quotes inside the name,
 * so the match is greedy up to the fixed text that follows it on the first line. */
export function unknownColumnOf(text: string): string | undefined {
  const firstLine = text.split('\n', 1)[0] ?? '';
  const match =
    /Referenced column "(.*)" not found in FROM clause/.exec(firstLine) ??
    /does not have a column named "(.*)"$/.exec(firstLine);
  return match?.[1];
}

/** Classifies anything thrown while DuckDB ran a query (see EngineErrorCode). */
export function toEngineError(error: unknown, dirs: readonly string[]): EngineError {
  if (error instanceof EngineError) return error;
  const { type, text } = parseDuckDBError(error);
  if (type === 'INTERRUPT') {
    return new EngineError('interrupted', 'The query was interrupted.', { cause: error });
  }
  let message = cleanDuckDBMessage(text, dirs);
  // A refused or missing file is named by what the query wrote, relative paths included:
  // file names are not echoed, whoever's they are.
  if (type === 'Permission' || type === 'IO')
    message = message.replace(/(["'])[^"'\n]*\/[^"'\n]*\1/g, '$1a file$1');
  if (type !== null && QUERY_ERROR_TYPES.has(type)) {
    return new EngineError('query_error', message || 'The query failed.', { cause: error });
  }
  const what = type === null ? '' : `${type} error: `;
  return new EngineError('internal', asSentence(`${what}${message}`) || 'Internal engine error.', {
    cause: error,
  });
}
