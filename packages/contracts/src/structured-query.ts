import { z } from 'zod';

/** A `$name` parameter name: what DuckDB accepts unquoted, and never our internal `__` names. */
export const PARAMETER_NAME = /^(?!__)[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export const AGGREGATE_FUNCTIONS = [
  'count',
  'count_distinct',
  'sum',
  'avg',
  'min',
  'max',
  'median',
  'quantile',
] as const;

export const FILTER_OPERATORS = [
  'eq',
  'neq',
  'gt',
  'gte',
  'lt',
  'lte',
  'in',
  'not_in',
  'between',
  'is_null',
  'not_null',
  'contains',
] as const;

const ZColumnName = z.string().min(1).max(255);
const ZScalar = z.union([z.string(), z.number(), z.boolean()]);

/** `{"param": "month"}` stands for the run's `parameters.month`. */
export const ZParamRef = z.strictObject({
  param: z.string().regex(PARAMETER_NAME, 'a parameter name like month'),
});
export type TParamRef = z.infer<typeof ZParamRef>;

export const ZFilterValue = z.union([ZParamRef, ZScalar, z.array(ZScalar).min(1).max(10_000)]);
export type TFilterValue = z.infer<typeof ZFilterValue>;

export const ZAggregate = z.strictObject({
  fn: z.enum(AGGREGATE_FUNCTIONS),
  /** Optional only for `count`, which then counts rows. */
  column: ZColumnName.optional(),
  as: ZColumnName.optional(),
  /** The quantile for `fn: "quantile"`, between 0 and 1. */
  q: z.number().min(0).max(1).optional(),
});
export type TAggregate = z.infer<typeof ZAggregate>;

export const ZFilter = z.strictObject({
  column: ZColumnName,
  op: z.enum(FILTER_OPERATORS),
  value: ZFilterValue.optional(),
});
export type TFilter = z.infer<typeof ZFilter>;

export const ZOrderBy = z.strictObject({
  column: ZColumnName,
  direction: z.enum(['asc', 'desc']).default('asc'),
});

export const ZStructuredQuery = z.strictObject({
  group_by: z.array(ZColumnName).max(64).default([]),
  aggregates: z.array(ZAggregate).max(64).default([]),
  filters: z.array(ZFilter).max(64).default([]),
  order_by: z.array(ZOrderBy).max(64).default([]),
  limit: z.number().int().min(1).max(1_000_000).optional(),
});
export type TStructuredQuery = z.infer<typeof ZStructuredQuery>;
