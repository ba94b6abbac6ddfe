/**
 * Prometheus metrics per component. Each component owns a Registry (never prom-client's global
 * one), so two components in one process (the demo, the tests) do not collide.
 * Names follow the OpenTelemetry HTTP semantic conventions as exported to Prometheus:
 * `http.server.request.duration` (seconds) → `http_server_request_duration_seconds`, attributes
 * `http.request.method`, `http.route`, `http.response.status_code` with dots as underscores.
 */
import type { Context, Handler, MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { onResponseDone } from './request-context.ts';

/** Bucket boundaries advised by OpenTelemetry for `http.server.request.duration`. */
export const HTTP_DURATION_BUCKETS_SECONDS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
]);

type DurationLabels = 'http_request_method' | 'http_route' | 'http_response_status_code';

/** A component's metrics. */
export interface Metrics {
  readonly registry: Registry;
  readonly httpServerDuration: Histogram<DurationLabels>;
  /** Middleware recording `http_server_request_duration_seconds` when each response has ended. */
  readonly middleware: MiddlewareHandler;
  /** A hono handler serving the registry in the Prometheus text format (mount it at `/metrics`). */
  readonly handler: Handler;
  /** The registry in the Prometheus text format. */
  text(): Promise<string>;
  /** The content type of {@link Metrics.text}. */
  readonly contentType: string;
}

/** Options of {@link createMetrics}. */
export interface MetricsOptions {
  /** Component name, added to every series as label `component`. */
  component: string;
  /** Also collect Node process metrics (CPU, memory, event loop) into this registry. Default false. */
  processMetrics?: boolean;
}

// OTel: methods outside the registered set are reported as `_OTHER` (bounded label cardinality).
const KNOWN_METHODS = new Set(['CONNECT', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT', 'TRACE']);

function methodLabel(method: string): string {
  const upper = method.toUpperCase();
  return KNOWN_METHODS.has(upper) ? upper : '_OTHER';
}

/** Create a component's registry with the HTTP server duration histogram. */
export function createMetrics(options: MetricsOptions): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ component: options.component });
  if (options.processMetrics === true) collectDefaultMetrics({ register: registry });
  const httpServerDuration = new Histogram<DurationLabels>({
    name: 'http_server_request_duration_seconds',
    help: 'Duration of HTTP server requests.',
    labelNames: ['http_request_method', 'http_route', 'http_response_status_code'],
    buckets: [...HTTP_DURATION_BUCKETS_SECONDS],
    registers: [registry],
  });

  const middleware: MiddlewareHandler = async function httpMetrics(c: Context, next) {
    const started = performance.now();
    await next();
    onResponseDone(c, () => {
      httpServerDuration.observe(
        {
          http_request_method: methodLabel(c.req.method),
          // The route pattern, not the path: paths are unbounded (and may hold personal data).
          http_route: routePath(c),
          http_response_status_code: String(c.res.status),
        },
        (performance.now() - started) / 1000,
      );
    });
  };

  const text = (): Promise<string> => registry.metrics();
  const handler: Handler = async function metricsHandler(c: Context) {
    return c.body(await text(), 200, { 'content-type': registry.contentType });
  };

  return { registry, httpServerDuration, middleware, handler, text, contentType: registry.contentType };
}
