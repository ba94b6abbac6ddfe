/**
 * The one error catalogue of Koppel.
 *
 * FSC codes are spelled verbatim as in fsc-core (manager.yaml `managerErrorCode`, `inwayErrorsCode`,
 * `outwayErrorCode`, plus the manager codes named in the core text) and fsc-logging ("Error response"
 * tables: these three codes carry no `ERROR_CODE_` prefix in the spec). Codes Koppel adds for situations
 * the standard leaves open follow the same `ERROR_CODE_*` style.
 *
 * Error responses of inway, outway and manager carry the `Fsc-Error-Code` header and the body
 * `{message, domain, code}` (fsc-core "Error handling"). Messages are for humans: never put tokens,
 * keys, certificates or internal URLs in them.
 */

export type ErrorDomain = 'ERROR_DOMAIN_INWAY' | 'ERROR_DOMAIN_OUTWAY' | 'ERROR_DOMAIN_MANAGER';

export const errorDomains: readonly ErrorDomain[] = Object.freeze([
  'ERROR_DOMAIN_INWAY',
  'ERROR_DOMAIN_OUTWAY',
  'ERROR_DOMAIN_MANAGER',
]);

/** Where a code comes from: the core standard, the logging extension, or Koppel itself. */
export type ErrorOrigin = 'fsc-core' | 'fsc-logging' | 'koppel';

export interface ErrorSpec {
  /** HTTP status code of a response carrying this code. */
  readonly status: number;
  /** Default domain; a caller may override it (e.g. a logging code raised by the outway). */
  readonly domain: ErrorDomain;
  readonly origin: ErrorOrigin;
}

const M = 'ERROR_DOMAIN_MANAGER';
const I = 'ERROR_DOMAIN_INWAY';
const O = 'ERROR_DOMAIN_OUTWAY';

const catalogue = {
  // --- fsc-core manager.yaml `managerErrorCode`; statuses from the core text "Manager > Error response > Codes" ---
  ERROR_CODE_INCORRECT_GROUP_ID: { status: 422, domain: M, origin: 'fsc-core' },
  ERROR_CODE_PEER_NOT_PART_OF_CONTRACT: { status: 422, domain: M, origin: 'fsc-core' },
  ERROR_CODE_SIGNATURE_CONTRACT_CONTENT_HASH_MISMATCH: { status: 422, domain: M, origin: 'fsc-core' },
  ERROR_CODE_PEER_CERTIFICATE_VERIFICATION_FAILED: { status: 400, domain: M, origin: 'fsc-core' },
  ERROR_CODE_PEER_ID_SIGNATURE_MISMATCH: { status: 422, domain: M, origin: 'fsc-core' },
  ERROR_CODE_SIGNATURE_VERIFICATION_FAILED: { status: 422, domain: M, origin: 'fsc-core' },
  ERROR_CODE_GRANT_COMBINATION_NOT_ALLOWED: { status: 422, domain: M, origin: 'fsc-core' },
  ERROR_CODE_URL_PATH_CONTENT_HASH_MISMATCH: { status: 422, domain: M, origin: 'fsc-core' },
  ERROR_CODE_UNKNOWN_HASH_ALGORITHM_HASH: { status: 422, domain: M, origin: 'fsc-core' },
  ERROR_CODE_UNKNOWN_ALGORITHM_SIGNATURE: { status: 422, domain: M, origin: 'fsc-core' },
  // In manager.yaml but not in the text's table: 422 like its neighbours.
  ERROR_CODE_INCORRECT_PUBLIC_KEY_THUMBPRINT: { status: 422, domain: M, origin: 'fsc-core' },
  // The core text splits "peer not part of contract" into the submitting and the receiving peer.
  ERROR_CODE_SUBMITTING_PEER_NOT_PART_OF_CONTRACT: { status: 422, domain: M, origin: 'fsc-core' },
  ERROR_CODE_RECEIVING_PEER_NOT_PART_OF_CONTRACT: { status: 422, domain: M, origin: 'fsc-core' },
  // Listed in the core text's Manager "Codes" table only.
  ERROR_CODE_UNKNOWN_FSC_VERSION: { status: 422, domain: M, origin: 'fsc-core' },

  // --- fsc-core manager.yaml `inwayErrorsCode`; statuses from the core text "Inway > Error response > Codes" ---
  ERROR_CODE_ACCESS_TOKEN_MISSING: { status: 401, domain: I, origin: 'fsc-core' },
  ERROR_CODE_ACCESS_TOKEN_INVALID: { status: 401, domain: I, origin: 'fsc-core' },
  ERROR_CODE_ACCESS_TOKEN_EXPIRED: { status: 401, domain: I, origin: 'fsc-core' },
  ERROR_CODE_WRONG_GROUP_ID_IN_TOKEN: { status: 403, domain: I, origin: 'fsc-core' },
  ERROR_CODE_SERVICE_NOT_FOUND: { status: 404, domain: I, origin: 'fsc-core' },
  ERROR_CODE_SERVICE_UNREACHABLE: { status: 502, domain: I, origin: 'fsc-core' },

  // --- fsc-core manager.yaml `outwayErrorCode`; status from the core text "Outway > Error response > Codes" ---
  ERROR_CODE_METHOD_UNSUPPORTED: { status: 405, domain: O, origin: 'fsc-core' },

  // --- fsc-logging "Error response" (inway and outway; default domain inway, the outway passes its own) ---
  TRANSACTION_LOG_WRITE_ERROR: { status: 500, domain: I, origin: 'fsc-logging' },
  INVALID_LOG_RECORD_ID: { status: 400, domain: I, origin: 'fsc-logging' },
  MISSING_LOG_RECORD_ID: { status: 400, domain: I, origin: 'fsc-logging' },

  // --- Koppel: outway ---
  /** The outway holds no valid grant (in a valid contract) for the requested service. */
  ERROR_CODE_NO_GRANT: { status: 403, domain: O, origin: 'koppel' },
  /** The client named a grant (`Fsc-Grant-Hash`) the outway does not know. */
  ERROR_CODE_GRANT_NOT_FOUND: { status: 404, domain: O, origin: 'koppel' },
  /** The outway could not obtain an access token from the provider's manager. */
  ERROR_CODE_ACCESS_TOKEN_FETCH_FAILED: { status: 502, domain: O, origin: 'koppel' },
  /** The outway could not reach (connect to / complete TLS with) the provider's inway. */
  ERROR_CODE_INWAY_UNREACHABLE: { status: 502, domain: O, origin: 'koppel' },
  /** An X-NLX-* purpose header is too long or malformed. */
  ERROR_CODE_INVALID_PURPOSE_HEADER: { status: 400, domain: O, origin: 'koppel' },

  // --- Koppel: inway / outway ---
  /** The upstream (service or inway) did not answer in time. */
  ERROR_CODE_SERVICE_TIMEOUT: { status: 504, domain: I, origin: 'koppel' },
  ERROR_CODE_PAYLOAD_TOO_LARGE: { status: 413, domain: I, origin: 'koppel' },

  // --- Koppel: manager ---
  ERROR_CODE_CONTRACT_NOT_FOUND: { status: 404, domain: M, origin: 'koppel' },
  /** The contract failed validation (structure, validity, grant rules not covered by a core code). */
  ERROR_CODE_INVALID_CONTRACT: { status: 422, domain: M, origin: 'koppel' },
  /** A contract with this content hash already exists. */
  ERROR_CODE_CONTRACT_ALREADY_EXISTS: { status: 409, domain: M, origin: 'koppel' },
  /** Another peer's manager could not be reached. */
  ERROR_CODE_PEER_UNREACHABLE: { status: 502, domain: M, origin: 'koppel' },
  /** Admin API: missing or wrong credentials. */
  ERROR_CODE_UNAUTHORIZED: { status: 401, domain: M, origin: 'koppel' },
  /** Authenticated but not allowed (admin API scope, or a peer asking for what is not theirs). */
  ERROR_CODE_FORBIDDEN: { status: 403, domain: M, origin: 'koppel' },

  // --- Koppel: generic ---
  ERROR_CODE_BAD_REQUEST: { status: 400, domain: M, origin: 'koppel' },
  /** The client did not send a complete request head in time (every listener). */
  ERROR_CODE_REQUEST_TIMEOUT: { status: 408, domain: M, origin: 'koppel' },
  /** The request target is longer than the listener accepts (every listener). */
  ERROR_CODE_URI_TOO_LONG: { status: 414, domain: M, origin: 'koppel' },
  /** Too many request header fields, or too many bytes of them (every listener). */
  ERROR_CODE_HEADERS_TOO_LARGE: { status: 431, domain: M, origin: 'koppel' },
  /** The request needs something the gateway does not support, e.g. a transfer coding other than `chunked`. */
  ERROR_CODE_NOT_IMPLEMENTED: { status: 501, domain: M, origin: 'koppel' },
  ERROR_CODE_NOT_FOUND: { status: 404, domain: M, origin: 'koppel' },
  /** A dependency (store, transaction log backend) is down; retry later. */
  ERROR_CODE_SERVICE_UNAVAILABLE: { status: 503, domain: M, origin: 'koppel' },
  ERROR_CODE_INTERNAL: { status: 500, domain: M, origin: 'koppel' },
} as const satisfies Record<string, ErrorSpec>;

/** Every error code Koppel can put in `Fsc-Error-Code`. */
export type ErrorCode = keyof typeof catalogue;

/** code → {status, domain, origin}; frozen. */
export const errorCatalogue: Readonly<Record<ErrorCode, ErrorSpec>> = Object.freeze(catalogue);

const codeSet: ReadonlySet<string> = new Set(Object.keys(catalogue));

/** True when `x` is a code of the catalogue. */
export function isErrorCode(x: unknown): x is ErrorCode {
  return typeof x === 'string' && codeSet.has(x);
}

/** The JSON body of an FSC error response (fsc-core manager.yaml `error`, plus our optional transaction id). */
export interface ErrorBody {
  message: string;
  domain: ErrorDomain;
  code: ErrorCode;
  transaction_id?: string;
}

export interface FscErrorOptions {
  /** Overrides the catalogue's default domain. */
  domain?: ErrorDomain;
  cause?: unknown;
  /** Fsc-Transaction-Id of the request this error belongs to, echoed in the body. */
  transactionId?: string;
  /** Machine-readable detail for logs and tests, never sent on the wire (e.g. 'certificate-mismatch'). */
  reason?: string;
}

/** An error with an FSC code; `status` and `domain` come from the catalogue. */
export class FscError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly domain: ErrorDomain;
  readonly transactionId: string | undefined;
  readonly reason: string | undefined;

  constructor(code: ErrorCode, message: string, options: FscErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FscError';
    const spec = errorCatalogue[code];
    this.code = code;
    this.status = spec.status;
    this.domain = options.domain ?? spec.domain;
    this.transactionId = options.transactionId;
    this.reason = options.reason;
  }

  /** The wire body of this error. */
  toBody(transactionId?: string): ErrorBody {
    return errorBody(this, transactionId);
  }
}

/** True for an FscError (also across module copies: checks the shape, not only the prototype). */
export function isFscError(x: unknown): x is FscError {
  if (x instanceof FscError) return true;
  if (typeof x !== 'object' || x === null) return false;
  const e = x as { name?: unknown; code?: unknown; status?: unknown; domain?: unknown };
  return (
    e.name === 'FscError' &&
    isErrorCode(e.code) &&
    typeof e.status === 'number' &&
    typeof e.domain === 'string' &&
    (errorDomains as readonly string[]).includes(e.domain)
  );
}

/** The parts of an error body when no FscError object is at hand. */
export interface ErrorBodyInput {
  code: ErrorCode;
  message: string;
  domain?: ErrorDomain;
}

/**
 * The JSON body `{message, domain, code, transaction_id?}` for an error response. The transaction id
 * argument wins over the one stored on the error; it is left out when neither is set.
 */
export function errorBody(err: FscError | ErrorBodyInput, transactionId?: string): ErrorBody {
  const domain = err.domain ?? errorCatalogue[err.code].domain;
  const body: ErrorBody = { message: err.message, domain, code: err.code };
  const txid = transactionId ?? (err instanceof FscError ? err.transactionId : undefined);
  if (txid !== undefined) body.transaction_id = txid;
  return body;
}

/**
 * The header fields of an error response with `body` (its JSON text), flat `[name, value, …]` as
 * Node's writeHead takes them: JSON content type and length, and `Fsc-Error-Code` (fsc-core "Error
 * handling"). Callers add what their answer needs besides (transaction id, WWW-Authenticate, close).
 */
export function errorResponseFields(body: string, code: string): string[] {
  // 'fsc-error-code' is FSC_ERROR_CODE of headers.ts, which imports this module.
  return ['content-type', 'application/json', 'content-length', String(Buffer.byteLength(body)), 'fsc-error-code', code];
}

/** The HTTP status for a code. */
export function statusOf(code: ErrorCode): number {
  return errorCatalogue[code].status;
}

/**
 * Turn anything thrown into an FscError. FscErrors pass through unchanged; anything else becomes
 * ERROR_CODE_INTERNAL with a generic message (the original stays as `cause`, for logs only, because
 * its message may contain URLs or secrets).
 */
export function toFscError(x: unknown, domain?: ErrorDomain): FscError {
  if (isFscError(x)) return x;
  return new FscError(
    'ERROR_CODE_INTERNAL',
    'internal error',
    domain === undefined ? { cause: x } : { cause: x, domain },
  );
}

// --- Token endpoint errors (RFC 6749 §5.2; manager.yaml `tokenErrorCode`) ---

export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'invalid_scope'
  | 'unauthorized_client'
  | 'unsupported_grant_type';

export const oauthErrorCodes: readonly OAuthErrorCode[] = Object.freeze([
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'invalid_scope',
  'unauthorized_client',
  'unsupported_grant_type',
]);

/**
 * The HTTP status of a token endpoint error: 400 for every code, `invalid_client` included.
 * manager.yaml getToken documents only 200 and 400, and RFC 6749 §5.2 allows 400 for
 * `invalid_client` (401 is only required when the client authenticated through the Authorization
 * header). FSC clients authenticate by mTLS (RFC 8705 §2), so there is no WWW-Authenticate scheme a
 * 401 could announce.
 */
export function oauthErrorStatus(_code: OAuthErrorCode): 400 {
  return 400;
}

export interface OAuthErrorBody {
  error: OAuthErrorCode;
  error_description?: string;
}

export function oauthErrorBody(code: OAuthErrorCode, description?: string): OAuthErrorBody {
  return description === undefined ? { error: code } : { error: code, error_description: description };
}
