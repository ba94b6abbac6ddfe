// Errors of the store itself. They are internal: the manager maps STORE_INVALID_CURSOR and
// STORE_INVALID_ARGUMENT to a 400 of its own, everything else to a generic 500.

export type StoreErrorCode =
  /** The store was closed; no further calls are possible. */
  | 'STORE_CLOSED'
  /** A pagination cursor that this store did not produce. */
  | 'STORE_INVALID_CURSOR'
  /** An argument outside what the store can keep (e.g. limit outside 1–1000, negative createdAt). */
  | 'STORE_INVALID_ARGUMENT'
  /** The persisted schema is newer than this code understands (downgrade). */
  | 'STORE_SCHEMA_TOO_NEW';

export class StoreError extends Error {
  override readonly name = 'StoreError';
  readonly code: StoreErrorCode;

  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export function isStoreError(err: unknown): err is StoreError {
  return err instanceof StoreError;
}
