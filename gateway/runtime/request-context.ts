/**
 * Per-request values the runtime's middleware share with role code, kept as hono context variables.
 */
import type { Context } from 'hono';
import type { ServerResponse } from 'node:http';

/** Hono `Variables` the runtime reads; role apps may declare them in their `Env` for typed access. */
export interface RuntimeVariables {
  /** The Fsc-Transaction-Id of this request, once the role knows (created or validated) it. */
  transactionId: string;
}

type RuntimeContext = Context<{ Variables: Partial<RuntimeVariables> }>;

/**
 * Record the transaction id of the current request, so the error boundary puts it in error bodies
 * and the request log line carries it.
 */
export function setTransactionId(c: Context, transactionId: string): void {
  (c as RuntimeContext).set('transactionId', transactionId);
}

/** The transaction id recorded with {@link setTransactionId}, if any. */
export function transactionIdOf(c: Context): string | undefined {
  return (c as RuntimeContext).get('transactionId');
}

/**
 * Run `done` once the response has really ended (last byte written or connection lost), which for
 * a streamed proxy response is long after the handler returned. Outside the Node server
 * (`app.request()` in tests) the handler's return is the end.
 */
export function onResponseDone(c: Context, done: (aborted: boolean) => void): void {
  const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
  if (outgoing === undefined || typeof outgoing.once !== 'function' || outgoing.closed) {
    done(false);
    return;
  }
  outgoing.once('close', () => done(!outgoing.writableFinished));
}
