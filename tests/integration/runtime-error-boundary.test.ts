// The one error boundary (fsc-core "Error handling": `Fsc-Error-Code` header and `{message, domain,
// code}` body), body limits, JSON parsing and the request log line, through a real listener.
import { Readable } from 'node:stream';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { FscError } from '../../gateway/protocol/index.ts';
import {
  bodyLimit,
  createLogger,
  installErrorBoundary,
  readJsonBody,
  requestLogger,
  setTransactionId,
  startHttpServer,
  type RunningServer,
} from '../../gateway/runtime/index.ts';

type Line = Record<string, unknown>;
const lines: Line[] = [];
const waiters: { msg: string; resolve: (line: Line) => void }[] = [];
const logger = createLogger({
  level: 'debug',
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

const TXID = '0190b1e4-7c3a-7d2e-9f10-2b5a6c7d8e9f';
const SECRET = 'postgres://admin:hunter2@10.0.0.5/db';
let handlerReached = 0;
let server: RunningServer;

beforeAll(async () => {
  const app = new Hono();
  app.use(requestLogger({ logger }));
  app.use(bodyLimit({ domain: 'ERROR_DOMAIN_MANAGER', maxBodyBytes: 1024 }));
  app.get('/fsc-error', (c) => {
    setTransactionId(c, TXID);
    throw new FscError('ERROR_CODE_SERVICE_NOT_FOUND', 'service not found', { domain: 'ERROR_DOMAIN_INWAY' });
  });
  app.get('/token-missing', () => {
    throw new FscError('ERROR_CODE_ACCESS_TOKEN_MISSING', 'access token missing');
  });
  app.get('/log-write', (c) => {
    setTransactionId(c, TXID);
    throw new FscError('TRANSACTION_LOG_WRITE_ERROR', 'could not write the transaction log', { cause: new Error('disk full') });
  });
  app.get('/bug', () => {
    throw new Error(`connection to ${SECRET} failed`);
  });
  app.get('/http-exception', () => {
    throw new HTTPException(403, { message: 'nope' });
  });
  app.post('/json', async (c) => {
    handlerReached++;
    const body = await readJsonBody(c, { domain: 'ERROR_DOMAIN_MANAGER' });
    return c.json({ echo: body });
  });
  app.post('/typed', async (c) => {
    const body = await readJsonBody(c, {
      domain: 'ERROR_DOMAIN_MANAGER',
      schema: z.object({ group_id: z.string(), limit: z.number().int() }),
    });
    return c.json(body);
  });
  app.get('/ok', (c) => {
    setTransactionId(c, TXID);
    return c.text('fine');
  });
  installErrorBoundary(app, { logger, domain: 'ERROR_DOMAIN_MANAGER' });
  server = await startHttpServer({ app, listen: { host: '127.0.0.1', port: 0 }, name: 'test', logger });
});

afterAll(async () => {
  await server?.close();
});

beforeEach(() => {
  lines.length = 0;
});

async function call(path: string, init: Parameters<typeof request>[1] = {}) {
  const res = await request(`${server.url}${path}`, init);
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text) as unknown };
}

/** The request log line is written when the response has ended, which can be just after the client got it. */
function logLine(msg: string): Promise<Line> {
  const line = lines.find((l) => l.msg === msg);
  if (line !== undefined) return Promise.resolve(line);
  return new Promise((resolve) => waiters.push({ msg, resolve }));
}

describe('error boundary', () => {
  it('turns an FscError into Fsc-Error-Code and {message, domain, code, transaction_id}', async () => {
    const res = await call('/fsc-error');
    expect(res.status).toBe(404);
    expect(res.headers['fsc-error-code']).toBe('ERROR_CODE_SERVICE_NOT_FOUND');
    expect(res.headers['fsc-transaction-id']).toBe(TXID);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json()).toEqual({
      message: 'service not found',
      domain: 'ERROR_DOMAIN_INWAY',
      code: 'ERROR_CODE_SERVICE_NOT_FOUND',
      transaction_id: TXID,
    });
    const line = lines.find((l) => l.msg === 'request rejected');
    expect(line).toMatchObject({ level: 'info', code: 'ERROR_CODE_SERVICE_NOT_FOUND', status: 404, transactionId: TXID });
  });

  it('adds WWW-Authenticate: Bearer to 401 responses', async () => {
    const res = await call('/token-missing');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(res.json()).toEqual({ message: 'access token missing', domain: 'ERROR_DOMAIN_INWAY', code: 'ERROR_CODE_ACCESS_TOKEN_MISSING' });
  });

  it('logs a 5xx FscError at error, with its cause', async () => {
    const res = await call('/log-write');
    expect(res.status).toBe(500);
    expect(res.headers['fsc-error-code']).toBe('TRANSACTION_LOG_WRITE_ERROR');
    const line = lines.find((l) => l.msg === 'request failed');
    expect(line).toMatchObject({ level: 'error', code: 'TRANSACTION_LOG_WRITE_ERROR', transactionId: TXID });
    expect(JSON.stringify(line)).toContain('disk full');
  });

  it('answers an unknown error with a generic 500 and logs the full cause at error', async () => {
    const res = await call('/bug');
    expect(res.status).toBe(500);
    expect(res.headers['fsc-error-code']).toBe('ERROR_CODE_INTERNAL');
    expect(res.json()).toEqual({ message: 'internal error', domain: 'ERROR_DOMAIN_MANAGER', code: 'ERROR_CODE_INTERNAL' });
    expect(res.text).not.toContain('hunter2');
    const line = lines.find((l) => l.msg === 'unhandled error');
    expect(line?.level).toBe('error');
    expect(JSON.stringify(line)).toContain(SECRET);
  });

  it("gives hono's HTTPException a catalogue code", async () => {
    const res = await call('/http-exception');
    expect(res.status).toBe(403);
    expect(res.json()).toEqual({ message: 'forbidden', domain: 'ERROR_DOMAIN_MANAGER', code: 'ERROR_CODE_FORBIDDEN' });
  });

  it('answers an unknown route with 404 ERROR_CODE_NOT_FOUND', async () => {
    const res = await call('/nothing/here');
    expect(res.status).toBe(404);
    expect(res.headers['fsc-error-code']).toBe('ERROR_CODE_NOT_FOUND');
    expect(res.json()).toMatchObject({ code: 'ERROR_CODE_NOT_FOUND', domain: 'ERROR_DOMAIN_MANAGER' });
  });
});

describe('JSON bodies', () => {
  const json = { 'content-type': 'application/json' };

  it('parses a JSON body', async () => {
    const res = await call('/json', { method: 'POST', headers: json, body: '{"a":[1,2]}' });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ echo: { a: [1, 2] } });
  });

  it('answers malformed JSON with 400 and a clear message that does not echo the input', async () => {
    const res = await call('/json', { method: 'POST', headers: json, body: '{"a": secret-value' });
    expect(res.status).toBe(400);
    expect(res.headers['fsc-error-code']).toBe('ERROR_CODE_BAD_REQUEST');
    expect(res.json()).toEqual({ message: 'request body is not valid JSON', domain: 'ERROR_DOMAIN_MANAGER', code: 'ERROR_CODE_BAD_REQUEST' });
    expect(res.text).not.toContain('secret-value');
  });

  it('answers an empty body and a non-JSON media type with 400', async () => {
    expect((await call('/json', { method: 'POST', headers: json, body: '' })).json()).toMatchObject({
      message: 'request body is empty, expected JSON',
    });
    expect((await call('/json', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' })).json()).toMatchObject({
      message: 'request body must be application/json',
    });
  });

  it('names the fields that do not match the schema', async () => {
    const res = await call('/typed', { method: 'POST', headers: json, body: '{"group_id": 5, "limit": 1.5}' });
    expect(res.status).toBe(400);
    const body = res.json() as { message: string };
    expect(body.message).toMatch(/^request body is invalid: /);
    expect(body.message).toContain('group_id');
    expect(body.message).toContain('limit');
  });
});

describe('body limit', () => {
  it('answers 413 on a Content-Length over the limit before the handler runs', async () => {
    const before = handlerReached;
    const res = await call('/json', { method: 'POST', headers: json(), body: JSON.stringify({ pad: 'x'.repeat(2000) }) });
    expect(res.status).toBe(413);
    expect(res.headers['fsc-error-code']).toBe('ERROR_CODE_PAYLOAD_TOO_LARGE');
    expect(res.json()).toEqual({
      message: 'request body exceeds 1024 bytes',
      domain: 'ERROR_DOMAIN_MANAGER',
      code: 'ERROR_CODE_PAYLOAD_TOO_LARGE',
    });
    expect(handlerReached).toBe(before);
  });

  it('answers 413 on a chunked body that grows over the limit', async () => {
    // A stream without a known length goes out chunked: no Content-Length to check up front.
    const chunks = Readable.from(['{"pad":"', ...Array<string>(10).fill('y'.repeat(200)), '"}']);
    const res = await call('/json', { method: 'POST', headers: json(), body: chunks });
    expect(res.status).toBe(413);
    expect(res.headers['fsc-error-code']).toBe('ERROR_CODE_PAYLOAD_TOO_LARGE');
  });

  it('lets a chunked body under the limit through', async () => {
    const res = await call('/json', { method: 'POST', headers: json(), body: Readable.from(['{"small":', 'true}']) });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ echo: { small: true } });
  });

  function json() {
    return { 'content-type': 'application/json' };
  }
});

describe('request log', () => {
  it('writes one info line per completed request with method, path without query, status, duration, transaction id', async () => {
    await call('/ok?bsn=999993653');
    const line = await logLine('request completed');
    expect(line).toMatchObject({ level: 'info', method: 'GET', path: '/ok', status: 200, transactionId: TXID });
    expect(typeof line.durationMs).toBe('number');
    expect(JSON.stringify(lines)).not.toContain('999993653');
    expect(lines.filter((l) => l.msg === 'request completed')).toHaveLength(1);
  });

  it('logs the status of error responses', async () => {
    await call('/bug');
    expect(await logLine('request completed')).toMatchObject({ method: 'GET', path: '/bug', status: 500 });
  });
});
