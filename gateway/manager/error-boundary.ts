// Errors of the Manager API go through the runtime's one error boundary (FscError → `Fsc-Error-Code`
// and `{message, domain, code}`; anything else → generic 500, cause logged). Two manager rules are
// added in front of it: fsc-core manager "Error response": "The domain field of the error response
// MUST be equal to ERROR_DOMAIN_MANAGER", and a bad pagination cursor from the store is the
// caller's mistake (400), not ours.
import type { ErrorHandler, NotFoundHandler } from 'hono';
import { FscError, isFscError } from '../protocol/index.ts';
import { createErrorHandler, createNotFoundHandler, type Logger } from '../runtime/index.ts';
import { isStoreError } from '../store/index.ts';

const DOMAIN = 'ERROR_DOMAIN_MANAGER';

function toManagerError(err: Error): Error {
  if (isFscError(err)) {
    if (err.domain === DOMAIN) return err;
    const options = { domain: DOMAIN, cause: err.cause, ...(err.reason === undefined ? {} : { reason: err.reason }) } as const;
    return new FscError(err.code, err.message, options);
  }
  if (isStoreError(err) && (err.code === 'STORE_INVALID_CURSOR' || err.code === 'STORE_INVALID_ARGUMENT')) {
    return new FscError('ERROR_CODE_BAD_REQUEST', err.message, { domain: DOMAIN, cause: err, reason: err.code });
  }
  return err;
}

export function managerErrorHandler(logger: Logger): ErrorHandler {
  const boundary = createErrorHandler({ logger, domain: DOMAIN });
  return function managerErrorBoundary(err, c) {
    return boundary(toManagerError(err), c);
  };
}

export function managerNotFound(): NotFoundHandler {
  return createNotFoundHandler({ domain: DOMAIN });
}
