import { z } from 'zod';
import { PARAMETER_NAME } from './structured-query';

export const EXECUTION_MODES = ['sync', 'async'] as const;
export type ExecutionMode = (typeof EXECUTION_MODES)[number];
export const PRIORITIES = ['interactive', 'batch'] as const;
export type Priority = (typeof PRIORITIES)[number];

const ZParameterScalar = z.union([z.string().max(10_000), z.number(), z.boolean(), z.null()]);
export const ZParameterValue = z.union([ZParameterScalar, z.array(ZParameterScalar).max(10_000)]);
export type TParameterValue = z.infer<typeof ZParameterValue>;

export const ZRunQueryBody = z.strictObject({
  dataset_id: z.string().max(100).optional(),
  parameters: z
    .record(z.string().regex(PARAMETER_NAME, 'a parameter name like month'), ZParameterValue)
    .default({}),
  execution_mode: z.enum(EXECUTION_MODES).default('sync'),
  priority: z.enum(PRIORITIES).default('interactive'),
  /** Upper bound is the server's QUERY_TIMEOUT_MAX_MS, checked by the route. */
  timeout_ms: z.number().int().min(1).optional(),
  /** (ext) Where the terminal status is POSTed, signed; see the README's webhooks section. */
  callback_url: z.string().max(2048).optional(),
});
export type TRunQueryBody = z.infer<typeof ZRunQueryBody>;
