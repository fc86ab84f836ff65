import type { Config } from '@repo/config';
import type { JsonValue, TStructuredQuery } from '@repo/contracts';
import { compileStructuredQuery, type SandboxedEngine } from '@repo/engine';
import { AppError } from '../../app-error';
import { fromEngineError } from '../../engine-errors';
import type { DatasetRecord } from '../../stores/dataset-store';

export interface PreparedQuery {
  sql: string;
  parameters: string[];
  literals: Record<string, JsonValue>;
}

/** SQL starts with one of these (after comments); anything else is taken for prose. */
const SQL_START = /^(?:\s|--[^\n]*\n|\/\*[\s\S]*?\*\/)*(select|with|from|values|\()/i;

const ACCEPTED_FORMS =
  '`query` must be a SQL SELECT over the table `dataset` with $name parameters (for example ' +
  '"SELECT region, SUM(revenue) AS total FROM dataset WHERE month = $month GROUP BY region"), or a ' +
  'structured object with group_by, aggregates, filters, order_by and limit. Natural-language questions are not accepted.';

/**
 * Vets and compiles a query once, at save time: DuckDB's parser for SQL, the compiler
 * for the structured form, and — when a dataset is bound — a bind against its columns,
 * so an unknown column is a 422 now rather than a failed job later.
 */
export async function prepareQuery(
  { engine, config }: { engine: SandboxedEngine; config: Pick<Config, 'QUERY_CHECK_TIMEOUT_MS'> },
  tenant: string,
  query: string | TStructuredQuery,
  dataset: { record: DatasetRecord; path: string } | null,
): Promise<PreparedQuery> {
  try {
    let prepared: PreparedQuery;
    if (typeof query === 'string') {
      if (!SQL_START.test(query)) throw new AppError('invalid_query', ACCEPTED_FORMS, ['query']);
      const { parameters } = await engine.vetSql(query);
      prepared = { sql: query, parameters, literals: {} };
    } else {
      const columns = dataset?.record.columns.map((c) => c.name);
      prepared = compileStructuredQuery(query, columns);
    }
    if (dataset) {
      // In the tenant's sandbox, bounded in time: binding may fold constant expressions.
      await engine.checkQueryAgainstDataset(
        tenant,
        prepared.sql,
        dataset.path,
        config.QUERY_CHECK_TIMEOUT_MS,
      );
    }
    return prepared;
  } catch (error) {
    throw fromEngineError(error);
  }
}
