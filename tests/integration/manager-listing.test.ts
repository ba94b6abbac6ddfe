// fsc-test-suite manager.md "Manager-Contracts-*", "-Services-*", "-PeerInfo-1", "-Peers-1",
// "-JSONWebKeySet-1": the read endpoints of the Manager API, over real mTLS.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compactVerify, importJWK, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateThumbprint, toX509 } from '../../gateway/protocol/index.ts';
import type { GrantData } from '../../gateway/protocol/index.ts';
import { createTxLog } from '../../gateway/txlog/index.ts';
import {
  connectionGrant,
  contractContent,
  createFederation,
  expectedError,
  fscError,
  grantHashOf,
  hashOf,
  nowSeconds,
  OIN,
  postContract,
  publicationGrant,
  putSignature,
  rawClient,
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

const consumer = () => fed.pki.peers[OIN.consumer]!;

beforeAll(async () => {
  fed = await createFederation();
  provider = await startPeer(fed, { oin: OIN.provider, services: ['basisregistratie', 'second-service', 'third-service'] });
  directory = await startPeer(fed, { oin: OIN.directory, mode: 'directory' });
  asConsumer = rawClient(fed, consumer());
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

interface WireContracts {
  contracts: { content: { iv: string; created_at: number }; signatures: { accept: Record<string, string> } }[];
  pagination: { next_cursor: string };
}

/** A contract consumer → provider, valid: provider created it, the consumer accepted. */
async function validConnection(service = 'basisregistratie', createdAt?: number) {
  const now = nowSeconds();
  const view = await provider.manager.service.submitContract({
    grants: [{ data: connectionGrant(consumer(), OIN.provider, service) }],
    validity: { not_before: now - 60, not_after: now + 3600 },
    ...(createdAt === undefined ? {} : { created_at: createdAt }),
  });
  const res = await putSignature(asConsumer, provider, view.contentHash, 'accept', await signedBody(consumer(), view.content, 'accept'));
  expect(res.status).toBe(201);
  return view;
}

describe('GET /v1/contracts', () => {
  it('Manager-Contracts-1: lists the contracts the calling peer is on, with filters and cursor pagination', async () => {
    const base = nowSeconds() - 1000;
    const views = [await validConnection('basisregistratie', base), await validConnection('second-service', base + 1), await validConnection('third-service', base + 2)];
    const ours = new Set(views.map((v) => v.content.iv));
    const list = async (query: string) => {
      const res = await asConsumer.call('GET', `${provider.address}/v1/contracts${query}`);
      expect(res.status).toBe(200);
      return res.json as WireContracts;
    };

    const all = await list('');
    const listed = all.contracts.filter((c) => ours.has(c.content.iv));
    expect(listed).toHaveLength(3);
    expect(Object.keys(listed[0]!.signatures.accept).sort()).toEqual([OIN.provider, OIN.consumer].sort());
    expect(all.pagination.next_cursor).toBe('');
    // Default order: newest first (manager.yaml sortOrder default SORT_ORDER_DESCENDING).
    const created = all.contracts.map((c) => c.content.created_at);
    expect(created).toEqual([...created].sort((a, b) => b - a));

    // Pages of 2, ascending, until the cursor is empty.
    const seen: string[] = [];
    let cursor = '';
    let pages = 0;
    do {
      const page = await list(`?limit=2&sort_order=SORT_ORDER_ASCENDING${cursor === '' ? '' : `&cursor=${cursor}`}`);
      expect(page.contracts.length).toBeLessThanOrEqual(2);
      seen.push(...page.contracts.map((c) => c.content.iv));
      cursor = page.pagination.next_cursor;
      pages++;
    } while (cursor !== '' && pages < 20);
    expect(seen.filter((iv) => ours.has(iv))).toEqual(views.map((v) => v.content.iv));

    expect((await list('?grant_type=GRANT_TYPE_SERVICE_CONNECTION')).contracts.length).toBeGreaterThanOrEqual(3);
    expect((await list('?grant_type=GRANT_TYPE_SERVICE_PUBLICATION')).contracts).toEqual([]);

    // grant_hash overrides pagination and the grant type filter.
    const byHash = await list(`?grant_hash=${encodeURIComponent(views[1]!.grantHashes[0]!)}&limit=1&grant_type=GRANT_TYPE_SERVICE_PUBLICATION`);
    expect(byHash.contracts.map((c) => c.content.iv)).toEqual([views[1]!.content.iv]);
    const twoHashes = await list(`?grant_hash=${encodeURIComponent(views[0]!.grantHashes[0]!)},${encodeURIComponent(views[2]!.grantHashes[0]!)}`);
    expect(twoHashes.contracts.map((c) => c.content.iv).sort()).toEqual([views[0]!.content.iv, views[2]!.content.iv].sort());
  });

  it('Manager-Contracts-2: does not list contracts the calling peer is not on', async () => {
    const content = contractContent([connectionGrant(fed.pki.peers[OIN.third]!, OIN.provider)]);
    expect((await postContract(asThird, provider, await signedBody(fed.pki.peers[OIN.third]!, content))).status).toBe(201);
    const res = await asConsumer.call('GET', `${provider.address}/v1/contracts?limit=1000`);
    expect((res.json as WireContracts).contracts.map((c) => c.content.iv)).not.toContain(content.iv);
    const byHash = await asConsumer.call('GET', `${provider.address}/v1/contracts?grant_hash=${encodeURIComponent(grantHashOf(content))}`);
    expect((byHash.json as WireContracts).contracts).toEqual([]);
    // The third peer does see it.
    const own = await asThird.call('GET', `${provider.address}/v1/contracts?grant_hash=${encodeURIComponent(grantHashOf(content))}`);
    expect((own.json as WireContracts).contracts.map((c) => c.content.iv)).toEqual([content.iv]);
  });

  it('refuses bad query parameters with 400', async () => {
    for (const query of ['limit=0', 'limit=1001', 'limit=ten', 'sort_order=SIDEWAYS', 'grant_type=GRANT_TYPE_UNKNOWN', 'cursor=%25%25', 'grant_hash=nonsense', 'limit=1&limit=2']) {
      const res = await asConsumer.call('GET', `${provider.address}/v1/contracts?${query}`);
      expect(fscError(res), query).toEqual(expectedError(400, 'ERROR_CODE_BAD_REQUEST'));
    }
  });
});

interface WireServices {
  services: {
    type: string;
    data: { type: string; peer: { id: string; name: string; manager_address: string }; name: string; protocol: string; delegator?: { peer_id: string; peer_name: string } };
  }[];
  pagination: { next_cursor: string };
}

describe('GET /v1/services', () => {
  const providerAddress = 'https://provider.example:8443';

  async function publish(name: string, sign = true): Promise<string> {
    const content = contractContent([publicationGrant(OIN.provider, OIN.directory, name)]);
    const res = await postContract(asProvider, directory, await signedBody(fed.pki.peers[OIN.provider]!, content), providerAddress);
    expect(res.status).toBe(201);
    if (sign) await directory.manager.service.sign(hashOf(content), 'accept');
    return hashOf(content);
  }

  const services = async (query = ''): Promise<WireServices> => {
    const res = await asConsumer.call('GET', `${directory.address}/v1/services${query}`);
    expect(res.status).toBe(200);
    return res.json as WireServices;
  };

  it('Manager-Services-1: lists a service with a valid contract containing a ServicePublicationGrant', async () => {
    await publish('kadaster-api');
    const listed = (await services()).services.find((s) => s.data.name === 'kadaster-api');
    expect(listed).toEqual({
      type: 'SERVICE_TYPE_SERVICE',
      data: {
        type: 'SERVICE_TYPE_SERVICE',
        peer: { id: OIN.provider, name: 'Provider Org', manager_address: providerAddress },
        name: 'kadaster-api',
        protocol: 'PROTOCOL_TCP_HTTP_1.1',
      },
    });
  });

  it('Manager-Services-2: does not list services whose publication is not (or no longer) valid', async () => {
    await publish('unsigned-api', false);
    const revokedHash = await publish('revoked-api');
    expect((await services()).services.map((s) => s.data.name)).toContain('revoked-api');
    await directory.manager.service.sign(revokedHash, 'revoke');
    const names = (await services()).services.map((s) => s.data.name);
    expect(names).not.toContain('unsigned-api');
    expect(names).not.toContain('revoked-api');
  });

  it('Manager-Services-3: filters on peer id or service name (either matches) and paginates', async () => {
    await publish('brp-bevragen');
    await publish('BRP-Mutaties');
    const byName = (await services('?service_name=brp')).services.map((s) => s.data.name).sort();
    expect(byName).toEqual(['BRP-Mutaties', 'brp-bevragen']);
    const byPeer = (await services(`?peer_id=${OIN.provider}`)).services;
    expect(byPeer.length).toBeGreaterThanOrEqual(3);
    expect(byPeer.every((s) => s.data.peer.id === OIN.provider)).toBe(true);
    const either = (await services(`?peer_id=${OIN.third}&service_name=kadaster`)).services.map((s) => s.data.name);
    expect(either).toEqual(['kadaster-api']);

    const names: string[] = [];
    let cursor = '';
    let pages = 0;
    do {
      const page = await services(`?limit=1${cursor === '' ? '' : `&cursor=${cursor}`}`);
      expect(page.services.length).toBeLessThanOrEqual(1);
      names.push(...page.services.map((s) => s.data.name));
      cursor = page.pagination.next_cursor;
      pages++;
    } while (cursor !== '' && pages < 50);
    const all = (await services('?sort_order=SORT_ORDER_DESCENDING')).services.map((s) => s.data.name);
    expect(names).toEqual(all);
    expect(new Set(names).size).toBe(names.length);
  });

  it('Manager-Services-4: lists a service published on behalf of another peer with its delegator', async () => {
    const grant: GrantData = {
      type: 'GRANT_TYPE_DELEGATED_SERVICE_PUBLICATION',
      directory: { peer_id: OIN.directory },
      service: { peer_id: OIN.provider, name: 'delegated-api', protocol: 'PROTOCOL_TCP_HTTP_2' },
      delegator: { peer_id: OIN.delegator },
    };
    const content = contractContent([grant]);
    expect((await postContract(asDelegator, directory, await signedBody(fed.pki.peers[OIN.delegator]!, content), 'https://delegator.example:8443')).status).toBe(201);
    const hash = hashOf(content);
    expect((await putSignature(asProvider, directory, hash, 'accept', await signedBody(fed.pki.peers[OIN.provider]!, content, 'accept'), providerAddress)).status).toBe(201);
    expect((await services()).services.map((s) => s.data.name)).not.toContain('delegated-api');
    await directory.manager.service.sign(hash, 'accept');
    const listed = (await services()).services.find((s) => s.data.name === 'delegated-api');
    expect(listed?.data).toEqual({
      type: 'SERVICE_TYPE_DELEGATED_SERVICE',
      delegator: { peer_id: OIN.delegator, peer_name: 'Delegator Org' },
      peer: { id: OIN.provider, name: 'Provider Org', manager_address: providerAddress },
      name: 'delegated-api',
      protocol: 'PROTOCOL_TCP_HTTP_2',
    });
  });

  it('a peer lists the services it publishes itself', async () => {
    // The provider's own publication contract, accepted by the directory (played by a raw client).
    const view = await provider.manager.service.submitContract({
      grants: [{ data: publicationGrant(OIN.provider, OIN.directory, 'own-api') }],
      validity: { not_before: nowSeconds() - 10, not_after: nowSeconds() + 3600 },
    });
    const asDirectory = rawClient(fed, fed.pki.peers[OIN.directory]!);
    try {
      expect((await putSignature(asDirectory, provider, view.contentHash, 'accept', await signedBody(fed.pki.peers[OIN.directory]!, view.content))).status).toBe(201);
      const res = await asConsumer.call('GET', `${provider.address}/v1/services`);
      const listed = (res.json as WireServices).services.find((s) => s.data.name === 'own-api');
      expect(listed?.data.peer).toEqual({ id: OIN.provider, name: 'Provider Org', manager_address: provider.address });
    } finally {
      await asDirectory.close();
    }
  });
});

describe('peers and keys', () => {
  it('Manager-PeerInfo-1: returns the peer hosting the manager', async () => {
    const res = await asConsumer.call('GET', `${provider.address}/v1/peer`);
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      peer_id: OIN.provider,
      peer_name: 'Provider Org',
      fsc_version: '1.0.0',
      enabled_extensions: { EXTENSION_DELEGATION: '1.0.0', EXTENSION_TRANSACTION_LOGGING: '1.0.0' },
    });
  });

  it('Manager-Peers-1: lists the peers that announced themselves or negotiated contracts, with filters', async () => {
    expect((await asConsumer.call('PUT', `${directory.address}/v1/announce`, { headers: { 'fsc-manager-address': 'https://old.consumer.example:8443' } })).status).toBe(200);
    // A changed address replaces the old one (fsc-core "Announce").
    expect((await asConsumer.call('PUT', `${directory.address}/v1/announce`, { headers: { 'fsc-manager-address': 'https://consumer.example:8443' } })).status).toBe(200);
    expect((await asThird.call('PUT', `${directory.address}/v1/announce`, { headers: { 'fsc-manager-address': 'https://third.example:443' } })).status).toBe(200);

    const list = async (query = '') => {
      const res = await asThird.call('GET', `${directory.address}/v1/peers${query}`);
      expect(res.status).toBe(200);
      return res.json as { peers: { id: string; name: string; manager_address: string }[]; pagination: { next_cursor: string } };
    };
    const all = await list();
    expect(all.peers).toContainEqual({ id: OIN.consumer, name: 'Consumer Org', manager_address: 'https://consumer.example:8443' });
    expect(all.peers).toContainEqual({ id: OIN.third, name: 'Third Org', manager_address: 'https://third.example:443' });
    // Peers that sent contracts in the earlier tests were recorded too.
    expect(all.peers.map((p) => p.id)).toContain(OIN.provider);

    expect((await list('?peer_name=CONSUMER')).peers.map((p) => p.id)).toEqual([OIN.consumer]);
    expect((await list(`?peer_id=${OIN.third},${OIN.consumer}&limit=1`)).peers.map((p) => p.id).sort()).toEqual([OIN.consumer, OIN.third].sort());
    const first = await list('?limit=1&sort_order=SORT_ORDER_ASCENDING');
    expect(first.peers).toHaveLength(1);
    expect(first.pagination.next_cursor).not.toBe('');
    const second = await list(`?limit=1&sort_order=SORT_ORDER_ASCENDING&cursor=${first.pagination.next_cursor}`);
    expect(second.peers[0]!.id > first.peers[0]!.id).toBe(true);
  });

  it('refuses an announcement without a valid Fsc-Manager-Address', async () => {
    const res = await asConsumer.call('PUT', `${directory.address}/v1/announce`);
    expect(fscError(res)).toEqual(expectedError(400, 'ERROR_CODE_BAD_REQUEST'));
  });

  it('serves GET /v1/logs (fsc-logging) only when the manager is given the transaction log', async () => {
    expect(fscError(await asConsumer.call('GET', `${provider.address}/v1/logs`))).toEqual(expectedError(404, 'ERROR_CODE_NOT_FOUND'));
    const dataDir = await mkdtemp(join(tmpdir(), 'koppel-manager-logs-'));
    const txlog = await createTxLog({ kind: 'sqlite', dataDir, peerId: OIN.provider, headIntervalMs: 0 });
    const withLogs = await startPeer(fed, { oin: OIN.provider, txlog });
    try {
      const res = await asConsumer.call('GET', `${withLogs.address}/v1/logs`);
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ records: [], pagination: { next_cursor: '' } });
    } finally {
      await withLogs.destroy();
      await txlog.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('Manager-JSONWebKeySet-1: lists the keys that sign our signatures and tokens, with their certificate chain', async () => {
    const res = await asConsumer.call('GET', `${provider.address}/v1/.well-known/jwks.json`);
    expect(res.status).toBe(200);
    const { keys } = res.json as { keys: (JWK & { x5c: string[]; 'x5t#S256': string })[] };
    expect(keys).toHaveLength(1);
    const key = keys[0]!;
    const providerCert = toX509(fed.pki.peers[OIN.provider]!.certPem);
    expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', use: 'sig', alg: 'ES256', 'x5t#S256': certificateThumbprint(providerCert) });
    // fsc-core: "the complete certificate chain excluding the root CA certificate".
    expect(key.x5c).toEqual([providerCert.raw.toString('base64')]);

    // A signature the provider placed verifies with the published key.
    const view = await provider.manager.service.submitContract({
      grants: [{ data: connectionGrant(consumer(), OIN.provider) }],
      validity: { not_before: nowSeconds() - 10, not_after: nowSeconds() + 3600 },
    });
    const jws = view.signatures.accept[OIN.provider]!;
    const { payload } = await compactVerify(jws, await importJWK(key, 'ES256'));
    expect(JSON.parse(new TextDecoder().decode(payload))).toMatchObject({ contract_content_hash: view.contentHash, type: 'accept' });
  });
});
