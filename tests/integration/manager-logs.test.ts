// GET /v1/logs (fsc-logging Manager "Providing TransactionLog records", logging.yaml getLogs) over real
// mTLS: the caller is the peer of its client certificate, and it sees only records it is party to.
// Every 200 body is validated against docs/fsc/logging.yaml.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logsRoutes } from '../../gateway/manager/logs/routes.ts';
import { createUuidV7Generator, peerFromCertificate } from '../../gateway/protocol/index.ts';
import { createErrorHandler, createServerTlsOptions, peerCertificate, startHttpServer, type RunningServer } from '../../gateway/runtime/index.ts';
import { createTxLog, type LogRecord, type TxLog } from '../../gateway/txlog/index.ts';
import { koppelConfigSchema } from '../../config/index.ts';
import { createManager } from '../../gateway/manager/index.ts';
import { loadPeerTls } from '../../gateway/runtime/index.ts';
import { createStore } from '../../gateway/store/index.ts';
import { createFederation, freePort, GROUP_ID, OIN, rawClient, type Federation, type RawClient } from './manager-fixture.ts';
import { loadLogsSchema, type LogsSchema } from './fsc-logs-schema.ts';

const T0 = 1_750_000_000;
const GRANT_A = '$1$3$AAAAgrant-a';
const GRANT_B = '$1$3$BBBBgrant-b';
const uuid = createUuidV7Generator();

interface WireBody {
  records: { transaction_id: string; service_name: string; created_at: number; [k: string]: unknown }[];
  pagination: { next_cursor: string };
}

function rec(overrides: Partial<LogRecord>): LogRecord {
  return {
    transaction_id: uuid(),
    direction: 'DIRECTION_INCOMING',
    grant_hash: GRANT_A,
    source: { type: 'SOURCE_TYPE_SOURCE', outway_peer_id: OIN.consumer },
    destination: { type: 'DESTINATION_TYPE_DESTINATION', service_peer_id: OIN.provider },
    service_name: 'basisregistratie',
    created_at: T0,
    ...overrides,
  };
}

describe('GET /v1/logs', () => {
  let fed: Federation;
  let dataDir: string;
  let txlog: TxLog;
  let server: RunningServer;
  let schema: LogsSchema;
  const clients: Record<string, RawClient> = {};
  // The provider's log: calls from the consumer, from a third peer, and one delegated on each side.
  const records = {
    consumer1: rec({ created_at: T0 + 10, additional_data: { data_subject: 'bsn=999993653', process_id: 'p-1' } }),
    third: rec({ created_at: T0 + 20, source: { type: 'SOURCE_TYPE_SOURCE', outway_peer_id: OIN.third }, grant_hash: GRANT_B }),
    delegatedSource: rec({
      created_at: T0 + 30,
      source: { type: 'SOURCE_TYPE_DELEGATED_SOURCE', outway_peer_id: OIN.consumer, delegator_peer_id: OIN.delegator },
    }),
    delegatedDestination: rec({
      created_at: T0 + 40,
      source: { type: 'SOURCE_TYPE_SOURCE', outway_peer_id: OIN.third },
      destination: { type: 'DESTINATION_TYPE_DELEGATED_DESTINATION', service_peer_id: OIN.provider, delegator_peer_id: OIN.delegator },
      service_name: 'kadaster',
    }),
    consumer2: rec({ created_at: T0 + 50, service_name: 'kadaster', grant_hash: GRANT_B, trace_id: 'a'.repeat(32), span_id: 'b'.repeat(16) }),
  };
  const ids = Object.fromEntries(Object.entries(records).map(([k, r]) => [k, r.transaction_id])) as Record<keyof typeof records, string>;

  beforeAll(async () => {
    fed = await createFederation();
    schema = await loadLogsSchema();
    dataDir = await mkdtemp(join(tmpdir(), 'koppel-logs-'));
    txlog = await createTxLog({ kind: 'sqlite', dataDir, peerId: OIN.provider, headIntervalMs: 0 });
    for (const r of Object.values(records)) await txlog.write(r);
    const provider = fed.pki.peers[OIN.provider]!;
    const v1 = new Hono();
    v1.route(
      '/',
      logsRoutes({
        txlog,
        peerIdOf: (c) => {
          const cert = peerCertificate(c);
          if (cert === undefined) throw new Error('no client certificate');
          return peerFromCertificate(cert).peerId;
        },
      }),
    );
    const app = new Hono();
    app.onError(createErrorHandler({ logger: fed.logger, domain: 'ERROR_DOMAIN_MANAGER' }));
    app.route('/v1', v1);
    server = await startHttpServer({
      app,
      listen: { host: '127.0.0.1', port: 0 },
      tls: createServerTlsOptions({ ca: fed.pki.caPem, cert: provider.chainPem, key: provider.keyPem }),
      name: 'manager',
      logger: fed.logger,
    });
    for (const oin of [OIN.consumer, OIN.third, OIN.delegator, OIN.directory, OIN.provider]) {
      clients[oin] = rawClient(fed, fed.pki.peers[oin]!);
    }
  });

  afterAll(async () => {
    for (const c of Object.values(clients)) await c.close();
    await server?.close();
    await txlog?.close();
    await rm(dataDir, { recursive: true, force: true });
    await fed?.remove();
  });

  async function get(oin: string, query: Record<string, string> = {}): Promise<{ status: number; body: WireBody; raw: unknown }> {
    const qs = new URLSearchParams(query).toString();
    const res = await clients[oin]!.call('GET', `https://localhost:${server.port}/v1/logs${qs === '' ? '' : `?${qs}`}`);
    if (res.status === 200) expect(schema.responseErrors(res.json)).toEqual([]);
    return { status: res.status, body: res.json as WireBody, raw: res.json };
  }

  const idsOf = (body: WireBody): string[] => body.records.map((r) => r.transaction_id);

  it('returns only records where the calling peer is source, destination or delegator', async () => {
    const all = Object.values(ids);
    expect(idsOf((await get(OIN.provider, { sort_order: 'SORT_ORDER_ASCENDING' })).body)).toEqual(all);
    expect(idsOf((await get(OIN.consumer, { sort_order: 'SORT_ORDER_ASCENDING' })).body)).toEqual([
      ids.consumer1,
      ids.delegatedSource,
      ids.consumer2,
    ]);
    expect(idsOf((await get(OIN.third, { sort_order: 'SORT_ORDER_ASCENDING' })).body)).toEqual([ids.third, ids.delegatedDestination]);
    // The delegator sees the calls made on its behalf (source side) and to the service it had published (destination side).
    expect(idsOf((await get(OIN.delegator, { sort_order: 'SORT_ORDER_ASCENDING' })).body)).toEqual([
      ids.delegatedSource,
      ids.delegatedDestination,
    ]);
    const outsider = await get(OIN.directory);
    expect(outsider.status).toBe(200);
    expect(outsider.body).toEqual({ records: [], pagination: { next_cursor: '' } });
  });

  it('answers with exactly the logRecord fields: no additional_data, no chain internals', async () => {
    const { body } = await get(OIN.consumer, { transaction_ids: ids.consumer1 });
    expect(body.records).toEqual([
      {
        transaction_id: ids.consumer1,
        direction: 'DIRECTION_INCOMING',
        grant_hash: GRANT_A,
        source: { type: 'SOURCE_TYPE_SOURCE', outway_peer_id: OIN.consumer },
        destination: { type: 'DESTINATION_TYPE_DESTINATION', service_peer_id: OIN.provider },
        service_name: 'basisregistratie',
        created_at: T0 + 10,
      },
    ]);
    const delegated = await get(OIN.delegator, { transaction_ids: ids.delegatedDestination });
    expect(delegated.body.records[0]?.destination).toEqual({
      type: 'DESTINATION_TYPE_DELEGATED_DESTINATION',
      service_peer_id: OIN.provider,
      delegator_peer_id: OIN.delegator,
    });
    expect(JSON.stringify((await get(OIN.provider)).raw)).not.toMatch(/999993653|additional_data|prev_hash|"seq"/);
  });

  it('filters on after and before (exclusive, Unix seconds)', async () => {
    const { body } = await get(OIN.provider, { after: String(T0 + 10), before: String(T0 + 50), sort_order: 'SORT_ORDER_ASCENDING' });
    expect(idsOf(body)).toEqual([ids.third, ids.delegatedSource, ids.delegatedDestination]);
  });

  it('filters on grant_hash and service_name lists (either value matches; the two combine)', async () => {
    const byGrant = await get(OIN.provider, { grant_hash: GRANT_B, sort_order: 'SORT_ORDER_ASCENDING' });
    expect(idsOf(byGrant.body)).toEqual([ids.third, ids.consumer2]);
    const byTwoGrants = await get(OIN.provider, { grant_hash: `${GRANT_A},${GRANT_B}` });
    expect(byTwoGrants.body.records).toHaveLength(5);
    const byService = await get(OIN.consumer, { service_name: 'kadaster' });
    expect(idsOf(byService.body)).toEqual([ids.consumer2]);
    const both = await get(OIN.provider, { service_name: 'basisregistratie', grant_hash: GRANT_B });
    expect(idsOf(both.body)).toEqual([ids.third]);
    // Repeated parameters (explode: true) are read as a list too.
    const res = await clients[OIN.provider]!.call(
      'GET',
      `https://localhost:${server.port}/v1/logs?service_name=kadaster&service_name=basisregistratie`,
    );
    expect((res.json as WireBody).records).toHaveLength(5);
  });

  it('transaction_ids overrides the other filters and the pagination, but never the visibility', async () => {
    const { body } = await get(OIN.consumer, {
      transaction_ids: [ids.consumer1, ids.consumer2, ids.third].join(','),
      service_name: 'no-such-service',
      after: String(T0 + 1000),
      limit: '1',
    });
    expect(idsOf(body).sort()).toEqual([ids.consumer1, ids.consumer2].sort());
    expect(body.pagination.next_cursor).toBe('');
  });

  it('pages with cursor and limit in both sort orders, default limit 25 and newest first', async () => {
    for (const order of ['SORT_ORDER_ASCENDING', 'SORT_ORDER_DESCENDING'] as const) {
      const seen: string[] = [];
      let cursor = '';
      let pages = 0;
      do {
        const { body } = await get(OIN.provider, { limit: '2', sort_order: order, ...(cursor ? { cursor } : {}) });
        expect(body.records.length).toBeLessThanOrEqual(2);
        seen.push(...idsOf(body));
        cursor = body.pagination.next_cursor;
        pages++;
      } while (cursor !== '' && pages < 10);
      const expected = Object.values(ids);
      expect(seen).toEqual(order === 'SORT_ORDER_ASCENDING' ? expected : [...expected].reverse());
      expect(pages).toBe(3);
    }
    const { body } = await get(OIN.provider);
    expect(idsOf(body)).toEqual(Object.values(ids).reverse());
    expect(body.pagination.next_cursor).toBe('');
  });

  it('refuses invalid parameters with 400 ERROR_CODE_BAD_REQUEST in the manager domain', async () => {
    const cases: Record<string, string>[] = [
      { limit: '0' },
      { limit: '1001' },
      { limit: 'ten' },
      { sort_order: 'up' },
      { after: '-1' },
      { before: 'yesterday' },
      { cursor: 'not a cursor!' },
      { grant_hash: 'x'.repeat(1025) },
    ];
    for (const query of cases) {
      const qs = new URLSearchParams(query).toString();
      const res = await clients[OIN.consumer]!.call('GET', `https://localhost:${server.port}/v1/logs?${qs}`);
      expect({ query, status: res.status, code: res.headers['fsc-error-code'] }).toEqual({
        query,
        status: 400,
        code: 'ERROR_CODE_BAD_REQUEST',
      });
      expect((res.json as { domain?: string }).domain).toBe('ERROR_DOMAIN_MANAGER');
    }
    // The schema agrees that these requests are invalid, where it has an opinion on them.
    expect(schema.requestErrors({ limit: '0' })).not.toEqual([]);
    expect(schema.requestErrors({ limit: '25', after: String(T0) })).toEqual([]);
  });

  it('answers a grant_hash with an unknown hash algorithm with ERROR_CODE_UNKNOWN_HASH_ALGORITHM_HASH', async () => {
    const res = await get(OIN.provider, { grant_hash: '$9$3$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' });
    expect(res.status).toBe(422);
    expect(res.raw).toMatchObject({ code: 'ERROR_CODE_UNKNOWN_HASH_ALGORITHM_HASH' });
  });

  it('the schema check itself refuses a body that breaks logging.yaml', () => {
    expect(schema.responseErrors({ records: [{ transaction_id: 'x' }], pagination: { next_cursor: '' } })).not.toEqual([]);
    expect(schema.responseErrors({ records: [] })).not.toEqual([]);
  });
});

describe('GET /v1/logs on the manager', () => {
  it('is served by createManager when it is given the transaction log, with the caller from mTLS', async () => {
    const fed = await createFederation();
    const dataDir = await mkdtemp(join(tmpdir(), 'koppel-logs-manager-'));
    const txlog = await createTxLog({ kind: 'sqlite', dataDir, peerId: OIN.provider, headIntervalMs: 0 });
    const store = await createStore({ kind: 'sqlite', dataDir });
    const cert = fed.pki.peers[OIN.provider]!;
    const port = await freePort();
    const config = koppelConfigSchema.parse({
      groupId: GROUP_ID,
      peer: { trustAnchorPath: fed.pki.caPath, certificatePath: cert.certPath, keyPath: cert.keyPath },
      manager: { listen: { host: '127.0.0.1', port }, publicAddress: `https://localhost:${port}` },
      dataDir,
    });
    const tls = await loadPeerTls({ trustAnchorFile: fed.pki.caPath, certFile: cert.certPath, keyFile: cert.keyPath });
    const manager = createManager({ config, logger: fed.logger, store, tls, txlog });
    await manager.listen();
    const mine = rec({});
    const notMine = rec({ source: { type: 'SOURCE_TYPE_SOURCE', outway_peer_id: OIN.third } });
    await txlog.write(mine);
    await txlog.write(notMine);
    const consumer = rawClient(fed, fed.pki.peers[OIN.consumer]!);
    try {
      const schema = await loadLogsSchema();
      const res = await consumer.call('GET', `https://localhost:${port}/v1/logs`);
      expect(res.status).toBe(200);
      expect(schema.responseErrors(res.json)).toEqual([]);
      expect((res.json as WireBody).records.map((r) => r.transaction_id)).toEqual([mine.transaction_id]);
      const bad = await consumer.call('GET', `https://localhost:${port}/v1/logs?limit=0`);
      expect(bad.status).toBe(400);
      expect(bad.headers['fsc-error-code']).toBe('ERROR_CODE_BAD_REQUEST');
    } finally {
      await consumer.close();
      await manager.close();
      await txlog.close();
      await store.close();
      await rm(dataDir, { recursive: true, force: true });
      await fed.remove();
    }
  });
});
