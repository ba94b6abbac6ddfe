// Graceful, idempotent close of the shared listener: stop accepting, let in-flight requests finish,
// close idle keep-alive connections at once, destroy what is left at the drain deadline.
import 'reflect-metadata';
import { Hono } from 'hono';
import { Agent, request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../../certs/index.ts';
import {
  createMtlsAgent,
  createServerTlsOptions,
  startHttpServer,
  type StartHttpServerOptions,
} from '../../gateway/runtime/index.ts';
import { memoryLogger } from './log-lines.ts';


function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Rejects when `promise` has not settled within `ms`: close() must not wait for keep-alive timeouts. */
function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not settled within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

const SERVER_OIN = '00000001000000000001';
const CLIENT_OIN = '00000001000000000002';
let pki: TestPki;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  pki = await createTestPki({
    groupId: 'runtime-close',
    peers: [
      { oin: SERVER_OIN, name: 'Server' },
      { oin: CLIENT_OIN, name: 'Client' },
    ],
  });
});
afterAll(async () => {
  await pki?.remove();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function start(app: Hono, extra: Partial<StartHttpServerOptions> = {}) {
  const log = memoryLogger();
  const server = await startHttpServer({
    app,
    listen: { host: '127.0.0.1', port: 0 },
    name: 'test',
    logger: log.logger,
    // A long keep-alive, so a close() that waited for idle connections to time out would show.
    timeouts: { keepAliveTimeoutMs: 30_000 },
    ...extra,
  });
  cleanups.push(() => server.close());
  return { server, log };
}

function keepAliveAgent(): Agent {
  const agent = new Agent({ keepAliveTimeout: 60_000 });
  cleanups.push(() => agent.close());
  return agent;
}

describe('startHttpServer close()', () => {
  it('returns the same promise on every call and stops accepting connections', async () => {
    const { server } = await start(new Hono().get('/', (c) => c.text('ok')));
    const first = server.close();
    expect(server.close()).toBe(first);
    await within(first, 2_000);
    await expect(request(`${server.url}/`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(server.close()).toBe(first);
  });

  it('lets an in-flight request finish, refuses new connections meanwhile, then resolves', async () => {
    const entered = deferred();
    const release = deferred();
    const app = new Hono().get('/slow', async (c) => {
      entered.resolve();
      await release.promise;
      return c.text('done');
    });
    const { server } = await start(app);
    const inFlight = request(`${server.url}/slow`, { dispatcher: keepAliveAgent() });
    await entered.promise;

    let closed = false;
    const closing = server.close().then(() => {
      closed = true;
    });
    await expect(request(`${server.url}/slow`, { dispatcher: new Agent() })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(closed).toBe(false);

    release.resolve();
    const res = await inFlight;
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe('done');
    await within(closing, 2_000);
    expect(closed).toBe(true);
  });

  it('closes idle keep-alive connections at once instead of waiting for their timeout', async () => {
    const { server } = await start(new Hono().get('/', (c) => c.text('ok')));
    const agent = keepAliveAgent();
    const res = await request(`${server.url}/`, { dispatcher: agent });
    await res.body.text();
    await within(server.close(), 2_000);
  });

  it('closes idle keep-alive TLS connections at once too', async () => {
    const s = pki.peers[SERVER_OIN]!;
    const c = pki.peers[CLIENT_OIN]!;
    const { server } = await start(new Hono().get('/', (ctx) => ctx.text('ok')), {
      tls: createServerTlsOptions({ ca: pki.caPem, cert: s.chainPem, key: s.keyPem }),
    });
    const agent = createMtlsAgent({ ca: pki.caPem, cert: c.chainPem, key: c.keyPem, keepAliveTimeoutMs: 60_000 });
    cleanups.push(() => agent.close());
    const res = await request(`https://localhost:${server.port}/`, { dispatcher: agent });
    expect(await res.body.text()).toBe('ok');
    await within(server.close(), 2_000);
  });

  it('destroys connections still busy at the drain deadline', async () => {
    const entered = deferred();
    const app = new Hono().get('/hang', async () => {
      entered.resolve();
      return new Promise<Response>(() => {});
    });
    const { server, log } = await start(app, { timeouts: { keepAliveTimeoutMs: 30_000, drainTimeoutMs: 200 } });
    const inFlight = request(`${server.url}/hang`, { dispatcher: keepAliveAgent() });
    const failed = inFlight.then(
      () => 'answered',
      (err: { code?: string }) => err.code ?? 'error',
    );
    await entered.promise;
    await within(server.close(), 2_000);
    expect(await failed).toBe('UND_ERR_SOCKET');
    expect(log.lines.some((l) => l.level === 'warn' && l.msg === 'drain deadline reached, destroying connections')).toBe(true);
  });
});

describe('startHttpServer start', () => {
  it('rejects when the port is taken', async () => {
    const { server } = await start(new Hono());
    await expect(
      startHttpServer({
        app: new Hono(),
        listen: { host: '127.0.0.1', port: server.port },
        name: 'second',
        logger: memoryLogger().logger,
      }),
    ).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });

  it('validates timeouts before opening a socket', async () => {
    await expect(
      startHttpServer({
        app: new Hono(),
        listen: { host: '127.0.0.1', port: 0 },
        name: 'bad',
        logger: memoryLogger().logger,
        timeouts: { headersTimeoutMs: 10_000, requestTimeoutMs: 5_000 },
      }),
    ).rejects.toThrow(RangeError);
  });

  it('applies the configured timeouts to the Node server', async () => {
    const { server } = await start(new Hono(), {
      timeouts: { headersTimeoutMs: 7_000, requestTimeoutMs: 9_000, keepAliveTimeoutMs: 3_000 },
    });
    expect(server.server.headersTimeout).toBe(7_000);
    expect(server.server.requestTimeout).toBe(9_000);
    expect(server.server.keepAliveTimeout).toBe(3_000);
  });
});
