// Consuming a service across two organisations, end to end (fsc-test-suite integration.md): a directory,
// a provider and a consumer negotiate through their managers; the consumer's application calls the
// provider's service through outway → mTLS → inway. Run with the consumer's store and transaction log
// in SQLite and in Redis.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GrantData } from '../../gateway/protocol/index.ts';
import { connectionGrant, thumbprintOf } from './manager-fixture.ts';
import { createOutwayWorld, fscErrorOf, json, OIN, type OutwayWorld, type ServiceRequest } from './outway-fixture.ts';

describe.each(['sqlite', 'redis'] as const)('with the consumer on %s', (storeKind) => {
  let world: OutwayWorld;

  beforeAll(async () => {
    world = await createOutwayWorld({ storeKind, services: ['basisregistratie', 'kadaster'], connect: ['basisregistratie'], withDelegator: true });
  });
  afterAll(async () => {
    await world?.close();
  });

  it('Integration-ConsumeService-1: with a valid contract the service returns a successful response through the outway', async () => {
    const res = await world.call(`/${OIN.provider}/basisregistratie/persons/999993653?fields=naam`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-service']).toBe('echo');
    const echoed = await json<ServiceRequest>(res);
    expect(echoed).toMatchObject({ method: 'GET', url: '/persons/999993653?fields=naam' });
  });

  it('Integration-ConsumeService-2: without a valid contract the outway rejects the request', async () => {
    const seen = world.service.received.length;
    const err = await fscErrorOf(await world.call(`/${OIN.provider}/kadaster/parcels/1`));
    expect(err).toMatchObject({ status: 403, header: 'ERROR_CODE_NO_GRANT', domain: 'ERROR_DOMAIN_OUTWAY' });
    expect(world.service.received.length).toBe(seen);
  });

  it('Integration-TransactionLog-1: consumer and provider both log the call under the same transaction id', async () => {
    const res = await world.call(`/${OIN.provider}/basisregistratie/persons/1`, {
      headers: { 'x-nlx-request-process-id': 'proces-1', 'x-nlx-request-data-subject': 'bsn=999993653' },
    });
    expect(res.statusCode).toBe(200);
    await res.body.text();
    const txid = String(res.headers['fsc-transaction-id']);
    const grantHash = world.connections.get('basisregistratie')!.grantHashes[0]!;
    const [consumerRecord] = (await world.consumerTxlog.query({ transactionIds: [txid] })).records;
    const [providerRecord] = (await world.providerTxlog.query({ transactionIds: [txid] })).records;
    const common = {
      transaction_id: txid,
      grant_hash: grantHash,
      source: { type: 'SOURCE_TYPE_SOURCE', outway_peer_id: OIN.consumer },
      destination: { type: 'DESTINATION_TYPE_DESTINATION', service_peer_id: OIN.provider },
      service_name: 'basisregistratie',
    };
    expect(consumerRecord?.record).toMatchObject({ ...common, direction: 'DIRECTION_OUTGOING' });
    expect(providerRecord?.record).toMatchObject({ ...common, direction: 'DIRECTION_INCOMING' });
    // Same trace on both sides; the purpose metadata stays with the consumer.
    expect(providerRecord?.record.trace_id).toBe(consumerRecord?.record.trace_id);
    expect(consumerRecord?.record.additional_data).toMatchObject({ process_id: 'proces-1', data_subject: 'bsn=999993653' });
    expect(providerRecord?.record.additional_data).toBeUndefined();
    // Both sides record how the call ended, once the response is done.
    await expect.poll(async () => (await world.consumerTxlog.query({ transactionIds: [txid] })).records[0]?.completion?.status).toBe(200);
    await expect.poll(async () => (await world.providerTxlog.query({ transactionIds: [txid] })).records[0]?.completion?.status).toBe(200);
  });

  it('Integration-ConsumeServiceAsDelegatee-1: a DelegatedServiceConnectionGrant lets the outway call on behalf of the delegator', async () => {
    const grant: GrantData = {
      type: 'GRANT_TYPE_DELEGATED_SERVICE_CONNECTION',
      outway: { peer_id: OIN.consumer, public_key_thumbprint: thumbprintOf(world.fed.pki.peers[OIN.consumer]!) },
      service: { type: 'SERVICE_TYPE_SERVICE', peer_id: OIN.provider, name: 'basisregistratie' },
      delegator: { peer_id: OIN.delegator },
    };
    const contract = await world.negotiate(world.delegator!, [grant], [world.consumer, world.provider]);
    const res = await world.call('/persons/2', { headers: { 'fsc-grant-hash': contract.grantHashes[0]! } });
    expect(res.statusCode).toBe(200);
    expect((await json<ServiceRequest>(res)).url).toBe('/persons/2');
    const txid = String(res.headers['fsc-transaction-id']);
    const delegated = { type: 'SOURCE_TYPE_DELEGATED_SOURCE', outway_peer_id: OIN.consumer, delegator_peer_id: OIN.delegator };
    expect((await world.consumerTxlog.query({ transactionIds: [txid] })).records[0]?.record.source).toEqual(delegated);
    expect((await world.providerTxlog.query({ transactionIds: [txid] })).records[0]?.record.source).toEqual(delegated);
  });

  it('Integration-ConsumeDelegatedService-1: a service published by a delegatee is consumed with a ServiceConnectionGrant', async () => {
    // The delegator has the provider publish `kadaster` on its behalf (DelegatedServicePublicationGrant).
    await world.negotiate(
      world.delegator!,
      [
        {
          type: 'GRANT_TYPE_DELEGATED_SERVICE_PUBLICATION',
          directory: { peer_id: OIN.directory },
          service: { peer_id: OIN.provider, name: 'kadaster', protocol: 'PROTOCOL_TCP_HTTP_1.1' },
          delegator: { peer_id: OIN.delegator },
        },
      ],
      [world.directory, world.provider],
    );
    const grant = {
      ...connectionGrant(world.fed.pki.peers[OIN.consumer]!, OIN.provider, 'kadaster'),
      service: { type: 'SERVICE_TYPE_DELEGATED_SERVICE', peer_id: OIN.provider, name: 'kadaster', delegator: { peer_id: OIN.delegator } },
    } as GrantData;
    await world.negotiate(world.consumer, [grant], [world.provider, world.delegator!]);
    const res = await world.call(`/${OIN.provider}/kadaster/parcels/1`);
    expect(res.statusCode).toBe(200);
    await res.body.text();
    const txid = String(res.headers['fsc-transaction-id']);
    const destination = { type: 'DESTINATION_TYPE_DELEGATED_DESTINATION', service_peer_id: OIN.provider, delegator_peer_id: OIN.delegator };
    expect((await world.consumerTxlog.query({ transactionIds: [txid] })).records[0]?.record.destination).toEqual(destination);
    expect((await world.providerTxlog.query({ transactionIds: [txid] })).records[0]?.record.destination).toEqual(destination);
  });

  it('Integration-ConsumeDelegatedService-2: a service published by a delegatee is consumed on behalf of a delegator', async () => {
    const grant: GrantData = {
      type: 'GRANT_TYPE_DELEGATED_SERVICE_CONNECTION',
      outway: { peer_id: OIN.consumer, public_key_thumbprint: thumbprintOf(world.fed.pki.peers[OIN.consumer]!) },
      service: { type: 'SERVICE_TYPE_DELEGATED_SERVICE', peer_id: OIN.provider, name: 'kadaster', delegator: { peer_id: OIN.delegator } },
      delegator: { peer_id: OIN.delegator },
    };
    const contract = await world.negotiate(world.delegator!, [grant], [world.consumer, world.provider]);
    const res = await world.call('/parcels/2', { headers: { 'fsc-grant-hash': contract.grantHashes[0]! } });
    expect(res.statusCode).toBe(200);
    await res.body.text();
    const [record] = (await world.consumerTxlog.query({ transactionIds: [String(res.headers['fsc-transaction-id'])] })).records;
    expect(record?.record).toMatchObject({
      source: { type: 'SOURCE_TYPE_DELEGATED_SOURCE', outway_peer_id: OIN.consumer, delegator_peer_id: OIN.delegator },
      destination: { type: 'DESTINATION_TYPE_DELEGATED_DESTINATION', service_peer_id: OIN.provider, delegator_peer_id: OIN.delegator },
    });
  });
});
