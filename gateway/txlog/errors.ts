// How the transaction log fails towards its callers. A write that is not durable rejects with the
// fsc-logging code TRANSACTION_LOG_WRITE_ERROR (500) from the one catalogue, so the outway and inway can
// answer with it as is (or re-raise it in their own error domain). `reason` is for logs and tests only.
import { FscError } from '../protocol/index.ts';

export type TxLogWriteFailure =
  /** The store could not commit (disk, file gone, lock held, Redis down or timed out). */
  | 'store-unavailable'
  /** close() was called. */
  | 'closed'
  /** The record is not a valid FSC log record. */
  | 'invalid-record'
  /** Other replicas kept moving the chain head; the append gave up (Redis). */
  | 'chain-contention'
  /** The store's chain state is inconsistent (head missing while entries exist); writing would fork it. */
  | 'chain-corrupt';

export function writeError(reason: TxLogWriteFailure, cause?: unknown): FscError {
  return new FscError('TRANSACTION_LOG_WRITE_ERROR', 'the transaction log record could not be written', {
    reason,
    ...(cause === undefined ? {} : { cause }),
  });
}

/** A read (query, stream, verify) failed because the store is unreachable. */
export function readError(cause: unknown): FscError {
  return new FscError('ERROR_CODE_SERVICE_UNAVAILABLE', 'the transaction log is not available', {
    domain: 'ERROR_DOMAIN_MANAGER',
    reason: 'store-unavailable',
    cause,
  });
}

/**
 * Thrown by a HeadVerifier that can say why it cannot check a signed head (the certificate that signed
 * it is not known, or names another peer): `verify` reports its message to the operator as is, instead
 * of a bare "signature not valid". It must hold no record data.
 */
export class HeadVerifierError extends Error {
  override readonly name = 'HeadVerifierError';
}
