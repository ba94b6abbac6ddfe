// The admin API (gateway/manager/admin-*.ts): a loopback-only listener with a bearer token, through
// which an operator publishes services, requests connections and accepts, rejects or revokes
// contracts. Real managers on mTLS listeners with their own certificates; the admin API over HTTP.
import { stat, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { createAdaptorServer } from '@hono/node-server';
import { Agent, request as undiciRequest } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { koppelConfigSchema } from '../../config/index.ts';
import { createAdminApi } from '../../gateway/admin/create-admin-api.ts';
import { publicKeyThumbprint } from '../../gateway/protocol/index.ts';
import { startHttpServer, type RunningServer } from '../../gateway/runtime/index.ts';
import {
  adminCall,
  startAdminPeer,
  startStandInInway,
  type AdminPeer,
  type AdminResponse,
} from './directory-fixture.ts';
import { createFederation, eventually, freePort, OIN, type Federation } from './manager-fixture.ts';

interface AdminContractJson {
  hash: string;
  state: string;
  missingSigners: string[];
  pendingForMe: boolean;
  peers: { id: string; name: string }[];
  grants: {
    type: string;
    outway?: { peerId: string; publicKeyThumbprint: string };
    service: { peerId: string; name: string };
  }[];
}

let fed: Federation;
let directory: AdminPeer;
let provider: AdminPeer;
let consumer: AdminPeer;
let inway: RunningServer;

beforeAll(async () => {
  fed = await createFederation();
  directory = await startAdminPeer(fed, { oin: OIN.directory, mode: 'directory' });
  inway = await startStandInInway(fed, OIN.provider);
  const dir = { address: directory.managerAddress, peerId: OIN.directory };
  provider = await startAdminPeer(fed, { oin: OIN.provider, directory: dir, inwayAddress: inway.url });
  consumer = await startAdminPeer(fed, { oin: OIN.consumer, directory: dir });
  await Promise.all([provider.manager.service.flushOutbox(), consumer.manager.service.flushOutbox()]);
});

afterAll(async () => {
  await Promise.all([consumer, provider, directory].map((p) => p.destroy()));
  await inway.close();
  await fed.remove();
});

function fscError(res: AdminResponse): { status: number; header: unknown; code: unknown; domain: unknown } {
  const body = (res.json ?? {}) as { code?: unknown; domain?: unknown };
  return { status: res.status, header: res.headers['fsc-error-code'], code: body.code, domain: body.domain };
}

function expected(status: number, code: string): ReturnType<typeof fscError> {
  return { status, header: code, code, domain: 'ERROR_DOMAIN_MANAGER' };
}

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

async function publishValid(name: string): Promise<string> {
  const res = await provider.call('POST', '/admin/services', { name, endpointUrl: 'http://127.0.0.1:9/api' });
  expect(res.status).toBe(201);
  const hash = (res.json as { contract: AdminContractJson }).contract.hash;
  await stateAt(directory, hash, 'valid');
  return hash;
}

describe('access', () => {
  it('refuses a request without a token: 401 with WWW-Authenticate: Bearer and an FSC error body', async () => {
    const res = await provider.call('GET', '/admin/contracts', undefined, null);
    expect(fscError(res)).toEqual(expected(401, 'ERROR_CODE_UNAUTHORIZED'));
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(typeof (res.json as { message?: unknown }).message).toBe('string');
  });

  it('refuses a wrong token, whatever its length, and other schemes', async () => {
    for (const token of [`${provider.token.slice(0, -1)}x`, 'short', `${provider.token}${provider.token}`]) {
      expect(fscError(await provider.call('GET', '/admin/services', undefined, token))).toEqual(
        expected(401, 'ERROR_CODE_UNAUTHORIZED'),
      );
    }
    const basic = await adminCall(provider.adminUrl, 'GET', '/admin/services', null, undefined, {
      authorization: `Basic ${provider.token}`,
    });
    expect(basic.status).toBe(401);
    // Another peer's token is no key to this one.
    expect((await provider.call('GET', '/admin/services', undefined, consumer.token)).status).toBe(401);
    expect((await provider.call('GET', '/admin/services')).status).toBe(200);
  });

  it('creates the token file with mode 0600 on first start', async () => {
    const info = await stat(provider.tokenPath);
    expect(info.mode & 0o777).toBe(0o600);
    expect(provider.token.length).toBeGreaterThanOrEqual(32);
  });

  it('refuses to listen on an address that is not loopback', async () => {
    const wide = { ...provider.config, admin: { ...provider.config.admin, listen: { host: '0.0.0.0', port: 0 } } };
    const api = createAdminApi({
      config: wide,
      logger: fed.logger,
      manager: provider.manager,
      store: provider.store,
      tls: provider.tls,
    });
    try {
      await expect(api.listen()).rejects.toThrow(/loopback/);
      await expect(api.listen({ host: '192.0.2.10', port: 0 })).rejects.toThrow(/loopback/);
    } finally {
      await api.close();
    }
    // The configuration schema says so before anything starts.
    const parsed = koppelConfigSchema.safeParse({
      ...provider.configInput,
      admin: { listen: { host: '0.0.0.0', port: 8081 } },
    });
    expect(parsed.success).toBe(false);
  });

  it('refuses a token file that holds a guessable token', async () => {
    const tokenPath = join(provider.dataDir, 'weak-token');
    await writeFile(tokenPath, 'geheim\n', { mode: 0o600 });
    const config = { ...provider.config, admin: { ...provider.config.admin, tokenPath } };
    const api = createAdminApi({
      config,
      logger: fed.logger,
      manager: provider.manager,
      store: provider.store,
      tls: provider.tls,
    });
    try {
      await expect(api.listen({ host: '127.0.0.1', port: 0 })).rejects.toThrow(/at least 16 characters/);
    } finally {
      await api.close();
    }
  });

  it('answers 403 to a connection whose peer is not this machine, whatever interface it came in on', async () => {
    // Served on a wider listener by mistake (bypassing listen()), or behind a proxy that forwards over
    // a socket file: the request's peer address is not loopback, and the second lock refuses it. Runs
    // on every machine: over a Unix socket (no peer address at all) always, and also over a routable
    // interface where the machine has one.
    const socketPath = join(provider.dataDir, 'admin-exposed.sock');
    const exposed = createAdaptorServer({ fetch: provider.admin.app.fetch, createServer: createHttpServer });
    await new Promise<void>((resolve, reject) => {
      exposed.once('error', reject);
      exposed.listen(socketPath, () => resolve());
    });
    const overSocket = new Agent({ connect: { socketPath } });
    try {
      const res = await undiciRequest('http://localhost/admin/services', {
        dispatcher: overSocket,
        headers: { authorization: `Bearer ${provider.token}` },
      });
      const body = (await res.body.json()) as { code?: unknown };
      expect({ status: res.statusCode, header: res.headers['fsc-error-code'], code: body.code }).toEqual({
        status: 403,
        header: 'ERROR_CODE_FORBIDDEN',
        code: 'ERROR_CODE_FORBIDDEN',
      });
    } finally {
      await overSocket.close();
      await new Promise<void>((resolve) => exposed.close(() => resolve()));
    }

    const external = Object.values(networkInterfaces())
      .flat()
      .find((i) => i !== undefined && i.family === 'IPv4' && !i.internal)?.address;
    if (external !== undefined) {
      const server = await startHttpServer({
        app: provider.admin.app,
        listen: { host: external, port: 0 },
        name: 'admin-exposed',
        logger: fed.logger,
      });
      try {
        const res = await adminCall(server.url, 'GET', '/admin/services', provider.token);
        expect(fscError(res)).toEqual(expected(403, 'ERROR_CODE_FORBIDDEN'));
      } finally {
        await server.close();
      }
    }
  });

  it('decides by the peer address the Node adapter hands the app: only loopback peers get through', async () => {
    // The same app and middleware chain as the listener, with the socket the adapter passes in
    // (`env.incoming.socket`), for peer addresses no test machine can produce.
    const call = (remoteAddress: string | undefined): Promise<Response> =>
      Promise.resolve(
        provider.admin.app.request(
          'http://127.0.0.1/admin/services',
          { headers: { authorization: `Bearer ${provider.token}` } },
          { incoming: { socket: { remoteAddress } } },
        ),
      );
    for (const remote of ['192.0.2.10', '203.0.113.7', '10.0.0.1', '::ffff:10.0.0.1', 'fd00::2', '::', undefined]) {
      const res = await call(remote);
      expect({ remote, status: res.status, code: res.headers.get('fsc-error-code') }).toEqual({
        remote,
        status: 403,
        code: 'ERROR_CODE_FORBIDDEN',
      });
    }
    for (const remote of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) {
      expect({ remote, status: (await call(remote)).status }).toEqual({ remote, status: 200 });
    }
  });

  it('refuses a request that names another host (DNS rebinding), even with the token', async () => {
    const res = await adminCall(provider.adminUrl, 'GET', '/admin/services', provider.token, undefined, {
      host: 'rebound.example',
    });
    expect(fscError(res)).toEqual(expected(403, 'ERROR_CODE_FORBIDDEN'));
  });

  it('answers unknown paths with 404 in the FSC error shape', async () => {
    expect(fscError(await provider.call('GET', '/admin/nope'))).toEqual(expected(404, 'ERROR_CODE_NOT_FOUND'));
  });
});

describe('POST /admin/services', () => {
  it('refuses invalid input with 400 naming the field', async () => {
    const cases: [unknown, RegExp][] = [
      [{ name: 'zonder-endpoint' }, /endpointUrl/],
      [{ name: 'met spatie', endpointUrl: 'http://127.0.0.1:9/' }, /name/],
      [{ name: 'x', endpointUrl: 'ftp://127.0.0.1/' }, /endpointUrl/],
      [{ name: 'x', endpointUrl: 'http://127.0.0.1:9/', inwayAddress: 'http://inway.example' }, /inwayAddress/],
      [{ name: 'x', endpointUrl: 'http://127.0.0.1:9/', protocol: 'PROTOCOL_UDP' }, /protocol/],
      [{ name: 'x', endpointUrl: 'http://127.0.0.1:9/', extra: true }, /extra/],
    ];
    for (const [body, message] of cases) {
      const res = await provider.call('POST', '/admin/services', body);
      expect(fscError(res)).toEqual(expected(400, 'ERROR_CODE_BAD_REQUEST'));
      expect((res.json as { message: string }).message).toMatch(message);
    }
    const notJson = await adminCall(provider.adminUrl, 'POST', '/admin/services', provider.token, undefined, {
      'content-type': 'application/json',
    });
    expect(notJson.status).toBe(400);
    // A peer without an inway address must say where its inway is.
    const noInway = await consumer.call('POST', '/admin/services', {
      name: 'zonder-inway',
      endpointUrl: 'http://127.0.0.1:9/',
    });
    expect(fscError(noInway)).toEqual(expected(400, 'ERROR_CODE_BAD_REQUEST'));
    expect((noInway.json as { message: string }).message).toMatch(/inwayAddress/);
  });

  it('stores the service, offers a publication and is idempotent for the same publication', async () => {
    const first = await provider.call('POST', '/admin/services', {
      name: 'herhaald',
      endpointUrl: 'http://127.0.0.1:9/v1',
    });
    expect(first.status).toBe(201);
    const firstBody = first.json as {
      created: boolean;
      service: { inwayAddress: string };
      contract: AdminContractJson;
    };
    expect(firstBody.created).toBe(true);
    // The inway address defaults to the peer's inway.publicAddress.
    expect(firstBody.service.inwayAddress).toBe(inway.url);
    expect(await provider.store.getService('herhaald')).toMatchObject({
      endpointUrl: 'http://127.0.0.1:9/v1',
      inwayAddress: inway.url,
    });

    // Same publication, new endpoint: no new contract, the endpoint is updated.
    const again = await provider.call('POST', '/admin/services', {
      name: 'herhaald',
      endpointUrl: 'http://127.0.0.1:9/v2',
    });
    expect(again.status).toBe(200);
    expect((again.json as { created: boolean; contract: AdminContractJson }).contract.hash).toBe(
      firstBody.contract.hash,
    );
    expect((await provider.store.getService('herhaald'))?.endpointUrl).toBe('http://127.0.0.1:9/v2');

    // Another protocol is another publication.
    const http2 = await provider.call('POST', '/admin/services', {
      name: 'herhaald',
      endpointUrl: 'http://127.0.0.1:9/v2',
      protocol: 'PROTOCOL_TCP_HTTP_2',
    });
    expect(http2.status).toBe(201);
    expect((http2.json as { contract: AdminContractJson }).contract.hash).not.toBe(firstBody.contract.hash);
  });
});

describe('connections and contract decisions', () => {
  let connectionHash: string;

  it('a connection request via the admin API, accepted by the provider via its admin API, is valid on both sides', async () => {
    await publishValid('brp');
    const res = await consumer.call('POST', '/admin/connections', { peerId: OIN.provider, service: 'brp' });
    expect(res.status).toBe(201);
    const requested = (res.json as { contract: AdminContractJson }).contract;
    connectionHash = requested.hash;
    expect(requested).toMatchObject({ state: 'proposed', missingSigners: [OIN.provider], pendingForMe: false });
    expect(requested.grants[0]).toMatchObject({
      type: 'GRANT_TYPE_SERVICE_CONNECTION',
      outway: { peerId: OIN.consumer, publicKeyThumbprint: publicKeyThumbprint(consumer.tls.certificate) },
      service: { peerId: OIN.provider, name: 'brp' },
    });

    // The provider's operator finds it among the contracts waiting for them.
    const pending = await settle(async () => {
      const list = (await provider.call('GET', '/admin/contracts?pending=true')).json as {
        contracts: AdminContractJson[];
      };
      return list.contracts.find((c) => c.hash === connectionHash);
    });
    expect(pending).toMatchObject({ state: 'proposed', pendingForMe: true, missingSigners: [OIN.provider] });
    expect(pending.peers).toEqual([
      { id: OIN.consumer, name: 'Consumer Org' },
      { id: OIN.provider, name: 'Provider Org' },
    ]);

    const accepted = await provider.call('POST', `/admin/contracts/${encodeURIComponent(connectionHash)}/accept`);
    expect(accepted.status).toBe(200);
    expect((accepted.json as { contract: AdminContractJson }).contract).toMatchObject({
      state: 'valid',
      missingSigners: [],
      pendingForMe: false,
    });
    await stateAt(consumer, connectionHash, 'valid');
    const valid = (await consumer.call('GET', '/admin/contracts?state=valid&type=connection')).json as {
      contracts: AdminContractJson[];
    };
    expect(valid.contracts.map((c) => c.hash)).toContain(connectionHash);
    // Accepting again changes nothing.
    expect((await provider.call('POST', `/admin/contracts/${encodeURIComponent(connectionHash)}/accept`)).status).toBe(
      200,
    );
  });

  it('refuses a second request for the same connection with 409', async () => {
    const res = await consumer.call('POST', '/admin/connections', { peerId: OIN.provider, service: 'brp' });
    expect(fscError(res)).toEqual(expected(409, 'ERROR_CODE_CONTRACT_ALREADY_EXISTS'));
    expect((res.json as { message: string }).message).toContain(connectionHash);
  });

  it('refuses a connection to a service the directory does not list with 404', async () => {
    const res = await consumer.call('POST', '/admin/connections', { peerId: OIN.provider, service: 'bestaat-niet' });
    expect(fscError(res)).toEqual(expected(404, 'ERROR_CODE_NOT_FOUND'));
    expect(fscError(await consumer.call('POST', '/admin/connections', { peerId: 'x', service: 'brp' }))).toEqual(
      expected(400, 'ERROR_CODE_BAD_REQUEST'),
    );
  });

  it('a rejected request ends the contract on both sides; a new request is possible afterwards', async () => {
    await publishValid('bag');
    const requested = (
      (await consumer.call('POST', '/admin/connections', { peerId: OIN.provider, service: 'bag' })).json as {
        contract: AdminContractJson;
      }
    ).contract;
    await settle(async () => contractAt(provider, requested.hash));
    const rejected = await provider.call('POST', `/admin/contracts/${encodeURIComponent(requested.hash)}/reject`);
    expect((rejected.json as { contract: AdminContractJson }).contract.state).toBe('rejected');
    await stateAt(consumer, requested.hash, 'rejected');
    // Accepting what is rejected is refused: content and decisions never change (fsc-core).
    const late = await provider.call('POST', `/admin/contracts/${encodeURIComponent(requested.hash)}/accept`);
    expect(fscError(late)).toEqual(expected(422, 'ERROR_CODE_INVALID_CONTRACT'));
    expect((await consumer.call('POST', '/admin/connections', { peerId: OIN.provider, service: 'bag' })).status).toBe(
      201,
    );
  });

  it('a revoked connection is revoked on both sides', async () => {
    const res = await consumer.call('POST', `/admin/contracts/${encodeURIComponent(connectionHash)}/revoke`);
    expect((res.json as { contract: AdminContractJson }).contract.state).toBe('revoked');
    await stateAt(provider, connectionHash, 'revoked');
  });
});

describe('GET /admin/contracts', () => {
  it('filters on state, type and pending, and pages with a cursor without losing or repeating contracts', async () => {
    const all = (await provider.call('GET', '/admin/contracts?limit=1000')).json as {
      contracts: AdminContractJson[];
      nextCursor: string | null;
    };
    expect(all.nextCursor).toBeNull();
    expect(all.contracts.length).toBeGreaterThanOrEqual(5);

    const seen: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 100; pages++) {
      const page: { contracts: AdminContractJson[]; nextCursor: string | null } = (
        await provider.call(
          'GET',
          `/admin/contracts?limit=2${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`,
        )
      ).json as { contracts: AdminContractJson[]; nextCursor: string | null };
      expect(page.contracts.length).toBeLessThanOrEqual(2);
      seen.push(...page.contracts.map((c) => c.hash));
      cursor = page.nextCursor;
      if (cursor === null) break;
    }
    expect(seen).toEqual(all.contracts.map((c) => c.hash));

    // State is computed, so a filtered page must still be exact: one valid contract at a time.
    const validOnly: string[] = [];
    cursor = null;
    for (let pages = 0; pages < 100; pages++) {
      const page: { contracts: AdminContractJson[]; nextCursor: string | null } = (
        await provider.call(
          'GET',
          `/admin/contracts?state=valid&limit=1${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`,
        )
      ).json as { contracts: AdminContractJson[]; nextCursor: string | null };
      expect(page.contracts.every((c) => c.state === 'valid')).toBe(true);
      validOnly.push(...page.contracts.map((c) => c.hash));
      cursor = page.nextCursor;
      if (cursor === null) break;
    }
    expect(validOnly).toEqual(all.contracts.filter((c) => c.state === 'valid').map((c) => c.hash));

    const ended = (await provider.call('GET', '/admin/contracts?state=rejected,revoked')).json as {
      contracts: AdminContractJson[];
    };
    expect(ended.contracts.length).toBeGreaterThanOrEqual(2);
    expect(ended.contracts.every((c) => c.state === 'rejected' || c.state === 'revoked')).toBe(true);
    const publications = (await provider.call('GET', '/admin/contracts?type=publication')).json as {
      contracts: AdminContractJson[];
    };
    expect(
      publications.contracts.every((c) => c.grants.every((g) => g.type === 'GRANT_TYPE_SERVICE_PUBLICATION')),
    ).toBe(true);
  });

  it('refuses bad filters and hashes with 400 and unknown contracts with 404', async () => {
    for (const query of ['state=unknown', 'type=peer', 'limit=0', 'limit=5000', 'pending=maybe', 'sort_order=up']) {
      expect(fscError(await provider.call('GET', `/admin/contracts?${query}`))).toEqual(
        expected(400, 'ERROR_CODE_BAD_REQUEST'),
      );
    }
    expect(fscError(await provider.call('GET', '/admin/contracts/not-a-hash'))).toEqual(
      expected(400, 'ERROR_CODE_BAD_REQUEST'),
    );
    expect(fscError(await provider.call('POST', '/admin/contracts/not-a-hash/accept'))).toEqual(
      expected(400, 'ERROR_CODE_BAD_REQUEST'),
    );
    const unknown = `$1$1$${'A'.repeat(86)}`;
    expect(fscError(await provider.call('GET', `/admin/contracts/${encodeURIComponent(unknown)}`))).toEqual(
      expected(404, 'ERROR_CODE_CONTRACT_NOT_FOUND'),
    );
    expect(fscError(await provider.call('POST', `/admin/contracts/${encodeURIComponent(unknown)}/revoke`))).toEqual(
      expected(404, 'ERROR_CODE_CONTRACT_NOT_FOUND'),
    );
  });
});

describe('a directory without its view', () => {
  it('lists the group from its FSC listing, with health unknown', async () => {
    await publishValid('zonder-overzicht');
    const token = 'een-token-van-minstens-zestien-tekens';
    const api = createAdminApi({
      config: directory.config,
      logger: fed.logger,
      manager: directory.manager,
      store: directory.store,
      tls: directory.tls,
      token,
    });
    try {
      const res = await api.app.request('/admin/services', { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      const body = (await res.json()) as {
        group: { peer: { id: string }; name: string; health: { status: string } }[];
      };
      expect(body.group.find((s) => s.name === 'zonder-overzicht')).toMatchObject({
        peer: { id: OIN.provider },
        health: { status: 'unknown' },
      });
    } finally {
      await api.close();
    }
  });
});

describe('a peer whose directory is away', () => {
  let lonely: AdminPeer;

  beforeAll(async () => {
    const closedPort = await freePort();
    lonely = await startAdminPeer(fed, {
      oin: OIN.third,
      directory: { address: `https://localhost:${closedPort}`, peerId: OIN.directory },
      inwayAddress: 'https://localhost:9443',
    });
  });

  afterAll(async () => {
    await lonely.destroy();
  });

  it('still lists its own services and says the directory is unreachable', async () => {
    const published = await lonely.call('POST', '/admin/services', {
      name: 'eigen',
      endpointUrl: 'http://127.0.0.1:9/',
    });
    // The publication waits in the outbox until the directory is back.
    expect(published.status).toBe(201);
    expect((await lonely.manager.service.pendingDeliveries(OIN.directory)).map((p) => p.kind)).toContain('contract');
    const res = await lonely.call('GET', '/admin/services');
    expect(res.status).toBe(200);
    const body = res.json as {
      own: { name: string; publication: { state: string } }[];
      group: unknown[];
      directory: { reachable: boolean; code?: string };
    };
    expect(body.own).toMatchObject([{ name: 'eigen', publication: { state: 'proposed' } }]);
    expect(body.group).toEqual([]);
    expect(body.directory).toMatchObject({ reachable: false, code: 'ERROR_CODE_PEER_UNREACHABLE' });
  });

  it('cannot look up a service to connect to: 502', async () => {
    const res = await lonely.call('POST', '/admin/connections', { peerId: OIN.provider, service: 'brp' });
    expect(fscError(res)).toEqual(expected(502, 'ERROR_CODE_PEER_UNREACHABLE'));
  });
});
