import { CompactSign } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  FscError,
  certificateThumbprint,
  decodeSignatureUnverified,
  signContract,
  signatureAlgorithms,
  verifyContractSignature,
} from '../../gateway/protocol/index.ts';
import type { SignatureAlgorithm } from '../../gateway/protocol/index.ts';
import { createTestCa, createTestLeaf } from './protocol-test-pki.ts';
import type { TestCa, TestKeyType, TestLeaf } from './protocol-test-pki.ts';

const CONTENT_HASH = '$1$1$ouqPHvHP9-ZDKo4YDNz4GGYENOQQ80knSVg6lJ_MjaTLE_o3GgD1Vzyzteu791X0rkX6FvlJzyBYdZuD6hlWrQ';
const OTHER_HASH = '$1$1$rrvHPvHP9-ZDKo4YDNz4GGYENOQQ80knSVg6lJ_MjaTLE_o3GgD1Vzyzteu791X0rkX6FvlJzyBYdZuD6hlrfL';
const OIN = '00000001234567890000';
const SIGNED_AT = 1_700_000_000;

type Leaf = TestLeaf & { keys: Awaited<ReturnType<typeof createTestLeaf>>['keys'] };

const keyTypeFor: Record<SignatureAlgorithm, TestKeyType> = {
  RS256: 'RSA',
  RS384: 'RSA',
  RS512: 'RSA',
  ES256: 'EC-P256',
  ES384: 'EC-P384',
  ES512: 'EC-P521',
};

let ca: TestCa;
const leaves = new Map<TestKeyType, Leaf>();
let signer: Leaf;
let other: Leaf;

beforeAll(async () => {
  ca = await createTestCa();
  for (const type of ['RSA', 'EC-P256', 'EC-P384', 'EC-P521'] as const) {
    leaves.set(type, await createTestLeaf(ca, { oin: OIN, name: 'Gemeente Voorbeeld', keyType: type }));
  }
  signer = leaves.get('EC-P256')!;
  other = await createTestLeaf(ca, { oin: '00000009999999990000', name: 'Ander' });
});

async function expectFscError(promise: Promise<unknown>, code: string, reason?: string): Promise<FscError> {
  let err: unknown;
  try {
    await promise;
  } catch (e) {
    err = e;
  }
  expect(err, `expected ${code}`).toBeInstanceOf(FscError);
  const fsc = err as FscError;
  expect(fsc.code).toBe(code);
  if (reason !== undefined) expect(fsc.reason).toBe(reason);
  return fsc;
}

function b64json(x: unknown): string {
  return Buffer.from(JSON.stringify(x)).toString('base64url');
}

function sign(alg?: SignatureAlgorithm, leaf: Leaf = signer): Promise<string> {
  const input = {
    contentHash: CONTENT_HASH,
    type: 'accept' as const,
    signedAt: SIGNED_AT,
    privateKey: leaf.privateKey,
    certificate: leaf.certificate,
  };
  return signContract(alg === undefined ? input : { ...input, alg });
}

describe('signContract', () => {
  it('produces a compact JWS with header {alg, x5t#S256} and the FSC payload', async () => {
    const jws = await sign();
    expect(jws.split('.')).toHaveLength(3);
    const [h, p] = jws.split('.');
    expect(JSON.parse(Buffer.from(h!, 'base64url').toString())).toStrictEqual({
      alg: 'ES256',
      'x5t#S256': certificateThumbprint(signer.certificate),
    });
    expect(JSON.parse(Buffer.from(p!, 'base64url').toString())).toStrictEqual({
      contract_content_hash: CONTENT_HASH,
      type: 'accept',
      signed_at: SIGNED_AT,
    });
  });

  it('refuses bad input', async () => {
    const base = {
      contentHash: CONTENT_HASH,
      type: 'accept' as const,
      signedAt: SIGNED_AT,
      privateKey: signer.privateKey,
      certificate: signer.certificate,
    };
    await expect(signContract({ ...base, contentHash: '' })).rejects.toThrow(TypeError);
    await expect(signContract({ ...base, signedAt: 1.5 })).rejects.toThrow(TypeError);
    await expect(signContract({ ...base, type: 'approve' as never })).rejects.toThrow(TypeError);
    await expectFscError(signContract({ ...base, alg: 'PS256' as never }), 'ERROR_CODE_UNKNOWN_ALGORITHM_SIGNATURE');
  });
});

describe('verifyContractSignature', () => {
  it.each(signatureAlgorithms.map((a) => [a]))('round-trips with %s', async (alg) => {
    const leaf = leaves.get(keyTypeFor[alg])!;
    for (const type of ['accept', 'reject', 'revoke'] as const) {
      const jws = await signContract({
        contentHash: CONTENT_HASH,
        type,
        signedAt: SIGNED_AT,
        privateKey: leaf.privateKey,
        certificate: leaf.certificate,
        alg,
      });
      const verified = await verifyContractSignature({
        jws,
        certificate: leaf.pem,
        expectedContentHash: CONTENT_HASH,
        expectedType: type,
        expectedPeerId: OIN,
      });
      expect(verified).toStrictEqual({
        type,
        signedAt: SIGNED_AT,
        contentHash: CONTENT_HASH,
        alg,
        certificateThumbprint: certificateThumbprint(leaf.certificate),
      });
    }
  });

  it('rejects alg none (ERROR_CODE_UNKNOWN_ALGORITHM_SIGNATURE)', async () => {
    const header = { alg: 'none', 'x5t#S256': certificateThumbprint(signer.certificate) };
    const payload = { contract_content_hash: CONTENT_HASH, type: 'accept', signed_at: SIGNED_AT };
    const jws = `${b64json(header)}.${b64json(payload)}.`;
    await expectFscError(
      verifyContractSignature({ jws, certificate: signer.certificate, expectedContentHash: CONTENT_HASH }),
      'ERROR_CODE_UNKNOWN_ALGORITHM_SIGNATURE',
    );
  });

  it('rejects HS256, even with the public key as the HMAC secret (ERROR_CODE_UNKNOWN_ALGORITHM_SIGNATURE)', async () => {
    const secret = signer.publicKey.export({ type: 'spki', format: 'der' });
    const payload = { contract_content_hash: CONTENT_HASH, type: 'accept', signed_at: SIGNED_AT };
    const jws = await new CompactSign(Buffer.from(JSON.stringify(payload)))
      .setProtectedHeader({ alg: 'HS256', 'x5t#S256': certificateThumbprint(signer.certificate) })
      .sign(new Uint8Array(secret));
    await expectFscError(
      verifyContractSignature({ jws, certificate: signer.certificate, expectedContentHash: CONTENT_HASH }),
      'ERROR_CODE_UNKNOWN_ALGORITHM_SIGNATURE',
    );
  });

  it('rejects PS256, which fsc-core does not list (ERROR_CODE_UNKNOWN_ALGORITHM_SIGNATURE)', async () => {
    const rsa = leaves.get('RSA')!;
    const payload = { contract_content_hash: CONTENT_HASH, type: 'accept', signed_at: SIGNED_AT };
    const jws = await new CompactSign(Buffer.from(JSON.stringify(payload)))
      .setProtectedHeader({ alg: 'PS256', 'x5t#S256': certificateThumbprint(rsa.certificate) })
      .sign(rsa.privateKey);
    await expectFscError(
      verifyContractSignature({ jws, certificate: rsa.certificate, expectedContentHash: CONTENT_HASH }),
      'ERROR_CODE_UNKNOWN_ALGORITHM_SIGNATURE',
    );
  });

  it('rejects a signature whose x5t#S256 is not the given certificate (ERROR_CODE_SIGNATURE_VERIFICATION_FAILED)', async () => {
    const jws = await sign();
    await expectFscError(
      verifyContractSignature({ jws, certificate: other.certificate, expectedContentHash: CONTENT_HASH }),
      'ERROR_CODE_SIGNATURE_VERIFICATION_FAILED',
      'thumbprint-mismatch',
    );
    // A renewed certificate with the same key is a different certificate: x5t#S256 must match exactly.
    const renewed = await createTestLeaf(ca, { oin: OIN, name: 'Gemeente Voorbeeld', keys: signer.keys });
    await expectFscError(
      verifyContractSignature({ jws, certificate: renewed.certificate, expectedContentHash: CONTENT_HASH }),
      'ERROR_CODE_SIGNATURE_VERIFICATION_FAILED',
      'thumbprint-mismatch',
    );
  });

  it('rejects a signature without x5t#S256 (ERROR_CODE_SIGNATURE_VERIFICATION_FAILED)', async () => {
    const payload = { contract_content_hash: CONTENT_HASH, type: 'accept', signed_at: SIGNED_AT };
    const jws = await new CompactSign(Buffer.from(JSON.stringify(payload)))
      .setProtectedHeader({ alg: 'ES256' })
      .sign(signer.privateKey);
    await expectFscError(
      verifyContractSignature({ jws, certificate: signer.certificate, expectedContentHash: CONTENT_HASH }),
      'ERROR_CODE_SIGNATURE_VERIFICATION_FAILED',
      'thumbprint-missing',
    );
  });

  it("rejects another key's signature under the certificate's thumbprint (ERROR_CODE_SIGNATURE_VERIFICATION_FAILED)", async () => {
    const payload = { contract_content_hash: CONTENT_HASH, type: 'accept', signed_at: SIGNED_AT };
    const jws = await new CompactSign(Buffer.from(JSON.stringify(payload)))
      .setProtectedHeader({ alg: 'ES256', 'x5t#S256': certificateThumbprint(signer.certificate) })
      .sign(other.privateKey);
    await expectFscError(
      verifyContractSignature({ jws, certificate: signer.certificate, expectedContentHash: CONTENT_HASH }),
      'ERROR_CODE_SIGNATURE_VERIFICATION_FAILED',
      'signature',
    );
  });

  it('rejects a tampered payload (ERROR_CODE_SIGNATURE_VERIFICATION_FAILED)', async () => {
    const [h, , s] = (await sign()).split('.');
    const forged = b64json({ contract_content_hash: OTHER_HASH, type: 'accept', signed_at: SIGNED_AT });
    await expectFscError(
      verifyContractSignature({
        jws: `${h}.${forged}.${s}`,
        certificate: signer.certificate,
        expectedContentHash: OTHER_HASH,
      }),
      'ERROR_CODE_SIGNATURE_VERIFICATION_FAILED',
      'signature',
    );
  });

  it('rejects a tampered header, e.g. the algorithm switched (ERROR_CODE_SIGNATURE_VERIFICATION_FAILED)', async () => {
    const [, p, s] = (await sign()).split('.');
    const header = b64json({ alg: 'ES384', 'x5t#S256': certificateThumbprint(signer.certificate) });
    await expectFscError(
      verifyContractSignature({
        jws: `${header}.${p}.${s}`,
        certificate: signer.certificate,
        expectedContentHash: CONTENT_HASH,
      }),
      'ERROR_CODE_SIGNATURE_VERIFICATION_FAILED',
      'signature',
    );
  });

  it('rejects a valid signature for other content (ERROR_CODE_SIGNATURE_CONTRACT_CONTENT_HASH_MISMATCH)', async () => {
    const jws = await sign();
    const err = await expectFscError(
      verifyContractSignature({ jws, certificate: signer.certificate, expectedContentHash: OTHER_HASH }),
      'ERROR_CODE_SIGNATURE_CONTRACT_CONTENT_HASH_MISMATCH',
    );
    expect(err.status).toBe(422);
    expect(err.domain).toBe('ERROR_DOMAIN_MANAGER');
  });

  it('rejects a signature of another type than expected', async () => {
    const jws = await sign();
    await expectFscError(
      verifyContractSignature({
        jws,
        certificate: signer.certificate,
        expectedContentHash: CONTENT_HASH,
        expectedType: 'revoke',
      }),
      'ERROR_CODE_SIGNATURE_VERIFICATION_FAILED',
      'type-mismatch',
    );
  });

  it('rejects a signature filed under another peer (ERROR_CODE_PEER_ID_SIGNATURE_MISMATCH)', async () => {
    const jws = await sign();
    await expectFscError(
      verifyContractSignature({
        jws,
        certificate: signer.certificate,
        expectedContentHash: CONTENT_HASH,
        expectedPeerId: '00000009999999990000',
      }),
      'ERROR_CODE_PEER_ID_SIGNATURE_MISMATCH',
    );
  });

  it('rejects malformed input (ERROR_CODE_SIGNATURE_VERIFICATION_FAILED)', async () => {
    const good = await sign();
    const [h, , s] = good.split('.');
    for (const jws of [
      '',
      'a.b',
      'not a jws',
      `${good}.extra`,
      `${h}.${b64json({ contract_content_hash: CONTENT_HASH, type: 'approve', signed_at: SIGNED_AT })}.${s}`,
      `${h}.${b64json({ contract_content_hash: CONTENT_HASH, type: 'accept', signed_at: '1700000000' })}.${s}`,
      `${h}.${b64json([1, 2])}.${s}`,
      `${b64json('x')}.${b64json({})}.${s}`,
    ]) {
      await expectFscError(
        verifyContractSignature({ jws, certificate: signer.certificate, expectedContentHash: CONTENT_HASH }),
        'ERROR_CODE_SIGNATURE_VERIFICATION_FAILED',
        'malformed',
      );
    }
  });
});

describe('decodeSignatureUnverified', () => {
  it('reads header and payload before the certificate is known', async () => {
    const jws = await sign('ES384', leaves.get('EC-P384'));
    expect(decodeSignatureUnverified(jws)).toStrictEqual({
      header: { alg: 'ES384', 'x5t#S256': certificateThumbprint(leaves.get('EC-P384')!.certificate) },
      payload: { contract_content_hash: CONTENT_HASH, type: 'accept', signed_at: SIGNED_AT },
    });
  });

  it('throws ERROR_CODE_SIGNATURE_VERIFICATION_FAILED for garbage', () => {
    expect(() => decodeSignatureUnverified('x.y.z')).toThrow(FscError);
  });
});
