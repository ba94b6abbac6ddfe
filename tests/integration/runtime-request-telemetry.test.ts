// The request log line and the duration histogram are written when the response has really ended —
// for a streamed body its last byte, or the client going away — not when the handler returned.
import { Hono } from 'hono';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, createMetrics, requestLogger, startHttpServer, type RunningServer } from '../../gateway/runtime/index.ts';

type Line = Record<string, unknown>;
const lines: Line[] = [];
const waiters: { msg: string; resolve: (line: Line) => void }[] = [];
const logger = createLogger({
  level: 'info',
  name: 'test',
  destination: {
    write: (s: string) => {
      const line = JSON.parse(s) as Line;
      lines.push(line);
      for (const w of waiters.splice(0)) {
        if (w.msg === line.msg) w.resolve(line);
        else waiters.push(w);
      }
    },
  },
});
function nextLine(msg: string): Promise<Line> {
  return new Promise((resolve) => waiters.push({ msg, resolve }));
}

const metrics = createMetrics({ component: 'telemetry-test' });
let server: RunningServer;
const agent = new Agent();

beforeAll(async () => {
  const app = new Hono();
  app.use(requestLogger({ logger, path: 'route' }));
  app.use(metrics.middleware);
  app.get('/persons/:bsn', (c) => c.json({ ok: true }));
  app.get('/stream/:id', (c) => {
    let n = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        // Endless: only the client hanging up ends this response.
        controller.enqueue(new TextEncoder().encode(`chunk ${n++}\n`.padEnd(16 * 1024, '.')));
      },
    });
    return c.body(body, 200, { 'content-type': 'text/plain' });
  });
  server = await startHttpServer({ app, listen: { host: '127.0.0.1', port: 0 }, name: 'test', logger });
});

afterAll(async () => {
  await agent.close();
  await server?.close();
});

describe('request telemetry', () => {
  it('logs the route instead of the path when asked (paths may carry personal data)', async () => {
    const logged = nextLine('request completed');
    const res = await request(`${server.url}/persons/999993653`, { dispatcher: agent });
    await res.body.json();
    const line = await logged;
    expect(line).toMatchObject({ method: 'GET', path: '/persons/:bsn', status: 200 });
    expect(line.aborted).toBeUndefined();
    expect(JSON.stringify(lines)).not.toContain('999993653');
  });

  it('marks a response the client abandoned mid-stream as aborted, and still measures it', async () => {
    const logged = nextLine('request completed');
    const res = await request(`${server.url}/stream/1`, { dispatcher: agent });
    expect(res.statusCode).toBe(200);
    for await (const _chunk of res.body) break; // read one chunk, then hang up
    const line = await logged;
    expect(line).toMatchObject({ path: '/stream/:id', status: 200, aborted: true });
    const text = await metrics.text();
    expect(text).toMatch(/http_server_request_duration_seconds_count\{[^}]*http_route="\/stream\/:id"[^}]*\} 1/);
  });
});
