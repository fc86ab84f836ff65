import { z } from 'zod';
import { ZStructuredQuery } from './structured-query';

export const ZSaveQueryBody = z.strictObject({
  name: z.string().trim().min(1).max(200),
  description: z.string().max(2000).optional(),
  /** SQL over the table `dataset` with `$name` parameters, or a structured query object. */
  query: z.union([z.string().trim().min(1).max(100_000), ZStructuredQuery]),
  dataset_id: z.string().max(100).optional(),
});
export type TSaveQueryBody = z.infer<typeof ZSaveQueryBody>;

export const ZSavedQueryCreated = z.object({
  query_id: z.string(),
  name: z.string(),
  created_at: z.string(),
  status: z.literal('saved'),
});

export const ZSavedQuery = z.object({
  query_id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  query: z.union([z.string(), ZStructuredQuery]),
  dataset_id: z.string().nullable(),
  parameters: z.array(z.string()),
  created_at: z.string(),
  status: z.literal('saved'),
});
export type TSavedQuery = z.infer<typeof ZSavedQuery>;
