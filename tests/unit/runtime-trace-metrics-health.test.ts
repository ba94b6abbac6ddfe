// W3C traceparent for the next hop, per-component Prometheus metrics with the OTel HTTP duration
// histogram, and the liveness/readiness routes.
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { parseTraceparent } from '../../gateway/protocol/index.ts';
import {
  childTraceparent,
  createLogger,
  createMetrics,
  formatTraceparent,
  healthRoutes,
  newSpanId,
  newTraceId,
  toSpanContext,
} from '../../gateway/runtime/index.ts';

describe('trace context', () => {
  const incoming = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

  it('continues the trace with a new span id and the same flags', () => {
    const parent = parseTraceparent(incoming);
    const child = childTraceparent(parent);
    expect(child.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(child.flags).toBe('01');
    expect(child.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(child.spanId).not.toBe('00f067aa0ba902b7');
    const header = formatTraceparent(child);
    expect(child.version).toBe('00');
    expect(parseTraceparent(header)).toEqual(child);
  });

  it('starts a new trace without a parent, unsampled unless asked', () => {
    const root = childTraceparent(undefined);
    expect(root.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(root.flags).toBe('00');
    expect(childTraceparent(undefined, { sampled: true }).flags).toBe('01');
    expect(parseTraceparent(formatTraceparent(root))).toBeDefined();
  });

  it('writes version 00 even when a later version came in', () => {
    const future = parseTraceparent('cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra');
    expect(future).toBeDefined();
    expect(formatTraceparent(childTraceparent(future))).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
  });

  it('makes random, distinct, non-zero ids', () => {
    const ids = new Set(Array.from({ length: 100 }, () => newSpanId()));
    expect(ids.size).toBe(100);
    expect(newTraceId()).not.toMatch(/^0+$/);
  });

  it('converts to an OpenTelemetry SpanContext', () => {
    const tp = parseTraceparent(incoming)!;
    expect(toSpanContext(tp)).toEqual({ traceId: tp.traceId, spanId: tp.spanId, traceFlags: 1, isRemote: true });
    expect(toSpanContext({ ...tp, flags: '00' }).traceFlags).toBe(0);
  });
});

describe('metrics', () => {
  it('records http_server_request_duration_seconds per method, route and status in its own registry', async () => {
    const metrics = createMetrics({ component: 'inway' });
    const app = new Hono();
    app.use(metrics.middleware);
    app.get('/services/:name', (c) => c.text('ok'));
    app.get('/metrics', metrics.handler);
    await app.request('/services/basisregistratie');
    await app.request('/services/other');
    await app.request('/services/x', { method: 'PURGE' });
    const res = await app.request('/metrics');
    expect(res.headers.get('content-type')).toBe(metrics.contentType);
    const text = await res.text();
    expect(text).toContain('# TYPE http_server_request_duration_seconds histogram');
    expect(text).toMatch(
      /http_server_request_duration_seconds_count\{component="inway",http_request_method="GET",http_route="\/services\/:name",http_response_status_code="200"\} 2/,
    );
    expect(text).toContain('http_request_method="_OTHER"');
    expect(text).toContain('le="0.005"');
    expect(text).not.toContain('basisregistratie');
  });

  it('keeps registries of two components apart (no global registry)', async () => {
    const a = createMetrics({ component: 'a' });
    const b = createMetrics({ component: 'b' });
    a.httpServerDuration.observe({ http_request_method: 'GET', http_route: '/', http_response_status_code: '200' }, 0.01);
    expect(await a.text()).toContain('component="a"');
    expect(await b.text()).not.toContain('_count{');
  });
});

describe('health routes', () => {
  it('answers liveness without running checks', async () => {
    let ran = false;
    const app = healthRoutes({ checks: { store: () => void (ran = true) } });
    const res = await app.request('/health');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
    expect(ran).toBe(false);
  });

  it('is ready when every check passes', async () => {
    const app = healthRoutes({ checks: { store: () => true, txlog: async () => {} } });
    const res = await app.request('/ready');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready', checks: { store: 'ok', txlog: 'ok' } });
  });

  it('is not ready (503) when a check fails, throws or times out, without leaking the cause', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({
      level: 'warn',
      name: 'test',
      destination: { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) },
    });
    const app = healthRoutes({
      logger,
      checkTimeoutMs: 50,
      checks: {
        draining: () => false,
        redis: () => Promise.reject(new Error('connect ECONNREFUSED redis://10.1.2.3:6379')),
        slow: () => new Promise<void>(() => {}),
        store: () => true,
      },
    });
    const res = await app.request('/ready');
    expect(res.status).toBe(503);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ status: 'not_ready', checks: { draining: 'failed', redis: 'failed', slow: 'timeout', store: 'ok' } });
    expect(text).not.toContain('10.1.2.3');
    expect(lines.filter((l) => l.msg === 'readiness check failed')).toHaveLength(3);
    expect(JSON.stringify(lines)).toContain('10.1.2.3');
  });

  it('mounts into an app', async () => {
    const app = new Hono().route('/', healthRoutes());
    expect((await app.request('/health')).status).toBe(200);
    expect((await app.request('/ready')).status).toBe(200);
  });
});
