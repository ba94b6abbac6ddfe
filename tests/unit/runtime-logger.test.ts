// Redaction is configured in the logger, not at call sites (STYLE.md "Logs and telemetry"): proven
// here through an in-memory sink, as the lines would reach stdout.
import { describe, expect, it } from 'vitest';
import { createLogger, REDACTED, type LogLevel } from '../../gateway/runtime/index.ts';

function memoryLogger(level: LogLevel = 'info') {
  const raw: string[] = [];
  const logger = createLogger({ level, name: 'unit', destination: { write: (s: string) => void raw.push(s) } });
  const lines = () => raw.map((s) => JSON.parse(s) as Record<string, unknown>);
  return { logger, raw, lines };
}

const SECRETS = {
  authorization: 'Bearer eyJhbGciOiJFUzI1NiJ9.secret-auth',
  fsc: 'eyJhbGciOiJFUzI1NiJ9.secret-fsc-token',
  cookie: 'session=secret-cookie',
  setCookie: 'id=secret-set-cookie',
  key: '-----BEGIN PRIVATE KEY-----secret-key',
  token: 'secret-access-token',
  subject: 'bsn=999993653',
  user: 'secret-user-42',
};

describe('createLogger', () => {
  it('redacts credentials in request headers at any depth', () => {
    const { logger, raw, lines } = memoryLogger();
    logger.info(
      {
        req: {
          headers: {
            authorization: SECRETS.authorization,
            'fsc-authorization': SECRETS.fsc,
            cookie: SECRETS.cookie,
            host: 'inway.example',
          },
        },
        res: { headers: { 'set-cookie': [SECRETS.setCookie] } },
        upstream: { request: { headers: { Authorization: SECRETS.authorization } } },
      },
      'request completed',
    );
    const text = raw.join('');
    for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret);
    const [line] = lines();
    expect(line).toMatchObject({
      req: { headers: { authorization: REDACTED, 'fsc-authorization': REDACTED, cookie: REDACTED, host: 'inway.example' } },
      res: { headers: { 'set-cookie': REDACTED } },
      upstream: { request: { headers: { Authorization: REDACTED } } },
    });
  });

  it('redacts keys and tokens wherever they appear, also inside arrays', () => {
    const { logger, raw, lines } = memoryLogger();
    logger.warn({ privateKey: SECRETS.key, tokens: [SECRETS.token], peers: [{ accessToken: SECRETS.token, id: 'p1' }] }, 'x');
    expect(raw.join('')).not.toContain('secret');
    expect(lines()[0]).toMatchObject({ privateKey: REDACTED, tokens: REDACTED, peers: [{ accessToken: REDACTED, id: 'p1' }] });
  });

  it('redacts data subjects and user ids from the NLX purpose headers and from named fields', () => {
    const { logger, raw, lines } = memoryLogger();
    logger.info(
      {
        req: { headers: { 'x-nlx-request-data-subject': SECRETS.subject, 'x-nlx-request-user-id': SECRETS.user, 'x-nlx-request-process-id': 'proc-1' } },
        purpose: { dataSubjects: [SECRETS.subject], userId: SECRETS.user },
      },
      'x',
    );
    const text = raw.join('');
    expect(text).not.toContain('999993653');
    expect(text).not.toContain(SECRETS.user);
    expect(lines()[0]).toMatchObject({
      req: { headers: { 'x-nlx-request-data-subject': REDACTED, 'x-nlx-request-user-id': REDACTED, 'x-nlx-request-process-id': 'proc-1' } },
      purpose: { dataSubjects: REDACTED, userId: REDACTED },
    });
  });

  it('redacts fields of a logged error and of child logger bindings', () => {
    const { logger, raw, lines } = memoryLogger();
    const err = Object.assign(new Error('upstream refused'), { code: 'E_X', headers: { authorization: SECRETS.authorization } });
    logger.error({ err }, 'request failed');
    logger.child({ token: SECRETS.token, component: 'outway' }).child({ userId: SECRETS.user }).info('child line');
    expect(raw.join('')).not.toContain('secret');
    const [errLine, childLine] = lines();
    expect(errLine).toMatchObject({ err: { message: 'upstream refused', code: 'E_X', headers: { authorization: REDACTED } } });
    expect(childLine).toMatchObject({ token: REDACTED, userId: REDACTED, component: 'outway', msg: 'child line' });
  });

  it('logs an error with a code (an expected condition) without its stack, a bug with it', () => {
    const { logger, lines } = memoryLogger();
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED', port: 1 });
    logger.warn({ err: refused }, 'token refresh failed');
    logger.error({ err: new TypeError("Cannot read properties of undefined (reading 'x')") }, 'unhandled error');
    const [expected, bug] = lines();
    expect(expected?.err).toEqual({ type: 'Error', message: 'connect ECONNREFUSED 127.0.0.1:1', code: 'ECONNREFUSED', port: 1 });
    expect((bug?.err as { stack?: string }).stack).toMatch(/^TypeError: Cannot read properties[\s\S]*\n\s+at /);
  });

  it("never modifies the caller's object", () => {
    const { logger } = memoryLogger();
    const headers = { authorization: SECRETS.authorization };
    const obj = { req: { headers } };
    logger.info(obj, 'x');
    expect(obj.req.headers).toBe(headers);
    expect(headers.authorization).toBe(SECRETS.authorization);
  });

  it('keeps ordinary fields and uses a constant message, level label and component name', () => {
    const { logger, lines } = memoryLogger();
    logger.info({ transactionId: 't-1', service: 'basisregistratie', status: 200, durationMs: 3.5 }, 'request completed');
    expect(lines()[0]).toMatchObject({
      level: 'info',
      name: 'unit',
      transactionId: 't-1',
      service: 'basisregistratie',
      status: 200,
      durationMs: 3.5,
      msg: 'request completed',
    });
  });

  it('honours the level', () => {
    const { logger, lines } = memoryLogger('warn');
    logger.info('dropped');
    logger.warn('kept');
    expect(lines().map((l) => l.msg)).toEqual(['kept']);
  });
});
