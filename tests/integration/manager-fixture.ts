// Shared set-up of the manager integration suites: a per-run PKI, managers on real mTLS listeners
// with real SQLite (or Redis) stores, and a raw mTLS client that plays "another peer's manager" so
// tests can send hand-made contracts and signatures.
import { createPrivateKey, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Agent, request } from 'undici';
import { koppelConfigSchema, type KoppelConfigInput } from '../../config/index.ts';
import { createTestPki, type TestPki, type TestPkiPeer } from '../../certs/index.ts';
import { createManager, type CreateManagerOptions, type Manager, type ManagerHooks, type OutboxSettings } from '../../gateway/manager/index.ts';
import {
  contentHash,
  createUuidV7Generator,
  grantHashes,
  publicKeyThumbprint,
  signContract,
  toX509,
} from '../../gateway/protocol/index.ts';
import type { ContractContent, GrantData, SignatureType } from '../../gateway/protocol/index.ts';
import { createLogger, loadPeerTls, type Logger } from '../../gateway/runtime/index.ts';
import { createStore, type ManagerStore } from '../../gateway/store/index.ts';

export const GROUP_ID = 'fsc-test-group';

/** The OINs of the test federation. */
export const OIN = {
  directory: '00000000000000000001',
  provider: '00000000000000000002',
  consumer: '00000000000000000003',
  third: '00000000000000000004',
  delegator: '00000000000000000005',
  outsider: '00000000000000000009',
} as const;

export const NAMES: Record<string, string> = {
  [OIN.directory]: 'Directory Org',
  [OIN.provider]: 'Provider Org',
  [OIN.consumer]: 'Consumer Org',
  [OIN.third]: 'Third Org',
  [OIN.delegator]: 'Delegator Org',
  [OIN.outsider]: 'Outsider Org',
};

export type StoreKind = 'sqlite' | 'redis';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A PKI for the group, plus a second, unrelated CA for certificates that must be refused. */
export interface Federation {
  pki: TestPki;
  foreign: TestPki;
  logger: Logger;
  remove(): Promise<void>;
}

export async function createFederation(options: { logger?: Logger } = {}): Promise<Federation> {
  const peers = Object.values(OIN)
    .filter((oin) => oin !== OIN.outsider)
    .map((oin) => ({ oin, name: NAMES[oin] ?? oin }));
  const pki = await createTestPki({ groupId: GROUP_ID, peers });
  // Same OIN as a group member, issued by a CA outside the group.
  const foreign = await createTestPki({ groupId: 'other-group', peers: [{ oin: OIN.consumer, name: 'Impostor Org' }, { oin: OIN.outsider, name: 'Outsider Org' }] });
  const logger = options.logger ?? createLogger({ level: 'silent', name: 'test' });
  return {
    pki,
    foreign,
    logger,
    async remove() {
      await pki.remove();
      await foreign.remove();
    },
  };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

export interface StartPeerOptions {
  oin: string;
  storeKind?: StoreKind;
  mode?: 'peer' | 'directory';
  /** The directory's address; omitted: none. */
  directory?: { address: string; peerId: string };
  /** Reuse a data dir (restart); default a fresh temp dir. */
  dataDir?: string;
  /** Reuse a port (restart); default a free port. */
  port?: number;
  /** Reuse a Redis key prefix (restart). */
  redisPrefix?: string;
  /** Services this peer offers through its inway (put in the store). */
  services?: readonly string[];
  clock?: () => number;
  hooks?: ManagerHooks;
  manager?: Partial<NonNullable<KoppelConfigInput['manager']>>;
  outbox?: Partial<OutboxSettings>;
  /** Use this certificate instead of the peer's default one. */
  certificate?: TestPkiPeer;
  hashScheme?: 'jcs' | 'fsc-1.1';
  /** The peer's transaction log, to serve GET /v1/logs. */
  txlog?: CreateManagerOptions['txlog'];
}

export interface RunningPeer {
  oin: string;
  manager: Manager;
  store: ManagerStore;
  address: string;
  port: number;
  dataDir: string;
  redisPrefix: string;
  inwayAddress: string;
  /** Closes the manager and its store (not the data). */
  stop(): Promise<void>;
  /** Closes and deletes the data (temp dir / Redis keys). */
  destroy(): Promise<void>;
}

export const fastOutbox: Partial<OutboxSettings> = { baseDelayMs: 50, maxDelayMs: 400, pollIntervalMs: 100 };

async function deleteRedisPrefix(prefix: string): Promise<void> {
  const admin = new Redis(REDIS_URL);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      if (keys.length > 0) await admin.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    await admin.quit();
  }
}

export async function startPeer(fed: Federation, options: StartPeerOptions): Promise<RunningPeer> {
  const cert = options.certificate ?? fed.pki.peers[options.oin];
  if (cert === undefined) throw new Error(`no certificate for ${options.oin}`);
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'koppel-manager-')));
  const port = options.port ?? (await freePort());
  const address = `https://localhost:${port}`;
  const inwayAddress = `https://inway-${options.oin}.example:443`;
  const input: KoppelConfigInput = {
    groupId: GROUP_ID,
    peer: { trustAnchorPath: fed.pki.caPath, certificatePath: cert.certPath, keyPath: cert.keyPath },
    manager: {
      listen: { host: '127.0.0.1', port },
      publicAddress: address,
      mode: options.mode ?? 'peer',
      ...(options.directory === undefined
        ? {}
        : { directoryAddress: options.directory.address, directoryPeerId: options.directory.peerId }),
      ...options.manager,
    },
    inway: { publicAddress: inwayAddress },
    dataDir,
    ...(options.hashScheme === undefined ? {} : { hashScheme: options.hashScheme }),
  };
  const config = koppelConfigSchema.parse(input);
  const storeKind = options.storeKind ?? 'sqlite';
  const redisPrefix = options.redisPrefix ?? `koppel-test-manager-${randomUUID()}`;
  const store =
    storeKind === 'sqlite'
      ? await createStore({ kind: 'sqlite', dataDir })
      : await createStore({ kind: 'redis', url: REDIS_URL, groupId: GROUP_ID, peerId: options.oin, keyPrefix: redisPrefix });
  for (const name of options.services ?? []) {
    await store.putService({ name, endpointUrl: 'http://127.0.0.1:9/api', inwayAddress, protocol: 'PROTOCOL_TCP_HTTP_1.1' });
  }
  const tls = await loadPeerTls({ trustAnchorFile: fed.pki.caPath, certFile: cert.certPath, keyFile: cert.keyPath });
  const manager = createManager({
    config,
    logger: fed.logger,
    store,
    tls,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.hooks === undefined ? {} : { hooks: options.hooks }),
    ...(options.txlog === undefined ? {} : { txlog: options.txlog }),
    outbox: { ...fastOutbox, ...options.outbox },
  });
  await manager.listen();
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await manager.close();
    await store.close();
  };
  return {
    oin: options.oin,
    manager,
    store,
    address,
    port,
    dataDir,
    redisPrefix,
    inwayAddress,
    stop,
    async destroy() {
      await stop();
      if (storeKind === 'redis') await deleteRedisPrefix(redisPrefix);
      if (options.dataDir === undefined) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

// --- a raw peer client -------------------------------------------------------------------------------

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: unknown;
}

/** Plays another peer's manager (or outway): mTLS with the given certificate, anything as body. */
export interface RawClient {
  cert: TestPkiPeer;
  call(method: string, url: string, init?: { headers?: Record<string, string>; body?: string }): Promise<RawResponse>;
  close(): Promise<void>;
}

export function rawClient(fed: Federation, cert: TestPkiPeer, ca: string = fed.pki.caPem): RawClient {
  const agent = new Agent({ connect: { ca, cert: cert.chainPem, key: cert.keyPem, rejectUnauthorized: true } });
  return {
    cert,
    async call(method, url, init = {}) {
      const res = await request(url, {
        method: method as 'GET',
        headers: init.headers ?? {},
        body: init.body ?? null,
        dispatcher: agent,
      });
      const text = await res.body.text();
      let json: unknown;
      try {
        json = text === '' ? undefined : (JSON.parse(text) as unknown);
      } catch {
        json = undefined;
      }
      return { status: res.statusCode, headers: res.headers, text, json };
    },
    close: () => agent.close(),
  };
}

/** POST /v1/contracts as `client`, with its Fsc-Manager-Address. */
export function postContract(client: RawClient, peer: RunningPeer, body: unknown, managerAddress = 'https://localhost:1'): Promise<RawResponse> {
  return client.call('POST', `${peer.address}/v1/contracts`, {
    headers: { 'content-type': 'application/json', 'fsc-manager-address': managerAddress },
    body: JSON.stringify(body),
  });
}

/** PUT /v1/contracts/{hash}/{type} as `client`. */
export function putSignature(
  client: RawClient,
  peer: RunningPeer,
  urlHash: string,
  type: SignatureType,
  body: unknown,
  managerAddress = 'https://localhost:1',
): Promise<RawResponse> {
  return client.call('PUT', `${peer.address}/v1/contracts/${encodeURIComponent(urlHash)}/${type}`, {
    headers: { 'content-type': 'application/json', 'fsc-manager-address': managerAddress },
    body: JSON.stringify(body),
  });
}

// --- contracts ---------------------------------------------------------------------------------------

const uuidV7 = createUuidV7Generator();

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export function contractContent(grants: GrantData[], overrides: Partial<ContractContent> = {}): ContractContent {
  const now = nowSeconds();
  return {
    iv: uuidV7(),
    group_id: GROUP_ID,
    validity: { not_before: now - 60, not_after: now + 3600 },
    grants: grants.map((data) => ({ data })),
    hash_algorithm: 'HASH_ALGORITHM_SHA3_512',
    created_at: now - 10,
    ...overrides,
  };
}

export function thumbprintOf(cert: TestPkiPeer): string {
  return publicKeyThumbprint(cert.certPem);
}

export function connectionGrant(outway: TestPkiPeer, servicePeer: string, service = 'basisregistratie'): GrantData {
  return {
    type: 'GRANT_TYPE_SERVICE_CONNECTION',
    outway: { peer_id: outway.oin, public_key_thumbprint: thumbprintOf(outway) },
    service: { type: 'SERVICE_TYPE_SERVICE', peer_id: servicePeer, name: service },
  };
}

export function publicationGrant(servicePeer: string, directory: string = OIN.directory, service = 'basisregistratie'): GrantData {
  return {
    type: 'GRANT_TYPE_SERVICE_PUBLICATION',
    directory: { peer_id: directory },
    service: { peer_id: servicePeer, name: service, protocol: 'PROTOCOL_TCP_HTTP_1.1' },
  };
}

export function hashOf(content: ContractContent): string {
  return contentHash(content, 'jcs');
}

export function grantHashOf(content: ContractContent, index = 0): string {
  const h = grantHashes(content, 'jcs')[index];
  if (h === undefined) throw new Error('no such grant');
  return h;
}

/** A signature made with `signer`'s key and certificate. */
export async function sign(
  signer: TestPkiPeer,
  hash: string,
  type: SignatureType,
  signedAt: number = nowSeconds(),
): Promise<string> {
  return signContract({
    contentHash: hash,
    type,
    signedAt,
    privateKey: createPrivateKey(signer.keyPem),
    certificate: toX509(signer.certPem),
  });
}

/** The body of POST /contracts and PUT /contracts/…: content plus `signer`'s signature. */
export async function signedBody(
  signer: TestPkiPeer,
  content: ContractContent,
  type: SignatureType = 'accept',
): Promise<{ contract_content: ContractContent; signature: string }> {
  return { contract_content: content, signature: await sign(signer, hashOf(content), type) };
}

/** Poll `check` until it returns a value that is not undefined (for state that arrives over the network). */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The response is an FSC manager error with this status and code (header and body). */
export function fscError(res: RawResponse): { status: number; header: unknown; code: unknown; domain: unknown; message: unknown } {
  const body = (res.json ?? {}) as { code?: unknown; domain?: unknown; message?: unknown };
  return { status: res.status, header: res.headers['fsc-error-code'], code: body.code, domain: body.domain, message: typeof body.message };
}

export function expectedError(status: number, code: string): ReturnType<typeof fscError> {
  return { status, header: code, code, domain: 'ERROR_DOMAIN_MANAGER', message: 'string' };
}
