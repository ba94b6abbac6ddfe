// A small federation for the outway suites, with every part real: a directory, a provider and a
// consumer manager on mTLS (SQLite or Redis stores), the provider's inway in front of a plain HTTP
// test service, both peers' transaction logs, and the consumer's outway. The publication and the
// connection contract are negotiated through the managers' own API (submit, propagate, accept), so
// the outway finds a VALID contract in the consumer's store exactly as in production.
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { Agent, request, type Dispatcher } from 'undici';
import { koppelConfigSchema, type KoppelConfigInput } from '../../config/index.ts';
import type { TestPkiPeer } from '../../certs/index.ts';
import type { ContractView } from '../../gateway/manager/index.ts';
import { createInway, type Inway } from '../../gateway/inway/index.ts';
import { createOutway, type Outway, type OutwayTuning } from '../../gateway/outway/index.ts';
import type { GrantData } from '../../gateway/protocol/index.ts';
import { createLogger, loadPeerTls, type Logger } from '../../gateway/runtime/index.ts';
import { createTxLog, type TxLog } from '../../gateway/txlog/index.ts';
import {
  GROUP_ID,
  OIN,
  REDIS_URL,
  connectionGrant,
  createFederation,
  eventually,
  nowSeconds,
  publicationGrant,
  startPeer,
  type Federation,
  type RunningPeer,
  type StoreKind,
} from './manager-fixture.ts';

export { GROUP_ID, OIN, REDIS_URL, eventually };

// --- an in-memory log sink -----------------------------------------------------------------------------

export interface LogLine {
  level: string;
  msg: string;
  component?: string;
  [field: string]: unknown;
}

export interface MemoryLogger {
  logger: Logger;
  lines: LogLine[];
  /** Lines with this message (and, optionally, matching fields). */
  find(msg: string, fields?: Record<string, unknown>): LogLine[];
}

export function memoryLogger(): MemoryLogger {
  const lines: LogLine[] = [];
  const logger = createLogger({
    level: 'info',
    name: 'test',
    destination: {
      write(line: string) {
        lines.push(JSON.parse(line) as LogLine);
      },
    },
  });
  return {
    logger,
    lines,
    find(msg, fields = {}) {
      return lines.filter((l) => l.msg === msg && Object.entries(fields).every(([k, v]) => l[k] === v));
    },
  };
}

// --- the service behind the inway ----------------------------------------------------------------------

/** What the service saw of one request. */
export interface ServiceRequest {
  method: string;
  /** The raw request target, as it arrived. */
  url: string;
  headers: http.IncomingHttpHeaders;
  bodyBytes: number;
  bodySha256: string;
}

export interface TestService {
  url: string;
  received: ServiceRequest[];
  close(): Promise<void>;
}

/**
 * A plain HTTP service:
 * - `/status/{code}`: answers that status with its own error body and header (`x-service-error`);
 * - `/slow?ms=N`: answers after N ms;
 * - `/download?bytes=N`: streams N bytes (with backpressure);
 * - `/hop`: answers with a hop-by-hop field named in `Connection`;
 * - anything else (also `/upload`): reads the whole body and echoes what it saw as JSON.
 */
export async function startTestService(): Promise<TestService> {
  const received: ServiceRequest[] = [];
  const server = http.createServer((req, res) => {
    const url = req.url ?? '';
    const hash = createHash('sha256');
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      hash.update(chunk);
    });
    req.on('end', () => {
      const seen: ServiceRequest = { method: req.method ?? '', url, headers: req.headers, bodyBytes: bytes, bodySha256: hash.digest('hex') };
      received.push(seen);
      const path = url.split('?')[0] ?? '';
      const query = new URLSearchParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '');
      const status = /^\/status\/(\d{3})$/.exec(path);
      if (status !== null) {
        res.writeHead(Number(status[1]), { 'content-type': 'application/problem+json', 'x-service-error': 'yes' });
        res.end(JSON.stringify({ title: 'service says no', status: Number(status[1]) }));
        return;
      }
      if (path === '/slow') {
        setTimeout(() => {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.end('slow');
        }, Number(query.get('ms') ?? '1000')).unref();
        return;
      }
      if (path === '/download') {
        streamBytes(res, Number(query.get('bytes') ?? '0'));
        return;
      }
      if (path === '/hop') {
        res.writeHead(200, { 'content-type': 'text/plain', connection: 'x-hop-secret', 'x-hop-secret': 'leak', 'x-end-to-end': 'kept' });
        res.end('hop');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'x-service': 'echo' });
      res.end(JSON.stringify(seen));
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function streamBytes(res: http.ServerResponse, total: number): void {
  const chunk = Buffer.alloc(64 * 1024, 0x61);
  let sent = 0;
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(total) });
  const pump = (): void => {
    while (sent < total) {
      const n = Math.min(chunk.length, total - sent);
      sent += n;
      if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
        res.once('drain', pump);
        return;
      }
    }
    res.end();
  };
  pump();
}

// --- the world ---------------------------------------------------------------------------------------

export interface OutwayWorldOptions {
  /** Store and transaction log of the consumer (the outway's side). Default sqlite. */
  storeKind?: StoreKind;
  /** Services the provider offers through its inway. Default `['basisregistratie']`. */
  services?: readonly string[];
  /** Start a delegator peer too (delegation scenarios). */
  withDelegator?: boolean;
  /** Clock of the provider's manager (and of its inway, unless `inwayClock` is given). */
  providerClock?: () => number;
  /** Clock of the provider's inway. */
  inwayClock?: () => number;
  /** Clock of the outway. */
  outwayClock?: () => number;
  tuning?: Partial<OutwayTuning>;
  /** Outway → inway/manager timeouts. */
  timeouts?: { connectMs?: number; headersMs?: number; bodyIdleMs?: number };
  /** Further outway settings (config `outway.*`). */
  outway?: Partial<
    Pick<
      KoppelConfigInput['outway'] & object,
      'maxCallsPerService' | 'maxQueuedCallsPerService' | 'maxQueueWaitMs' | 'inwayFailuresToOpen' | 'inwayOpenMs'
    >
  >;
  /** Inway → service timeouts (default: the inway's defaults). */
  inwayTimeouts?: { connectMs?: number; headersMs?: number; bodyIdleMs?: number };
  /** Services the consumer connects to at start (valid contracts). Default: all of `services`. */
  connect?: readonly string[];
}

export interface OutwayWorld {
  fed: Federation;
  log: MemoryLogger;
  service: TestService;
  directory: RunningPeer;
  provider: RunningPeer;
  consumer: RunningPeer;
  delegator: RunningPeer | undefined;
  inway: Inway;
  providerTxlog: TxLog;
  consumerTxlog: TxLog;
  consumerTxlogDir: string;
  outway: Outway;
  /** Connection contracts by service name (valid). */
  connections: Map<string, ContractView>;
  /** A client for the outway (plain HTTP, pooled). */
  client: Agent;
  /** `request()` to the outway with the world's client. */
  call(path: string, options?: Omit<Dispatcher.RequestOptions, 'origin' | 'path' | 'method'> & { method?: Dispatcher.HttpMethod }): Promise<Dispatcher.ResponseData>;
  /** How many access tokens the provider's manager issued so far. */
  tokensIssued(): number;
  /** Negotiate a contract to validity: `submitter` proposes, every other required peer accepts. */
  negotiate(submitter: RunningPeer, grants: GrantData[], signers: RunningPeer[]): Promise<ContractView>;
  /** Register another service at the provider (store) with the given inway address. */
  addService(name: string, inwayAddress: string): Promise<void>;
  close(): Promise<void>;
}

const validity = () => ({ not_before: nowSeconds() - 60, not_after: nowSeconds() + 3600 });

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

export function outwayConfig(
  fed: Federation,
  cert: TestPkiPeer,
  managerAddress: string,
  dataDir: string,
  timeouts: OutwayWorldOptions['timeouts'] = {},
  outway: OutwayWorldOptions['outway'] = {},
) {
  const input: KoppelConfigInput = {
    groupId: GROUP_ID,
    peer: { trustAnchorPath: fed.pki.caPath, certificatePath: cert.certPath, keyPath: cert.keyPath },
    manager: { publicAddress: managerAddress },
    outway: { enabled: true, listen: { host: '127.0.0.1', port: 0 }, ...outway },
    timeouts: { connectMs: 2_000, headersMs: 10_000, bodyIdleMs: 10_000, ...timeouts },
    dataDir,
  };
  return koppelConfigSchema.parse(input);
}

export async function createOutwayWorld(options: OutwayWorldOptions = {}): Promise<OutwayWorld> {
  const log = memoryLogger();
  const fed = await createFederation({ logger: log.logger });
  const services = options.services ?? ['basisregistratie'];
  const storeKind = options.storeKind ?? 'sqlite';
  const cleanup: (() => Promise<void>)[] = [];
  const providerClock = options.providerClock ?? Date.now;

  const service = await startTestService();
  cleanup.push(() => service.close());

  // Provider: transaction log, inway, manager (services point at the real inway).
  const providerDir = await mkdtemp(join(tmpdir(), 'koppel-outway-provider-'));
  cleanup.push(() => rm(providerDir, { recursive: true, force: true }));
  const providerTxlog = await createTxLog({ kind: 'sqlite', dataDir: providerDir, peerId: OIN.provider, headIntervalMs: 0, clock: providerClock });
  cleanup.push(() => providerTxlog.close());

  const holder: { directory?: RunningPeer } = {};
  const directory = await startPeer(fed, {
    oin: OIN.directory,
    mode: 'directory',
    hooks: {
      // The directory co-signs service publications as they arrive (what the directory role does).
      async onContractReceived({ contract }) {
        const onlyPublications = contract.content.grants.every((g) => g.data.type === 'GRANT_TYPE_SERVICE_PUBLICATION');
        if (onlyPublications && holder.directory !== undefined) await holder.directory.manager.service.sign(contract.contentHash, 'accept');
      },
    },
  });
  holder.directory = directory;
  const dir = { address: directory.address, peerId: OIN.directory };
  const provider = await startPeer(fed, { oin: OIN.provider, directory: dir, clock: providerClock });
  const providerCert = fed.pki.peers[OIN.provider]!;
  const inway = createInway({
    config: {
      inway: { listen: { host: '127.0.0.1', port: 0 }, services: services.map((name) => ({ name, endpointUrl: service.url })) },
      ...(options.inwayTimeouts === undefined ? {} : { timeouts: options.inwayTimeouts }),
    },
    logger: log.logger.child({ component: 'inway' }),
    txlog: providerTxlog,
    clock: options.inwayClock ?? providerClock,
    tls: { ca: fed.pki.caPem, cert: providerCert.chainPem, key: providerCert.keyPem },
    peerId: OIN.provider,
    groupId: GROUP_ID,
    // As the peer assembly does: a token whose contract ended is refused.
    contracts: provider.store,
  });
  await inway.listen();
  cleanup.push(() => inway.close());
  for (const name of services) {
    await provider.store.putService({ name, endpointUrl: service.url, inwayAddress: inway.url, protocol: 'PROTOCOL_TCP_HTTP_1.1' });
  }
  const consumer = await startPeer(fed, { oin: OIN.consumer, directory: dir, storeKind });
  const delegator = options.withDelegator === true ? await startPeer(fed, { oin: OIN.delegator, directory: dir }) : undefined;
  const peers = [directory, provider, consumer, ...(delegator === undefined ? [] : [delegator])];
  cleanup.push(() => Promise.all(peers.map((p) => p.destroy())).then(() => undefined));

  // Every peer knows every other peer's manager address (fsc-core "Announce").
  for (const from of peers) {
    for (const to of peers) {
      if (from !== to) await from.manager.peerClient.announce(to.address);
    }
  }

  async function negotiate(submitter: RunningPeer, grants: GrantData[], signers: RunningPeer[]): Promise<ContractView> {
    const view = await submitter.manager.service.submitContract({ grants: grants.map((data) => ({ data })), validity: validity() });
    await submitter.manager.service.flushOutbox();
    for (const signer of signers) {
      await eventually(async () => ((await signer.manager.service.getContract(view.contentHash)) === undefined ? undefined : true));
      await signer.manager.service.sign(view.contentHash, 'accept');
      await signer.manager.service.flushOutbox();
    }
    for (const peer of [submitter, ...signers]) {
      await eventually(async () => ((await peer.manager.service.getContract(view.contentHash))?.state === 'valid' ? true : undefined));
    }
    return (await submitter.manager.service.getContract(view.contentHash))!;
  }

  // The provider publishes its services in the directory; the consumer connects to each.
  for (const name of services) {
    await negotiate(provider, [publicationGrant(OIN.provider, OIN.directory, name)], []);
  }
  const consumerCert = fed.pki.peers[OIN.consumer]!;
  const connections = new Map<string, ContractView>();
  for (const name of options.connect ?? services) {
    connections.set(name, await negotiate(consumer, [connectionGrant(consumerCert, OIN.provider, name)], [provider]));
  }

  // Consumer: transaction log and outway (on the manager's store).
  const consumerTxlogDir = await mkdtemp(join(tmpdir(), 'koppel-outway-consumer-'));
  cleanup.push(() => rm(consumerTxlogDir, { recursive: true, force: true }));
  const redisPrefix = `koppel-test-outway-${randomUUID()}`;
  const consumerTxlog =
    storeKind === 'sqlite'
      ? await createTxLog({ kind: 'sqlite', dataDir: join(consumerTxlogDir, 'txlog'), peerId: OIN.consumer, headIntervalMs: 0 })
      : await createTxLog({ kind: 'redis', url: REDIS_URL, groupId: GROUP_ID, peerId: OIN.consumer, keyPrefix: redisPrefix, headIntervalMs: 0 });
  if (storeKind === 'redis') cleanup.push(() => deleteRedisPrefix(redisPrefix));
  cleanup.push(() => consumerTxlog.close().catch(() => undefined));
  const tls = await loadPeerTls({ trustAnchorFile: fed.pki.caPath, certFile: consumerCert.certPath, keyFile: consumerCert.keyPath });
  const outway = createOutway({
    config: outwayConfig(fed, consumerCert, consumer.address, consumerTxlogDir, options.timeouts, options.outway),
    logger: log.logger,
    store: consumer.store,
    txlog: consumerTxlog,
    tls,
    ...(options.outwayClock === undefined ? {} : { clock: options.outwayClock }),
    ...(options.tuning === undefined ? {} : { tuning: options.tuning }),
  });
  await outway.listen();
  cleanup.push(() => outway.close());

  const client = new Agent({ keepAliveTimeout: 1_000 });
  cleanup.push(() => client.close());

  return {
    fed,
    log,
    service,
    directory,
    provider,
    consumer,
    delegator,
    inway,
    providerTxlog,
    consumerTxlog,
    consumerTxlogDir,
    outway,
    connections,
    client,
    call(path, requestOptions = {}) {
      return request(`${outway.url}${path}`, { ...requestOptions, dispatcher: client });
    },
    tokensIssued: () => log.find('access token issued').length,
    negotiate,
    async addService(name, inwayAddress) {
      await provider.store.putService({ name, endpointUrl: service.url, inwayAddress, protocol: 'PROTOCOL_TCP_HTTP_1.1' });
    },
    async close() {
      for (const fn of cleanup.reverse()) await fn();
      await fed.remove();
    },
  };
}

/** A raw HTTP/1.1 exchange (for what an HTTP client library will not send, e.g. `Connection: x-…`). */
export async function rawHttp(baseUrl: string, requestText: string): Promise<{ head: string; status: number; headers: Record<string, string>; body: string }> {
  const { hostname, port } = new URL(baseUrl);
  const raw = await new Promise<string>((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => socket.write(requestText));
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (data += d));
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
  const at = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, at);
  const [statusLine, ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { head, status: Number(statusLine?.split(' ')[1]), headers, body: raw.slice(at + 4) };
}

/** The JSON body of a response. */
export async function json<T = Record<string, unknown>>(res: Dispatcher.ResponseData): Promise<T> {
  return (await res.body.json()) as T;
}

/** The FSC error of a response: status, `Fsc-Error-Code` header and body fields. */
export async function fscErrorOf(res: Dispatcher.ResponseData): Promise<{ status: number; header: unknown; code: unknown; domain: unknown; body: Record<string, unknown> }> {
  const body = (await res.body.json()) as Record<string, unknown>;
  return { status: res.statusCode, header: res.headers['fsc-error-code'], code: body.code, domain: body.domain, body };
}
