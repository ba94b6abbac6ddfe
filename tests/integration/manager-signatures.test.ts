// fsc-test-suite manager.md "Manager-AcceptContract-*", "-RejectContract-*", "-RevokeContract-*":
// PUT /v1/contracts/{hash}/accept|reject|revoke from another peer's manager, over real mTLS, against
// a manager on SQLite and the same suite on Redis.
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SignatureType } from '../../gateway/protocol/index.ts';
import { createServerTlsOptions, startHttpServer, type RunningServer } from '../../gateway/runtime/index.ts';
import {
  connectionGrant,
  contractContent,
  createFederation,
  expectedError,
  fscError,
  hashOf,
  nowSeconds,
  OIN,
  postContract,
  putSignature,
  rawClient,
  sign,
  signedBody,
  startPeer,
  type Federation,
  type RawClient,
  type RunningPeer,
  type StoreKind,
} from './manager-fixture.ts';

const ID_PREFIX: Record<SignatureType, string> = {
  accept: 'Manager-AcceptContract',
  reject: 'Manager-RejectContract',
  revoke: 'Manager-RevokeContract',
};

function otherType(type: SignatureType): SignatureType {
  return type === 'accept' ? 'reject' : 'accept';
}

function article(type: SignatureType): string {
  return type === 'accept' ? 'an' : 'a';
}

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

describe.each<StoreKind>(['sqlite', 'redis'])('manager signatures (%s store)', (storeKind) => {
  let fed: Federation;
  let provider: RunningPeer;
  let asConsumer: RawClient;
  let asThird: RawClient;

  const consumer = () => fed.pki.peers[OIN.consumer]!;
  const third = () => fed.pki.peers[OIN.third]!;

  beforeAll(async () => {
    fed = await createFederation();
    provider = await startPeer(fed, { oin: OIN.provider, storeKind, services: ['basisregistratie'] });
    asConsumer = rawClient(fed, consumer());
    asThird = rawClient(fed, third());
  });

  afterAll(async () => {
    await asConsumer.close();
    await asThird.close();
    await provider.destroy();
    await fed.remove();
  });

  /** A contract consumer → provider that the provider created and accepted itself. */
  async function providerContract() {
    const view = await provider.manager.service.submitContract({
      grants: [{ data: connectionGrant(consumer(), OIN.provider) }],
      validity: { not_before: nowSeconds() - 60, not_after: nowSeconds() + 3600 },
    });
    return view;
  }

  async function signaturesOf(hash: string) {
    return (await provider.manager.service.getContract(hash))?.signatures;
  }

  for (const type of ['accept', 'reject', 'revoke'] as const) {
    const id = ID_PREFIX[type];

    it(`${id}-1: a valid ${type} signature of a peer on the contract is stored`, async () => {
      const view = await providerContract();
      if (type === 'revoke') {
        // Revoking is for a contract in force: accept first.
        const accepted = await putSignature(asConsumer, provider, view.contentHash, 'accept', await signedBody(consumer(), view.content, 'accept'));
        expect(accepted.status).toBe(201);
        expect((await provider.manager.service.getContract(view.contentHash))?.state).toBe('valid');
      }
      const res = await putSignature(asConsumer, provider, view.contentHash, type, await signedBody(consumer(), view.content, type));
      expect(res.status).toBe(201);
      const after = await provider.manager.service.getContract(view.contentHash);
      expect(Object.keys(after?.signatures[type] ?? {})).toContain(OIN.consumer);
      expect(after?.state).toBe({ accept: 'valid', reject: 'rejected', revoke: 'revoked' }[type]);
    });

    it(`${id}-2: ${article(type)} ${type} signature of a peer that is not on the contract is refused`, async () => {
      const view = await providerContract();
      const res = await putSignature(asThird, provider, view.contentHash, type, await signedBody(third(), view.content, type));
      // manager.yaml managerErrorCode has only the combined code; the message says which peer is missing.
      expect(fscError(res)).toEqual(expectedError(422, 'ERROR_CODE_PEER_NOT_PART_OF_CONTRACT'));
      expect((res.json as { message: string }).message).toMatch(/submitting peer/);
      expect(await signaturesOf(view.contentHash)).toEqual(view.signatures);
    });

    it(`${id}-3: ${article(type)} ${type} signature that is not a valid JWS is refused`, async () => {
      const view = await providerContract();
      for (const signature of ['not-a-jws', 'a.b.c', `${b64url({ alg: 'ES256' })}.${b64url({ hello: 1 })}.AAAA`]) {
        const res = await putSignature(asConsumer, provider, view.contentHash, type, { contract_content: view.content, signature });
        expect(fscError(res)).toEqual(expectedError(422, 'ERROR_CODE_SIGNATURE_VERIFICATION_FAILED'));
      }
      // A well-formed JWS whose signature bytes were tampered with.
      const good = await sign(consumer(), view.contentHash, type);
      const [h, p] = good.split('.');
      const tampered = `${h}.${p}.${Buffer.alloc(64, 7).toString('base64url')}`;
      const res = await putSignature(asConsumer, provider, view.contentHash, type, { contract_content: view.content, signature: tampered });
      expect(fscError(res)).toEqual(expectedError(422, 'ERROR_CODE_SIGNATURE_VERIFICATION_FAILED'));
      expect(await signaturesOf(view.contentHash)).toEqual(view.signatures);
    });

    it(`${id}-4: ${article(type)} ${type} signature over the content hash of another contract is refused`, async () => {
      const view = await providerContract();
      const other = contractContent([connectionGrant(consumer(), OIN.provider)]);
      const res = await putSignature(asConsumer, provider, view.contentHash, type, {
        contract_content: view.content,
        signature: await sign(consumer(), hashOf(other), type),
      });
      expect(fscError(res)).toEqual(expectedError(422, 'ERROR_CODE_SIGNATURE_CONTRACT_CONTENT_HASH_MISMATCH'));
      expect(await signaturesOf(view.contentHash)).toEqual(view.signatures);
    });

    it(`${id}-5: a signature whose type is not ${type} is refused on the ${type} endpoint`, async () => {
      const view = await providerContract();
      const res = await putSignature(asConsumer, provider, view.contentHash, type, await signedBody(consumer(), view.content, otherType(type)));
      expect(fscError(res)).toEqual(expectedError(422, 'ERROR_CODE_SIGNATURE_VERIFICATION_FAILED'));
      expect(await signaturesOf(view.contentHash)).toEqual(view.signatures);
    });

    it(`${id}-6: a hash in the URL that does not match the contract in the body is refused`, async () => {
      const view = await providerContract();
      const other = await providerContract();
      const res = await putSignature(asConsumer, provider, other.contentHash, type, await signedBody(consumer(), view.content, type));
      expect(fscError(res)).toEqual(expectedError(422, 'ERROR_CODE_URL_PATH_CONTENT_HASH_MISMATCH'));
      expect(await signaturesOf(view.contentHash)).toEqual(view.signatures);
      expect(await signaturesOf(other.contentHash)).toEqual(other.signatures);
    });

    it(`${id}-7: ${article(type)} ${type} signature made with another peer's certificate is refused`, async () => {
      // The third peer has talked to the provider before, so its certificate is known there.
      const announced = await asThird.call('PUT', `${provider.address}/v1/announce`, { headers: { 'fsc-manager-address': 'https://third.example:8443' } });
      expect(announced.status).toBe(200);
      const view = await providerContract();
      const res = await putSignature(asConsumer, provider, view.contentHash, type, await signedBody(third(), view.content, type));
      expect(fscError(res)).toEqual(expectedError(422, 'ERROR_CODE_PEER_ID_SIGNATURE_MISMATCH'));
      expect(await signaturesOf(view.contentHash)).toEqual(view.signatures);
    });
  }

  it('Manager-AcceptContract-8: a signature with an algorithm FSC does not allow is refused', async () => {
    const view = await providerContract();
    const x5t = (await sign(consumer(), view.contentHash, 'accept')).split('.')[0]!;
    const thumbprint = (JSON.parse(Buffer.from(x5t, 'base64url').toString()) as Record<string, string>)['x5t#S256'];
    const payload = b64url({ contract_content_hash: view.contentHash, type: 'accept', signed_at: nowSeconds() });
    for (const alg of ['HS256', 'none', 'PS256']) {
      const signature = `${b64url({ alg, 'x5t#S256': thumbprint })}.${payload}.${alg === 'none' ? '' : 'c2lnbmF0dXJl'}`;
      const res = await putSignature(asConsumer, provider, view.contentHash, 'accept', { contract_content: view.content, signature });
      expect(fscError(res)).toEqual(expectedError(422, 'ERROR_CODE_UNKNOWN_ALGORITHM_SIGNATURE'));
    }
    expect(await signaturesOf(view.contentHash)).toEqual(view.signatures);
  });

  describe('signing certificates found through the signer manager JWKS', () => {
    let jwksServer: RunningServer;
    let served: { keys: unknown[] } = { keys: [] };

    beforeAll(async () => {
      // The consumer's manager: real mTLS with the consumer's group certificate, serving a JWKS.
      const app = new Hono();
      app.get('/v1/.well-known/jwks.json', (c) => c.json(served));
      jwksServer = await startHttpServer({
        app,
        listen: { host: '127.0.0.1', port: 0 },
        tls: createServerTlsOptions({ ca: fed.pki.caPem, cert: consumer().chainPem, key: consumer().keyPem }),
        name: 'consumer-manager',
        logger: fed.logger,
      });
    });

    afterAll(async () => {
      await jwksServer.close();
    });

    const jwkFor = (chainPem: string) => ({
      kty: 'EC',
      x5c: (chainPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((pem) =>
        pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, ''),
      ),
    });

    it('accepts a signature made with another certificate of the same peer, published in its JWKS', async () => {
      const renewed = await fed.pki.issue({ oin: OIN.consumer, name: 'Consumer Org', label: `consumer-renewed-${storeKind}` });
      served = { keys: [jwkFor(renewed.chainPem)] };
      const view = await providerContract();
      const managerAddress = `https://localhost:${jwksServer.port}`;
      const res = await putSignature(asConsumer, provider, view.contentHash, 'accept', await signedBody(renewed, view.content, 'accept'), managerAddress);
      expect(res.status).toBe(201);
      expect((await provider.manager.service.getContract(view.contentHash))?.state).toBe('valid');
    });

    it('Manager-AcceptContract-9: a signing certificate that does not chain to the group trust anchor is refused', async () => {
      const impostor = fed.foreign.peers[OIN.consumer]!;
      served = { keys: [jwkFor(impostor.chainPem)] };
      const view = await providerContract();
      const managerAddress = `https://localhost:${jwksServer.port}`;
      const res = await putSignature(asConsumer, provider, view.contentHash, 'accept', await signedBody(impostor, view.content, 'accept'), managerAddress);
      expect(fscError(res)).toEqual(expectedError(400, 'ERROR_CODE_PEER_CERTIFICATE_VERIFICATION_FAILED'));
      expect(await signaturesOf(view.contentHash)).toEqual(view.signatures);
    });

    it('refuses a signature whose certificate nobody can provide', async () => {
      served = { keys: [] };
      const unknown = await fed.pki.issue({ oin: OIN.consumer, name: 'Consumer Org', label: `consumer-unknown-${storeKind}` });
      const view = await providerContract();
      const res = await putSignature(
        asConsumer,
        provider,
        view.contentHash,
        'accept',
        await signedBody(unknown, view.content, 'accept'),
        `https://localhost:${jwksServer.port}`,
      );
      expect(fscError(res)).toEqual(expectedError(422, 'ERROR_CODE_SIGNATURE_VERIFICATION_FAILED'));
    });
  });

  it('refuses an unknown hash algorithm or a malformed hash in the URL', async () => {
    const view = await providerContract();
    const body = await signedBody(consumer(), view.content, 'accept');
    const unknownAlg = view.contentHash.replace(/^\$1\$/, '$7$');
    expect(fscError(await putSignature(asConsumer, provider, unknownAlg, 'accept', body))).toEqual(
      expectedError(422, 'ERROR_CODE_UNKNOWN_HASH_ALGORITHM_HASH'),
    );
    expect(fscError(await putSignature(asConsumer, provider, 'not-a-hash', 'accept', body))).toEqual(expectedError(400, 'ERROR_CODE_BAD_REQUEST'));
  });

  it('a signature for a contract the manager has not seen yet brings the contract along, validated in full', async () => {
    // Deliveries of different peers may overtake each other; the body carries the whole content.
    const content = contractContent([connectionGrant(consumer(), OIN.provider)]);
    const res = await putSignature(asConsumer, provider, hashOf(content), 'accept', await signedBody(consumer(), content, 'accept'));
    expect(res.status).toBe(201);
    expect((await provider.manager.service.getContract(hashOf(content)))?.missingSigners).toEqual([OIN.provider]);

    const foreignGroup = contractContent([connectionGrant(consumer(), OIN.provider)], { group_id: 'elsewhere' });
    const refused = await putSignature(asConsumer, provider, hashOf(foreignGroup), 'accept', await signedBody(consumer(), foreignGroup, 'accept'));
    expect(fscError(refused)).toEqual(expectedError(422, 'ERROR_CODE_INCORRECT_GROUP_ID'));
  });

  it('a repeated signature is idempotent and an accepted contract submitted again stays as it is', async () => {
    const content = contractContent([connectionGrant(consumer(), OIN.provider)]);
    const body = await signedBody(consumer(), content, 'accept');
    expect((await postContract(asConsumer, provider, body)).status).toBe(201);
    expect((await putSignature(asConsumer, provider, hashOf(content), 'accept', body)).status).toBe(201);
    const view = await provider.manager.service.getContract(hashOf(content));
    expect(view?.signatures.accept[OIN.consumer]).toBe(body.signature);
  });
});
