// Managers talking to each other (fsc-core "Announce", "Signatures": propagation to every peer on the
// contract, retry and back-off): a directory and two peers negotiate a publication and a connection
// contract to validity; a third peer that was down while the others signed catches up once it is
// back, and a peer's own undelivered signatures survive its restart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OIN } from './manager-fixture.ts';
import {
  connectionGrant,
  createFederation,
  eventually,
  nowSeconds,
  publicationGrant,
  rawClient,
  startPeer,
  type Federation,
  type RunningPeer,
} from './manager-fixture.ts';
import type { Manager } from '../../gateway/manager/index.ts';
import { contentHash, grantHashes } from '../../gateway/protocol/index.ts';

let fed: Federation;

beforeAll(async () => {
  fed = await createFederation();
});

afterAll(async () => {
  await fed.remove();
});

const validity = () => ({ not_before: nowSeconds() - 60, not_after: nowSeconds() + 3600 });

describe('directory, provider and consumer', () => {
  let directory: RunningPeer;
  let provider: RunningPeer;
  let consumer: RunningPeer;

  beforeAll(async () => {
    const holder: { manager?: Manager } = {};
    directory = await startPeer(fed, {
      oin: OIN.directory,
      mode: 'directory',
      hooks: {
        // The extension point the directory role uses: co-sign service publications as they arrive.
        async onContractReceived({ contract }) {
          const onlyPublications = contract.content.grants.every((g) => g.data.type === 'GRANT_TYPE_SERVICE_PUBLICATION');
          if (onlyPublications && holder.manager !== undefined) await holder.manager.service.sign(contract.contentHash, 'accept');
        },
      },
    });
    holder.manager = directory.manager;
    const dir = { address: directory.address, peerId: OIN.directory };
    provider = await startPeer(fed, { oin: OIN.provider, directory: dir, services: ['basisregistratie'] });
    consumer = await startPeer(fed, { oin: OIN.consumer, directory: dir });
  });

  afterAll(async () => {
    await Promise.all([directory, provider, consumer].map((p) => p.destroy()));
  });

  it('peers announce themselves to the directory when they start', async () => {
    await provider.manager.service.flushOutbox();
    await consumer.manager.service.flushOutbox();
    expect(await directory.store.getPeer(OIN.provider)).toMatchObject({ name: 'Provider Org', managerAddress: provider.address });
    expect(await directory.store.getPeer(OIN.consumer)).toMatchObject({ name: 'Consumer Org', managerAddress: consumer.address });
  });

  it('a publication and then a connection contract are negotiated to validity over the wire', async () => {
    // 1. The provider publishes its service; the directory co-signs through its hook.
    const publication = await provider.manager.service.submitContract({
      grants: [{ data: publicationGrant(OIN.provider, OIN.directory, 'basisregistratie') }],
      validity: validity(),
    });
    await provider.manager.service.flushOutbox();
    await eventually(async () => ((await provider.manager.service.getContract(publication.contentHash))?.state === 'valid' ? true : undefined));
    expect((await directory.manager.service.getContract(publication.contentHash))?.state).toBe('valid');

    // 2. The consumer finds the service in the directory.
    const asConsumer = rawClient(fed, fed.pki.peers[OIN.consumer]!);
    try {
      const listed = await asConsumer.call('GET', `${directory.address}/v1/services?service_name=basisregistratie`);
      const services = (listed.json as { services: { data: { peer: { id: string; manager_address: string } } }[] }).services;
      expect(services.map((s) => s.data.peer)).toContainEqual(expect.objectContaining({ id: OIN.provider, manager_address: provider.address }));

      // 3. The consumer proposes a connection; its manager learns the provider's address from the directory.
      const connection = await consumer.manager.service.submitContract({
        grants: [{ data: connectionGrant(fed.pki.peers[OIN.consumer]!, OIN.provider) }],
        validity: validity(),
      });
      await consumer.manager.service.flushOutbox();
      const atProvider = await provider.manager.service.getContract(connection.contentHash);
      expect(atProvider?.state).toBe('proposed');
      expect(atProvider?.missingSigners).toEqual([OIN.provider]);

      // 4. The provider accepts; its signature travels back.
      await provider.manager.service.sign(connection.contentHash, 'accept');
      await provider.manager.service.flushOutbox();
      expect((await consumer.manager.service.getContract(connection.contentHash))?.state).toBe('valid');
      expect((await provider.manager.service.getContract(connection.contentHash))?.state).toBe('valid');
      expect(await provider.manager.service.pendingDeliveries()).toEqual([]);
      expect(await consumer.manager.service.pendingDeliveries()).toEqual([]);

      // 5. The consumer's outway can now get an access token from the provider.
      const token = await asConsumer.call('POST', `${provider.address}/v1/token`, {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope: connection.grantHashes[0]!, client_id: OIN.consumer }).toString(),
      });
      expect(token.status).toBe(200);

      // 6. A revoke by the consumer ends the contract on both sides.
      await consumer.manager.service.sign(connection.contentHash, 'revoke');
      await consumer.manager.service.flushOutbox();
      expect((await provider.manager.service.getContract(connection.contentHash))?.state).toBe('revoked');
    } finally {
      await asConsumer.close();
    }
  });
});

describe('a peer that was down catches up', () => {
  let consumer: RunningPeer;
  let provider: RunningPeer;
  let third: RunningPeer;

  beforeAll(async () => {
    consumer = await startPeer(fed, { oin: OIN.consumer });
    provider = await startPeer(fed, { oin: OIN.provider, storeKind: 'redis', services: ['basisregistratie'] });
    third = await startPeer(fed, { oin: OIN.third, services: ['third-api'] });
    // No directory here: the peers know each other's addresses from an announcement.
    for (const from of [consumer, provider, third]) {
      for (const to of [consumer, provider, third]) {
        if (from === to) continue;
        const res = await from.manager.peerClient.announce(to.address);
        expect(res.status).toBe(200);
      }
    }
  });

  afterAll(async () => {
    await Promise.all([consumer, provider, third].map((p) => p.destroy()));
  });

  it('receives the contract and the signatures placed while it was stopped, after its restart on the same data', async () => {
    await third.stop();

    const view = await consumer.manager.service.submitContract({
      grants: [
        { data: connectionGrant(fed.pki.peers[OIN.consumer]!, OIN.provider) },
        { data: connectionGrant(fed.pki.peers[OIN.consumer]!, OIN.third, 'third-api') },
      ],
      validity: validity(),
    });
    await consumer.manager.service.flushOutbox();
    await provider.manager.service.sign(view.contentHash, 'accept');
    await provider.manager.service.flushOutbox();
    expect((await provider.manager.service.getContract(view.contentHash))?.missingSigners).toEqual([OIN.third]);
    // Both deliveries to the stopped peer wait in the outboxes.
    expect((await consumer.manager.service.pendingDeliveries(OIN.third)).map((i) => i.kind)).toEqual(['contract']);
    expect((await provider.manager.service.pendingDeliveries(OIN.third)).map((i) => i.kind)).toEqual(['signature']);

    third = await startPeer(fed, { oin: OIN.third, dataDir: third.dataDir, port: third.port });
    // An operator (or the next back-off round) retries now that the peer is back.
    await provider.manager.service.retryDeliveriesNow(OIN.third);
    await consumer.manager.service.retryDeliveriesNow(OIN.third);
    const caughtUp = await third.manager.service.getContract(view.contentHash);
    expect(Object.keys(caughtUp?.signatures.accept ?? {}).sort()).toEqual([OIN.consumer, OIN.provider].sort());
    expect(caughtUp?.missingSigners).toEqual([OIN.third]);
    expect(await consumer.manager.service.pendingDeliveries(OIN.third)).toEqual([]);
    expect(await provider.manager.service.pendingDeliveries(OIN.third)).toEqual([]);

    // Its accept completes the contract everywhere.
    await third.manager.service.sign(view.contentHash, 'accept');
    await third.manager.service.flushOutbox();
    for (const peer of [consumer, provider, third]) {
      expect((await peer.manager.service.getContract(view.contentHash))?.state).toBe('valid');
    }
  });

  it('keeps its own undelivered signatures across its restart and sends them when the peer is back', async () => {
    const view = await consumer.manager.service.submitContract({
      grants: [{ data: connectionGrant(fed.pki.peers[OIN.consumer]!, OIN.third, 'third-api') }],
      validity: validity(),
    });
    await consumer.manager.service.flushOutbox();
    expect((await third.manager.service.getContract(view.contentHash))?.state).toBe('proposed');

    await consumer.stop();
    await third.manager.service.sign(view.contentHash, 'accept');
    await third.manager.service.flushOutbox();
    expect(await third.manager.service.pendingDeliveries(OIN.consumer)).toHaveLength(1);

    // Both restart; the third peer's outbox worker resumes on listen() and delivers by itself.
    await third.stop();
    consumer = await startPeer(fed, { oin: OIN.consumer, dataDir: consumer.dataDir, port: consumer.port });
    third = await startPeer(fed, { oin: OIN.third, dataDir: third.dataDir, port: third.port });
    await eventually(async () => ((await consumer.manager.service.getContract(view.contentHash))?.state === 'valid' ? true : undefined));
    // The worker completes the item once the consumer has answered.
    await eventually(async () => ((await third.manager.service.pendingDeliveries(OIN.consumer)).length === 0 ? true : undefined));
  });
});

describe('a group on the published FSC 1.1 hash scheme', () => {
  it('negotiates a contract and issues a token with fsc-1.1 content and grant hashes', async () => {
    const provider = await startPeer(fed, { oin: OIN.provider, hashScheme: 'fsc-1.1', services: ['basisregistratie'] });
    const consumer = await startPeer(fed, { oin: OIN.consumer, hashScheme: 'fsc-1.1' });
    const asConsumer = rawClient(fed, fed.pki.peers[OIN.consumer]!);
    try {
      // Without a directory, each learns the other's address from its announcement.
      expect((await consumer.manager.peerClient.announce(provider.address)).status).toBe(200);
      expect((await provider.manager.peerClient.announce(consumer.address)).status).toBe(200);
      const view = await consumer.manager.service.submitContract({
        grants: [{ data: connectionGrant(fed.pki.peers[OIN.consumer]!, OIN.provider) }],
        validity: validity(),
      });
      expect(view.contentHash).toBe(contentHash(view.content, 'fsc-1.1'));
      expect(view.contentHash).not.toBe(contentHash(view.content, 'jcs'));
      await consumer.manager.service.flushOutbox();
      await provider.manager.service.sign(view.contentHash, 'accept');
      await provider.manager.service.flushOutbox();
      expect((await consumer.manager.service.getContract(view.contentHash))?.state).toBe('valid');
      const token = await asConsumer.call('POST', `${provider.address}/v1/token`, {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope: grantHashes(view.content, 'fsc-1.1')[0]!, client_id: OIN.consumer }).toString(),
      });
      expect(token.status).toBe(200);
    } finally {
      await asConsumer.close();
      await provider.destroy();
      await consumer.destroy();
    }
  });
});
