/**
 * One call through a hop (outway or inway): the Node request and response, what the steps found out
 * (transaction id, token claims, trace, purpose, where to forward), and the outcome as it really
 * happened, for the completion record and the metrics. One object per request, plain fields, no
 * per-request closures beyond what the hop needs.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AccessTokenClaims, Purpose, TraceParent } from '../protocol/index.ts';
import type { ForwardTarget } from './forward.ts';

/** Who ended a call before its answer was complete. */
export type AbortedBy = 'client' | 'upstream';

export class HopCall<L = unknown> {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** performance.now() at arrival. */
  readonly started: number;
  /** The role's own per-call state (the outway's address and grant, the inway's service, …). */
  readonly locals: L;
  /** Fsc-Transaction-Id: created by the outway, received (and checked) by the inway. */
  transactionId: string | undefined = undefined;
  /** The verified (inway) or received (outway) access-token claims. */
  claims: AccessTokenClaims | undefined = undefined;
  /** The trace context sent to the next hop (our child span). */
  trace: TraceParent | undefined = undefined;
  /** NLX purpose metadata, when the role records it. */
  purpose: Purpose | undefined = undefined;
  /** The service name, for logs and metrics (never the path). */
  service: string | undefined = undefined;
  /** The other organisation's peer id (outway: the provider; inway: the consumer). */
  peer: string | undefined = undefined;
  /** Where and what to forward: set by the role's last step. */
  target: ForwardTarget | undefined = undefined;
  /** The record is durable: from here on, a completion entry must follow. */
  logged = false;
  /** The status sent to the client (0 until the head went out). */
  status = 0;
  /** The FSC error code of our own answer, or of the upstream failure that cut the answer. */
  errorCode: string | undefined = undefined;
  /** Response body bytes passed to the client. */
  bytesOut = 0;
  abortedBy: AbortedBy | undefined = undefined;
  /** The client connection closed before the answer was complete. */
  clientGone = false;

  /** Run once the call has ended (after its completion): releases of what a step held. */
  readonly finally: (() => void)[] = [];

  constructor(req: IncomingMessage, res: ServerResponse, locals: L) {
    this.req = req;
    this.res = res;
    this.locals = locals;
    this.started = performance.now();
  }

  /** The first value of a request header (Node joins repeated fields, `set-cookie` aside). */
  header(name: string): string | undefined {
    const v = this.req.headers[name];
    return typeof v === 'string' ? v : v?.[0];
  }

  durationMs(): number {
    return performance.now() - this.started;
  }
}
