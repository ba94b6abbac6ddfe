// fsc-test-suite manager.md "Manager-SubmitContract-*": POST /v1/contracts from another peer's manager,
// over real mTLS against a real manager with a real SQLite store. Plus the bad-input cases of the
// contract endpoint. Ids whose scenario the stored test suite no longer defines (PeerRegistrationGrant
// was dropped from FSC) are used for the neighbouring validation rules; see the test names.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GrantData } from '../../gateway/protocol/index.ts';
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
  publicationGrant,
  rawClient,
  sign,
  signedBody,
  startPeer,
  type Federation,
  type RawClient,
  type RunningPeer,
} from './manager-fixture.ts';

let fed: Federation;
let provider: RunningPeer;
let directory: RunningPeer;
let asConsumer: RawClient;
let asThird: RawClient;
let asProvider: RawClient;
let asDelegator: RawClient;

beforeAll(async () => {
  fed = await createFederation();
  provider = await startPeer(fed, { oin: OIN.provider, services: ['basisregistratie'], manager: { maxBodyBytes: 64 * 1024 } });
  directory = await startPeer(fed, { oin: OIN.directory, mode: 'directory' });
  asConsumer = rawClient(fed, fed.pki.peers[OIN.consumer]!);
  asThird = rawClient(fed, fed.pki.peers[OIN.third]!);
  asProvider = rawClient(fed, fed.pki.peers[OIN.provider]!);
  asDelegator = rawClient(fed, fed.pki.peers[OIN.delegator]!);
});

afterAll(async () => {
  await Promise.all([asConsumer, asThird, asProvider, asDelegator].map((c) => c.close()));
  await provider.destroy();
  await directory.destroy();
  await fed.remove();
});

const consumerCert = () => fed.pki.peers[OIN.consumer]!;

describe('Manager-SubmitContract', () => {
  it('Manager-SubmitContract-1: a contract with a ServiceConnectionGrant submitted by a peer on it is accepted', async () => {
    const content = contractContent([connectionGrant(consumerCert(), OIN.provider)]);
    const res = await postContract(asConsumer, provider, await signedBody(consumerCert(), content), 'https://consumer.example:8443');
    expect(res.status).toBe(201);

    const stored = await provider.manager.service.getContract(hashOf(content));
    expect(stored?.content).toEqual(content);
    expect(Object.keys(stored?.signatures.accept ?? {})).toEqual([OIN.consumer]);
    expect(stored?.state).toBe('proposed');
    expect(stored?.missingSigners).toEqual([OIN.provider]);
    // fsc-core "Peer listing": the manager persists id, name and address of peers it negotiated with.
    expect(await provider.store.getPeer(OIN.consumer)).toMatchObject({
      id: OIN.consumer,
      name: 'Consumer Org',
      managerAddress: 'https://consumer.example:8443',
    });
  });

  it('Manager-SubmitContract-2: a contract submitted by a peer that is not on it is rejected', async () => {
    const content = contractContent([connectionGrant(consumerCert(), OIN.provider)]);
    const res = await postContract(asThird, provider, await signedBody(fed.pki.peers[OIN.third]!, content));
    // manager.yaml managerErrorCode has only the combined code; the message says which peer is missing.
    expect(fscError(res)).toEqual(expectedError(422, 'ERROR_CODE_PEER_NOT_PART_OF_CONTRACT'));
    expect((res.json as { message: string }).message).toMatch(/submitting peer/);
    expect(await provider.manager.service.getContract(hashOf(content))).toBeUndefined();
    expect(await provider.store.getPeer(OIN.third)).toBeUndefined();
  });

  it('Manager-SubmitContract-3: a contract that does not include the receiving peer is rejected', async () => {
    const content = contractContent([connectionGrant(consumerCert(), OIN.third)]);
    const res = await postContract(asConsumer, provider, await signedBody(consumerCert(), content));
    expect(fscError(res)).toEqual(expectedError(422, 'ERROR_CODE_PEER_NOT_PART_OF_CONTRACT'));
    expect((res.json as { message: string }).message).toMatch(/receiving peer/);
    expect(await provider.manager.service.getContract(hashOf(content))).toBeUndefined();
  });

  it('Manager-SubmitContract-4: a contract with a ServicePublicationGrant is accepted by the directory', async () => {
    const content = contractContent([publicationGrant(OIN.provider)]);
    const res = await postContract(asProvider, directory, await signedBody(fed.pki.peers[OIN.provider]!, content));
    expect(res.status).toBe(201);
    const stored = await directory.manager.service.getContract(hashOf(content));
    expect(stored?.missingSigners).toEqual([OIN.directory]);
  });

  it('Manager-SubmitContract-5: a contract with a DelegatedServicePublicationGrant is accepted', async () => {
    const grant: GrantData = {
      type: 'GRANT_TYPE_DELEGATED_SERVICE_PUBLICATION',
      directory: { peer_id: OIN.directory },
      service: { peer_id: OIN.provider, name: 'delegated-registry', protocol: 'PROTOCOL_TCP_HTTP_1.1' },
      delegator: { peer_id: OIN.delegator },
    };
    const content = contractContent([grant]);
    const res = await postContract(asDelegator, directory, await signedBody(fed.pki.peers[OIN.delegator]!, content));
    expect(res.status).toBe(201);
    const stored = await directory.manager.service.getContract(hashOf(content));
    expect(stored?.missingSigners.sort()).toEqual([OIN.directory, OIN.provider].sort());
  });

  it('Manager-SubmitContract-6: a contract with a DelegatedServiceConnectionGrant is accepted', async () => {
    const grant: GrantData = {
      type: 'GRANT_TYPE_DELEGATED_SERVICE_CONNECTION',
      outway: { peer_id: OIN.third, public_key_thumbprint: 'ab'.repeat(32) },
      service: { type: 'SERVICE_TYPE_SERVICE', peer_id: OIN.provider, name: 'basisregistratie' },
      delegator: { peer_id: OIN.consumer },
    };
    const content = contractContent([grant]);
    const res = await postContract(asConsumer, provider, await signedBody(consumerCert(), content));
    expect(res.status).toBe(201);
    const stored = await provider.manager.service.getContract(hashOf(content));
    expect(stored?.missingSigners.sort()).toEqual([OIN.third, OIN.provider].sort());
  });

  it('Manager-SubmitContract-7: a DelegatedServicePublicationGrant combined with another grant is rejected', async () => {
    const content = contractContent([
      {
        type: 'GRANT_TYPE_DELEGATED_SERVICE_PUBLICATION',
        directory: { peer_id: OIN.directory },
        service: { peer_id: OIN.provider, name: 'basisregistratie', protocol: 'PROTOCOL_TCP_HTTP_1.1' },
        delegator: { peer_id: OIN.delegator },
      },
      publicationGrant(OIN.provider, OIN.directory, 'other-service'),
    ]);
    const res = await postContract(asProvider, directory, await signedBody(fed.pki.peers[OIN.provider]!, content));
    expect(fscError(res)).toEqual(expectedError(422, 'ERROR_CODE_GRANT_COMBINATION_NOT_ALLOWED'));
    expect(await directory.manager.service.getContract(hashOf(content))).toBeUndefined();
  });

  it('Manager-SubmitContract-8: a grant type the manager does not know (e.g. a PeerRegistrationGrant) is rejected', async () => {
    const content = contractContent([connectionGrant(consumerCert(), OIN.provider)]);
    const body = {
      contract_content: { ...content, grants: [{ data: { type: 'GRANT_TYPE_PEER_REGISTRATION', peer: { id: OIN.consumer } } }] },
      signature: await sign(consumerCert(), hashOf(content), 'accept'),
    };
    const res = await postContract(asConsumer, provider, body);
    expect(fscError(res)).toEqual(expectedError(422, 'ERROR_CODE_INVALID_CONTRACT'));
    expect((res.json as { message: string }).message).toContain('grants[0].data.type');
  });

  it('Manager-SubmitContract-9: a ServicePublicationGrant combined with another grant is rejected', async () => {
    const content = contractContent([publicationGrant(OIN.provider), connectionGrant(consumerCert(), OIN.provider)]);
    const res = await postContract(asProvider, directory, await signedBody(fed.pki.peers[OIN.provider]!, content));
    expect(fscError(res)).toEqual(expectedError(422, 'ERROR_CODE_GRANT_COMBINATION_NOT_ALLOWED'));
  });

  it('Manager-SubmitContract-10: a contract of another group is rejected', async () => {
    const content = contractContent([connectionGrant(consumerCert(), OIN.provider)], { group_id: 'another-group' });
    const res = await postContract(asConsumer, provider, await signedBody(consumerCert(), content));
    expect(fscError(res)).toEqual(expectedError(422, 'ERROR_CODE_INCORRECT_GROUP_ID'));
    expect(await provider.manager.service.getContract(hashOf(content))).toBeUndefined();
  });

  it('Manager-SubmitContract-11: the iv is unique — other content with a used iv is rejected, the same contract again is not', async () => {
    const first = contractContent([connectionGrant(consumerCert(), OIN.provider)]);
    expect((await postContract(asConsumer, provider, await signedBody(consumerCert(), first))).status).toBe(201);
    // A propagation retry of the same contract is idempotent.
    expect((await postContract(asConsumer, provider, await signedBody(consumerCert(), first))).status).toBe(201);

    const second = { ...first, created_at: first.created_at - 1 };
    const res = await postContract(asConsumer, provider, await signedBody(consumerCert(), second));
    expect(fscError(res)).toEqual(expectedError(422, 'ERROR_CODE_INVALID_CONTRACT'));
    expect(await provider.manager.service.getContract(hashOf(second))).toBeUndefined();
  });

  it('Manager-SubmitContract-12: contracts breaking the validity and grant rules are rejected', async () => {
    const now = nowSeconds();
    const grant = connectionGrant(consumerCert(), OIN.provider);
    const cases = [
      contractContent([grant], { validity: { not_before: now - 7200, not_after: now - 3600 } }),
      contractContent([grant], { validity: { not_before: now + 100, not_after: now + 100 } }),
      contractContent([grant], { created_at: now + 3600 }),
      contractContent([]),
      // fsc-core ServiceConnectionGrant: the service must be offered by service.peer_id (us).
      contractContent([connectionGrant(consumerCert(), OIN.provider, 'no-such-service')]),
    ];
    for (const content of cases) {
      const res = await postContract(asConsumer, provider, await signedBody(consumerCert(), content));
      expect(fscError(res)).toEqual(expectedError(422, 'ERROR_CODE_INVALID_CONTRACT'));
      expect(await provider.manager.service.getContract(hashOf(content))).toBeUndefined();
    }
  });
});

describe('POST /v1/contracts with bad input', () => {
  const post = (body: string, headers: Record<string, string> = {}) =>
    asConsumer.call('POST', `${provider.address}/v1/contracts`, {
      headers: { 'content-type': 'application/json', 'fsc-manager-address': 'https://consumer.example:8443', ...headers },
      body,
    });

  it('refuses malformed JSON with 400', async () => {
    expect(fscError(await post('{"contract_content": '))).toEqual(expectedError(400, 'ERROR_CODE_BAD_REQUEST'));
  });

  it('refuses a body over the limit with 413 before parsing it', async () => {
    const big = JSON.stringify({ contract_content: {}, signature: 'x'.repeat(70 * 1024) });
    expect(fscError(await post(big))).toEqual(expectedError(413, 'ERROR_CODE_PAYLOAD_TOO_LARGE'));
  });

  it('refuses a request without Fsc-Manager-Address', async () => {
    const content = contractContent([connectionGrant(consumerCert(), OIN.provider)]);
    const res = await asConsumer.call('POST', `${provider.address}/v1/contracts`, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(await signedBody(consumerCert(), content)),
    });
    expect(fscError(res)).toEqual(expectedError(400, 'ERROR_CODE_BAD_REQUEST'));
    expect(await provider.manager.service.getContract(hashOf(content))).toBeUndefined();
  });

  it('refuses a manager address that is not https://host:port', async () => {
    const content = contractContent([connectionGrant(consumerCert(), OIN.provider)]);
    const res = await post(JSON.stringify(await signedBody(consumerCert(), content)), { 'fsc-manager-address': 'http://consumer.example' });
    expect(fscError(res)).toEqual(expectedError(400, 'ERROR_CODE_BAD_REQUEST'));
  });

  it('refuses bodies of the wrong shape with 400', async () => {
    const content = contractContent([connectionGrant(consumerCert(), OIN.provider)]);
    const signature = await sign(consumerCert(), hashOf(content), 'accept');
    for (const body of [
      [],
      'a string',
      { contract_content: content },
      { contract_content: content, signature: 42 },
      { signature },
    ]) {
      expect(fscError(await post(JSON.stringify(body)))).toEqual(expectedError(400, 'ERROR_CODE_BAD_REQUEST'));
    }
  });

  it('refuses wrong types and unknown enum values in the content with 422, naming the field', async () => {
    const content = contractContent([connectionGrant(consumerCert(), OIN.provider)]);
    const signature = await sign(consumerCert(), hashOf(content), 'accept');
    const wrongType = await post(JSON.stringify({ contract_content: { ...content, created_at: 'yesterday' }, signature }));
    expect(fscError(wrongType)).toEqual(expectedError(422, 'ERROR_CODE_INVALID_CONTRACT'));
    expect((wrongType.json as { message: string }).message).toContain('created_at');

    const badService = await post(
      JSON.stringify({
        contract_content: {
          ...content,
          grants: [{ data: { ...connectionGrant(consumerCert(), OIN.provider), service: { type: 'SERVICE_TYPE_OTHER', peer_id: OIN.provider, name: 'basisregistratie' } } }],
        },
        signature,
      }),
    );
    expect(fscError(badService)).toEqual(expectedError(422, 'ERROR_CODE_INVALID_CONTRACT'));

    const unknownAlgorithm = await post(JSON.stringify({ contract_content: { ...content, hash_algorithm: 'HASH_ALGORITHM_MD5' }, signature }));
    expect(fscError(unknownAlgorithm)).toEqual(expectedError(422, 'ERROR_CODE_UNKNOWN_HASH_ALGORITHM_HASH'));
  });

  it('answers an unknown route with an FSC 404', async () => {
    const res = await asConsumer.call('GET', `${provider.address}/v1/nothing-here`);
    expect(fscError(res)).toEqual(expectedError(404, 'ERROR_CODE_NOT_FOUND'));
  });
});
