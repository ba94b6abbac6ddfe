/**
 * Forwarding one call: undici's `dispatch` straight into Node's `ServerResponse`, no web streams and
 * no intermediate response object. The request body streams from the client socket to the upstream
 * (or is a buffer the outway kept for a second attempt), the answer streams back chunk by chunk with
 * backpressure (the upstream socket pauses while the client cannot take more), so a 100 MB body
 * passes in flat memory. Status and headers pass unaltered apart from the hop-by-hop rules.
 *
 * A transport failure before the answer's head went out rejects with an {@link UpstreamFailure}
 * (the hop answers with the FSC error); after it, the client connection is cut (never a clean end),
 * and the call records who aborted and why.
 */
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { FscError } from '../protocol/index.ts';
import type { HopCall } from './call.ts';
import { downstreamResponseHeaders } from './headers.ts';
import { UpstreamFailure, upstreamFailure, type ForwardErrorCodes } from './upstream-failure.ts';

/** What to send where, and how the answer goes back. */
export interface ForwardTarget {
  dispatcher: Dispatcher;
  /** Scheme, host and port of the next hop. */
  origin: string;
  /** Path and query exactly as they go on the wire. */
  path: string;
  method: Dispatcher.HttpMethod;
  /** Flat `[name, value, …]` (see upstreamRequestHeaders). */
  headers: string[];
  /** The client's body stream, a buffer kept for a retry, or null for none. */
  body: Readable | Buffer | null;
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
  errors: ForwardErrorCodes;
  /** Response fields to set (flat, lower-case names), e.g. fsc-transaction-id. */
  addResponse: readonly string[];
  /**
   * Looked at when the answer's head arrives, before anything goes to the client: return a function
   * giving a new target to send the call once more (the first answer is then discarded), e.g. the
   * outway's fresh token after the inway refused the cached one.
   */
  retry?: (
    status: number,
    headers: Readonly<Record<string, string | string[] | undefined>>,
  ) => (() => Promise<ForwardTarget>) | undefined;
  /** Told when the next hop could not be reached or failed before its answer began (e.g. to drop a cached token). */
  onFailure?: (failure: UpstreamFailure) => void;
  /** Told when the next hop's answer begins (any status): it was reached. */
  onResponse?: () => void;
}

/** How one forward ended. */
export type ForwardEnd =
  | { kind: 'done' }
  | { kind: 'retry'; next: () => Promise<ForwardTarget> }
  /** The head went out, then the upstream failed: the client got a cut-off answer. */
  | { kind: 'cut'; failure: UpstreamFailure }
  | { kind: 'client-gone' };

const METHOD = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Send the call to `target` and stream the answer into `call.res`. Resolves when the exchange has
 * ended; rejects with an UpstreamFailure (or a 400 FscError for an invalid method) before any byte of
 * the answer was written.
 */
export function forward(call: HopCall, target: ForwardTarget): Promise<ForwardEnd> {
  if (!METHOD.test(target.method)) {
    return Promise.reject(
      new FscError('ERROR_CODE_BAD_REQUEST', 'invalid request method', { domain: target.errors.domain }),
    );
  }
  const res = call.res;
  const body = target.body;
  if (call.clientGone || res.destroyed) return Promise.resolve({ kind: 'client-gone' });
  return new Promise<ForwardEnd>((resolve, reject) => {
    let controller: Dispatcher.DispatchController | undefined;
    let headSent = false;
    let bodyStarted = false;
    let settled = false;
    let retry: (() => Promise<ForwardTarget>) | undefined;

    function settle(end: ForwardEnd): void {
      if (settled) return;
      settled = true;
      res.off('close', onClientClose);
      resolve(end);
    }
    function fail(err: unknown): void {
      if (settled) return;
      // Our own refusal of the request body (request-body-limit.ts), not a failure of the next hop.
      if (err instanceof FscError && !(err instanceof UpstreamFailure) && !call.clientGone) {
        if (!headSent) {
          settled = true;
          res.off('close', onClientClose);
          reject(err);
          return;
        }
        call.errorCode = err.code;
        res.destroy();
        settle({ kind: 'cut', failure: upstreamFailure(err, target.errors) });
        return;
      }
      const failure = upstreamFailure(err, target.errors);
      if (call.clientGone) {
        settle({ kind: 'client-gone' });
        return;
      }
      if (!headSent) {
        target.onFailure?.(failure);
        // The request body may still be half read (client upload): stop it, the upstream is gone.
        if (body !== null && !Buffer.isBuffer(body) && !body.readableEnded) body.destroy();
        settled = true;
        res.off('close', onClientClose);
        reject(failure);
        return;
      }
      // The head is out: the only honest signal left is a cut connection.
      call.abortedBy = 'upstream';
      call.errorCode = failure.code;
      res.destroy();
      settle({ kind: 'cut', failure });
    }
    function flushHead(): void {
      if (!bodyStarted && !settled && !res.destroyed) res.flushHeaders();
    }
    function onClientClose(): void {
      if (res.writableFinished) return;
      call.clientGone = true;
      call.abortedBy ??= 'client';
      controller?.abort(new Error('the client closed the connection'));
      settle({ kind: 'client-gone' });
    }
    res.once('close', onClientClose);

    const handler: Dispatcher.DispatchHandler = {
      onRequestStart(c) {
        controller = c;
        if (call.clientGone) c.abort(new Error('the client closed the connection'));
      },
      onResponseStart(c, statusCode, headers) {
        if (statusCode < 200 || statusCode > 599) {
          c.abort(
            Object.assign(new Error('upstream answered with an invalid status'), { code: 'UND_ERR_HTTP_PARSER' }),
          );
          return;
        }
        target.onResponse?.();
        retry = target.retry?.(statusCode, headers);
        if (retry !== undefined) return;
        const fields = downstreamResponseHeaders(headers, target.addResponse);
        call.status = statusCode;
        headSent = true;
        res.writeHead(statusCode, fields);
        // Node sends the head with the first body chunk (one packet for a small answer); when the body
        // is slow to come, the client still gets the head now, as the upstream sent it.
        setImmediate(flushHead);
      },
      onResponseData(c, chunk) {
        if (retry !== undefined) return;
        bodyStarted = true;
        call.bytesOut += chunk.length;
        if (!res.write(chunk)) {
          c.pause();
          res.once('drain', () => c.resume());
        }
      },
      onResponseEnd() {
        if (retry !== undefined) {
          settle({ kind: 'retry', next: retry });
          return;
        }
        res.end();
        settle({ kind: 'done' });
      },
      onResponseError(_c, err) {
        fail(err);
      },
    };

    try {
      target.dispatcher.dispatch(
        {
          origin: target.origin,
          path: target.path,
          method: target.method,
          headers: target.headers,
          body,
          // Retrying a proxied request is the client's decision, never ours.
          idempotent: false,
          ...(target.headersTimeoutMs === undefined ? {} : { headersTimeout: target.headersTimeoutMs }),
          ...(target.bodyTimeoutMs === undefined ? {} : { bodyTimeout: target.bodyTimeoutMs }),
        },
        handler,
      );
    } catch (err) {
      fail(err);
    }
  });
}
