import type { Page } from './types';

export interface RequestOptions {
  /** Aborts the request (and any retry wait): the call rejects with code `aborted`. */
  signal?: AbortSignal;
}

export interface ListOptions extends RequestOptions {
  /** 1–100 (the API's default is 50). */
  limit?: number;
  /** `next_cursor` of the previous page. */
  cursor?: string;
}

/** Every item of every page, fetched page by page as the caller iterates. */
export async function* eachItem<T>(
  fetchPage: (cursor: string | undefined) => Promise<Page<T>>,
): AsyncGenerator<T> {
  let cursor: string | undefined;
  do {
    const page = await fetchPage(cursor);
    yield* page.data;
    cursor = page.next_cursor ?? undefined;
  } while (cursor !== undefined);
}

/** An id as one path segment. */
export function segment(id: string): string {
  return encodeURIComponent(id);
}
