import { CompactSign, SignJWT } from 'jose';
import { webcrypto } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  FscError,
  certificateThumbprint,
  createAccessTokenVerifier,
  decodeAccessTokenUnverified,
  issueAccessToken,
  prepareAccessTokenKeys,
  signatureAlgorithms,
  verifyAccessToken,
} from '../../gateway/protocol/index.ts';
import type {
  AccessTokenKey,
  IssueAccessTokenInput,
  SignatureAlgorithm,
  VerifyAccessTokenInput,
} from '../../gateway/protocol/index.ts';
import { createTestCa, createTestLeaf } from './protocol-test-pki.ts';
import type { TestCa, TestKeyType, TestLeaf } from './protocol-test-pki.ts';

const GROUP = 'fsc-test-group';
const PROVIDER = '00000001000000000001';
const CONSUMER = '00000001000000000002';
const GRANT_HASH = '$1$3$kT4hmYRoCMJIBQ6bwn3RZ2cvAKr6uBsK63hg4rQbuy2xCEKCLFNRDcMTL5iDL6XdD1ucy6xPOL49hUGSk2xhgA';
const NOW_MS = Date.UTC(2025, 5, 1, 12, 0, 0);
const NOW_S = NOW_MS / 1000;
const LIFETIME = 300;

let ca: TestCa;
let manager: TestLeaf; // the provider's token signing certificate
let outway: TestLeaf; // the consumer's outway certificate
let otherOutway: TestLeaf;
let stranger: TestLeaf;

beforeAll(async () => {
  ca = await createTestCa();
  manager = await createTestLeaf(ca, { oin: PROVIDER, name: 'Provider' });
  outway = await createTestLeaf(ca, { oin: CONSUMER, name: 'Consumer' });
  otherOutway = await createTestLeaf(ca, { oin: CONSUMER, name: 'Consumer' });
  stranger = await createTestLeaf(ca, { oin: '00000001000000000009', name: 'Stranger' });
});

function issueInput(overrides: Partial<IssueAccessTokenInput> = {}): IssueAccessTokenInput {
  return {
    grantHash: GRANT_HASH,
    groupId: GROUP,
    subject: CONSUMER,
    issuer: PROVIDER,
    service: 'basisregistratie-personen',
    audience: 'https://inway.provider.test:443',
    clientCertificateThumbprint: certificateThumbprint(outway.certificate),
    privateKey: manager.privateKey,
    certificate: manager.certificate,
    lifetimeSeconds: LIFETIME,
    now: NOW_MS,
    ...overrides,
  };
}

function verifyInput(
  token: string | undefined,
  overrides: Partial<VerifyAccessTokenInput> = {},
): VerifyAccessTokenInput {
  return {
    token,
    keys: manager.certificate,
    groupId: GROUP,
    clientCertificateThumbprint: certificateThumbprint(outway.certificate),
    now: NOW_MS + 1000,
    ...overrides,
  };
}

/** The (code, reason) a verification ends with, or 'ok'. */
async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (e) {
    if (!(e instanceof FscError)) throw e;
    return `${e.code}/${e.reason ?? '-'}`;
  }
}

function b64json(x: unknown): string {
  return Buffer.from(JSON.stringify(x)).toString('base64url');
}

describe('issueAccessToken', () => {
  it('carries exactly the FSC claims and the x5t#S256 header', async () => {
    const token = await issueAccessToken(issueInput());
    const { header, claims } = decodeAccessTokenUnverified(token);
    expect(header).toStrictEqual({ alg: 'ES256', 'x5t#S256': certificateThumbprint(manager.certificate) });
    expect(claims).toStrictEqual({
      gth: GRANT_HASH,
      gid: GROUP,
      sub: CONSUMER,
      iss: PROVIDER,
      svc: 'basisregistratie-personen',
      aud: 'https://inway.provider.test:443',
      exp: NOW_S + LIFETIME,
      nbf: NOW_S,
      cnf: { 'x5t#S256': certificateThumbprint(outway.certificate) },
    });
  });

  it('adds act.sub, pdi, prp and add when given', async () => {
    const token = await issueAccessToken(
      issueInput({
        connectionDelegator: '00000001000000000003',
        publicationDelegator: '00000001000000000004',
        properties: { scope: ['read'] },
        additionalData: { note: 'x' },
      }),
    );
    const claims = await verifyAccessToken(verifyInput(token));
    expect(claims.act).toStrictEqual({ sub: '00000001000000000003' });
    expect(claims.pdi).toBe('00000001000000000004');
    expect(claims.prp).toStrictEqual({ scope: ['read'] });
    expect(claims.add).toStrictEqual({ note: 'x' });
    expect(claims.sub).toBe(CONSUMER);
  });

  it('accepts a Date for now and refuses seconds passed by mistake', async () => {
    const token = await issueAccessToken(issueInput({ now: new Date(NOW_MS) }));
    expect(decodeAccessTokenUnverified(token).claims.nbf).toBe(NOW_S);
    await expect(issueAccessToken(issueInput({ now: NOW_S }))).rejects.toThrow(RangeError);
    await expect(issueAccessToken(issueInput({ lifetimeSeconds: 0 }))).rejects.toThrow(RangeError);
    await expect(issueAccessToken(issueInput({ groupId: '' }))).rejects.toThrow(TypeError);
    await expect(issueAccessToken(issueInput({ alg: 'HS256' as never }))).rejects.toThrow(TypeError);
  });
});

describe('verifyAccessToken', () => {
  it('returns the claims of a valid token', async () => {
    const token = await issueAccessToken(issueInput());
    const claims = await verifyAccessToken(
      verifyInput(token, { issuer: PROVIDER, audience: 'https://inway.provider.test:443' }),
    );
    expect(claims.gth).toBe(GRANT_HASH);
    expect(claims.svc).toBe('basisregistratie-personen');
    expect(claims.cnf['x5t#S256']).toBe(certificateThumbprint(outway.certificate));
  });

  const keyTypeFor: Record<SignatureAlgorithm, TestKeyType> = {
    RS256: 'RSA',
    RS384: 'RSA',
    RS512: 'RSA',
    ES256: 'EC-P256',
    ES384: 'EC-P384',
    ES512: 'EC-P521',
  };
  it.each(signatureAlgorithms.map((a) => [a]))('round-trips with %s', async (alg) => {
    const signer = await createTestLeaf(ca, { oin: PROVIDER, name: 'Provider', keyType: keyTypeFor[alg] });
    const token = await issueAccessToken(
      issueInput({ alg, privateKey: signer.privateKey, certificate: signer.certificate }),
    );
    expect(decodeAccessTokenUnverified(token).header.alg).toBe(alg);
    const claims = await verifyAccessToken(verifyInput(token, { keys: signer.certificate }));
    expect(claims.gid).toBe(GROUP);
  });

  it('accepts keys as certificate, KeyObject, CryptoKey, prepared key, or a rotation list', async () => {
    const token = await issueAccessToken(issueInput());
    const cryptoKey = await webcrypto.subtle.importKey(
      'spki',
      manager.publicKey.export({ type: 'spki', format: 'der' }),
      { name: 'ECDSA', namedCurve: 'P-256' },
      false,
      ['verify'],
    );
    const prepared: AccessTokenKey[] = prepareAccessTokenKeys([manager.pem]);
    for (const keys of [
      manager.certificate,
      manager.publicKey,
      cryptoKey,
      prepared,
      [stranger.certificate, manager.certificate],
    ]) {
      expect(await outcome(verifyAccessToken(verifyInput(token, { keys })))).toBe('ok');
    }
    expect(prepared[0]!.certificateThumbprint).toBe(certificateThumbprint(manager.certificate));
  });

  it('distinguishes every way a token fails', async () => {
    const valid = await issueAccessToken(issueInput());
    const [vh, vp] = valid.split('.');
    const results: Record<string, string> = {};

    results.valid = await outcome(verifyAccessToken(verifyInput(valid)));
    results.missing = await outcome(verifyAccessToken(verifyInput(undefined)));
    results.malformed = await outcome(verifyAccessToken(verifyInput('not.a-token')));

    // Signed by another key, under the manager's thumbprint.
    const forged = await new SignJWT(decodeAccessTokenUnverified(valid).claims as never)
      .setProtectedHeader({ alg: 'ES256', 'x5t#S256': certificateThumbprint(manager.certificate) })
      .sign(stranger.privateKey);
    results.badSignature = await outcome(verifyAccessToken(verifyInput(forged)));

    // Payload changed after signing (another service).
    const tampered = `${vh}.${b64json({ ...decodeAccessTokenUnverified(valid).claims, svc: 'other' })}.${valid.split('.')[2]}`;
    expect(await outcome(verifyAccessToken(verifyInput(tampered)))).toBe('ERROR_CODE_ACCESS_TOKEN_INVALID/signature');

    results.expired = await outcome(verifyAccessToken(verifyInput(valid, { now: NOW_MS + LIFETIME * 1000 })));
    results.notYetValid = await outcome(verifyAccessToken(verifyInput(valid, { now: NOW_MS - 1000 })));
    results.wrongGroup = await outcome(verifyAccessToken(verifyInput(valid, { groupId: 'another-group' })));
    results.otherCertificate = await outcome(
      verifyAccessToken(
        verifyInput(valid, { clientCertificateThumbprint: certificateThumbprint(otherOutway.certificate) }),
      ),
    );

    const noneToken = `${b64json({ alg: 'none', 'x5t#S256': certificateThumbprint(manager.certificate) })}.${vp}.`;
    results.algNone = await outcome(verifyAccessToken(verifyInput(noneToken)));

    const unknownKey = await issueAccessToken(
      issueInput({ privateKey: stranger.privateKey, certificate: stranger.certificate }),
    );
    results.unknownKey = await outcome(verifyAccessToken(verifyInput(unknownKey)));

    const noX5t = await new SignJWT(decodeAccessTokenUnverified(valid).claims as never)
      .setProtectedHeader({ alg: 'ES256' })
      .sign(manager.privateKey);
    results.noThumbprint = await outcome(verifyAccessToken(verifyInput(noX5t)));

    const { gth: _gth, ...withoutGth } = decodeAccessTokenUnverified(valid).claims;
    const missingClaim = await new CompactSign(Buffer.from(JSON.stringify(withoutGth)))
      .setProtectedHeader({ alg: 'ES256', 'x5t#S256': certificateThumbprint(manager.certificate) })
      .sign(manager.privateKey);
    results.missingClaim = await outcome(verifyAccessToken(verifyInput(missingClaim)));

    results.wrongIssuer = await outcome(verifyAccessToken(verifyInput(valid, { issuer: '00000001000000000009' })));
    results.wrongAudience = await outcome(
      verifyAccessToken(verifyInput(valid, { audience: 'https://elsewhere.test:443' })),
    );

    expect(results).toStrictEqual({
      valid: 'ok',
      missing: 'ERROR_CODE_ACCESS_TOKEN_MISSING/-',
      malformed: 'ERROR_CODE_ACCESS_TOKEN_INVALID/malformed',
      badSignature: 'ERROR_CODE_ACCESS_TOKEN_INVALID/signature',
      expired: 'ERROR_CODE_ACCESS_TOKEN_EXPIRED/expired',
      notYetValid: 'ERROR_CODE_ACCESS_TOKEN_EXPIRED/not-yet-valid',
      wrongGroup: 'ERROR_CODE_WRONG_GROUP_ID_IN_TOKEN/-',
      otherCertificate: 'ERROR_CODE_ACCESS_TOKEN_INVALID/certificate-mismatch',
      algNone: 'ERROR_CODE_ACCESS_TOKEN_INVALID/algorithm',
      unknownKey: 'ERROR_CODE_ACCESS_TOKEN_INVALID/unknown-key',
      noThumbprint: 'ERROR_CODE_ACCESS_TOKEN_INVALID/thumbprint-missing',
      missingClaim: 'ERROR_CODE_ACCESS_TOKEN_INVALID/claims',
      wrongIssuer: 'ERROR_CODE_ACCESS_TOKEN_INVALID/issuer',
      wrongAudience: 'ERROR_CODE_ACCESS_TOKEN_INVALID/audience',
    });
    expect(new Set(Object.values(results)).size).toBe(Object.keys(results).length);
  });

  it('maps each failure to the status of the fsc-core inway table', async () => {
    const valid = await issueAccessToken(issueInput());
    const statusOf = async (p: Promise<unknown>): Promise<number> => {
      try {
        await p;
        return 200;
      } catch (e) {
        return (e as FscError).status;
      }
    };
    expect(await statusOf(verifyAccessToken(verifyInput('')))).toBe(401);
    expect(await statusOf(verifyAccessToken(verifyInput(valid, { now: NOW_MS + 10 * LIFETIME * 1000 })))).toBe(401);
    expect(await statusOf(verifyAccessToken(verifyInput(valid, { groupId: 'x' })))).toBe(403);
  });

  it('rejects HS256, also when the public key is used as the HMAC secret', async () => {
    const valid = await issueAccessToken(issueInput());
    const secret = new Uint8Array(manager.publicKey.export({ type: 'spki', format: 'der' }));
    const hs = await new SignJWT(decodeAccessTokenUnverified(valid).claims as never)
      .setProtectedHeader({ alg: 'HS256', 'x5t#S256': certificateThumbprint(manager.certificate) })
      .sign(secret);
    expect(await outcome(verifyAccessToken(verifyInput(hs, { keys: [manager.certificate] })))).toBe(
      'ERROR_CODE_ACCESS_TOKEN_INVALID/algorithm',
    );
  });

  it('rejects a token at exactly exp and accepts it at exactly nbf; tolerance widens both', async () => {
    const token = await issueAccessToken(issueInput());
    expect(await outcome(verifyAccessToken(verifyInput(token, { now: NOW_MS })))).toBe('ok');
    expect(await outcome(verifyAccessToken(verifyInput(token, { now: NOW_MS + LIFETIME * 1000 - 1 })))).toBe('ok');
    expect(await outcome(verifyAccessToken(verifyInput(token, { now: NOW_MS + LIFETIME * 1000 })))).toBe(
      'ERROR_CODE_ACCESS_TOKEN_EXPIRED/expired',
    );
    expect(
      await outcome(
        verifyAccessToken(verifyInput(token, { now: NOW_MS + LIFETIME * 1000 + 4000, clockToleranceSeconds: 5 })),
      ),
    ).toBe('ok');
    expect(await outcome(verifyAccessToken(verifyInput(token, { now: NOW_MS - 4000, clockToleranceSeconds: 5 })))).toBe(
      'ok',
    );
    expect(await outcome(verifyAccessToken(verifyInput(token, { now: NOW_MS - 6000, clockToleranceSeconds: 5 })))).toBe(
      'ERROR_CODE_ACCESS_TOKEN_EXPIRED/not-yet-valid',
    );
  });

  it('keeps the token out of error messages', async () => {
    const token = await issueAccessToken(issueInput());
    // The rejection is asserted outside any catch, so a verification that succeeds fails the test.
    const error: unknown = await verifyAccessToken(verifyInput(token, { groupId: 'x' })).then(
      () => expect.unreachable('a token for another group must be refused'),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(FscError);
    expect(error).toMatchObject({ code: 'ERROR_CODE_WRONG_GROUP_ID_IN_TOKEN' });
    const message = (error as FscError).message;
    expect(message).not.toContain(token.split('.')[2]!);
    expect(message).not.toContain(GRANT_HASH);
  });
});

describe('createAccessTokenVerifier', () => {
  it('checks time, group and certificate binding on every call, also for a cached token', async () => {
    const verifier = createAccessTokenVerifier({ keys: manager.certificate, groupId: GROUP, issuer: PROVIDER });
    const token = await issueAccessToken(issueInput());
    const bound = certificateThumbprint(outway.certificate);
    expect((await verifier.verify(token, bound, NOW_MS)).sub).toBe(CONSUMER);
    expect(await outcome(verifier.verify(token, certificateThumbprint(otherOutway.certificate), NOW_MS))).toBe(
      'ERROR_CODE_ACCESS_TOKEN_INVALID/certificate-mismatch',
    );
    expect(await outcome(verifier.verify(token, bound, NOW_MS + LIFETIME * 1000))).toBe(
      'ERROR_CODE_ACCESS_TOKEN_EXPIRED/expired',
    );
    expect(await outcome(verifier.verify(undefined, bound, NOW_MS))).toBe('ERROR_CODE_ACCESS_TOKEN_MISSING/-');
    const otherGroup = createAccessTokenVerifier({ keys: manager.certificate, groupId: 'other' });
    expect(await outcome(otherGroup.verify(token, bound, NOW_MS))).toBe('ERROR_CODE_WRONG_GROUP_ID_IN_TOKEN/-');
  });

  it('verifies a signature once per token and re-verifies after clear()', async () => {
    // A prepared key object is used by reference, so swapping its key shows whether the signature is re-checked.
    const key: AccessTokenKey = {
      key: manager.publicKey,
      certificateThumbprint: certificateThumbprint(manager.certificate),
    };
    const verifier = createAccessTokenVerifier({ keys: [key], groupId: GROUP });
    const token = await issueAccessToken(issueInput());
    const bound = certificateThumbprint(outway.certificate);
    expect(await outcome(verifier.verify(token, bound, NOW_MS))).toBe('ok');
    key.key = stranger.publicKey;
    expect(await outcome(verifier.verify(token, bound, NOW_MS))).toBe('ok');
    verifier.clear();
    expect(await outcome(verifier.verify(token, bound, NOW_MS))).toBe('ERROR_CODE_ACCESS_TOKEN_INVALID/signature');
  });

  it('does not cache with cacheSize 0 and does not let callers change cached claims', async () => {
    const key: AccessTokenKey = {
      key: manager.publicKey,
      certificateThumbprint: certificateThumbprint(manager.certificate),
    };
    const verifier = createAccessTokenVerifier({ keys: [key], groupId: GROUP, cacheSize: 0 });
    const token = await issueAccessToken(issueInput());
    const bound = certificateThumbprint(outway.certificate);
    expect(await outcome(verifier.verify(token, bound, NOW_MS))).toBe('ok');
    key.key = stranger.publicKey;
    expect(await outcome(verifier.verify(token, bound, NOW_MS))).toBe('ERROR_CODE_ACCESS_TOKEN_INVALID/signature');

    const caching = createAccessTokenVerifier({ keys: manager.certificate, groupId: GROUP });
    const first = await caching.verify(token, bound, NOW_MS);
    first.gid = 'mutated';
    expect((await caching.verify(token, bound, NOW_MS)).gid).toBe(GROUP);
  });
});

describe('decodeAccessTokenUnverified', () => {
  it('reads aud and exp for the outway without a key', async () => {
    const token = await issueAccessToken(issueInput());
    const { claims } = decodeAccessTokenUnverified(token);
    expect(claims.aud).toBe('https://inway.provider.test:443');
    expect(claims.exp).toBe(NOW_S + LIFETIME);
  });

  it('throws ERROR_CODE_ACCESS_TOKEN_INVALID for non-tokens', () => {
    for (const bad of ['', 'a.b.c', `${b64json({ alg: 'ES256' })}.${b64json({ gth: 'x' })}.sig`]) {
      expect(() => decodeAccessTokenUnverified(bad)).toThrow(FscError);
    }
  });
});
