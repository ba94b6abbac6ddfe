// How the outway reads the service an application addresses (friendly path or Fsc-Grant-Hash), on
// the raw request target, byte for byte.
import { describe, expect, it } from 'vitest';
import { originForm, parseServiceAddress } from '../../gateway/outway/index.ts';

const GRANT = `$1$3$${Buffer.alloc(64, 7).toString('base64url')}`;
const DELEGATED_GRANT = `$1$4$${Buffer.alloc(64, 9).toString('base64url')}`;
const PUBLICATION_GRANT = `$1$2$${Buffer.alloc(64, 1).toString('base64url')}`;

describe('friendly form /{provider}/{service}/{path…}', () => {
  it('removes the two leading segments and keeps the rest of the path and the query as sent', () => {
    expect(parseServiceAddress('/00000000000000000002/basisregistratie/a%2Fb/c?x=1&x=2&y=%20', undefined)).toEqual({
      kind: 'friendly',
      providerPeerId: '00000000000000000002',
      serviceName: 'basisregistratie',
      forwardTarget: '/a%2Fb/c?x=1&x=2&y=%20',
    });
  });

  it('forwards / when nothing follows the service name, with the query kept', () => {
    expect(parseServiceAddress('/00000000000000000002/brp', undefined)).toMatchObject({ forwardTarget: '/' });
    expect(parseServiceAddress('/00000000000000000002/brp?q=%2F', undefined)).toMatchObject({ forwardTarget: '/?q=%2F' });
    expect(parseServiceAddress('/00000000000000000002/brp/', undefined)).toMatchObject({ forwardTarget: '/' });
    expect(parseServiceAddress('/00000000000000000002/brp//x//', undefined)).toMatchObject({ forwardTarget: '//x//' });
  });

  it('decodes the provider and service segments for matching only', () => {
    expect(parseServiceAddress('/peer%2Dx/svc%2E1/p', undefined)).toMatchObject({ providerPeerId: 'peer-x', serviceName: 'svc.1', forwardTarget: '/p' });
  });

  it('names no service for fewer than two segments or undecodable ones', () => {
    expect(parseServiceAddress('/', undefined)).toBeUndefined();
    expect(parseServiceAddress('/00000000000000000002', undefined)).toBeUndefined();
    expect(parseServiceAddress('/00000000000000000002/', undefined)).toBeUndefined();
    expect(parseServiceAddress('//svc/x', undefined)).toBeUndefined();
    expect(parseServiceAddress('/%E0%A4%A/svc', undefined)).toBeUndefined();
  });

  it('takes the path of an absolute-form target (outway used as an HTTP proxy)', () => {
    expect(originForm('http://outway.local:8080/00000000000000000002/brp/x?y=1')).toBe('/00000000000000000002/brp/x?y=1');
    expect(originForm('http://outway.local')).toBe('/');
    expect(parseServiceAddress('http://outway.local/00000000000000000002/brp/x', undefined)).toMatchObject({ forwardTarget: '/x' });
  });
});

describe('FSC form: Fsc-Grant-Hash on any path', () => {
  it('leaves the path untouched', () => {
    expect(parseServiceAddress('/a%2Fb/c?x=1&x=2&y=%20', GRANT)).toEqual({ kind: 'grant', grantHash: GRANT, forwardTarget: '/a%2Fb/c?x=1&x=2&y=%20' });
    expect(parseServiceAddress('/00000000000000000002/brp/x', GRANT)).toMatchObject({ kind: 'grant', forwardTarget: '/00000000000000000002/brp/x' });
  });

  it('accepts delegated service connection grants', () => {
    expect(parseServiceAddress('/', DELEGATED_GRANT)).toMatchObject({ kind: 'grant', grantHash: DELEGATED_GRANT });
  });

  it('refuses a malformed, repeated or non-connection grant hash with 400 in the outway domain', () => {
    for (const bad of ['nonsense', PUBLICATION_GRANT, `$1$1$${Buffer.alloc(64).toString('base64url')}`, [GRANT, GRANT]]) {
      expect(() => parseServiceAddress('/', bad)).toThrow(expect.objectContaining({ code: 'ERROR_CODE_BAD_REQUEST', status: 400, domain: 'ERROR_DOMAIN_OUTWAY' }));
    }
  });
});
