// Shared set-up of the inway suites: a per-run PKI (plus an unrelated CA whose certificates must be
// refused), the demo person registry behind a thin counting wrapper (every request the service
// receives is recorded with its raw target and raw headers), a real transaction log (SQLite in a
// temp dir, or Redis), an inway on a real mTLS listener, mTLS clients, and access tokens issued the
// way the manager's token endpoint issues them (signed with the provider peer's key).
import { createPrivateKey, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { getRequestListener } from '@hono/node-server';
import { Redis } from 'ioredis';
import { Agent, type Dispatcher } from 'undici';
import { createTestPki, type TestPki, type TestPkiPeer } from '../../certs/index.ts';
import { createPersonRegistry } from '../../demo/person-registry.ts';
import { persons } from '../../demo/persons.ts';
import { createInway, type CreateInwayOptions, type Inway, type InwayConfig } from '../../gateway/inway/index.ts';
import {
  certificateThumbprint,
  createUuidV7Generator,
  issueAccessToken,
  type IssueAccessTokenInput,
} from '../../gateway/protocol/index.ts';
import { createLogger, type Logger } from '../../gateway/runtime/index.ts';
import { createTxLog, type TxLog } from '../../gateway/txlog/index.ts';

export const GROUP_ID = 'fsc-inway-test';
export const SERVICE = 'basisregistratie-personen';
export const GRANT_HASH = '$1$3$Y2FmZWJhYmVjYWZlYmFiZWNhZmViYWJlY2FmZWJhYmVjYWZlYmFiZWNhZmViYWJlY2FmZWJhYmVjYWZlYmFiZQ';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export const OIN = {
  provider: '00000000000000000002',
  consumer: '00000000000000000003',
  other: '00000000000000000004',
  delegator: '00000000000000000005',
} as const;

export const newTransactionId = createUuidV7Generator();

/** A BSN the demo registry knows. */
export const KNOWN_BSN: string = persons[0]?.burgerservicenummer ?? '';

/** A PKI for the group and one from an unrelated CA. Create once per file. */
export interface InwayPki {
  pki: TestPki;
  foreign: TestPki;
  provider: TestPkiPeer;
  consumer: TestPkiPeer;
  /** A second certificate of another consumer, for tokens bound to someone else. */
  other: TestPkiPeer;
  /** Same OIN as the consumer, issued by the foreign CA. */
  impostor: TestPkiPeer;
  remove(): Promise<void>;
}

export async function createInwayPki(): Promise<InwayPki> {
  const pki = await createTestPki({
    groupId: GROUP_ID,
    peers: [
      { oin: OIN.provider, name: 'Provider Org' },
      { oin: OIN.consumer, name: 'Consumer Org' },
      { oin: OIN.other, name: 'Other Org' },
    ],
  });
  const foreign = await createTestPki({ groupId: GROUP_ID, peers: [{ oin: OIN.consumer, name: 'Consumer Org' }] });
  const peer = (p: TestPki, oin: string): TestPkiPeer => {
    const found = p.peers[oin];
    if (found === undefined) throw new Error(`no peer ${oin}`);
    return found;
  };
  return {
    pki,
    foreign,
    provider: peer(pki, OIN.provider),
    consumer: peer(pki, OIN.consumer),
    other: peer(pki, OIN.other),
    impostor: peer(foreign, OIN.consumer),
    remove: async () => {
      await pki.remove();
      await foreign.remove();
    },
  };
}

// --- the service -----------------------------------------------------------------------------------

export interface ReceivedRequest {
  method: string;
  /** The request target exactly as received (path and query, undecoded). */
  url: string;
  rawHeaders: string[];
  headers: http.IncomingHttpHeaders;
  /** The inway's side of the connection: equal ports mean a reused (pooled) connection. */
  remotePort: number | undefined;
}

/** The person registry plus a recorder, and a few raw endpoints under /wrapper/. */
export interface TestService {
  readonly url: string;
  readonly requests: ReceivedRequest[];
  /** Responses whose connection closed before they were finished (the client side went away). */
  aborted: number;
  /** Runs before the request is answered (e.g. to look into the transaction log at that moment). */
  onRequest: ((req: ReceivedRequest) => void | Promise<void>) | undefined;
  close(): Promise<void>;
}

const registryApp = createPersonRegistry();
const registryListener = getRequestListener((req, env) => registryApp.fetch(req, env));

function wrapperRoute(req: IncomingMessage, res: ServerResponse): boolean {
  const path = (req.url ?? '').split('?')[0] ?? '';
  switch (path) {
    case '/wrapper/hop-by-hop-response':
      // rawHeaders array form: repeated fields and case go out exactly like this.
      res.writeHead(200, [
        'Content-Type', 'text/plain',
        'Connection', 'keep-alive, X-Secret-Hop',
        'X-Secret-Hop', 'must not pass',
        'Keep-Alive', 'timeout=5',
        'Proxy-Authenticate', 'Basic',
        'X-Service-Header', 'kept',
        'Set-Cookie', 'a=1',
        'Set-Cookie', 'b=2',
        'Content-Length', '2',
      ]);
      res.end('ok');
      return true;
    case '/wrapper/reset':
      req.socket.destroy();
      return true;
    default:
      return false;
  }
}

export async function startTestService(): Promise<TestService> {
  const service: TestService = {
    url: '',
    requests: [],
    aborted: 0,
    onRequest: undefined,
    close: () => Promise.resolve(),
  };
  const server = http.createServer((req, res) => {
    const received: ReceivedRequest = { method: req.method ?? '', url: req.url ?? '', rawHeaders: [...req.rawHeaders], headers: req.headers, remotePort: req.socket.remotePort };
    service.requests.push(received);
    res.once('close', () => {
      if (!res.writableFinished) service.aborted++;
    });
    void (async () => {
      await service.onRequest?.(received);
      if (!wrapperRoute(req, res)) await registryListener(req, res);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return Object.assign(service, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  });
}

// --- logs ------------------------------------------------------------------------------------------

/** A logger that keeps its lines in memory (pino's JSON, parsed). */
export function memoryLogger(): { logger: Logger; lines: Record<string, unknown>[]; raw: string[] } {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        raw.push(line);
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { logger: createLogger({ level: 'debug', name: 'inway', destination: sink }), lines, raw };
}

// --- the inway under test --------------------------------------------------------------------------

export type TxLogSpec = { kind: 'sqlite' } | { kind: 'redis'; url?: string };

export interface InwayHarness {
  inway: Inway;
  txlog: TxLog;
  service: TestService;
  lines: Record<string, unknown>[];
  rawLines: string[];
  /** The injected clock (Unix ms); tests may move it. */
  now: { ms: number };
  /** An mTLS agent presenting the consumer certificate. */
  consumerAgent: Agent;
  /** mTLS agent for any certificate (closed with the harness). */
  agentFor(peer: TestPkiPeer, ca?: string): Agent;
  /** A token as the provider's manager issues it; bound to the consumer certificate unless told. */
  token(overrides?: Partial<IssueAccessTokenInput>): Promise<string>;
  /** Send a request to the inway. */
  call(path: string, options?: CallOptions): Promise<Dispatcher.ResponseData>;
  close(): Promise<void>;
}

export interface CallOptions {
  method?: Dispatcher.HttpMethod;
  token?: string | null;
  transactionId?: string | null;
  headers?: Record<string, string | string[]>;
  body?: Dispatcher.DispatchOptions['body'];
  agent?: Dispatcher;
  signal?: AbortSignal;
}

export interface HarnessOptions {
  txlog?: TxLogSpec;
  timeouts?: InwayConfig['timeouts'];
  /** The inway's listener limits and timeouts (`listeners` of a peer configuration). */
  listeners?: InwayConfig['listeners'];
  /** Extra services besides SERVICE → the test service. */
  services?: { name: string; endpointUrl: string }[];
  inway?: Partial<CreateInwayOptions>;
  /** Instrument the log the inway writes to (it still writes to the real one underneath). */
  wrapTxLog?: (log: TxLog) => CreateInwayOptions['txlog'];
}

export async function startInwayHarness(pki: InwayPki, options: HarnessOptions = {}): Promise<InwayHarness> {
  const now = { ms: Date.now() };
  const clock = (): number => now.ms;
  const service = await startTestService();
  const { logger, lines, raw } = memoryLogger();
  const spec = options.txlog ?? { kind: 'sqlite' };
  const cleanups: (() => Promise<void>)[] = [];
  let txlog: TxLog;
  if (spec.kind === 'sqlite') {
    const dataDir = await mkdtemp(join(tmpdir(), 'koppel-inway-txlog-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    txlog = await createTxLog({ kind: 'sqlite', dataDir, peerId: OIN.provider, headIntervalMs: 0, busyTimeoutMs: 100 });
  } else {
    const url = spec.url ?? REDIS_URL;
    const keyPrefix = `koppel-inway-test:${randomUUID()}`;
    txlog = await createTxLog({ kind: 'redis', url, groupId: GROUP_ID, peerId: OIN.provider, keyPrefix, headIntervalMs: 0 });
    cleanups.push(async () => {
      const admin = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
      admin.on('error', () => undefined);
      try {
        await admin.connect();
        let cursor = '0';
        do {
          const [next, keys] = await admin.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 1000);
          if (keys.length > 0) await admin.del(...keys);
          cursor = next;
        } while (cursor !== '0');
      } catch {
        // A private redis-server that a test stopped has nothing left to clean.
      } finally {
        admin.disconnect();
      }
    });
  }
  const inway = createInway({
    config: {
      inway: {
        listen: { host: '127.0.0.1', port: 0 },
        publicAddress: 'https://localhost:443',
        services: [{ name: SERVICE, endpointUrl: service.url }, ...(options.services ?? [])],
      },
      ...(options.timeouts === undefined ? {} : { timeouts: options.timeouts }),
      ...(options.listeners === undefined ? {} : { listeners: options.listeners }),
    },
    logger,
    txlog: options.wrapTxLog === undefined ? txlog : options.wrapTxLog(txlog),
    clock,
    tls: { ca: pki.pki.caPem, cert: pki.provider.chainPem, key: pki.provider.keyPem },
    peerId: OIN.provider,
    groupId: GROUP_ID,
    ...options.inway,
  });
  await inway.listen();

  const agents: Agent[] = [];
  const agentFor = (peer: TestPkiPeer, ca = pki.pki.caPem): Agent => {
    const agent = new Agent({ connect: { ca, cert: peer.chainPem, key: peer.keyPem, servername: 'localhost' } });
    agents.push(agent);
    return agent;
  };
  const consumerAgent = agentFor(pki.consumer);
  const providerKey = createPrivateKey(pki.provider.keyPem);

  const token = (overrides: Partial<IssueAccessTokenInput> = {}): Promise<string> =>
    issueAccessToken({
      grantHash: GRANT_HASH,
      groupId: GROUP_ID,
      subject: OIN.consumer,
      issuer: OIN.provider,
      service: SERVICE,
      audience: 'https://localhost:443',
      clientCertificateThumbprint: certificateThumbprint(pki.consumer.certPem),
      privateKey: providerKey,
      certificate: pki.provider.certPem,
      lifetimeSeconds: 300,
      now: now.ms,
      ...overrides,
    });

  const call = async (path: string, o: CallOptions = {}): Promise<Dispatcher.ResponseData> => {
    const headers: Record<string, string | string[]> = { ...o.headers };
    const tok = o.token === undefined ? await token() : o.token;
    if (tok !== null) headers['fsc-authorization'] = tok;
    const txid = o.transactionId === undefined ? newTransactionId() : o.transactionId;
    if (txid !== null) headers['fsc-transaction-id'] = txid;
    // dispatcher.request with origin and path: the path goes out exactly as written (no URL parsing).
    return (o.agent ?? consumerAgent).request({
      origin: inway.url,
      path,
      method: o.method ?? 'GET',
      headers,
      ...(o.body === undefined ? {} : { body: o.body }),
      ...(o.signal === undefined ? {} : { signal: o.signal }),
    });
  };

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      await Promise.all(agents.map((a) => a.close()));
      await inway.close();
      await txlog.close();
      await service.close();
      for (const c of cleanups) await c();
    })());

  return { inway, txlog, service, lines, rawLines: raw, now, consumerAgent, agentFor, token, call, close };
}

/** The JSON body of a response. */
export async function json(res: Dispatcher.ResponseData): Promise<Record<string, unknown>> {
  return (await res.body.json()) as Record<string, unknown>;
}

/** Header value as a single string (undici may hand arrays for repeated fields). */
export function header(res: Dispatcher.ResponseData, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}
