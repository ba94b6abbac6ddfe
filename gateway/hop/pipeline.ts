/**
 * The hop: one pipeline of named steps over Node's own http/https request objects, shared by the
 * outway and the inway (DESIGN.md "A call, end to end").
 *
 *   role steps (outway: address → grant → token; inway: certificate → token → service → …)
 *     → writeRecord (fail closed: the record is durable before anything is forwarded)
 *     → forward (undici dispatch, streamed straight into the response)
 *     → completion (the true outcome, when the response has really ended)
 *
 * A step is a named function of the call; it fills in the call (transaction id, claims, target) or
 * throws an FscError, which becomes the answer. A step may also answer itself (the outway's listing
 * of reachable services); the pipeline stops once the answer's head went out. A later step (an
 * authorization check, a plugin) slots in between by name.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FscError, isFscError, type ErrorDomain } from '../protocol/index.ts';
import type { Logger, Metrics } from '../runtime/index.ts';
import type { LogRecord, TxLog } from '../txlog/index.ts';
import { createAccessLog, type AccessLog } from './access-log.ts';
import { HopCall } from './call.ts';
import { forward, type ForwardTarget } from './forward.ts';
import { logRecordFor } from './record.ts';
import { limitStreamedBody } from './request-body-limit.ts';
import { sendFscError } from './respond.ts';
import { UpstreamFailure } from './upstream-failure.ts';

/** One named step of the pipeline. */
export type HopStep<L> = (call: HopCall<L>) => void | Promise<void>;

export interface HopOptions<L> {
  /** `outway` or `inway`: log lines and metrics. */
  name: string;
  domain: ErrorDomain;
  direction: LogRecord['direction'];
  logger: Logger;
  /** The peer's transaction log: `write` resolves only once the record is durable. */
  txlog: Pick<TxLog, 'write' | 'writeCompletion'>;
  /** Unix milliseconds. */
  clock: () => number;
  /** The role's steps, in order; the last one sets `call.target`. */
  steps: readonly HopStep<L>[];
  /** A fresh per-call state for the role. */
  locals: () => L;
  metrics?: Metrics;
  /** Called once per finished call (role counters). */
  observe?: (call: HopCall<L>) => void;
  /** Who the next hop is, in log messages: `service` (inway) or `inway` (outway). */
  upstreamName: string;
  /** Interval of the aggregated access log at info; default 60 000, 0 switches it off. */
  accessLogIntervalMs?: number;
  /**
   * Most bytes of a request body sent without a declared length (chunked) that are forwarded; more →
   * 413 (request-body-limit.ts). Declared lengths are checked by the listener. Omitted: no limit.
   */
  maxRequestBodyBytes?: number;
}

export interface Hop {
  /** The Node request listener. */
  readonly handle: (req: IncomingMessage, res: ServerResponse) => void;
  /** Writes the last access-log summary. */
  close(): void;
}

/**
 * fsc-logging: the record MUST be written before the request is forwarded, and the request MUST be
 * denied when it cannot be written (Outway/Inway "Writing to the TransactionLog").
 */
async function writeRecord<L>(call: HopCall<L>, options: HopOptions<L>): Promise<void> {
  const { transactionId, claims } = call;
  if (transactionId === undefined || claims === undefined) {
    throw new FscError('ERROR_CODE_INTERNAL', 'internal error', { domain: options.domain, reason: 'no-record-input' });
  }
  const record = logRecordFor({
    direction: options.direction,
    transactionId,
    claims,
    nowMs: options.clock(),
    trace: call.trace,
    purpose: call.purpose,
  });
  try {
    await options.txlog.write(record);
  } catch (err) {
    throw new FscError('TRANSACTION_LOG_WRITE_ERROR', 'the transaction log record could not be written', {
      domain: options.domain,
      cause: err,
      reason: isFscError(err) && err.reason !== undefined ? err.reason : 'write-failed',
    });
  }
  call.logged = true;
}

export function createHop<L>(options: HopOptions<L>): Hop {
  const { logger, steps, name } = options;
  const accessLog: AccessLog = createAccessLog(logger, name, options.accessLogIntervalMs ?? 60_000);
  const durations = new Map<string, { observe(v: number): void }>();

  function observeDuration(method: string, status: number, seconds: number): void {
    const metrics = options.metrics;
    if (metrics === undefined) return;
    const key = `${method} ${status}`;
    let child = durations.get(key);
    if (child === undefined) {
      // Bounded: methods outside the known set are `_OTHER`, statuses 100–599.
      child = metrics.httpServerDuration.labels({
        http_request_method: KNOWN_METHODS.has(method) ? method : '_OTHER',
        http_route: '/*',
        http_response_status_code: String(status),
      });
      durations.set(key, child);
    }
    child.observe(seconds);
  }

  function complete(call: HopCall<L>): void {
    for (const release of call.finally) release();
    // 0: the connection ended before any status went out (CompletionInput).
    const status = call.status;
    const durationMs = call.durationMs();
    if (call.logged && call.transactionId !== undefined) {
      options.txlog
        .writeCompletion({
          transaction_id: call.transactionId,
          direction: options.direction,
          status,
          duration_ms: Math.round(durationMs),
          bytes: call.bytesOut,
          ...(call.errorCode === undefined ? {} : { error_code: call.errorCode }),
          ...(call.abortedBy === undefined ? {} : { aborted_by: call.abortedBy }),
        })
        .catch((err: unknown) =>
          logger.warn({ transactionId: call.transactionId, err }, 'transaction log completion not written'),
        );
    }
    observeDuration(call.req.method ?? 'GET', status, durationMs / 1000);
    options.observe?.(call);
    accessLog.add(status, call.errorCode, durationMs, call.abortedBy !== undefined);
    if (logger.isLevelEnabled('debug')) {
      // No path: it may carry a data subject (a BSN in a registry URL); no purpose headers either.
      logger.debug(
        {
          method: call.req.method,
          status,
          durationMs: Math.round(durationMs * 100) / 100,
          transactionId: call.transactionId,
          service: call.service,
          peer: call.peer,
          ...(call.errorCode === undefined ? {} : { code: call.errorCode }),
          ...(call.abortedBy === undefined ? {} : { aborted: call.abortedBy }),
        },
        'request completed',
      );
    }
  }

  function answerError(call: HopCall<L>, err: unknown): void {
    const transactionId = call.transactionId;
    if (err instanceof UpstreamFailure) {
      if (call.clientGone)
        logger.info({ transactionId, service: call.service, reason: 'client-aborted' }, 'request aborted');
      else
        logger.warn(
          { transactionId, service: call.service, code: err.code, kind: err.kind, upstreamCode: err.upstreamCode },
          `${options.upstreamName} call failed`,
        );
      sendFscError(call, err);
      return;
    }
    if (isFscError(err)) {
      // Refusals under load (the per-service limit) and while an inway's circuit is open are counted by
      // the access log, not logged per call: an outage must not become a line per call.
      const overload = err.reason === 'concurrency-limit' || err.reason === 'concurrency-wait' || err.reason === 'circuit-open';
      if (err.status >= 500 && !overload)
        logger.error({ transactionId, code: err.code, reason: err.reason, err }, 'request failed');
      // 4xx are the peer's or the application's doing: the access log counts them by code.
      else logger.debug({ transactionId, code: err.code, reason: err.reason }, 'request rejected');
      sendFscError(call, err);
      return;
    }
    const internal = new FscError('ERROR_CODE_INTERNAL', 'internal error', { domain: options.domain });
    if (call.clientGone) logger.info({ transactionId, reason: 'client-aborted' }, 'request aborted');
    else logger.error({ transactionId, method: call.req.method, err }, 'unhandled error');
    sendFscError(call, internal);
  }

  async function run(call: HopCall<L>): Promise<void> {
    for (const step of steps) {
      const pending = step(call);
      if (pending !== undefined) await pending;
      if (call.res.headersSent || call.clientGone) return;
    }
    await writeRecord(call, options);
    let target: ForwardTarget | undefined = call.target;
    if (target === undefined)
      throw new FscError('ERROR_CODE_INTERNAL', 'internal error', { domain: options.domain, reason: 'no-target' });
    if (options.maxRequestBodyBytes !== undefined) {
      target = limitStreamedBody(call, target, options.maxRequestBodyBytes, options.domain);
    }
    for (;;) {
      const end = await forward(call, target);
      switch (end.kind) {
        case 'retry':
          target = await end.next();
          continue;
        case 'cut':
          logger.warn(
            {
              transactionId: call.transactionId,
              service: call.service,
              code: end.failure.code,
              kind: end.failure.kind,
            },
            `${options.upstreamName} response body failed`,
          );
          return;
        case 'client-gone':
          // The client went away and took the upstream call with it: nobody reads this answer.
          logger.info(
            { transactionId: call.transactionId, service: call.service, reason: 'client-aborted' },
            'request aborted',
          );
          return;
        case 'done':
          return;
      }
    }
  }

  return {
    handle(req, res) {
      const call = new HopCall<L>(req, res, options.locals());
      // The completion needs both: the pipeline has settled (so `logged` is final) and the response
      // has really ended (so the outcome is).
      let closed = false;
      let settled = false;
      res.once('close', () => {
        closed = true;
        if (!res.writableFinished) {
          call.clientGone = true;
          call.abortedBy ??= 'client';
        }
        if (settled) complete(call);
      });
      run(call)
        .catch((err: unknown) => answerError(call, err))
        .finally(() => {
          settled = true;
          if (closed) complete(call);
        });
    },
    close() {
      accessLog.close();
    },
  };
}

const KNOWN_METHODS = new Set(['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE']);
