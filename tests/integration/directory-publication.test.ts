// The directory role end to end (fsc-core "Directory > Service publication", "Service listing"):
// a directory and peer managers on their own mTLS listeners, each with its own certificate and
// admin API. A provider publishes through its admin API, the directory co-signs after validating the
// publication, lists the service with its inway address, and probes the inway's health; a service
// whose publication ends (revoked, expired) drops out of every listing. FSC's own listing
// (Manager-Services-1…4) is covered by manager-listing.test.ts; this suite covers the directory role.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INWAY_ADDRESS_PROPERTY } from '../../directory/index.ts';
import { grantHashes, peersOnContract } from '../../gateway/protocol/index.ts';
import type { GrantData } from '../../gateway/protocol/index.ts';
import type { RunningServer } from '../../gateway/runtime/index.ts';
import { createStore } from '../../gateway/store/index.ts';
import { adminCall, startAdminPeer, startStandInInway, type AdminPeer } from './directory-fixture.ts';
import {
  contractContent,
  createFederation,
  eventually,
  hashOf,
  nowSeconds,
  OIN,
  rawClient,
  sign,
  type Federation,
  type RawClient,
} from './manager-fixture.ts';

interface KoppelListing {
  services: {
    type: string;
    peer: { id: string; name: string; manager_address: string };
    name: string;
    protocol: string;
    delegator?: { peer_id: string; peer_name: string };
    inway_address?: string;
    health: { status: string; checked_at?: number; latency_ms?: number; since?: number; reason?: string };
  }[];
}

interface FscListing {
  services: { data: { peer: { id: string }; name: string; protocol: string } }[];
}

interface AdminContractJson {
  hash: string;
  state: string;
  missingSigners: string[];
  pendingForMe: boolean;
  grants: { properties?: Record<string, unknown> }[];
  signatures: { accept: string[]; reject: string[]; revoke: string[] };
}

let fed: Federation;
let offsetMs = 0;
const directoryClock = (): number => Date.now() + offsetMs;
let directory: AdminPeer;
let provider: AdminPeer;
let consumer: AdminPeer;
let inway: RunningServer;
let asConsumer: RawClient;

beforeAll(async () => {
  fed = await createFederation();
  directory = await startAdminPeer(fed, { oin: OIN.directory, mode: 'directory', clock: directoryClock });
  inway = await startStandInInway(fed, OIN.provider);
  const dir = { address: directory.managerAddress, peerId: OIN.directory };
  provider = await startAdminPeer(fed, { oin: OIN.provider, directory: dir, inwayAddress: inway.url });
  consumer = await startAdminPeer(fed, { oin: OIN.consumer, directory: dir });
  await Promise.all([provider.manager.service.flushOutbox(), consumer.manager.service.flushOutbox()]);
  asConsumer = rawClient(fed, fed.pki.peers[OIN.consumer]!);
});

afterAll(async () => {
  await asConsumer.close();
  await Promise.all([consumer, provider, directory].map((p) => p.destroy()));
  await inway.close();
  await fed.remove();
});

/** Deliver what every manager has queued, until `check` holds. */
async function settle<T>(check: () => Promise<T | undefined>): Promise<T> {
  return eventually(async () => {
    await Promise.all([directory, provider, consumer].map((p) => p.manager.service.flushOutbox()));
    return check();
  });
}

async function contractAt(peer: AdminPeer, hash: string): Promise<AdminContractJson | undefined> {
  const res = await peer.call('GET', `/admin/contracts/${encodeURIComponent(hash)}`);
  return res.status === 200 ? (res.json as { contract: AdminContractJson }).contract : undefined;
}

async function stateAt(peer: AdminPeer, hash: string, state: string): Promise<AdminContractJson> {
  return settle(async () => {
    const contract = await contractAt(peer, hash);
    return contract?.state === state ? contract : undefined;
  });
}

async function koppelListing(): Promise<KoppelListing['services']> {
  const res = await asConsumer.call('GET', `${directory.managerAddress}/v1/koppel/services`);
  expect(res.status).toBe(200);
  return (res.json as KoppelListing).services;
}

async function fscListing(): Promise<FscListing['services']> {
  const res = await asConsumer.call('GET', `${directory.managerAddress}/v1/services?limit=1000`);
  expect(res.status).toBe(200);
  return (res.json as FscListing).services;
}

async function publish(name: string, extra: Record<string, unknown> = {}): Promise<AdminContractJson> {
  const res = await provider.call('POST', '/admin/services', {
    name,
    endpointUrl: 'http://127.0.0.1:9/api',
    inwayAddress: inway.url,
    ...extra,
  });
  expect(res.status).toBe(201);
  const { contract } = res.json as { contract: AdminContractJson };
  return stateAt(provider, contract.hash, 'valid');
}

describe('service publication through the directory', () => {
  let basisregistratie: AdminContractJson;

  it('the provider publishes through its admin API, the directory co-signs and lists the service with a healthy inway', async () => {
    const res = await provider.call('POST', '/admin/services', {
      name: 'basisregistratie',
      endpointUrl: 'http://127.0.0.1:9/api',
      inwayAddress: inway.url,
    });
    expect(res.status).toBe(201);
    const offered = (res.json as { created: boolean; contract: AdminContractJson }).contract;
    expect(offered.state).toBe('proposed');
    expect(offered.missingSigners).toEqual([OIN.directory]);
    expect(offered.grants[0]?.properties).toEqual({ [INWAY_ADDRESS_PROPERTY]: inway.url });

    basisregistratie = await stateAt(provider, offered.hash, 'valid');
    expect(basisregistratie.signatures.accept.sort()).toEqual([OIN.directory, OIN.provider].sort());
    expect((await contractAt(directory, offered.hash))?.state).toBe('valid');

    // FSC's listing (manager.yaml getServices) has it; the Koppel listing adds inway and health.
    expect((await fscListing()).find((s) => s.data.name === 'basisregistratie')?.data).toMatchObject({
      peer: { id: OIN.provider },
      protocol: 'PROTOCOL_TCP_HTTP_1.1',
    });
    await directory.directory!.health.checkNow();
    const listed = (await koppelListing()).find((s) => s.name === 'basisregistratie');
    expect(listed).toMatchObject({
      type: 'SERVICE_TYPE_SERVICE',
      peer: { id: OIN.provider, name: 'Provider Org', manager_address: provider.managerAddress },
      protocol: 'PROTOCOL_TCP_HTTP_1.1',
      inway_address: inway.url,
      health: { status: 'up' },
    });
    expect(listed?.health.checked_at).toBeGreaterThan(nowSeconds() - 60);

    // Both operators see it through their admin API.
    const atConsumer = (await consumer.call('GET', '/admin/services')).json as {
      group: { peer: { id: string }; name: string; inwayAddress?: string; health: { status: string } }[];
      directory: { reachable: boolean };
    };
    expect(atConsumer.directory).toEqual({ reachable: true });
    expect(atConsumer.group.find((s) => s.name === 'basisregistratie')).toMatchObject({
      peer: { id: OIN.provider },
      inwayAddress: inway.url,
      health: { status: 'up' },
    });
    const atProvider = (await provider.call('GET', '/admin/services')).json as {
      own: { name: string; publication: { state: string; contractHash: string } | null; health?: { status: string } }[];
    };
    expect(atProvider.own.find((s) => s.name === 'basisregistratie')).toMatchObject({
      publication: { state: 'valid', contractHash: offered.hash },
      health: { status: 'up' },
    });
  });

  it('the catalogue page on the directory admin listener shows the service and its health, without a token', async () => {
    const res = await adminCall(directory.adminUrl, 'GET', '/catalogue', null, undefined, { accept: 'text/html' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toMatch(/^<!doctype html>/i);
    expect(res.text).toContain(`data-service="${OIN.provider}/basisregistratie"`);
    expect(res.text).toContain('data-health="up"');
    expect(res.text).toContain('Provider Org');
    // A page reached through a foreign host name (DNS rebinding) is refused.
    const rebound = await adminCall(directory.adminUrl, 'GET', '/catalogue', null, undefined, { host: 'evil.example' });
    expect(rebound.status).toBe(403);
  });

  it('an inway that stops is shown down, and up again when it is back', async () => {
    const port = inway.port;
    await inway.close();
    await directory.directory!.health.checkNow();
    const down = (await koppelListing()).find((s) => s.name === 'basisregistratie');
    expect(down?.health).toMatchObject({ status: 'down', reason: 'connection-refused' });
    const page = await adminCall(directory.adminUrl, 'GET', '/catalogue', null);
    expect(page.text).toContain('data-health="down"');

    inway = await startStandInInway(fed, OIN.provider, port);
    await directory.directory!.health.checkNow();
    expect((await koppelListing()).find((s) => s.name === 'basisregistratie')?.health.status).toBe('up');
  });

  it('an inway whose certificate is not of the group is shown down', async () => {
    const foreign = fed.foreign.peers[OIN.outsider]!;
    const { startHttpServer, createServerTlsOptions } = await import('../../gateway/runtime/index.ts');
    const { Hono } = await import('hono');
    const impostor = await startHttpServer({
      app: new Hono(),
      listen: { host: '127.0.0.1', port: 0 },
      tls: createServerTlsOptions({ ca: fed.foreign.caPem, cert: foreign.chainPem, key: foreign.keyPem }),
      name: 'impostor-inway',
      logger: fed.logger,
      timeouts: { drainTimeoutMs: 100 },
    });
    try {
      await publish('elders-bediend', { inwayAddress: impostor.url });
      await directory.directory!.health.checkNow();
      expect((await koppelListing()).find((s) => s.name === 'elders-bediend')?.health).toMatchObject({
        status: 'down',
        reason: 'tls',
      });
    } finally {
      await impostor.close();
    }
  });

  it('probes the inway of a newly listed service at once, not at the next round', async () => {
    // The health interval of this directory is an hour: only the probe on acceptance can answer.
    await publish('meteen-gecontroleerd');
    const health = await eventually(async () => {
      const listed = (await koppelListing()).find((s) => s.name === 'meteen-gecontroleerd');
      return listed?.health.status === 'unknown' ? undefined : listed?.health;
    });
    expect(health.status).toBe('up');
  });

  it("the directory's own admin API shows the group from its own view, and only its own publications as its own", async () => {
    await directory.store.putService({
      name: 'basisregistratie',
      endpointUrl: 'http://127.0.0.1:9/eigen',
      inwayAddress: 'https://localhost:9443',
      protocol: 'PROTOCOL_TCP_HTTP_1.1',
    });
    try {
      const res = await directory.call('GET', '/admin/services');
      const body = res.json as {
        own: { name: string; publication: unknown }[];
        group: { peer: { id: string }; name: string; health: { status: string } }[];
        directory: unknown;
      };
      // The provider's publication of a service with the same name is not the directory's.
      expect(body.own).toContainEqual(expect.objectContaining({ name: 'basisregistratie', publication: null }));
      expect(body.directory).toEqual({ reachable: true });
      expect(body.group.find((s) => s.peer.id === OIN.provider && s.name === 'basisregistratie')?.health.status).toBe(
        'up',
      );
    } finally {
      await directory.store.deleteService('basisregistratie');
    }
  });

  it('a revoked publication disappears from every listing', async () => {
    const contract = await publish('tijdelijk');
    expect((await koppelListing()).map((s) => s.name)).toContain('tijdelijk');
    const res = await provider.call('POST', `/admin/contracts/${encodeURIComponent(contract.hash)}/revoke`);
    expect(res.status).toBe(200);
    expect((res.json as { contract: AdminContractJson }).contract.state).toBe('revoked');
    await stateAt(directory, contract.hash, 'revoked');
    expect((await koppelListing()).map((s) => s.name)).not.toContain('tijdelijk');
    expect((await fscListing()).map((s) => s.data.name)).not.toContain('tijdelijk');
    expect((await directory.directory!.view.listServices()).map((s) => s.name)).not.toContain('tijdelijk');
  });

  it('an expired publication disappears from every listing', async () => {
    await publish('kortlopend', { validityDays: 1 });
    expect((await koppelListing()).map((s) => s.name)).toContain('kortlopend');
    offsetMs = 2 * 86_400_000;
    try {
      expect((await koppelListing()).map((s) => s.name)).not.toContain('kortlopend');
      expect((await fscListing()).map((s) => s.data.name)).not.toContain('kortlopend');
      // Longer-running publications are still there.
      expect((await koppelListing()).map((s) => s.name)).toContain('basisregistratie');
    } finally {
      offsetMs = 0;
    }
  });
});

describe('what the directory does not co-sign', () => {
  const validity = () => ({ not_before: nowSeconds() - 10, not_after: nowSeconds() + 3600 });

  it('rejects a publication whose inway address is not https://host:port', async () => {
    const view = await provider.manager.service.submitContract({
      grants: [
        {
          data: {
            type: 'GRANT_TYPE_SERVICE_PUBLICATION',
            directory: { peer_id: OIN.directory },
            service: { peer_id: OIN.provider, name: 'slecht-adres', protocol: 'PROTOCOL_TCP_HTTP_1.1' },
            properties: { [INWAY_ADDRESS_PROPERTY]: 'http://inway.example/pad' },
          },
        },
      ],
      validity: validity(),
    });
    const rejected = await stateAt(provider, view.contentHash, 'rejected');
    expect(rejected.signatures.reject).toEqual([OIN.directory]);
    expect((await koppelListing()).map((s) => s.name)).not.toContain('slecht-adres');
  });

  it("rejects a publication of another peer's service offered by a peer that is not its provider", async () => {
    // The consumer is on the contract (its own grant), so the manager accepts the submission; the
    // directory's rule "the Manager offering the Contract … matches grant.data.service.peer_id" fails
    // for the provider's grant.
    const view = await consumer.manager.service.submitContract({
      grants: [
        {
          data: {
            type: 'GRANT_TYPE_SERVICE_PUBLICATION',
            directory: { peer_id: OIN.directory },
            service: { peer_id: OIN.consumer, name: 'eigen-dienst', protocol: 'PROTOCOL_TCP_HTTP_1.1' },
          },
        },
        {
          data: {
            type: 'GRANT_TYPE_SERVICE_PUBLICATION',
            directory: { peer_id: OIN.directory },
            service: { peer_id: OIN.provider, name: 'basisregistratie', protocol: 'PROTOCOL_TCP_HTTP_2' },
          },
        },
      ],
      validity: validity(),
    });
    const rejected = await stateAt(consumer, view.contentHash, 'rejected');
    expect(rejected.signatures.reject).toEqual([OIN.directory]);
  });

  it('leaves a connection contract for one of its own services to its operator', async () => {
    await directory.store.putService({
      name: 'catalogus-api',
      endpointUrl: 'http://127.0.0.1:9/api',
      inwayAddress: 'https://localhost:9443',
      protocol: 'PROTOCOL_TCP_HTTP_1.1',
    });
    // Not published, so the admin API refuses to ask for it; ask through the manager instead.
    expect(
      (await consumer.call('POST', '/admin/connections', { peerId: OIN.directory, service: 'catalogus-api' })).status,
    ).toBe(404);
    const { publicKeyThumbprint } = await import('../../gateway/protocol/index.ts');
    const view = await consumer.manager.service.submitContract({
      grants: [
        {
          data: {
            type: 'GRANT_TYPE_SERVICE_CONNECTION',
            outway: { peer_id: OIN.consumer, public_key_thumbprint: publicKeyThumbprint(consumer.tls.certificate) },
            service: { type: 'SERVICE_TYPE_SERVICE', peer_id: OIN.directory, name: 'catalogus-api' },
          },
        },
      ],
      validity: validity(),
    });
    const atDirectory = await settle(async () => contractAt(directory, view.contentHash));
    await directory.manager.service.flushOutbox();
    expect(atDirectory).toMatchObject({ state: 'proposed', missingSigners: [OIN.directory], pendingForMe: true });
    const pending = (await directory.call('GET', '/admin/contracts?pending=true')).json as {
      contracts: AdminContractJson[];
    };
    expect(pending.contracts.map((c) => c.hash)).toContain(view.contentHash);
  });
});

describe('delegated publication', () => {
  let delegator: AdminPeer;

  beforeAll(async () => {
    delegator = await startAdminPeer(fed, {
      oin: OIN.delegator,
      directory: { address: directory.managerAddress, peerId: OIN.directory },
    });
    await delegator.manager.service.flushOutbox();
  });

  afterAll(async () => {
    await delegator.destroy();
  });

  it('co-signs a DelegatedServicePublicationGrant offered by the delegator and lists the service with its delegator', async () => {
    const grant: GrantData = {
      type: 'GRANT_TYPE_DELEGATED_SERVICE_PUBLICATION',
      directory: { peer_id: OIN.directory },
      service: { peer_id: OIN.provider, name: 'namens-gemeente', protocol: 'PROTOCOL_TCP_HTTP_2' },
      delegator: { peer_id: OIN.delegator },
      properties: { [INWAY_ADDRESS_PROPERTY]: inway.url },
    };
    const view = await delegator.manager.service.submitContract({
      grants: [{ data: grant }],
      validity: { not_before: nowSeconds() - 10, not_after: nowSeconds() + 3600 },
    });
    // The directory co-signs at once; the provider's operator decides for the provider.
    const atProvider = await settle(async () => {
      const c = await contractAt(provider, view.contentHash);
      return c?.signatures.accept.includes(OIN.directory) === true ? c : undefined;
    });
    expect(atProvider).toMatchObject({ state: 'proposed', missingSigners: [OIN.provider], pendingForMe: true });
    expect((await koppelListing()).map((s) => s.name)).not.toContain('namens-gemeente');

    expect(
      (await provider.call('POST', `/admin/contracts/${encodeURIComponent(view.contentHash)}/accept`)).status,
    ).toBe(200);
    await stateAt(directory, view.contentHash, 'valid');
    await directory.directory!.health.checkNow();
    expect((await koppelListing()).find((s) => s.name === 'namens-gemeente')).toMatchObject({
      type: 'SERVICE_TYPE_DELEGATED_SERVICE',
      peer: { id: OIN.provider },
      delegator: { peer_id: OIN.delegator, peer_name: 'Delegator Org' },
      protocol: 'PROTOCOL_TCP_HTTP_2',
      inway_address: inway.url,
      health: { status: 'up' },
    });
  });
});

describe('a directory that was down', () => {
  it('reviews the publications that arrived before it stopped when it starts again', async () => {
    // A publication that was stored but never answered (the process stopped before its hook ran).
    const dataDir = await mkdtemp(join(tmpdir(), 'koppel-directory-sweep-'));
    const store = await createStore({ kind: 'sqlite', dataDir });
    const content = contractContent([
      {
        type: 'GRANT_TYPE_SERVICE_PUBLICATION',
        directory: { peer_id: OIN.directory },
        service: { peer_id: OIN.provider, name: 'wachtende-dienst', protocol: 'PROTOCOL_TCP_HTTP_1.1' },
        properties: { [INWAY_ADDRESS_PROPERTY]: 'https://localhost:9443' },
      },
    ]);
    const hash = hashOf(content);
    const providerSignedAt = nowSeconds();
    await store.putContract({
      contentHash: hash,
      content,
      grants: grantHashes(content).map((h, i) => ({ hash: h, type: content.grants[i]!.data.type })),
      peerIds: peersOnContract(content),
      createdAt: content.created_at,
    });
    await store.putSignature({
      contentHash: hash,
      peerId: OIN.provider,
      type: 'accept',
      jws: await sign(fed.pki.peers[OIN.provider]!, hash, 'accept', providerSignedAt),
      signedAt: providerSignedAt,
    });
    await store.close();

    const restarted = await startAdminPeer(fed, { oin: OIN.directory, mode: 'directory', dataDir });
    try {
      expect((await contractAt(restarted, hash))?.state).toBe('valid');
      // Its signature waits in the outbox for the provider.
      const pending = await restarted.manager.service.pendingDeliveries(OIN.provider);
      expect(pending.map((p) => p.kind)).toContain('signature');
      expect((await restarted.directory!.view.listServices()).map((s) => s.name)).toEqual(['wachtende-dienst']);
    } finally {
      await restarted.destroy();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
