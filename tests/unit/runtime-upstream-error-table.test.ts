// The one mapping table from undici / Node / OpenSSL error codes to 502/504 (STYLE.md "Errors").
import { describe, expect, it } from 'vitest';
import { errors } from 'undici';
import { upstreamErrorCodes, upstreamErrorFor } from '../../gateway/runtime/index.ts';

function coded(code: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`failure ${code}`), { code }, extra);
}

describe('upstreamErrorFor', () => {
  it.each([
    ['UND_ERR_CONNECT_TIMEOUT', 504, 'connect-timeout', true],
    ['UND_ERR_HEADERS_TIMEOUT', 504, 'headers-timeout', false],
    ['UND_ERR_BODY_TIMEOUT', 504, 'body-timeout', false],
    ['UND_ERR_SOCKET', 502, 'socket', false],
    ['UND_ERR_CLOSED', 502, 'closed', true],
    ['ECONNREFUSED', 502, 'connection-refused', true],
    ['ECONNRESET', 502, 'connection-reset', false],
    ['ENOTFOUND', 502, 'dns', true],
    ['EHOSTUNREACH', 502, 'unreachable', true],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 502, 'tls', true],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 502, 'tls', true],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 502, 'tls', true],
    ['CERT_HAS_EXPIRED', 502, 'tls', true],
    ['ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 502, 'tls', true],
    ['ERR_SSL_WRONG_VERSION_NUMBER', 502, 'tls', true],
  ] as const)('%s → %i %s', (code, status, kind, beforeRequestSent) => {
    expect(upstreamErrorFor(coded(code))).toEqual({ status, kind, beforeRequestSent, code });
  });

  it("maps undici's own error classes by their code", () => {
    expect(upstreamErrorFor(new errors.HeadersTimeoutError())).toMatchObject({ status: 504, kind: 'headers-timeout' });
    expect(upstreamErrorFor(new errors.BodyTimeoutError())).toMatchObject({ status: 504, kind: 'body-timeout' });
    expect(upstreamErrorFor(new errors.ConnectTimeoutError())).toMatchObject({ status: 504, kind: 'connect-timeout' });
    expect(upstreamErrorFor(new errors.SocketError('other side closed'))).toMatchObject({ status: 502, kind: 'socket' });
  });

  it('looks through causes and AggregateError members (happy eyeballs)', () => {
    const wrapped = new Error('fetch failed', { cause: coded('ECONNRESET') });
    expect(upstreamErrorFor(wrapped)).toMatchObject({ kind: 'connection-reset', code: 'ECONNRESET' });
    const aggregate = new AggregateError([coded('ECONNREFUSED'), coded('ECONNREFUSED')], 'all attempts failed');
    expect(upstreamErrorFor(aggregate)).toMatchObject({ kind: 'connection-refused', beforeRequestSent: true });
  });

  it('treats a timeout signal as 504 and an abort as 502', () => {
    expect(upstreamErrorFor(new DOMException('signal timed out', 'TimeoutError'))).toMatchObject({ status: 504, kind: 'timeout' });
    expect(upstreamErrorFor(new DOMException('aborted', 'AbortError'))).toMatchObject({ status: 502, kind: 'aborted' });
  });

  it('maps anything else to 502 unknown, keeping the first code seen for the log', () => {
    expect(upstreamErrorFor(new Error('weird'))).toEqual({ status: 502, kind: 'unknown', beforeRequestSent: false, code: undefined });
    expect(upstreamErrorFor(coded('E_SOMETHING_NEW'))).toMatchObject({ status: 502, kind: 'unknown', code: 'E_SOMETHING_NEW' });
    expect(upstreamErrorFor('a string')).toMatchObject({ status: 502, kind: 'unknown' });
    expect(upstreamErrorFor(null)).toMatchObject({ status: 502, kind: 'unknown' });
  });

  it('only ever answers 502 or 504', () => {
    for (const code of upstreamErrorCodes) expect([502, 504]).toContain(upstreamErrorFor(coded(code)).status);
  });

  it('does not loop on a cause cycle', () => {
    const a = new Error('a') as Error & { cause?: unknown };
    const b = new Error('b', { cause: a });
    a.cause = b;
    expect(upstreamErrorFor(a)).toMatchObject({ kind: 'unknown' });
  });
});
