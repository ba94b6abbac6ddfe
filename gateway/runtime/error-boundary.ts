/**
 * The one error boundary (STYLE.md "Errors"): every error a handler throws becomes an FSC error
 * response, header `Fsc-Error-Code` and body `{message, domain, code}` (fsc-core "Error handling"),
 * plus `transaction_id` when the request has one. Anything that is not an FscError is our bug or an
 * unexpected failure: the client gets a generic 500 and the cause goes to the log only, because its
 * message may hold URLs, paths or secrets.
 */
import type { Context, ErrorHandler, Hono, NotFoundHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import {
  FSC_ERROR_CODE,
  FSC_TRANSACTION_ID,
  FscError,
  WWW_AUTHENTICATE,
  errorBody,
  isFscError,
  type ErrorCode,
  type ErrorDomain,
} from '../protocol/index.ts';
import type { Logger } from './logger.ts';
import { transactionIdOf } from './request-context.ts';

/** Options of {@link createErrorHandler} and {@link installErrorBoundary}. */
export interface ErrorBoundaryOptions {
  logger: Logger;
  /** Domain for errors the boundary itself produces (unknown errors, unmatched routes). */
  domain: ErrorDomain;
}

/**
 * The response for an FscError: status and domain from the error, `Fsc-Error-Code`, and
 * `WWW-Authenticate: Bearer` on 401 (fsc-core inway error codes; RFC 9110 §15.5.2).
 */
export function fscErrorResponse(err: FscError, transactionId?: string): Response {
  const txid = transactionId ?? err.transactionId;
  const headers = new Headers({ 'content-type': 'application/json', [FSC_ERROR_CODE]: err.code });
  if (txid !== undefined) headers.set(FSC_TRANSACTION_ID, txid);
  if (err.status === 401) headers.set(WWW_AUTHENTICATE, 'Bearer');
  return new Response(JSON.stringify(errorBody(err, txid)), { status: err.status, headers });
}

// hono's own middleware (validators, basic auth, …) throws HTTPException: give it a catalogue code.
const httpExceptionCodes: Readonly<Partial<Record<number, { code: ErrorCode; message: string }>>> = {
  400: { code: 'ERROR_CODE_BAD_REQUEST', message: 'bad request' },
  401: { code: 'ERROR_CODE_UNAUTHORIZED', message: 'unauthorized' },
  403: { code: 'ERROR_CODE_FORBIDDEN', message: 'forbidden' },
  404: { code: 'ERROR_CODE_NOT_FOUND', message: 'not found' },
  413: { code: 'ERROR_CODE_PAYLOAD_TOO_LARGE', message: 'request body too large' },
  503: { code: 'ERROR_CODE_SERVICE_UNAVAILABLE', message: 'service unavailable' },
};

function fromHttpException(err: HTTPException, domain: ErrorDomain): FscError | undefined {
  const mapped = httpExceptionCodes[err.status] ?? (err.status < 500 ? httpExceptionCodes[400] : undefined);
  return mapped === undefined ? undefined : new FscError(mapped.code, mapped.message, { domain, cause: err });
}

/**
 * A hono `onError` handler: FscError → its response, 4xx logged at info and 5xx at error; any other
 * error → 500 `ERROR_CODE_INTERNAL` "internal error", full cause logged at error.
 */
export function createErrorHandler(options: ErrorBoundaryOptions): ErrorHandler {
  const { logger, domain } = options;
  return function errorBoundary(err: Error, c: Context): Response {
    const transactionId = transactionIdOf(c);
    const request = { method: c.req.method, path: c.req.path, transactionId };
    const fscError = isFscError(err) ? err : err instanceof HTTPException ? fromHttpException(err, domain) : undefined;
    if (fscError !== undefined) {
      const fields = { ...request, status: fscError.status, code: fscError.code, reason: fscError.reason };
      if (fscError.status >= 500) logger.error({ ...fields, err: fscError }, 'request failed');
      else logger.info(fields, 'request rejected');
      return fscErrorResponse(fscError, transactionId);
    }
    const internal = new FscError('ERROR_CODE_INTERNAL', 'internal error', { domain });
    if (c.req.raw.signal.aborted) {
      // The client went away and the handler failed because of it: nobody reads this response.
      logger.info({ ...request, reason: 'client-aborted' }, 'request aborted');
    } else {
      logger.error({ ...request, status: internal.status, code: internal.code, err }, 'unhandled error');
    }
    return fscErrorResponse(internal, transactionId);
  };
}

/** A hono `notFound` handler: 404 `ERROR_CODE_NOT_FOUND` in the given domain. */
export function createNotFoundHandler(options: { domain: ErrorDomain }): NotFoundHandler {
  const { domain } = options;
  return function notFound(c: Context): Response {
    return fscErrorResponse(new FscError('ERROR_CODE_NOT_FOUND', 'no such endpoint', { domain }), transactionIdOf(c));
  };
}

/** Install {@link createErrorHandler} as `app.onError` and {@link createNotFoundHandler} as `app.notFound`. */
export function installErrorBoundary<A extends Hono>(app: A, options: ErrorBoundaryOptions): A {
  app.onError(createErrorHandler(options));
  app.notFound(createNotFoundHandler(options));
  return app;
}
