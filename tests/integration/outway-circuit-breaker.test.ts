// The outway's circuit breaker per inway (issue 10 finding 5) in a real federation: after the
// configured failures in a row to reach an inway, calls to it are refused at once with 502
// ERROR_CODE_INWAY_UNREACHABLE without a connection attempt; when the inway is back, the first call
// after the open period is the trial that closes the circuit again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInway, type Inway } from '../../gateway/inway/index.ts';
import { createOutwayWorld, fscErrorOf, GROUP_ID, OIN, type OutwayWorld } from './outway-fixture.ts';

const OPEN_MS = 600;
let world: OutwayWorld;
let revived: Inway | undefined;

beforeAll(async () => {
  world = await createOutwayWorld({ outway: { inwayFailuresToOpen: 3, inwayOpenMs: OPEN_MS } });
});
afterAll(async () => {
  await revived?.close();
  await world?.close();
});

const PATH = `/${OIN.provider}/basisregistratie/x`;

describe('outway circuit breaker', () => {
  it('stops trying a dead inway after three failures and closes again on the first answer after the pause', async () => {
    const first = await world.call(PATH);
    await first.body.text();
    expect(first.statusCode).toBe(200);

    const port = Number(new URL(world.inway.url).port);
    await world.inway.close();
    const attempts = (): number => world.log.find('inway call failed').length;

    for (let i = 1; i <= 3; i++) {
      const err = await fscErrorOf(await world.call(PATH));
      expect(err).toMatchObject({ status: 502, code: 'ERROR_CODE_INWAY_UNREACHABLE' });
      expect(attempts()).toBe(i);
    }
    // Open: refused at once, nothing sent, nothing written to the log before forwarding.
    const recordsBefore = (await world.consumerTxlog.query({})).records.length;
    const started = performance.now();
    const refused = await fscErrorOf(await world.call(PATH));
    expect(refused).toMatchObject({ status: 502, code: 'ERROR_CODE_INWAY_UNREACHABLE', domain: 'ERROR_DOMAIN_OUTWAY' });
    expect(String(refused.body.message)).toMatch(/could not be reached in the last 3 attempts; it is tried again in \d+ s/);
    expect(performance.now() - started).toBeLessThan(OPEN_MS);
    expect(attempts()).toBe(3);
    expect((await world.consumerTxlog.query({})).records.length).toBe(recordsBefore);

    // The inway comes back at the same address.
    const providerCert = world.fed.pki.peers[OIN.provider]!;
    revived = createInway({
      config: {
        inway: { listen: { host: '127.0.0.1', port }, services: [{ name: 'basisregistratie', endpointUrl: world.service.url }] },
      },
      logger: world.log.logger.child({ component: 'revived inway' }),
      txlog: world.providerTxlog,
      tls: { ca: world.fed.pki.caPem, cert: providerCert.chainPem, key: providerCert.keyPem },
      peerId: OIN.provider,
      groupId: GROUP_ID,
      contracts: world.provider.store,
    });
    await revived.listen();

    // After the pause the next call is the trial; it gets through and the circuit is closed again.
    await expect
      .poll(
        async () => {
          const res = await world.call(PATH);
          await res.body.text();
          return res.statusCode;
        },
        { interval: 200, timeout: 10 * OPEN_MS },
      )
      .toBe(200);
    for (let i = 0; i < 3; i++) {
      const res = await world.call(PATH);
      await res.body.text();
      expect(res.statusCode).toBe(200);
    }
    expect(attempts()).toBe(3);
  });
});
