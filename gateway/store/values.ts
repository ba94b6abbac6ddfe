// Small value helpers shared by both stores.
import type { ContractSignatures } from '../protocol/index.ts';
import { StoreError } from './errors.ts';

/** How long a claimed outbox item stays invisible to other workers unless completed or retried. */
export const DEFAULT_OUTBOX_LEASE_MS = 60_000;

export function emptySignatures(): ContractSignatures {
  return { accept: {}, reject: {}, revoke: {} };
}

export function checkTtlMs(ttlMs: number): number {
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) {
    throw new StoreError('STORE_INVALID_ARGUMENT', 'ttlMs must be a positive integer');
  }
  return ttlMs;
}
