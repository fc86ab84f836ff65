import { z } from 'zod';

export const ZListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(200).optional(),
});
export type TListQuery = z.infer<typeof ZListQuery>;

export interface ListPage<T> {
  data: T[];
  next_cursor: string | null;
}
