// Access tokens and grants at the outway (fsc-core Outway "Obtaining access tokens"; DESIGN.md step 3):
// one token fetch per grant however many requests arrive together, refreshed ahead of expiry, fetched
// again once when the inway refuses it, and a revoked contract stops traffic as soon as the outway
// hears of it. Clocks are injected: the provider's manager and inway, or the outway, run ahead.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInway } from '../../gateway/inway/index.ts';
import { CONTRACTS_CHANGED_CHANNEL } from '../../gateway/outway/index.ts';
import { createUuidV7Generator } from '../../gateway/protocol/index.ts';
import { createTxLog } from '../../gateway/txlog/index.ts';

const newTransactionId = createUuidV7Generator();
import { createOutwayWorld, fscErrorOf, GROUP_ID, json, OIN, type OutwayWorld, type ServiceRequest } from './outway-fixture.ts';

const TOKEN_LIFETIME_MS = 300_000; // the manager's default tokenLifetimeSeconds

async function ok(world: OutwayWorld, path = `/${OIN.provider}/basisregistratie/x`): Promise<string> {
  const res = await world.call(path);
  expect(res.statusCode).toBe(200);
  await res.body.text();
  return String(res.headers['fsc-transaction-id']);
}

describe('one fetch per grant, refreshed ahead of expiry', () => {
  let world: OutwayWorld;
  let outwayOffsetMs = 0;

  beforeAll(async () => {
    world = await createOutwayWorld({ outwayClock: () => Date.now() + outwayOffsetMs });
  });
  afterAll(async () => {
    await world?.close();
  });

  it('many concurrent requests on a cold outway cause one token request', async () => {
    expect(world.tokensIssued()).toBe(0);
    const statuses = await Promise.all(
      Array.from({ length: 50 }, async () => {
        const res = await world.call(`/${OIN.provider}/basisregistratie/x`);
        await res.body.text();
        return res.statusCode;
      }),
    );
    expect(statuses).toEqual(Array.from({ length: 50 }, () => 200));
    expect(world.tokensIssued()).toBe(1);
    for (let i = 0; i < 10; i++) await ok(world);
    expect(world.tokensIssued()).toBe(1);
  });

  it('after 80% of the lifetime a request is served with the current token and a new one is fetched in the background', async () => {
    outwayOffsetMs = TOKEN_LIFETIME_MS * 0.85;
    const before = world.service.received.length;
    await ok(world);
    expect(world.service.received.length).toBe(before + 1);
    await expect.poll(() => world.tokensIssued()).toBe(2);
    // The new token is fresh: a burst does not fetch again.
    await Promise.all(Array.from({ length: 20 }, () => ok(world)));
    expect(world.tokensIssued()).toBe(2);
  });
});

describe('a token the inway refuses', () => {
  let world: OutwayWorld;
  let providerOffsetMs = 0;

  beforeAll(async () => {
    // The provider's manager and inway share a clock that the test moves ahead: the outway's cached
    // token has then expired for the inway, while the outway still believes it valid.
    world = await createOutwayWorld({ providerClock: () => Date.now() + providerOffsetMs });
    await ok(world);
    expect(world.tokensIssued()).toBe(1);
  });
  afterAll(async () => {
    await world?.close();
  });

  it('is dropped and fetched again once, and a small request body is sent again intact', async () => {
    providerOffsetMs = TOKEN_LIFETIME_MS + 60_000;
    const body = JSON.stringify({ query: 'bsn=999993653' });
    const res = await world.call(`/${OIN.provider}/basisregistratie/search`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(res.statusCode).toBe(200);
    const echoed = await json<ServiceRequest>(res);
    expect(echoed.bodyBytes).toBe(Buffer.byteLength(body));
    expect(world.tokensIssued()).toBe(2);
    expect(world.log.find('access token refused by the inway, fetching a new one', { code: 'ERROR_CODE_ACCESS_TOKEN_EXPIRED' })).toHaveLength(1);
    // One transaction on both sides: the refused attempt never reached the inway's log.
    const txid = String(res.headers['fsc-transaction-id']);
    expect((await world.consumerTxlog.query({ transactionIds: [txid] })).records).toHaveLength(1);
    expect((await world.providerTxlog.query({ transactionIds: [txid] })).records).toHaveLength(1);
    expect(world.service.received.filter((r) => r.headers['fsc-transaction-id'] === txid)).toHaveLength(1);
  });

  it('with a streamed body the inway error is returned unaltered, and the next request fetches a new token', async () => {
    providerOffsetMs = 2 * (TOKEN_LIFETIME_MS + 60_000);
    const tokens = world.tokensIssued();
    const seen = world.service.received.length;
    const res = await world.call(`/${OIN.provider}/basisregistratie/upload`, {
      method: 'POST',
      // No Content-Length: chunked, so the outway cannot send it twice.
      body: Readable.from([Buffer.from('part one,'), Buffer.from('part two')]),
    });
    const err = await fscErrorOf(res);
    expect(err).toMatchObject({ status: 401, header: 'ERROR_CODE_ACCESS_TOKEN_EXPIRED', domain: 'ERROR_DOMAIN_INWAY' });
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(world.tokensIssued()).toBe(tokens);
    expect(world.service.received.length).toBe(seen);

    await ok(world);
    expect(world.tokensIssued()).toBe(tokens + 1);
  });
});

describe('a token the inway refuses again', () => {
  let world: OutwayWorld;
  let managerOffsetMs = 0;

  beforeAll(async () => {
    // Only the provider's manager runs ahead: every token it issues is not yet valid for its inway.
    world = await createOutwayWorld({ providerClock: () => Date.now() + managerOffsetMs, inwayClock: Date.now });
    managerOffsetMs = 10 * 60_000;
  });
  afterAll(async () => {
    await world?.close();
  });

  it('is fetched again only once; then the inway error goes to the client', async () => {
    const seen = world.service.received.length;
    const err = await fscErrorOf(await world.call(`/${OIN.provider}/basisregistratie/x`));
    expect(err).toMatchObject({ status: 401, header: 'ERROR_CODE_ACCESS_TOKEN_EXPIRED', domain: 'ERROR_DOMAIN_INWAY' });
    expect(world.tokensIssued()).toBe(2);
    expect(world.service.received.length).toBe(seen);
  });
});

describe('a revoked contract', () => {
  let world: OutwayWorld;

  beforeAll(async () => {
    // A grant table that is never read again on its own: only the store message can refresh it.
    world = await createOutwayWorld({ tuning: { grantCacheTtlMs: 600_000 } });
  });
  afterAll(async () => {
    await world?.close();
  });

  it('stops traffic once a contract change is announced on the store channel', async () => {
    await ok(world);
    const contract = world.connections.get('basisregistratie')!;
    await world.consumer.manager.service.sign(contract.contentHash, 'revoke');
    await world.consumer.manager.service.flushOutbox();
    expect((await world.provider.manager.service.getContract(contract.contentHash))?.state).toBe('revoked');

    await world.consumer.store.publish(CONTRACTS_CHANGED_CHANNEL, contract.contentHash);
    await expect
      .poll(async () => {
        const res = await world.call(`/${OIN.provider}/basisregistratie/x`);
        await res.body.text();
        return res.statusCode;
      })
      .toBe(403);
    const err = await fscErrorOf(await world.call(`/${OIN.provider}/basisregistratie/x`));
    expect(err).toMatchObject({ code: 'ERROR_CODE_NO_GRANT', domain: 'ERROR_DOMAIN_OUTWAY' });
    expect(err.body.reachable_services).toEqual([]);
  });
});

describe('a revoked contract at the provider (issue 10 finding 2)', () => {
  let world: OutwayWorld;

  beforeAll(async () => {
    world = await createOutwayWorld();
  });
  afterAll(async () => {
    await world?.close();
  });

  it('the inway refuses a token fetched before the revocation within a second, even from an outway that ignores it', async () => {
    // A token the provider issued while the contract was valid, as the service saw it.
    const res = await world.call(`/${OIN.provider}/basisregistratie/x`);
    expect(res.statusCode).toBe(200);
    const token = String((await json<ServiceRequest>(res)).headers['fsc-authorization']);
    const consumerCert = world.fed.pki.peers[OIN.consumer]!;
    const agent = new Agent({ connect: { ca: world.fed.pki.caPem, cert: consumerCert.chainPem, key: consumerCert.keyPem } });
    let lastId = '';
    const direct = async (): Promise<{ status: number; code: unknown }> => {
      lastId = newTransactionId();
      const r = await agent.request({
        origin: world.inway.url,
        path: '/x',
        method: 'GET',
        headers: { 'fsc-authorization': token, 'fsc-transaction-id': lastId },
      });
      await r.body.text();
      return { status: r.statusCode, code: r.headers['fsc-error-code'] };
    };
    try {
      // The rogue outway: straight to the inway with the old token. Works while the contract is valid.
      expect((await direct()).status).toBe(200);
      const contract = world.connections.get('basisregistratie')!;
      await world.provider.manager.service.sign(contract.contentHash, 'revoke');
      const revokedAt = performance.now();
      await expect.poll(direct, { timeout: 1_000, interval: 50 }).toEqual({ status: 401, code: 'ERROR_CODE_ACCESS_TOKEN_INVALID' });
      expect(performance.now() - revokedAt).toBeLessThan(1_000);
      // Refused before the record and the forward: the provider's log has no record of the call.
      expect((await world.providerTxlog.query({ transactionIds: [lastId] })).records).toEqual([]);
    } finally {
      await agent.close();
    }
  });
});

describe('a service moved to another inway (issue 10 finding 6)', () => {
  let world: OutwayWorld;

  beforeAll(async () => {
    world = await createOutwayWorld();
  });
  afterAll(async () => {
    await world?.close();
  });

  it('drops the cached token when its inway is unreachable, so the next call reaches the new inway', async () => {
    expect((await world.call(`/${OIN.provider}/basisregistratie/x`)).statusCode).toBe(200);
    // The provider moves the service to a second inway and stops the first one.
    const providerCert = world.fed.pki.peers[OIN.provider]!;
    const dir = await mkdtemp(join(tmpdir(), 'koppel-second-inway-'));
    const txlog = await createTxLog({ kind: 'sqlite', dataDir: dir, peerId: OIN.provider, headIntervalMs: 0 });
    const second = createInway({
      config: { inway: { listen: { host: '127.0.0.1', port: 0 }, services: [{ name: 'basisregistratie', endpointUrl: world.service.url }] } },
      logger: world.log.logger.child({ component: 'second inway' }),
      txlog,
      tls: { ca: world.fed.pki.caPem, cert: providerCert.chainPem, key: providerCert.keyPem },
      peerId: OIN.provider,
      groupId: GROUP_ID,
      contracts: world.provider.store,
    });
    try {
      await second.listen();
      await world.addService('basisregistratie', second.url);
      await world.inway.close();
      // The cached token still names the first inway: that call fails, and takes the token with it.
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await world.call(`/${OIN.provider}/basisregistratie/x`);
        await res.body.text();
        statuses.push(res.statusCode);
        if (res.statusCode === 200) break;
      }
      expect(statuses.at(-1)).toBe(200);
      expect(statuses.length).toBeLessThanOrEqual(2);
    } finally {
      await second.close();
      await txlog.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
