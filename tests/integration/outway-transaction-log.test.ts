// The outway's transaction log (fsc-logging "Outway"; fsc-test-suite outway.md Outway-TransactionLog-1…5):
// a record per request, durable before the request leaves, the transaction id sent to the inway and
// returned to the client, delegation in source and destination, and a refused request when the log
// cannot be written. Purpose metadata (NLX headers) is recorded and never sent to the other peer.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServerTlsOptions, startHttpServer } from '../../gateway/runtime/index.ts';
import { connectionGrant, thumbprintOf } from './manager-fixture.ts';
import { createOutwayWorld, fscErrorOf, json, OIN, type OutwayWorld, type ServiceRequest } from './outway-fixture.ts';
import type { GrantData } from '../../gateway/protocol/index.ts';

const PURPOSE = {
  'x-nlx-request-process-id': 'process/aanvraag-uitkering',
  'x-nlx-request-data-subject': 'bsn=999993653',
  'x-nlx-request-data-elements': 'naam,adres',
  'x-nlx-request-user-id': 'medewerker-42',
  'x-nlx-request-application-id': 'zaaksysteem',
};

let world: OutwayWorld;

beforeAll(async () => {
  world = await createOutwayWorld({ services: ['basisregistratie', 'kadaster'], connect: ['basisregistratie'], withDelegator: true });
});

afterAll(async () => {
  await world?.close();
});

async function outgoing(transactionId: string) {
  const { records } = await world.consumerTxlog.query({ transactionIds: [transactionId] });
  return records.map((r) => r.record);
}

describe('writing the record', () => {
  it('Outway-TransactionLog-1: writes a record for a request with a grant before sending it to the inway', async () => {
    const grantHash = world.connections.get('basisregistratie')!.grantHashes[0]!;
    const res = await world.call('/persons/1', { headers: { 'fsc-grant-hash': grantHash } });
    expect(res.statusCode).toBe(200);
    await res.body.text();
    const txid = String(res.headers['fsc-transaction-id']);
    const [record] = await outgoing(txid);
    expect(record).toMatchObject({
      transaction_id: txid,
      direction: 'DIRECTION_OUTGOING',
      grant_hash: grantHash,
      source: { type: 'SOURCE_TYPE_SOURCE', outway_peer_id: OIN.consumer },
      destination: { type: 'DESTINATION_TYPE_DESTINATION', service_peer_id: OIN.provider },
      service_name: 'basisregistratie',
    });
    expect(Math.abs(record!.created_at - Date.now() / 1000)).toBeLessThan(60);
  });

  it('Outway-TransactionLog-1: the record is committed before the request reaches the inway', async () => {
    // An inway stand-in that, the moment a request arrives, reads the outway's transaction log for
    // the transaction id it was sent: the record must already be there (no clocks compared).
    const seenAtArrival: { transactionId: string | undefined; records: unknown[] }[] = [];
    const provider = world.fed.pki.peers[OIN.provider]!;
    const app = new Hono();
    app.all('*', async (c) => {
      const transactionId = c.req.header('fsc-transaction-id');
      const { records } = await world.consumerTxlog.query({ transactionIds: transactionId === undefined ? [] : [transactionId] });
      seenAtArrival.push({ transactionId, records: records.map((r) => r.record) });
      return c.json({ ok: true });
    });
    const standIn = await startHttpServer({
      app,
      listen: { host: '127.0.0.1', port: 0 },
      tls: createServerTlsOptions({ ca: world.fed.pki.caPem, cert: provider.chainPem, key: provider.keyPem }),
      name: 'observing-inway',
      logger: world.fed.logger,
      timeouts: { drainTimeoutMs: 100 },
    });
    try {
      await world.addService('observed', standIn.url);
      const consumerCert = world.fed.pki.peers[OIN.consumer]!;
      const contract = await world.negotiate(world.consumer, [connectionGrant(consumerCert, OIN.provider, 'observed')], [world.provider]);
      const grantHash = contract.grantHashes[0]!;

      const res = await world.call('/persons/1', { headers: { 'fsc-grant-hash': grantHash } });
      expect(res.statusCode).toBe(200);
      await res.body.text();
      const txid = String(res.headers['fsc-transaction-id']);
      expect(seenAtArrival).toHaveLength(1);
      expect(seenAtArrival[0]!.transactionId).toBe(txid);
      expect(seenAtArrival[0]!.records).toHaveLength(1);
      expect(seenAtArrival[0]!.records[0]).toMatchObject({
        transaction_id: txid,
        direction: 'DIRECTION_OUTGOING',
        grant_hash: grantHash,
        destination: { type: 'DESTINATION_TYPE_DESTINATION', service_peer_id: OIN.provider },
        service_name: 'observed',
      });
    } finally {
      await standIn.close();
    }
  });

  it('Outway-TransactionLog-2: the transaction id is in the request to the inway and in the response to the client', async () => {
    const res = await world.call(`/${OIN.provider}/basisregistratie/x`);
    const echoed = await json<ServiceRequest>(res);
    const txid = res.headers['fsc-transaction-id'];
    expect(txid).toMatch(/^[0-9a-f-]{36}$/);
    expect(echoed.headers['fsc-transaction-id']).toBe(txid);
    expect(await outgoing(String(txid))).toHaveLength(1);
    // The inway logged the same id it received.
    expect((await world.providerTxlog.query({ transactionIds: [String(txid)] })).records[0]?.record.direction).toBe('DIRECTION_INCOMING');
  });

  it('gives every request its own UUIDv7 transaction id', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const res = await world.call(`/${OIN.provider}/basisregistratie/x`);
      await res.body.text();
      ids.add(String(res.headers['fsc-transaction-id']));
    }
    expect(ids.size).toBe(5);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('delegation', () => {
  it('Outway-TransactionLog-3: a request on behalf of another peer (DelegatedServiceConnectionGrant) records the delegator in the source', async () => {
    const consumerCert = world.fed.pki.peers[OIN.consumer]!;
    const grant: GrantData = {
      type: 'GRANT_TYPE_DELEGATED_SERVICE_CONNECTION',
      outway: { peer_id: OIN.consumer, public_key_thumbprint: thumbprintOf(consumerCert) },
      service: { type: 'SERVICE_TYPE_SERVICE', peer_id: OIN.provider, name: 'basisregistratie' },
      delegator: { peer_id: OIN.delegator },
    };
    // fsc-core DelegatedServiceConnectionGrant: the delegator creates the delegation.
    const contract = await world.negotiate(world.delegator!, [grant], [world.consumer, world.provider]);
    const grantHash = contract.grantHashes[0]!;

    const res = await world.call('/persons/1', { headers: { 'fsc-grant-hash': grantHash } });
    expect(res.statusCode).toBe(200);
    const echoed = await json<ServiceRequest>(res);
    const claims = JSON.parse(Buffer.from(String(echoed.headers['fsc-authorization']).split('.')[1]!, 'base64url').toString()) as { act?: { sub: string } };
    expect(claims.act).toEqual({ sub: OIN.delegator });
    const [record] = await outgoing(String(res.headers['fsc-transaction-id']));
    expect(record).toMatchObject({
      grant_hash: grantHash,
      source: { type: 'SOURCE_TYPE_DELEGATED_SOURCE', outway_peer_id: OIN.consumer, delegator_peer_id: OIN.delegator },
      destination: { type: 'DESTINATION_TYPE_DESTINATION', service_peer_id: OIN.provider },
    });

    // The friendly form never acts on behalf of someone else on its own: it uses the plain grant.
    const friendly = await world.call(`/${OIN.provider}/basisregistratie/x`);
    await friendly.body.text();
    expect((await outgoing(String(friendly.headers['fsc-transaction-id'])))[0]?.source.type).toBe('SOURCE_TYPE_SOURCE');
  });

  it('Outway-TransactionLog-4: a request to a service offered on behalf of another peer records the delegator in the destination', async () => {
    const consumerCert = world.fed.pki.peers[OIN.consumer]!;
    const grant: GrantData = {
      ...connectionGrant(consumerCert, OIN.provider, 'kadaster'),
      service: { type: 'SERVICE_TYPE_DELEGATED_SERVICE', peer_id: OIN.provider, name: 'kadaster', delegator: { peer_id: OIN.delegator } },
    } as GrantData;
    const contract = await world.negotiate(world.consumer, [grant], [world.provider, world.delegator!]);
    const grantHash = contract.grantHashes[0]!;

    const res = await world.call(`/${OIN.provider}/kadaster/parcels/7`);
    expect(res.statusCode).toBe(200);
    await res.body.text();
    const [record] = await outgoing(String(res.headers['fsc-transaction-id']));
    expect(record).toMatchObject({
      grant_hash: grantHash,
      service_name: 'kadaster',
      source: { type: 'SOURCE_TYPE_SOURCE', outway_peer_id: OIN.consumer },
      destination: { type: 'DESTINATION_TYPE_DELEGATED_DESTINATION', service_peer_id: OIN.provider, delegator_peer_id: OIN.delegator },
    });
  });
});

describe('purpose headers (NLX)', () => {
  it('records the purpose headers in additional_data and does not forward them to the other organisation', async () => {
    const res = await world.call(`/${OIN.provider}/basisregistratie/persons/999993653`, { headers: PURPOSE });
    expect(res.statusCode).toBe(200);
    const echoed = await json<ServiceRequest>(res);
    for (const name of Object.keys(PURPOSE)) expect(echoed.headers[name]).toBeUndefined();
    const txid = String(res.headers['fsc-transaction-id']);
    const [record] = await outgoing(txid);
    expect(record?.additional_data).toEqual({
      process_id: 'process/aanvraag-uitkering',
      data_subject: 'bsn=999993653',
      data_elements: 'naam,adres',
      user_id: 'medewerker-42',
      application_id: 'zaaksysteem',
    });
    // Searchable by data subject; the provider's log holds none of it.
    expect((await world.consumerTxlog.query({ dataSubject: 'bsn=999993653' })).records.map((r) => r.record.transaction_id)).toContain(txid);
    const theirs = await world.providerTxlog.query({ transactionIds: [txid] });
    expect(theirs.records[0]?.record.additional_data).toBeUndefined();
  });

  it('refuses a purpose header longer than 1024 characters with 400, logging and forwarding nothing', async () => {
    const seen = world.service.received.length;
    const before = (await world.consumerTxlog.query({}, { limit: 1000 })).records.length;
    const res = await world.call(`/${OIN.provider}/basisregistratie/x`, { headers: { 'x-nlx-request-data-subject': `bsn=${'9'.repeat(1021)}` } });
    const err = await fscErrorOf(res);
    expect(err).toMatchObject({ status: 400, header: 'ERROR_CODE_INVALID_PURPOSE_HEADER', domain: 'ERROR_DOMAIN_OUTWAY' });
    expect(String(err.body.message)).not.toContain('999');
    expect(world.service.received.length).toBe(seen);
    expect((await world.consumerTxlog.query({}, { limit: 1000 })).records.length).toBe(before);

    const exactly = await world.call(`/${OIN.provider}/basisregistratie/x`, { headers: { 'x-nlx-request-data-subject': `bsn=${'9'.repeat(1020)}` } });
    expect(exactly.statusCode).toBe(200);
    await exactly.body.text();
  });
});

describe('a transaction log that cannot be written', () => {
  it('Outway-TransactionLog-5: answers 500 TRANSACTION_LOG_WRITE_ERROR and does not proxy the request', async () => {
    const seen = world.service.received.length;
    const inwayRecords = (await world.providerTxlog.query({}, { limit: 1000 })).records.length;
    // The volume of the consumer's log disappears.
    rmSync(join(world.consumerTxlogDir, 'txlog'), { recursive: true, force: true });
    const res = await world.call(`/${OIN.provider}/basisregistratie/persons`, { method: 'POST', body: 'must not arrive' });
    const err = await fscErrorOf(res);
    expect(err).toMatchObject({
      status: 500,
      header: 'TRANSACTION_LOG_WRITE_ERROR',
      code: 'TRANSACTION_LOG_WRITE_ERROR',
      domain: 'ERROR_DOMAIN_OUTWAY',
    });
    expect(world.service.received.length).toBe(seen);
    expect((await world.providerTxlog.query({}, { limit: 1000 })).records.length).toBe(inwayRecords);
    expect(world.log.find('request failed', { code: 'TRANSACTION_LOG_WRITE_ERROR' }).length).toBeGreaterThan(0);
  });
});
