import {
  type JsonValue,
  PARAMETER_NAME,
  type TAggregate,
  type TFilter,
  type TStructuredQuery,
} from '@repo/contracts';
import { EngineError } from './engine-error';
import { quoteIdentifier } from './sql-quote';

export interface CompiledQuery {
  sql: string;
  /** Run-time parameters (`{"param": "month"}`), sorted and unique. */
  parameters: string[];
  /** Values written in the query itself, bound as `$__v0`, `$__v1`, ... at run time. */
  literals: Record<string, JsonValue>;
}

type FilterValue = NonNullable<TFilter['value']>;

function invalid(message: string, path: string): EngineError {
  return new EngineError('invalid_query', message, { details: [path] });
}

function isParamRef(value: FilterValue): value is { param: string } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const COMPARISONS: Partial<Record<TFilter['op'], string>> = {
  eq: '=',
  neq: '<>',
  gt: '>',
  gte: '>=',
  lt: '<',
  lte: '<=',
};

/** Builds SQL pieces while collecting parameters; literal values never enter the SQL text. */
class SqlBuilder {
  readonly parameters = new Set<string>();
  readonly literals: Record<string, JsonValue> = {};
  private readonly known: ReadonlySet<string> | null;

  constructor(private readonly knownColumns?: string[]) {
    this.known = knownColumns ? new Set(knownColumns) : null;
  }

  column(name: string): string {
    if (this.known && !this.known.has(name)) {
      const listed = (this.knownColumns ?? []).slice(0, 50).join(', ');
      throw new EngineError(
        'invalid_query',
        `Column "${name}" does not exist in the dataset; its columns are: ${listed}.`,
        {
          details: [name],
        },
      );
    }
    return quoteIdentifier(name);
  }

  literal(value: JsonValue): string {
    const name = `__v${Object.keys(this.literals).length}`;
    this.literals[name] = value;
    return `$${name}`;
  }

  /** A parameter reference is pasted as `$name`, so its name must be a plain identifier. */
  value(value: FilterValue, path: string): string {
    if (!isParamRef(value)) return this.literal(value);
    if (!PARAMETER_NAME.test(value.param)) {
      throw invalid(`"${value.param}" is not a valid parameter name.`, `${path}.param`);
    }
    this.parameters.add(value.param);
    return `$${value.param}`;
  }
}

function compileFilter(builder: SqlBuilder, filter: TFilter, path: string): string {
  const column = builder.column(filter.column);
  const { op, value } = filter;
  if (op === 'is_null' || op === 'not_null') {
    if (value !== undefined) throw invalid(`The ${op} filter takes no value.`, `${path}.value`);
    return `${column} IS ${op === 'is_null' ? '' : 'NOT '}NULL`;
  }
  if (value === undefined) throw invalid(`The ${op} filter needs a value.`, `${path}.value`);
  if (op === 'in' || op === 'not_in') {
    if (!Array.isArray(value) && !isParamRef(value)) {
      throw invalid(`The ${op} filter needs an array of values or a parameter.`, `${path}.value`);
    }
    // One bound LIST; execute casts its items to the column's type (dates given as strings).
    return `${op === 'not_in' ? 'NOT ' : ''}list_contains(${builder.value(value, `${path}.value`)}, ${column})`;
  }
  if (op === 'between') {
    // Only two literal bounds: a parameter holding a pair could not be cast like a scalar.
    if (!Array.isArray(value) || value.length !== 2) {
      throw invalid('The between filter needs an array of exactly two values, [low, high].', `${path}.value`);
    }
    const [low, high] = value as [JsonValue, JsonValue];
    return `${column} BETWEEN ${builder.literal(low)} AND ${builder.literal(high)}`;
  }
  if (Array.isArray(value)) throw invalid(`The ${op} filter takes one value, not an array.`, `${path}.value`);
  if (op === 'contains') {
    return `contains(CAST(${column} AS VARCHAR), ${builder.value(value, `${path}.value`)})`;
  }
  return `${column} ${COMPARISONS[op] ?? '='} ${builder.value(value, `${path}.value`)}`;
}

function aggregateExpression(
  builder: SqlBuilder,
  aggregate: TAggregate,
  column: string,
  path: string,
): string {
  switch (aggregate.fn) {
    case 'count_distinct':
      return `count(DISTINCT ${column})`;
    case 'quantile':
      if (aggregate.q === undefined) {
        throw invalid('The quantile aggregate needs q, between 0 and 1.', `${path}.q`);
      }
      return `quantile_cont(${column}, ${builder.literal(aggregate.q)})`;
    default:
      return `${aggregate.fn}(${column})`;
  }
}

function compileAggregates(
  builder: SqlBuilder,
  query: TStructuredQuery,
): { select: string[]; aliases: string[] } {
  const select: string[] = [];
  const aliases: string[] = [];
  query.aggregates.forEach((aggregate, index) => {
    const path = `query.aggregates.${index}`;
    const { fn } = aggregate;
    if (aggregate.column === undefined && fn !== 'count') {
      throw invalid(`The ${fn} aggregate needs a column.`, `${path}.column`);
    }
    if (aggregate.q !== undefined && fn !== 'quantile') {
      throw invalid('q applies only to the quantile aggregate.', `${path}.q`);
    }
    const column = aggregate.column === undefined ? '*' : builder.column(aggregate.column);
    const expression = aggregateExpression(builder, aggregate, column, path);
    const alias = aggregate.as ?? (aggregate.column === undefined ? fn : `${fn}_${aggregate.column}`);
    select.push(`${expression} AS ${quoteIdentifier(alias)}`);
    aliases.push(alias);
  });
  return { select, aliases };
}

/**
 * Compiles a structured query to one SELECT over `dataset`: identifiers always quoted and,
 * when `knownColumns` is given, checked against it; every value bound as a parameter.
 */
export function compileStructuredQuery(query: TStructuredQuery, knownColumns?: string[]): CompiledQuery {
  const builder = new SqlBuilder(knownColumns);
  const groupBy = query.group_by.map((name) => builder.column(name));
  const { select: aggregates, aliases } = compileAggregates(builder, query);
  const outputs = [...query.group_by, ...aliases];
  const duplicate = outputs.find((name, index) => outputs.indexOf(name) !== index);
  if (duplicate !== undefined) {
    throw invalid(
      `Two output columns are named "${duplicate}"; give aggregates distinct "as" names.`,
      'query.aggregates',
    );
  }
  const aggregating = outputs.length > 0;
  const where = query.filters.map((filter, index) =>
    compileFilter(builder, filter, `query.filters.${index}`),
  );
  const orderBy = query.order_by.map((order, index) => {
    const path = `query.order_by.${index}.column`;
    if (aggregating && !outputs.includes(order.column)) {
      throw invalid(
        `Cannot order by "${order.column}": it must be a group_by column or an aggregate's name.`,
        path,
      );
    }
    const column = aggregating ? quoteIdentifier(order.column) : builder.column(order.column);
    return `${column} ${order.direction === 'desc' ? 'DESC' : 'ASC'}`;
  });
  if (query.limit !== undefined && (!Number.isSafeInteger(query.limit) || query.limit < 1)) {
    throw invalid('limit must be a positive integer.', 'query.limit');
  }
  const parts = [`SELECT ${aggregating ? [...groupBy, ...aggregates].join(', ') : '*'}`, 'FROM dataset'];
  if (where.length > 0) parts.push(`WHERE ${where.join(' AND ')}`);
  if (groupBy.length > 0) parts.push(`GROUP BY ${groupBy.join(', ')}`);
  if (orderBy.length > 0) parts.push(`ORDER BY ${orderBy.join(', ')}`);
  if (query.limit !== undefined) parts.push(`LIMIT ${query.limit}`);
  return { sql: parts.join(' '), parameters: [...builder.parameters].sort(), literals: builder.literals };
}
