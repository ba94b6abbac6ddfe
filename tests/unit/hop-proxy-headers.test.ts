// The header rules of a proxy hop (RFC 9110 §7.6.1), shared by outway and inway: the flat-list
// functions the hop runs on every call. Results are read as an object (lower-case names, repeated
// fields as arrays) to state them plainly.
import { describe, expect, it } from 'vitest';
import { downstreamResponseHeaders, upstreamRequestHeaders, type ForwardedFor } from '../../gateway/hop/index.ts';

type Fields = Record<string, string | string[]>;

function asObject(flat: readonly string[]): Fields {
  const out: Fields = {};
  for (let i = 0; i < flat.length; i += 2) {
    const name = (flat[i] as string).toLowerCase();
    const value = flat[i + 1] as string;
    const existing = out[name];
    out[name] = existing === undefined ? value : [...(typeof existing === 'string' ? [existing] : existing), value];
  }
  return out;
}

const flat = (fields: Record<string, string>): string[] => Object.entries(fields).flat();

function request(raw: readonly string[], options: { remove?: string[]; add?: string[]; forwarded?: ForwardedFor } = {}): Fields {
  return asObject(
    upstreamRequestHeaders(raw, {
      remove: new Set(options.remove ?? []),
      add: options.add ?? [],
      ...(options.forwarded === undefined ? {} : { forwarded: options.forwarded }),
    }),
  );
}

describe('upstreamRequestHeaders', () => {
  it('drops hop-by-hop fields and every field named in Connection (any case, repeated Connection too)', () => {
    const out = request([
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
    const incoming = flat({
      'x-forwarded-for': '6.6.6.6',
      'x-forwarded-host': 'evil',
      'x-forwarded-proto': 'http',
      'x-forwarded-port': '1',
      'x-forwarded-prefix': '/p',
      forwarded: 'for=6.6.6.6',
      'x-real-ip': '6.6.6.6',
      accept: '*/*',
    });
    expect(request(incoming)).toEqual({ accept: '*/*' });
    expect(request(incoming, { forwarded: { for: '::ffff:10.0.0.1', proto: 'https', host: 'inway:443' } })).toEqual({
      accept: '*/*',
      forwarded: 'for=10.0.0.1;proto=https;host=inway:443',
      'x-forwarded-for': '::ffff:10.0.0.1',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'inway:443',
    });
    expect(request([], { forwarded: { for: '2001:db8::1' } })).toMatchObject({ forwarded: 'for="[2001:db8::1]"' });
  });

  it('keeps repeated fields apart and values byte for byte; remove and add apply last', () => {
    const out = request(
      ['X-A', ' spaced  value ', 'X-A', 'second', 'X-Latin1', 'caf\u00e9', 'X-Gone', 'g', 'Fsc-Transaction-Id', 'client'],
      { remove: ['x-gone'], add: ['fsc-transaction-id', 'ours', 'traceparent', '00-…'] },
    );
    expect(out).toEqual({
      'x-a': [' spaced  value ', 'second'],
      'x-latin1': 'caf\u00e9',
      'fsc-transaction-id': 'ours',
      traceparent: '00-…',
    });
  });

  it('skips HTTP/2 pseudo-headers and a field named in Connection', () => {
    expect(request(['a', '1', 'connection', 'a'])).toEqual({});
    expect(request([':authority', 'x', 'b', '2'])).toEqual({ b: '2' });
  });
});

describe('downstreamResponseHeaders', () => {
  it('drops hop-by-hop and Connection-named fields, keeps the rest (Content-Length, Set-Cookie list)', () => {
    const out = asObject(
      downstreamResponseHeaders(
        {
          connection: 'close, x-internal',
          'x-internal': 'secret',
          'keep-alive': 'timeout=5',
          'transfer-encoding': 'chunked',
          'proxy-authenticate': 'Basic',
          'content-length': '10',
          'set-cookie': ['a=1', 'b=2'],
          'x-forwarded-for': 'kept on responses',
        },
        [],
      ),
    );
    expect(out).toEqual({ 'content-length': '10', 'set-cookie': ['a=1', 'b=2'], 'x-forwarded-for': 'kept on responses' });
  });
});
