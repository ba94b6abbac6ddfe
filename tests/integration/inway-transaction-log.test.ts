// fsc-test-suite inway.md, Inway-TransactionLog-1…6 (fsc-logging "Inway"): the record is written —
// durably — before the service sees the request, carries the outway's transaction id and the
// delegators from the token, and a log that cannot be written refuses the call. Run against SQLite
// (temp dir) and Redis (REDIS_URL, own key prefix; a private redis-server for the outage test).
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort, PrivateRedis } from './private-redis.ts';
import { SqliteTxLog, type StoredRecord } from '../../gateway/txlog/index.ts';
import {
  GRANT_HASH,
  KNOWN_BSN,
  OIN,
  SERVICE,
  createInwayPki,
  header,
  json,
  newTransactionId,
  startInwayHarness,
  type HarnessOptions,
  type InwayHarness,
  type InwayPki,
  type TxLogSpec,
} from './inway-fixture.ts';

let pki: InwayPki;
const harnesses: InwayHarness[] = [];

beforeAll(async () => {
  pki = await createInwayPki();
});
afterAll(async () => {
  await pki.remove();
});
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
});

async function start(spec: TxLogSpec, options: Omit<HarnessOptions, 'txlog'> = {}): Promise<InwayHarness> {
  const h = await startInwayHarness(pki, { txlog: spec, ...options });
  harnesses.push(h);
  return h;
}

async function recordsOf(h: InwayHarness, transactionId: string): Promise<StoredRecord[]> {
  return (await h.txlog.query({ transactionIds: [transactionId] })).records;
}

describe.each<TxLogSpec>([{ kind: 'sqlite' }, { kind: 'redis' }])('inway transaction log on $kind', (spec) => {
  it('Inway-TransactionLog-1: writes the record for a received request before proxying it to the service', async () => {
    // A slow disk: the write is committed, then its acknowledgement held back for a moment. An inway
    // that forwarded without waiting for the acknowledgement would reach the service meanwhile.
    const events: string[] = [];
    const h = await start(spec, {
      wrapTxLog: (log) => ({
        write: async (record) => {
          const receipt = await log.write(record);
          events.push('record durable');
          await new Promise((resolve) => setTimeout(resolve, 150));
          events.push('write acknowledged');
          return receipt;
        },
        writeCompletion: (completion) => log.writeCompletion(completion),
      }),
    });
    // What the log held at the moment the service received the request.
    const seenByService: StoredRecord[][] = [];
    h.service.onRequest = async (req) => {
      events.push('service called');
      seenByService.push(await recordsOf(h, String(req.headers['fsc-transaction-id'])));
    };
    const transactionId = newTransactionId();
    const res = await h.call(`/personen/${KNOWN_BSN}`, { transactionId });
    expect(res.statusCode).toBe(200);
    await res.body.dump();

    expect(events).toEqual(['record durable', 'write acknowledged', 'service called']);
    expect(seenByService).toHaveLength(1);
    expect(seenByService[0]?.map((r) => r.record)).toEqual([
      {
        transaction_id: transactionId,
        direction: 'DIRECTION_INCOMING',
        grant_hash: GRANT_HASH,
        source: { type: 'SOURCE_TYPE_SOURCE', outway_peer_id: OIN.consumer },
        destination: { type: 'DESTINATION_TYPE_DESTINATION', service_peer_id: OIN.provider },
        service_name: SERVICE,
        created_at: Math.floor(h.now.ms / 1000),
        trace_id: expect.stringMatching(/^[0-9a-f]{32}$/) as unknown,
        span_id: expect.stringMatching(/^[0-9a-f]{16}$/) as unknown,
      },
    ]);
    // The completion (status, duration) follows once the response has ended.
    await expect.poll(async () => (await recordsOf(h, transactionId))[0]?.completion?.status).toBe(200);
    expect(await h.txlog.verify()).toMatchObject({ ok: true });
  });

  it('Inway-TransactionLog-2: passes the transaction id to the service and returns it to the outway', async () => {
    const h = await start(spec);
    const transactionId = newTransactionId();
    const res = await h.call('/headers', { transactionId });
    expect(res.statusCode).toBe(200);
    expect(header(res, 'fsc-transaction-id')).toBe(transactionId);
    const body = await json(res);
    expect((body.headers as Record<string, unknown>)['fsc-transaction-id']).toBe(transactionId);
    expect(h.service.requests[0]?.headers['fsc-transaction-id']).toBe(transactionId);
    expect(await recordsOf(h, transactionId)).toHaveLength(1);
  });

  it('Inway-TransactionLog-3: rejects a request without a transaction id (400 MISSING_LOG_RECORD_ID) or with an invalid one', async () => {
    const h = await start(spec);
    const missing = await h.call(`/personen/${KNOWN_BSN}`, { transactionId: null });
    expect(missing.statusCode).toBe(400);
    expect(header(missing, 'fsc-error-code')).toBe('MISSING_LOG_RECORD_ID');
    expect(await json(missing)).toMatchObject({ domain: 'ERROR_DOMAIN_INWAY', code: 'MISSING_LOG_RECORD_ID' });

    for (const bad of [
      'not-a-uuid',
      '4b0c4e1a-8f52-4c8e-9a4e-2f1d3c5b6a7e' /* v4 */,
      `${newTransactionId()}, ${newTransactionId()}`,
    ]) {
      const res = await h.call(`/personen/${KNOWN_BSN}`, { transactionId: bad });
      expect(res.statusCode).toBe(400);
      expect(header(res, 'fsc-error-code')).toBe('INVALID_LOG_RECORD_ID');
      expect(await json(res)).toMatchObject({ domain: 'ERROR_DOMAIN_INWAY', code: 'INVALID_LOG_RECORD_ID' });
    }
    expect(h.service.requests).toHaveLength(0);
    expect((await h.txlog.query({})).records).toHaveLength(0);
  });

  it('Inway-TransactionLog-4: records the delegator in the source for a request made on behalf of another peer', async () => {
    const h = await start(spec);
    const transactionId = newTransactionId();
    const token = await h.token({ connectionDelegator: OIN.delegator });
    const res = await h.call(`/personen/${KNOWN_BSN}`, { token, transactionId });
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    const [stored] = await recordsOf(h, transactionId);
    expect(stored?.record.source).toEqual({
      type: 'SOURCE_TYPE_DELEGATED_SOURCE',
      outway_peer_id: OIN.consumer,
      delegator_peer_id: OIN.delegator,
    });
    expect(stored?.record.destination).toEqual({ type: 'DESTINATION_TYPE_DESTINATION', service_peer_id: OIN.provider });
    // The delegator may query it (fsc-logging: records where it is a party).
    expect((await h.txlog.query({ visibleTo: OIN.delegator })).records).toHaveLength(1);
  });

  it('Inway-TransactionLog-5: records the delegator in the destination for a service offered on behalf of another peer', async () => {
    const h = await start(spec);
    const transactionId = newTransactionId();
    const token = await h.token({ publicationDelegator: OIN.delegator });
    const res = await h.call(`/personen/${KNOWN_BSN}`, { token, transactionId });
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    const [stored] = await recordsOf(h, transactionId);
    expect(stored?.record.source).toEqual({ type: 'SOURCE_TYPE_SOURCE', outway_peer_id: OIN.consumer });
    expect(stored?.record.destination).toEqual({
      type: 'DESTINATION_TYPE_DELEGATED_DESTINATION',
      service_peer_id: OIN.provider,
      delegator_peer_id: OIN.delegator,
    });
  });

  it('takes trace_id and span_id from the traceparent sent to the service (a child of the incoming one)', async () => {
    const h = await start(spec);
    const transactionId = newTransactionId();
    const incoming = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const res = await h.call('/headers', { transactionId, headers: { traceparent: incoming, tracestate: 'vendor=1' } });
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    const sent = String(h.service.requests[0]?.headers.traceparent);
    expect(sent).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/);
    expect(sent).not.toBe(incoming);
    expect(h.service.requests[0]?.headers.tracestate).toBe('vendor=1');
    const [stored] = await recordsOf(h, transactionId);
    expect(stored?.record.trace_id).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(stored?.record.span_id).toBe(sent.split('-')[2]);
  });
});

describe('Inway-TransactionLog-6: a transaction log that cannot be written refuses the call', () => {
  async function expectRefused(h: InwayHarness): Promise<void> {
    const before = h.service.requests.length;
    const transactionId = newTransactionId();
    const res = await h.call(`/echo`, {
      method: 'POST',
      body: 'payload that must not reach the service',
      transactionId,
    });
    expect(res.statusCode).toBe(500);
    expect(header(res, 'fsc-error-code')).toBe('TRANSACTION_LOG_WRITE_ERROR');
    expect(header(res, 'fsc-transaction-id')).toBe(transactionId);
    expect(await json(res)).toMatchObject({
      domain: 'ERROR_DOMAIN_INWAY',
      code: 'TRANSACTION_LOG_WRITE_ERROR',
      transaction_id: transactionId,
    });
    expect(h.service.requests.length).toBe(before);
  }

  it('Inway-TransactionLog-6: SQLite locked by another writer → 500 TRANSACTION_LOG_WRITE_ERROR, service not invoked; works again once free', async () => {
    const h = await start({ kind: 'sqlite' });
    if (!(h.txlog instanceof SqliteTxLog)) throw new Error('expected the SQLite log');
    const ok = await h.call(`/personen/${KNOWN_BSN}`);
    expect(ok.statusCode).toBe(200);
    await ok.body.dump();
    expect(h.service.requests).toHaveLength(1);

    const locker = new Database(h.txlog.path);
    try {
      locker.exec('BEGIN EXCLUSIVE');
      await expectRefused(h);
      expect(h.service.requests).toHaveLength(1);
      expect(h.lines.some((l) => l.msg === 'request failed' && l.code === 'TRANSACTION_LOG_WRITE_ERROR')).toBe(true);
    } finally {
      locker.exec('ROLLBACK');
      locker.close();
    }
    const again = await h.call(`/personen/${KNOWN_BSN}`);
    expect(again.statusCode).toBe(200);
    await again.body.dump();
    expect(h.service.requests).toHaveLength(2);
  });

  it('Inway-TransactionLog-6: SQLite log closed → 500 TRANSACTION_LOG_WRITE_ERROR, service not invoked', async () => {
    const h = await start({ kind: 'sqlite' });
    await h.txlog.close();
    await expectRefused(h);
    expect(h.service.requests).toHaveLength(0);
  });

  it('Inway-TransactionLog-6: Redis stopped → 500 TRANSACTION_LOG_WRITE_ERROR, service not invoked; works again once Redis is back', async () => {
    const redis = new PrivateRedis(await freePort());
    try {
      await redis.start();
      const h = await start({ kind: 'redis', url: redis.url });
      const ok = await h.call(`/personen/${KNOWN_BSN}`);
      expect(ok.statusCode).toBe(200);
      await ok.body.dump();

      await redis.stop();
      await expectRefused(h);
      await expectRefused(h);
      expect(h.service.requests).toHaveLength(1);

      await redis.start();
      await expect
        .poll(
          async () => {
            const res = await h.call(`/personen/${KNOWN_BSN}`);
            await res.body.dump();
            return res.statusCode;
          },
          { timeout: 10_000, interval: 200 },
        )
        .toBe(200);
      expect(h.service.requests.length).toBeGreaterThanOrEqual(2);
      // Nothing of the refused calls is in the log: one record before, the successes after.
      const all = (await h.txlog.query({})).records;
      expect(all).toHaveLength(h.service.requests.length);
      expect(await h.txlog.verify()).toMatchObject({ ok: true });
    } finally {
      for (const h of harnesses.splice(0)) await h.close();
      await redis.dispose();
    }
  });
});
