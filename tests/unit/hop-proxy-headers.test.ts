// The header rules of a proxy hop (RFC 9110 §7.6.1), shared by outway and inway.
import { describe, expect, it } from 'vitest';
import { requestHeadersForUpstream, responseHeadersForDownstream, toFetchHeaders } from '../../gateway/hop/index.ts';

describe('requestHeadersForUpstream', () => {
  it('drops hop-by-hop fields and every field named in Connection (any case, repeated Connection too)', () => {
    const out = requestHeadersForUpstream([
      'Host', 'inway.example',
      'Connection', 'keep-alive, X-One',
      'connection', 'x-two',
      'X-One', '1',
      'X-Two', '2',
      'Keep-Alive', 'timeout=5',
      'Transfer-Encoding', 'chunked',
      'TE', 'trailers',
      'Trailer', 'x',
      'Upgrade', 'websocket',
      'Proxy-Authorization', 'Basic x',
      'Proxy-Connection', 'keep-alive',
      'Expect', '100-continue',
      'X-Three', '3',
    ]);
    expect(out).toEqual({ 'x-three': '3' });
  });

  it('never trusts client Forwarded / X-Forwarded-* and sets its own when told', () => {
    const incoming = {
      'x-forwarded-for': '6.6.6.6',
      'x-forwarded-host': 'evil',
      'x-forwarded-proto': 'http',
      'x-forwarded-port': '1',
      'x-forwarded-prefix': '/p',
      forwarded: 'for=6.6.6.6',
      'x-real-ip': '6.6.6.6',
      accept: '*/*',
    };
    expect(requestHeadersForUpstream(incoming)).toEqual({ accept: '*/*' });
    expect(requestHeadersForUpstream(incoming, { forwarded: { for: '::ffff:10.0.0.1', proto: 'https', host: 'inway:443' } })).toEqual({
      accept: '*/*',
      forwarded: 'for=10.0.0.1;proto=https;host=inway:443',
      'x-forwarded-for': '::ffff:10.0.0.1',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'inway:443',
    });
    expect(requestHeadersForUpstream({}, { forwarded: { for: '2001:db8::1' } })).toMatchObject({ forwarded: 'for="[2001:db8::1]"' });
  });

  it('keeps repeated fields apart and values byte for byte; remove and add apply last', () => {
    const out = requestHeadersForUpstream(
      ['X-A', ' spaced  value ', 'X-A', 'second', 'X-Latin1', 'caf\u00e9', 'X-Gone', 'g', 'Fsc-Transaction-Id', 'client'],
      { remove: ['x-gone'], add: { 'Fsc-Transaction-Id': 'ours', traceparent: '00-…' } },
    );
    expect(out).toEqual({
      'x-a': [' spaced  value ', 'second'],
      'x-latin1': 'caf\u00e9',
      'fsc-transaction-id': 'ours',
      traceparent: '00-…',
    });
  });

  it('accepts a fetch Headers object and skips HTTP/2 pseudo-headers', () => {
    expect(requestHeadersForUpstream(new Headers({ a: '1', connection: 'a' }))).toEqual({});
    expect(requestHeadersForUpstream({ ':authority': 'x', b: '2' })).toEqual({ b: '2' });
  });
});

describe('responseHeadersForDownstream', () => {
  it('drops hop-by-hop and Connection-named fields, keeps the rest (Content-Length, Set-Cookie list)', () => {
    const out = responseHeadersForDownstream({
      connection: 'close, x-internal',
      'x-internal': 'secret',
      'keep-alive': 'timeout=5',
      'transfer-encoding': 'chunked',
      'proxy-authenticate': 'Basic',
      'content-length': '10',
      'set-cookie': ['a=1', 'b=2'],
      'x-forwarded-for': 'kept on responses',
    });
    expect(out).toEqual({ 'content-length': '10', 'set-cookie': ['a=1', 'b=2'], 'x-forwarded-for': 'kept on responses' });
    const h = toFetchHeaders(out);
    expect(h.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(h.get('content-length')).toBe('10');
  });
});
