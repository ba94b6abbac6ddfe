// Query parameters of the list endpoints (manager.yaml queryPaginationCursor / Limit / Order and the
// array filters with `style: form, explode: false`, i.e. comma-separated values).
import { FscError } from '../protocol/index.ts';
import type { SortOrder } from '../store/index.ts';

export interface PageQuery {
  cursor?: string;
  limit: number;
  sortOrder: SortOrder;
}

/** Page size when the caller gives none. */
export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;
const MAX_CURSOR_LENGTH = 4096;

function bad(message: string): FscError {
  return new FscError('ERROR_CODE_BAD_REQUEST', message, { reason: 'invalid-query' });
}

/** The single value of a parameter; a repeated scalar parameter is refused rather than guessed. */
export function singleParam(values: readonly string[] | undefined, name: string): string | undefined {
  if (values === undefined || values.length === 0) return undefined;
  if (values.length > 1) throw bad(`query parameter ${name} may be given once`);
  return values[0];
}

/** `a,b` (explode false) and `x=a&x=b` (explode true) both give `[a, b]`; empty items are dropped. */
export function listParam(values: readonly string[] | undefined): string[] {
  if (values === undefined) return [];
  return values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
}

export function parsePageQuery(query: (name: string) => string[] | undefined): PageQuery {
  const cursor = singleParam(query('cursor'), 'cursor');
  const limitText = singleParam(query('limit'), 'limit');
  const sortText = singleParam(query('sort_order'), 'sort_order');
  let limit = DEFAULT_LIMIT;
  if (limitText !== undefined) {
    if (!/^\d{1,4}$/.test(limitText)) throw bad(`limit must be an integer from 1 to ${MAX_LIMIT}`);
    limit = Number(limitText);
    if (limit < 1 || limit > MAX_LIMIT) throw bad(`limit must be an integer from 1 to ${MAX_LIMIT}`);
  }
  // manager.yaml sortOrder: default SORT_ORDER_DESCENDING.
  let sortOrder: SortOrder = 'SORT_ORDER_DESCENDING';
  if (sortText !== undefined) {
    if (sortText !== 'SORT_ORDER_ASCENDING' && sortText !== 'SORT_ORDER_DESCENDING') {
      throw bad('sort_order must be SORT_ORDER_ASCENDING or SORT_ORDER_DESCENDING');
    }
    sortOrder = sortText;
  }
  const page: PageQuery = { limit, sortOrder };
  // "Leave empty for the first page."
  if (cursor !== undefined && cursor !== '') {
    if (cursor.length > MAX_CURSOR_LENGTH) throw bad('cursor is too long');
    page.cursor = cursor;
  }
  return page;
}
