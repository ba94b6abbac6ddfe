import { describe, expect, it } from 'vitest';
import {
  FscError,
  errorBody,
  errorCatalogue,
  errorDomains,
  isErrorCode,
  isFscError,
  oauthErrorBody,
  oauthErrorCodes,
  oauthErrorStatus,
  statusOf,
  toFscError,
} from '../../gateway/protocol/index.ts';
import type { ErrorCode } from '../../gateway/protocol/index.ts';

// The enums of fsc-core media/specs/manager.yaml (components/schemas), copied verbatim.
const managerYamlManagerCodes = [
  'ERROR_CODE_INCORRECT_GROUP_ID',
  'ERROR_CODE_PEER_NOT_PART_OF_CONTRACT',
  'ERROR_CODE_SIGNATURE_CONTRACT_CONTENT_HASH_MISMATCH',
  'ERROR_CODE_PEER_CERTIFICATE_VERIFICATION_FAILED',
  'ERROR_CODE_PEER_ID_SIGNATURE_MISMATCH',
  'ERROR_CODE_SIGNATURE_VERIFICATION_FAILED',
  'ERROR_CODE_GRANT_COMBINATION_NOT_ALLOWED',
  'ERROR_CODE_URL_PATH_CONTENT_HASH_MISMATCH',
  'ERROR_CODE_UNKNOWN_HASH_ALGORITHM_HASH',
  'ERROR_CODE_UNKNOWN_ALGORITHM_SIGNATURE',
  'ERROR_CODE_INCORRECT_PUBLIC_KEY_THUMBPRINT',
];
const managerYamlInwayCodes = [
  'ERROR_CODE_ACCESS_TOKEN_MISSING',
  'ERROR_CODE_ACCESS_TOKEN_INVALID',
  'ERROR_CODE_ACCESS_TOKEN_EXPIRED',
  'ERROR_CODE_SERVICE_NOT_FOUND',
  'ERROR_CODE_SERVICE_UNREACHABLE',
  'ERROR_CODE_WRONG_GROUP_ID_IN_TOKEN',
];
const managerYamlOutwayCodes = ['ERROR_CODE_METHOD_UNSUPPORTED'];

// Status tables of the fsc-core text (Manager/Outway/Inway "Error response > Codes") and fsc-logging.
const specStatuses: Record<string, number> = {
  ERROR_CODE_INCORRECT_GROUP_ID: 422,
  ERROR_CODE_SUBMITTING_PEER_NOT_PART_OF_CONTRACT: 422,
  ERROR_CODE_RECEIVING_PEER_NOT_PART_OF_CONTRACT: 422,
  ERROR_CODE_SIGNATURE_CONTRACT_CONTENT_HASH_MISMATCH: 422,
  ERROR_CODE_PEER_CERTIFICATE_VERIFICATION_FAILED: 400,
  ERROR_CODE_PEER_ID_SIGNATURE_MISMATCH: 422,
  ERROR_CODE_SIGNATURE_VERIFICATION_FAILED: 422,
  ERROR_CODE_GRANT_COMBINATION_NOT_ALLOWED: 422,
  ERROR_CODE_URL_PATH_CONTENT_HASH_MISMATCH: 422,
  ERROR_CODE_UNKNOWN_HASH_ALGORITHM_HASH: 422,
  ERROR_CODE_UNKNOWN_ALGORITHM_SIGNATURE: 422,
  ERROR_CODE_UNKNOWN_FSC_VERSION: 422,
  ERROR_CODE_METHOD_UNSUPPORTED: 405,
  ERROR_CODE_ACCESS_TOKEN_MISSING: 401,
  ERROR_CODE_ACCESS_TOKEN_INVALID: 401,
  ERROR_CODE_ACCESS_TOKEN_EXPIRED: 401,
  ERROR_CODE_WRONG_GROUP_ID_IN_TOKEN: 403,
  ERROR_CODE_SERVICE_NOT_FOUND: 404,
  ERROR_CODE_SERVICE_UNREACHABLE: 502,
  TRANSACTION_LOG_WRITE_ERROR: 500,
  INVALID_LOG_RECORD_ID: 400,
  MISSING_LOG_RECORD_ID: 400,
};

// Koppel's own codes with the statuses the gateway relies on.
const koppelStatuses: Record<string, number> = {
  ERROR_CODE_NO_GRANT: 403,
  ERROR_CODE_GRANT_NOT_FOUND: 404,
  ERROR_CODE_ACCESS_TOKEN_FETCH_FAILED: 502,
  ERROR_CODE_SERVICE_TIMEOUT: 504,
  ERROR_CODE_INWAY_UNREACHABLE: 502,
  ERROR_CODE_BAD_REQUEST: 400,
  ERROR_CODE_PAYLOAD_TOO_LARGE: 413,
  ERROR_CODE_INVALID_PURPOSE_HEADER: 400,
  ERROR_CODE_NOT_FOUND: 404,
  ERROR_CODE_INTERNAL: 500,
  ERROR_CODE_UNAUTHORIZED: 401,
  ERROR_CODE_CONTRACT_NOT_FOUND: 404,
  ERROR_CODE_INVALID_CONTRACT: 422,
};

const codes = Object.keys(errorCatalogue) as ErrorCode[];

describe('error catalogue', () => {
  it('holds every code of manager.yaml with the domain of its enum', () => {
    for (const code of managerYamlManagerCodes)
      expect(errorCatalogue[code as ErrorCode]?.domain).toBe('ERROR_DOMAIN_MANAGER');
    for (const code of managerYamlInwayCodes)
      expect(errorCatalogue[code as ErrorCode]?.domain).toBe('ERROR_DOMAIN_INWAY');
    for (const code of managerYamlOutwayCodes)
      expect(errorCatalogue[code as ErrorCode]?.domain).toBe('ERROR_DOMAIN_OUTWAY');
  });

  it('uses the HTTP statuses of the fsc-core and fsc-logging tables', () => {
    for (const [code, status] of Object.entries(specStatuses)) {
      expect(isErrorCode(code), code).toBe(true);
      expect(statusOf(code as ErrorCode), code).toBe(status);
    }
  });

  it('spells the fsc-logging codes without the ERROR_CODE_ prefix, as the extension does', () => {
    for (const code of ['TRANSACTION_LOG_WRITE_ERROR', 'INVALID_LOG_RECORD_ID', 'MISSING_LOG_RECORD_ID'] as const) {
      expect(errorCatalogue[code].origin).toBe('fsc-logging');
    }
    expect(isErrorCode('ERROR_CODE_TRANSACTION_LOG_WRITE_ERROR')).toBe(false);
  });

  it('has the Koppel codes the gateway needs', () => {
    for (const [code, status] of Object.entries(koppelStatuses)) {
      expect(isErrorCode(code), code).toBe(true);
      expect(statusOf(code as ErrorCode), code).toBe(status);
    }
  });

  it('gives every code an error status, a known domain and an origin', () => {
    expect(codes.length).toBeGreaterThan(40);
    for (const code of codes) {
      const spec = errorCatalogue[code];
      expect(spec.status, code).toBeGreaterThanOrEqual(400);
      expect(spec.status, code).toBeLessThan(600);
      expect(errorDomains, code).toContain(spec.domain);
      expect(['fsc-core', 'fsc-logging', 'koppel'], code).toContain(spec.origin);
      expect(code).toMatch(/^[A-Z][A-Z0-9_]+$/);
      if (spec.origin !== 'fsc-logging') expect(code).toMatch(/^ERROR_CODE_/);
    }
  });

  it('is frozen', () => {
    expect(Object.isFrozen(errorCatalogue)).toBe(true);
    expect(() => {
      (errorCatalogue as Record<string, unknown>).ERROR_CODE_NEW = { status: 200 };
    }).toThrow(TypeError);
  });

  it('isErrorCode rejects unknown values', () => {
    expect(isErrorCode('ERROR_CODE_NOPE')).toBe(false);
    expect(isErrorCode(42)).toBe(false);
    expect(isErrorCode('toString')).toBe(false);
  });
});

describe('FscError', () => {
  it('takes status and domain from the catalogue', () => {
    const err = new FscError('ERROR_CODE_ACCESS_TOKEN_EXPIRED', 'access token has expired');
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('FscError');
    expect(err.code).toBe('ERROR_CODE_ACCESS_TOKEN_EXPIRED');
    expect(err.status).toBe(401);
    expect(err.domain).toBe('ERROR_DOMAIN_INWAY');
    expect(err.message).toBe('access token has expired');
    expect(err.transactionId).toBeUndefined();
    expect(err.reason).toBeUndefined();
  });

  it('accepts a domain override, a cause, a transaction id and a reason', () => {
    const cause = new Error('disk full');
    const err = new FscError('TRANSACTION_LOG_WRITE_ERROR', 'transaction log write failed', {
      domain: 'ERROR_DOMAIN_OUTWAY',
      cause,
      transactionId: '01890a5d-ac96-774b-bcce-b302099a8057',
      reason: 'disk',
    });
    expect(err.domain).toBe('ERROR_DOMAIN_OUTWAY');
    expect(err.status).toBe(500);
    expect(err.cause).toBe(cause);
    expect(err.transactionId).toBe('01890a5d-ac96-774b-bcce-b302099a8057');
    expect(err.reason).toBe('disk');
  });
});

describe('errorBody', () => {
  it('builds {message, domain, code} from an FscError', () => {
    const err = new FscError('ERROR_CODE_SERVICE_NOT_FOUND', 'service not found');
    expect(errorBody(err)).toStrictEqual({
      message: 'service not found',
      domain: 'ERROR_DOMAIN_INWAY',
      code: 'ERROR_CODE_SERVICE_NOT_FOUND',
    });
    expect(err.toBody('abc')).toStrictEqual({
      message: 'service not found',
      domain: 'ERROR_DOMAIN_INWAY',
      code: 'ERROR_CODE_SERVICE_NOT_FOUND',
      transaction_id: 'abc',
    });
  });

  it('builds a body from parts, defaulting the domain from the catalogue', () => {
    expect(errorBody({ code: 'ERROR_CODE_METHOD_UNSUPPORTED', message: 'CONNECT is not supported' })).toStrictEqual({
      message: 'CONNECT is not supported',
      domain: 'ERROR_DOMAIN_OUTWAY',
      code: 'ERROR_CODE_METHOD_UNSUPPORTED',
    });
    expect(
      errorBody({ code: 'MISSING_LOG_RECORD_ID', message: 'missing', domain: 'ERROR_DOMAIN_OUTWAY' }, 'tx'),
    ).toStrictEqual({
      message: 'missing',
      domain: 'ERROR_DOMAIN_OUTWAY',
      code: 'MISSING_LOG_RECORD_ID',
      transaction_id: 'tx',
    });
  });

  it('uses the error transaction id unless one is passed', () => {
    const err = new FscError('ERROR_CODE_INTERNAL', 'internal error', { transactionId: 'from-error' });
    expect(errorBody(err).transaction_id).toBe('from-error');
    expect(errorBody(err, 'from-arg').transaction_id).toBe('from-arg');
  });

  it('never includes the cause', () => {
    const err = new FscError('ERROR_CODE_INTERNAL', 'internal error', { cause: new Error('token=secret') });
    expect(JSON.stringify(errorBody(err))).not.toContain('secret');
  });
});

describe('isFscError and toFscError', () => {
  it('recognises FscErrors and their look-alikes from another module copy', () => {
    expect(isFscError(new FscError('ERROR_CODE_NOT_FOUND', 'not found'))).toBe(true);
    const lookAlike = Object.assign(new Error('x'), {
      name: 'FscError',
      code: 'ERROR_CODE_NOT_FOUND',
      status: 404,
      domain: 'ERROR_DOMAIN_MANAGER',
    });
    expect(isFscError(lookAlike)).toBe(true);
  });

  it('rejects other values', () => {
    expect(isFscError(new Error('x'))).toBe(false);
    expect(isFscError({ name: 'FscError', code: 'NOPE', status: 500, domain: 'ERROR_DOMAIN_MANAGER' })).toBe(false);
    expect(isFscError({ name: 'FscError', code: 'ERROR_CODE_INTERNAL', status: 500, domain: 'X' })).toBe(false);
    expect(isFscError(null)).toBe(false);
    expect(isFscError('ERROR_CODE_INTERNAL')).toBe(false);
  });

  it('passes FscErrors through and hides anything else behind a generic 500', () => {
    const fsc = new FscError('ERROR_CODE_NO_GRANT', 'no grant');
    expect(toFscError(fsc)).toBe(fsc);
    const raw = new Error('connect ECONNREFUSED https://internal.example:8443/?token=abc');
    const wrapped = toFscError(raw, 'ERROR_DOMAIN_OUTWAY');
    expect(wrapped.code).toBe('ERROR_CODE_INTERNAL');
    expect(wrapped.status).toBe(500);
    expect(wrapped.domain).toBe('ERROR_DOMAIN_OUTWAY');
    expect(wrapped.message).not.toContain('internal.example');
    expect(wrapped.cause).toBe(raw);
    expect(toFscError('string thrown').domain).toBe('ERROR_DOMAIN_MANAGER');
  });
});

describe('token endpoint errors (RFC 6749 §5.2)', () => {
  it('lists the codes of manager.yaml tokenErrorCode with their statuses', () => {
    expect([...oauthErrorCodes]).toStrictEqual([
      'invalid_request',
      'invalid_client',
      'invalid_grant',
      'invalid_scope',
      'unauthorized_client',
      'unsupported_grant_type',
    ]);
    // manager.yaml getToken documents only 200 and 400; RFC 6749 §5.2 allows 400 for invalid_client too.
    for (const code of oauthErrorCodes) expect(oauthErrorStatus(code), code).toBe(400);
    expect(oauthErrorBody('invalid_grant')).toStrictEqual({ error: 'invalid_grant' });
    expect(oauthErrorBody('invalid_scope', 'unknown grant')).toStrictEqual({
      error: 'invalid_scope',
      error_description: 'unknown grant',
    });
  });
});
