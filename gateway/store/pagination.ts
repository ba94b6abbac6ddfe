// Cursor pagination shared by both stores, so a cursor means the same thing in SQLite and Redis.
// A cursor is the sort key of the last item of a page, base64url-encoded (opaque to callers); the
// next page holds the items strictly after it in the requested order (manager.yaml queryPaginationCursor).
import { StoreError } from './errors.ts';
import type { SortOrder } from './types.ts';

/** manager.yaml queryPaginationLimit: minimum 1, maximum 1000. */
export const MAX_LIMIT = 1000;

/** Width of the zero-padded createdAt in sort keys: 16 digits hold Unix milliseconds for ~300 000 years. */
const CREATED_AT_WIDTH = 16;
const MAX_CREATED_AT = 10 ** CREATED_AT_WIDTH - 1;

export function checkLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new StoreError('STORE_INVALID_ARGUMENT', `limit must be an integer from 1 to ${MAX_LIMIT}`);
  }
  return limit;
}

export function isAscending(order: SortOrder | undefined): boolean {
  return order !== 'SORT_ORDER_DESCENDING';
}

export function checkCreatedAt(createdAt: number): number {
  if (!Number.isSafeInteger(createdAt) || createdAt < 0 || createdAt > MAX_CREATED_AT) {
    throw new StoreError('STORE_INVALID_ARGUMENT', 'createdAt must be a non-negative integer');
  }
  return createdAt;
}

/**
 * The (createdAt, contentHash) sort key as one string whose byte order equals the tuple order:
 * createdAt is zero-padded to a fixed width, so comparing strings compares createdAt first.
 */
export function contractSortKey(createdAt: number, contentHash: string): string {
  return `${String(createdAt).padStart(CREATED_AT_WIDTH, '0')}:${contentHash}`;
}

/** The content hash inside a sort key made by contractSortKey. */
export function contentHashOfSortKey(sortKey: string): string {
  return sortKey.slice(CREATED_AT_WIDTH + 1);
}

export interface ContractPosition {
  createdAt: number;
  contentHash: string;
}

export function encodeContractCursor(position: ContractPosition): string {
  return Buffer.from(`c:${position.createdAt}:${position.contentHash}`, 'utf8').toString('base64url');
}

export function decodeContractCursor(cursor: string): ContractPosition {
  const match = /^c:(\d{1,16}):(.+)$/s.exec(decodeBase64url(cursor));
  if (!match?.[1] || !match[2]) throw invalidCursor();
  return { createdAt: Number(match[1]), contentHash: match[2] };
}

export function encodePeerCursor(peerId: string): string {
  return Buffer.from(`p:${peerId}`, 'utf8').toString('base64url');
}

export function decodePeerCursor(cursor: string): string {
  const match = /^p:(.+)$/s.exec(decodeBase64url(cursor));
  if (!match?.[1]) throw invalidCursor();
  return match[1];
}

/** JS string comparison in UTF-16 code units; equal to SQLite BINARY and Redis byte order for ASCII keys. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareContractPositions(a: ContractPosition, b: ContractPosition): number {
  return a.createdAt - b.createdAt || compareStrings(a.contentHash, b.contentHash);
}

function decodeBase64url(cursor: string): string {
  if (!/^[A-Za-z0-9_-]{1,4096}$/.test(cursor)) throw invalidCursor();
  return Buffer.from(cursor, 'base64url').toString('utf8');
}

function invalidCursor(): StoreError {
  return new StoreError('STORE_INVALID_CURSOR', 'the pagination cursor is not valid');
}
