// Issue 10 finding 1: a call may not leave the service it was authorised for. Dot segments (raw and
// percent-encoded, any case, behind encoded separators) are resolved per RFC 3986 §5.2.4 and a path
// that would climb above its start is refused with 400; fuzzed with fast-check, together with the
// header rules of the hop (no field that must be dropped reaches the next hop).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FscError, hopByHopHeaders } from '../../gateway/protocol/index.ts';
import { safeRequestTarget, upstreamRequestHeaders } from '../../gateway/hop/index.ts';

const refused = (raw: string): unknown => {
  try {
    safeRequestTarget(raw, 'ERROR_DOMAIN_INWAY');
    return 'accepted';
  } catch (err) {
    return err instanceof FscError ? { status: err.status, code: err.code, reason: err.reason } : err;
  }
};

describe('safeRequestTarget', () => {
  it.each([
    '/../secret/key.txt',
    '/%2e%2e/secret',
    '/%2E%2e/secret',
    '/.%2E/secret',
    '/a/../../secret',
    '/a/%2e%2e/%2E%2E/secret',
    '/..%2fsecret',
    '/..%2Fsecret',
    '/x/..%2f..%2fsecret',
    '/..%5csecret',
    '/..\\secret',
    '/a/./../../b?q=1',
    '/a/..//..',
    '/a/..%2f/..%2f',
  ])('refuses %s with 400 ERROR_CODE_BAD_REQUEST', (raw) => {
    expect(refused(raw)).toEqual({ status: 400, code: 'ERROR_CODE_BAD_REQUEST', reason: 'path-traversal' });
  });

  it.each([
    ['/a/../b', '/b', ''],
    ['/a/./b/', '/a/b/', ''],
    ['/a/b/..', '/a/', ''],
    ['/a/%2e/b?x=../y', '/a/b', '?x=../y'],
    ['/a%2Fb/c?x=1&x=2', '/a%2Fb/c', '?x=1&x=2'],
    ['/a%2f..%2fb', '/a%2f..%2fb', ''],
    ['/p#fragment', '/p', ''],
    ['/p?q#f', '/p', '?q'],
    ['/', '/', ''],
    ['/..a/b..', '/..a/b..', ''],
  ])('resolves %s to %s', (raw, path, query) => {
    expect(safeRequestTarget(raw, 'ERROR_DOMAIN_INWAY')).toEqual({ path, query });
  });

  it('refuses a target that is not a path', () => {
    expect(refused('http://evil/x')).toMatchObject({ status: 400 });
    expect(refused('*')).toMatchObject({ status: 400 });
  });

  // The reference: decode every separator and dot the way a lenient service might, then resolve.
  function climbsAbove(path: string): boolean {
    const decoded = path.replace(/%2f|%5c|\\/gi, '/').replace(/%2e/gi, '.');
    let depth = 0;
    for (const s of decoded.split('?')[0]!.split('/').slice(1)) {
      // Empty segments collapse, as most path libraries do.
      if (s === '..') depth--;
      else if (s !== '.' && s !== '') depth++;
      if (depth < 0) return true;
    }
    return false;
  }

  it('never lets a path climb above its start, whatever it is made of (fuzz)', () => {
    const segment = fc.oneof(
      fc.constantFrom('a', 'b', '.', '..', '%2e', '%2E', '%2e%2e', '.%2E', '%2f', '%2F', '%5c', '\\', '', 'x%2Fy', '..%2f', '%2e%2e%5c'),
      fc.string({ maxLength: 4 }),
    );
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 8 }), fc.option(fc.string({ maxLength: 6 })), (segments, query) => {
        const raw = `/${segments.join('/')}${query === null ? '' : `?${query}`}`;
        let result;
        try {
          result = safeRequestTarget(raw, 'ERROR_DOMAIN_INWAY');
        } catch (err) {
          // Refused: always the clean 400, never a crash.
          expect(err).toBeInstanceOf(FscError);
          expect((err as FscError).status).toBe(400);
          return;
        }
        expect(result.path.startsWith('/')).toBe(true);
        expect(result.path.includes('#') || result.query.includes('#')).toBe(false);
        // What is forwarded never climbs, however the service decodes it.
        expect(climbsAbove(result.path)).toBe(false);
      }),
      { numRuns: 3000 },
    );
  });

  it('takes any string without crashing (fuzz)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 64 }), (s) => {
        try {
          const r = safeRequestTarget(s, 'ERROR_DOMAIN_OUTWAY');
          expect(r.path.startsWith('/')).toBe(true);
        } catch (err) {
          expect(err).toBeInstanceOf(FscError);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('upstreamRequestHeaders (fuzz)', () => {
  const mustDrop = [...hopByHopHeaders, 'host', 'expect', 'forwarded', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-real-ip'];
  const randomCase = (name: string): fc.Arbitrary<string> =>
    fc.array(fc.boolean(), { minLength: name.length, maxLength: name.length }).map((up) =>
      [...name].map((ch, i) => (up[i] ? ch.toUpperCase() : ch)).join(''),
    );
  const name = fc.oneof(
    fc.constantFrom(...mustDrop, 'fsc-authorization', 'x-nlx-request-data-subject', 'accept', 'x-custom', 'x-listed').chain(randomCase),
    fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/),
  );
  const value = fc.stringMatching(/^[ -~]{0,20}$/);

  it('never passes a hop-by-hop, forwarding, removed or Connection-listed field, and sets the added ones once', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(name, value), { maxLength: 30 }), fc.boolean(), (fields, listX) => {
        const raw = fields.flat();
        if (listX) raw.push('Connection', 'X-Listed');
        const out = upstreamRequestHeaders(raw, {
          remove: new Set(['fsc-authorization', 'x-nlx-request-data-subject']),
          add: ['fsc-transaction-id', 'T'],
        });
        const names = out.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
        for (const n of names) {
          expect(mustDrop).not.toContain(n);
          expect(['fsc-authorization', 'x-nlx-request-data-subject']).not.toContain(n);
          if (listX) expect(n).not.toBe('x-listed');
        }
        expect(names.filter((n) => n === 'fsc-transaction-id')).toHaveLength(1);
        expect(out.length % 2).toBe(0);
      }),
      { numRuns: 2000 },
    );
  });
});
