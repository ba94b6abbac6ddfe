/**
 * Answers the hop writes itself: an FSC error (fsc-core "Error handling": header `Fsc-Error-Code`,
 * body `{message, domain, code}`, plus `transaction_id` when known; `WWW-Authenticate: Bearer` on 401),
 * written straight to Node's response.
 */
import { FSC_TRANSACTION_ID, WWW_AUTHENTICATE, errorBody, errorResponseFields, type FscError } from '../protocol/index.ts';
import type { HopCall } from './call.ts';

/**
 * Send `err` as the answer of the call, with `extra` fields in the body (the outway's listing of
 * reachable services). When the answer's head already went out, the connection is cut instead.
 */
export function sendFscError(call: HopCall, err: FscError, extra?: Readonly<Record<string, unknown>>): void {
  const res = call.res;
  call.errorCode = err.code;
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const txid = call.transactionId ?? err.transactionId;
  const base = errorBody(err, txid);
  const body = JSON.stringify(extra === undefined ? base : { ...base, ...extra });
  const headers = errorResponseFields(body, err.code);
  if (txid !== undefined) headers.push(FSC_TRANSACTION_ID, txid);
  if (err.status === 401) headers.push(WWW_AUTHENTICATE, 'Bearer');
  // A body refused half-way is not read to its end: the connection cannot carry another request.
  if (err.status === 413 && !call.req.complete) headers.push('connection', 'close');
  call.status = err.status;
  res.writeHead(err.status, headers);
  res.end(body);
}
