/**
 * One info line per completed request (STYLE.md "Logs and telemetry").
 */
import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { FSC_TRANSACTION_ID } from '../protocol/index.ts';
import type { Logger } from './logger.ts';
import { onResponseDone, transactionIdOf } from './request-context.ts';

/** Options of {@link requestLogger}. */
export interface RequestLoggerOptions {
  logger: Logger;
  /**
   * What to log as `path`: the request path without query (default), or the matched route pattern,
   * for listeners whose paths carry personal data (a BSN in a registry path).
   */
  path?: 'path' | 'route';
}

/**
 * Middleware that logs `{method, path, status, durationMs, transactionId}` at info once the
 * response has been sent (for a streamed body: its last byte), plus `aborted: true` when the
 * client went away first.
 */
export function requestLogger(options: RequestLoggerOptions): MiddlewareHandler {
  const { logger } = options;
  const useRoute = options.path === 'route';
  return async function requestLogger(c, next) {
    const started = performance.now();
    await next();
    onResponseDone(c, (aborted) => {
      const fields: Record<string, unknown> = {
        method: c.req.method,
        path: useRoute ? routePath(c) : c.req.path,
        status: c.res.status,
        durationMs: Math.round((performance.now() - started) * 100) / 100,
        transactionId: transactionIdOf(c) ?? c.res.headers.get(FSC_TRANSACTION_ID) ?? undefined,
      };
      if (aborted) fields.aborted = true;
      logger.info(fields, 'request completed');
    });
  };
}
