/**
 * Liveness and readiness endpoints for orchestrators and the directory's health checks.
 */
import { Hono } from 'hono';
import type { Logger } from './logger.ts';

/** A readiness check: ready unless it throws, returns false, or takes longer than the timeout. */
export type ReadinessCheck = () => boolean | void | Promise<boolean | void>;

/** Options of {@link healthRoutes}. */
export interface HealthOptions {
  /** Named checks run (concurrently) on every `/ready`. */
  checks?: Readonly<Record<string, ReadinessCheck>>;
  /** Per-check time limit. Default 2 000. */
  checkTimeoutMs?: number;
  /** Failed checks are logged at warn (the response names the check, never the cause). */
  logger?: Logger;
}

type CheckResult = 'ok' | 'failed' | 'timeout';

async function runCheck(check: ReadinessCheck, timeoutMs: number): Promise<{ result: CheckResult; err?: unknown }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<{ result: CheckResult }>((resolve) => {
    timer = setTimeout(() => resolve({ result: 'timeout' }), timeoutMs);
  });
  const attempt = (async () => {
    try {
      return { result: (await check()) === false ? 'failed' : 'ok' } as const;
    } catch (err) {
      return { result: 'failed', err } as const;
    }
  })();
  try {
    return await Promise.race([attempt, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A hono app with `GET /health` (liveness: 200 while the process serves requests) and
 * `GET /ready` (readiness: 200 `{status: 'ready', checks}` when every check passes, else 503
 * `{status: 'not_ready', checks}`). Mount with `app.route('/', healthRoutes({...}))`.
 */
export function healthRoutes(options: HealthOptions = {}): Hono {
  const checks = Object.entries(options.checks ?? {});
  const timeoutMs = options.checkTimeoutMs ?? 2_000;
  const { logger } = options;
  const app = new Hono();
  app.get('/health', function health(c) {
    c.header('cache-control', 'no-store');
    return c.json({ status: 'ok' });
  });
  app.get('/ready', async function ready(c) {
    const results = await Promise.all(checks.map(async ([name, check]) => [name, await runCheck(check, timeoutMs)] as const));
    const body: Record<string, CheckResult> = {};
    let ready = true;
    for (const [name, { result, err }] of results) {
      body[name] = result;
      if (result !== 'ok') {
        ready = false;
        logger?.warn({ check: name, result, err }, 'readiness check failed');
      }
    }
    c.header('cache-control', 'no-store');
    return c.json({ status: ready ? 'ready' : 'not_ready', checks: body }, ready ? 200 : 503);
  });
  return app;
}
