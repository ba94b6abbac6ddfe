// fsc-test-suite manager.md "Manager-GetToken-*": POST /v1/token over mTLS with the outway's
// certificate (RFC 6749 client credentials, RFC 8705 certificate-bound tokens, fsc-core "Tokens").
import { compactVerify, importJWK, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  certificateThumbprint,
  decodeAccessTokenUnverified,
  toX509,
  verifyAccessToken,
} from '../../gateway/protocol/index.ts';
import type { GrantData } from '../../gateway/protocol/index.ts';
import type { TestPkiPeer } from '../../certs/index.ts';
import {
  connectionGrant,
  createFederation,
  nowSeconds,
  OIN,
  putSignature,
  rawClient,
  signedBody,
  startPeer,
  thumbprintOf,
  type Federation,
  type RawClient,
  type RawResponse,
  type RunningPeer,
} from './manager-fixture.ts';

let fed: Federation;
let provider: RunningPeer;
let asConsumer: RawClient;
let asThird: RawClient;
let asDelegator: RawClient;

const consumer = () => fed.pki.peers[OIN.consumer]!;
const third = () => fed.pki.peers[OIN.third]!;

beforeAll(async () => {
  fed = await createFederation();
  provider = await startPeer(fed, { oin: OIN.provider, services: ['basisregistratie', 'gemeente-api'] });
  asConsumer = rawClient(fed, consumer());
  asThird = rawClient(fed, third());
  asDelegator = rawClient(fed, fed.pki.peers[OIN.delegator]!);
});

afterAll(async () => {
  await Promise.all([asConsumer, asThird, asDelegator].map((c) => c.close()));
  await provider.destroy();
  await fed.remove();
});

function tokenRequest(client: RawClient, peer: RunningPeer, params: Record<string, string>, contentType = 'application/x-www-form-urlencoded'): Promise<RawResponse> {
  return client.call('POST', `${peer.address}/v1/token`, {
    headers: { 'content-type': contentType },
    body: new URLSearchParams(params).toString(),
  });
}

const request = (client: RawClient, scope: string, clientId = client.cert.oin, peer = provider) =>
  tokenRequest(client, peer, { grant_type: 'client_credentials', scope, client_id: clientId });

function oauthError(res: RawResponse): { status: number; error: unknown } {
  return { status: res.status, error: (res.json as { error?: unknown } | undefined)?.error };
}

/** The provider creates a contract with these grants; each listed peer accepts it. */
async function contractOf(grants: GrantData[], acceptors: { client: RawClient; cert: TestPkiPeer }[], peer = provider, notAfter = nowSeconds() + 3600) {
  const view = await peer.manager.service.submitContract({
    grants: grants.map((data) => ({ data })),
    validity: { not_before: nowSeconds() - 60, not_after: notAfter },
  });
  for (const { client, cert } of acceptors) {
    const res = await putSignature(client, peer, view.contentHash, 'accept', await signedBody(cert, view.content, 'accept'));
    expect(res.status).toBe(201);
  }
  return view;
}

describe('Manager-GetToken', () => {
  it('Manager-GetToken-1: a peer with a valid contract gets an access token bound to its certificate', async () => {
    const view = await contractOf([connectionGrant(consumer(), OIN.provider)], [{ client: asConsumer, cert: consumer() }]);
    expect(view.state).toBe('proposed');
    const grantHash = view.grantHashes[0]!;
    const res = await request(asConsumer, grantHash);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json as { access_token: string; token_type: string };
    expect(body.token_type).toBe('bearer');

    const providerCert = toX509(fed.pki.peers[OIN.provider]!.certPem);
    const consumerThumbprint = certificateThumbprint(toX509(consumer().certPem));
    const claims = await verifyAccessToken({
      token: body.access_token,
      keys: providerCert,
      groupId: 'fsc-test-group',
      clientCertificateThumbprint: consumerThumbprint,
      now: Date.now(),
      issuer: OIN.provider,
    });
    expect(claims).toMatchObject({
      gth: grantHash,
      gid: 'fsc-test-group',
      sub: OIN.consumer,
      iss: OIN.provider,
      svc: 'basisregistratie',
      aud: provider.inwayAddress,
      cnf: { 'x5t#S256': consumerThumbprint },
    });
    expect(claims.exp - claims.nbf).toBe(300);
    expect(claims.act).toBeUndefined();
    expect(claims.pdi).toBeUndefined();

    // The token verifies with the key the provider publishes in its JWKS.
    const jwks = (await asConsumer.call('GET', `${provider.address}/v1/.well-known/jwks.json`)).json as { keys: JWK[] };
    await expect(compactVerify(body.access_token, await importJWK(jwks.keys[0]!, 'ES256'))).resolves.toBeDefined();
  });

  it('Manager-GetToken-2: no token without a valid contract', async () => {
    const proposed = await contractOf([connectionGrant(consumer(), OIN.provider)], []);
    expect(oauthError(await request(asConsumer, proposed.grantHashes[0]!))).toEqual({ status: 400, error: 'invalid_grant' });
    // A well-formed grant hash of no contract at all.
    const unknown = proposed.grantHashes[0]!.slice(0, -4) + (proposed.grantHashes[0]!.endsWith('AAAA') ? 'BBBA' : 'AAAA');
    expect(oauthError(await request(asConsumer, unknown))).toEqual({ status: 400, error: 'invalid_grant' });
  });

  it('Manager-GetToken-3: no token when the contract has been revoked', async () => {
    const view = await contractOf([connectionGrant(consumer(), OIN.provider)], [{ client: asConsumer, cert: consumer() }]);
    expect((await request(asConsumer, view.grantHashes[0]!)).status).toBe(200);
    const revoked = await putSignature(asConsumer, provider, view.contentHash, 'revoke', await signedBody(consumer(), view.content, 'revoke'));
    expect(revoked.status).toBe(201);
    const res = await request(asConsumer, view.grantHashes[0]!);
    expect(oauthError(res)).toEqual({ status: 400, error: 'invalid_grant' });
    expect((res.json as { error_description: string }).error_description).toContain('revoked');
  });

  it('Manager-GetToken-4: a scope that is not a grant hash, or not of a connection grant, is refused', async () => {
    for (const scope of ['not-a-hash', '$1$3$tooshort', '$9$3$' + 'A'.repeat(86)]) {
      expect(oauthError(await request(asConsumer, scope))).toEqual({ status: 400, error: 'invalid_scope' });
    }
    const view = await contractOf([connectionGrant(consumer(), OIN.provider)], [{ client: asConsumer, cert: consumer() }]);
    const asPublication = view.grantHashes[0]!.replace(/^\$1\$3\$/, '$1$2$');
    expect(oauthError(await request(asConsumer, asPublication))).toEqual({ status: 400, error: 'invalid_scope' });
  });

  it('Manager-GetToken-5: a grant type other than client_credentials is refused', async () => {
    const view = await contractOf([connectionGrant(consumer(), OIN.provider)], [{ client: asConsumer, cert: consumer() }]);
    const scope = view.grantHashes[0]!;
    expect(oauthError(await tokenRequest(asConsumer, provider, { grant_type: 'password', scope, client_id: OIN.consumer }))).toEqual({
      status: 400,
      error: 'unsupported_grant_type',
    });
    expect(oauthError(await tokenRequest(asConsumer, provider, { scope, client_id: OIN.consumer }))).toEqual({ status: 400, error: 'invalid_request' });
  });

  it('Manager-GetToken-6: a token for a DelegatedServiceConnectionGrant names the delegator in act', async () => {
    const grant: GrantData = {
      type: 'GRANT_TYPE_DELEGATED_SERVICE_CONNECTION',
      outway: { peer_id: OIN.consumer, public_key_thumbprint: thumbprintOf(consumer()) },
      service: { type: 'SERVICE_TYPE_SERVICE', peer_id: OIN.provider, name: 'basisregistratie' },
      delegator: { peer_id: OIN.third },
    };
    const view = await contractOf([grant], [
      { client: asConsumer, cert: consumer() },
      { client: asThird, cert: third() },
    ]);
    const res = await request(asConsumer, view.grantHashes[0]!);
    expect(res.status).toBe(200);
    const { claims } = decodeAccessTokenUnverified((res.json as { access_token: string }).access_token);
    expect(claims.sub).toBe(OIN.consumer);
    expect(claims.act).toEqual({ sub: OIN.third });
  });

  it('Manager-GetToken-7: a token for a service offered on behalf of another peer names that peer in pdi', async () => {
    const grant: GrantData = {
      type: 'GRANT_TYPE_SERVICE_CONNECTION',
      outway: { peer_id: OIN.consumer, public_key_thumbprint: thumbprintOf(consumer()) },
      service: { type: 'SERVICE_TYPE_DELEGATED_SERVICE', peer_id: OIN.provider, name: 'gemeente-api', delegator: { peer_id: OIN.delegator } },
      properties: { purpose: 'testing' },
    };
    const view = await contractOf([grant], [
      { client: asConsumer, cert: consumer() },
      { client: asDelegator, cert: fed.pki.peers[OIN.delegator]! },
    ]);
    const res = await request(asConsumer, view.grantHashes[0]!);
    expect(res.status).toBe(200);
    const { claims } = decodeAccessTokenUnverified((res.json as { access_token: string }).access_token);
    expect(claims.pdi).toBe(OIN.delegator);
    expect(claims.svc).toBe('gemeente-api');
    // fsc-core "Tokens": grant properties are carried in `prp`.
    expect(claims.prp).toEqual({ purpose: 'testing' });
  });

  it('Manager-GetToken-8: a client_id that is not the peer of the client certificate is refused', async () => {
    const view = await contractOf([connectionGrant(consumer(), OIN.provider)], [{ client: asConsumer, cert: consumer() }]);
    expect(oauthError(await request(asConsumer, view.grantHashes[0]!, OIN.third))).toEqual({ status: 400, error: 'invalid_client' });
  });

  it('Manager-GetToken-9: a certificate whose public key is not the one in the grant is refused', async () => {
    const view = await contractOf([connectionGrant(consumer(), OIN.provider)], [{ client: asConsumer, cert: consumer() }]);
    // Same peer, another outway key.
    const otherOutway = await fed.pki.issue({ oin: OIN.consumer, name: 'Consumer Org', label: 'consumer-outway-2' });
    const asOtherOutway = rawClient(fed, otherOutway);
    try {
      expect(oauthError(await request(asOtherOutway, view.grantHashes[0]!))).toEqual({ status: 400, error: 'invalid_grant' });
    } finally {
      await asOtherOutway.close();
    }
  });

  it('Manager-GetToken-10: a grant of another peer, of a service we do not provide, or without an inway is refused', async () => {
    const view = await contractOf([connectionGrant(consumer(), OIN.provider)], [{ client: asConsumer, cert: consumer() }]);
    // The third peer asks for the consumer's grant.
    expect(oauthError(await request(asThird, view.grantHashes[0]!))).toEqual({ status: 400, error: 'invalid_grant' });

    // A contract in which the provider is the consumer: the service is another peer's.
    const outwayOfProvider = fed.pki.peers[OIN.provider]!;
    const reversed = await contractOf([connectionGrant(outwayOfProvider, OIN.third, 'third-api')], [{ client: asThird, cert: third() }]);
    const asProviderOutway = rawClient(fed, outwayOfProvider);
    try {
      expect(oauthError(await request(asProviderOutway, reversed.grantHashes[0]!))).toEqual({ status: 400, error: 'invalid_scope' });
    } finally {
      await asProviderOutway.close();
    }

    // The service is no longer offered by an inway of ours.
    const gone = await contractOf([connectionGrant(consumer(), OIN.provider, 'gemeente-api')], [{ client: asConsumer, cert: consumer() }]);
    await provider.store.deleteService('gemeente-api');
    try {
      expect(oauthError(await request(asConsumer, gone.grantHashes[0]!))).toEqual({ status: 400, error: 'invalid_scope' });
    } finally {
      await provider.store.putService({
        name: 'gemeente-api',
        endpointUrl: 'http://127.0.0.1:9/api',
        inwayAddress: provider.inwayAddress,
        protocol: 'PROTOCOL_TCP_HTTP_1.1',
      });
    }
  });

  it('Manager-GetToken-11: no token once the contract expired; tokens never outlive it and their lifetime is configurable', async () => {
    let offsetMs = 0;
    const clocked = await startPeer(fed, {
      oin: OIN.provider,
      services: ['basisregistratie'],
      clock: () => Date.now() + offsetMs,
      manager: { tokenLifetimeSeconds: 60 },
    });
    try {
      const view = await contractOf([connectionGrant(consumer(), OIN.provider)], [{ client: asConsumer, cert: consumer() }], clocked, nowSeconds() + 3600);
      const first = await request(asConsumer, view.grantHashes[0]!, OIN.consumer, clocked);
      const { claims } = decodeAccessTokenUnverified((first.json as { access_token: string }).access_token);
      expect(claims.exp - claims.nbf).toBe(60);

      offsetMs = (3600 - 30) * 1000;
      const late = await request(asConsumer, view.grantHashes[0]!, OIN.consumer, clocked);
      const lateClaims = decodeAccessTokenUnverified((late.json as { access_token: string }).access_token).claims;
      expect(lateClaims.exp).toBeLessThanOrEqual(view.content.validity.not_after);

      offsetMs = 3700 * 1000;
      const res = await request(asConsumer, view.grantHashes[0]!, OIN.consumer, clocked);
      expect(oauthError(res)).toEqual({ status: 400, error: 'invalid_grant' });
      expect((res.json as { error_description: string }).error_description).toContain('expired');
    } finally {
      await clocked.destroy();
    }
  });
});

describe('POST /v1/token with bad input', () => {
  it('refuses a body that is not form-encoded, and repeated parameters', async () => {
    expect(oauthError(await tokenRequest(asConsumer, provider, { grant_type: 'client_credentials' }, 'application/json'))).toEqual({
      status: 400,
      error: 'invalid_request',
    });
    const res = await asConsumer.call('POST', `${provider.address}/v1/token`, {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&scope=a&scope=b&client_id=' + OIN.consumer,
    });
    expect(oauthError(res)).toEqual({ status: 400, error: 'invalid_request' });
  });

  it('refuses a body over the limit with 413', async () => {
    const res = await tokenRequest(asConsumer, provider, { grant_type: 'client_credentials', scope: 'x'.repeat(1024 * 1024 + 10), client_id: OIN.consumer });
    expect(res.status).toBe(413);
    expect((res.json as { error: string }).error).toBe('invalid_request');
  });
});
