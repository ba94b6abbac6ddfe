/**
 * The transaction id an inway receives (fsc-logging "Inway > Writing to the TransactionLog": the
 * inway MUST use the id the outway sent in `Fsc-Transaction-Id`, and refuses a request without one
 * (400 MISSING_LOG_RECORD_ID) or with one of the wrong format (400 INVALID_LOG_RECORD_ID)).
 *
 * The format is a profile choice; Koppel's profile (like the FSC NL profile) is UUIDv7, so another
 * UUID version is refused as invalid.
 */
import { FscError, isUuidV7 } from '../protocol/index.ts';

/** Return the validated transaction id of a request, or throw the fsc-logging 400. */
export function readTransactionId(value: string | undefined): string {
  if (value === undefined || value.trim() === '') {
    throw new FscError('MISSING_LOG_RECORD_ID', 'the Fsc-Transaction-Id header is missing', { domain: 'ERROR_DOMAIN_INWAY' });
  }
  // Node joins a repeated header with ", ", which is then not a UUID: refused as invalid.
  const id = value.trim();
  if (!isUuidV7(id)) {
    throw new FscError('INVALID_LOG_RECORD_ID', 'the Fsc-Transaction-Id header is not a valid UUIDv7', { domain: 'ERROR_DOMAIN_INWAY' });
  }
  return id;
}
