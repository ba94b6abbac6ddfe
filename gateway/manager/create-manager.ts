// Wires the manager from its dependencies: `createManager({ config, logger, store, tls, clock })`.
// The app can be used without listening (tests, the admin API); `listen()` starts the mTLS server,
// the outbox worker and the announcement to the directory; `close()` stops all of it.
import { createPrivateKey } from 'node:crypto';
import type { Hono } from 'hono';
import type { Agent, Dispatcher } from 'undici';
import type { KoppelConfig } from '../../config/index.ts';
import { FscError, peerFromCertificate } from '../protocol/index.ts';
import type { SignatureType } from '../protocol/index.ts';
import { createPeerAgent, createServerTlsOptions, listenerOptionsFrom, startHttpServer } from '../runtime/index.ts';
import type { Logger, PeerTlsMaterial, RunningServer } from '../runtime/index.ts';
import type {
  ListContractsOptions,
  ListPeersOptions,
  ManagerStore,
  OutboxItem,
  Page,
  PeerRecord,
} from '../store/index.ts';
import { createManagerApp, type ManagerAppOptions } from './app.ts';
import { defaultBackoff } from './outbox/backoff.ts';
import { parsePemCertificates, trustAnchorsFromPem } from '../protocol/index.ts';
import { createCertificateResolver } from './peers/certificate-resolver.ts';
import { createContractService } from './contracts/contract-service.ts';
import type { ManagerEnv } from './http-context.ts';
import { buildJwks, type JsonWebKeySet } from './peers/jwks.ts';
import { createDelivery } from './outbox/delivery.ts';
import { enqueueAnnounce } from './outbox/messages.ts';
import { createOutboxWorker } from './outbox/worker.ts';
import { createPeerClient, type PeerClient } from './peers/peer-client.ts';
import { createPeerDirectory } from './peers/peer-directory.ts';
import { createServiceListing, type ServiceListing, type ServiceQuery } from './services/listing.ts';
import { createSignatureVerifier } from './contracts/signature-verifier.ts';
import type { Clock, ContractDraft, ContractView, ManagerHooks, SelfIdentity } from './types.ts';

/** Outbox timing; defaults suit production, tests shorten them. */
export interface OutboxSettings {
  baseDelayMs: number;
  maxDelayMs: number;
  pollIntervalMs: number;
  batchSize: number;
}

export interface CreateManagerOptions {
  config: KoppelConfig;
  logger: Logger;
  store: ManagerStore;
  /** The peer's TLS material (see runtime `loadPeerTls`). */
  tls: PeerTlsMaterial;
  /** Milliseconds since the epoch; default Date.now. */
  clock?: Clock;
  hooks?: ManagerHooks;
  outbox?: Partial<OutboxSettings>;
  /** Dispatcher for calls to other managers; default an mTLS Agent from `tls` (closed by `close()`). */
  dispatcher?: Dispatcher;
  /** The peer's transaction log: when given, GET /v1/logs (fsc-logging) is served. Not closed by `close()`. */
  txlog?: ManagerAppOptions['txlog'];
}

/** The manager's own operations, for the admin API, the CLI and the directory role. */
export interface ManagerService {
  readonly peerId: string;
  readonly peerName: string;
  /** Create a contract as initiator: sign `accept`, store, and send it to every other peer. */
  submitContract(draft: ContractDraft): Promise<ContractView>;
  /** Place our `accept`, `reject` or `revoke` signature and send it to every other peer. */
  sign(contentHash: string, type: SignatureType): Promise<ContractView>;
  getContract(contentHash: string): Promise<ContractView | undefined>;
  /** All contracts in the store (no peer filter: this is the operator's view). */
  listContracts(options: ListContractsOptions): Promise<{ contracts: ContractView[]; nextCursor?: string }>;
  listPeers(options: ListPeersOptions): Promise<Page<PeerRecord>>;
  listServices(query: ServiceQuery): Promise<{ services: ServiceListing[]; nextCursor?: string }>;
  /** Undelivered outbox items, optionally of one peer. */
  pendingDeliveries(peerId?: string): Promise<OutboxItem[]>;
  /** Deliver everything that is due now and wait for it (tests, a CLI "sync"). */
  flushOutbox(): Promise<void>;
  /**
   * Make waiting deliveries (of one peer, or all) due now and deliver them, e.g. when an operator
   * knows a peer is back; resolves when this round is done. Returns how many were rescheduled.
   */
  retryDeliveriesNow(peerId?: string): Promise<number>;
  jwks(): Promise<JsonWebKeySet>;
}

export interface Manager {
  readonly app: Hono<ManagerEnv>;
  readonly service: ManagerService;
  /** Our public address (config `manager.publicAddress`), sent as Fsc-Manager-Address. */
  readonly publicAddress: string;
  /** Client for other managers, with our certificate (also for the directory role). */
  readonly peerClient: PeerClient;
  /** Start the mTLS server, the outbox worker and the announcement to the directory. */
  listen(): Promise<RunningServer>;
  /** Idempotent. Does not close the store (the caller owns it). */
  close(): Promise<void>;
}

/** Where the manager remembers the address it last ran with, to notice a change. */
const OWN_ADDRESS_KEY = 'manager:own-address';

const DEFAULT_OUTBOX: OutboxSettings = {
  ...defaultBackoff,
  pollIntervalMs: 2_000,
  batchSize: 32,
};

export function createManager(options: CreateManagerOptions): Manager {
  const { config, logger: parentLogger, store, tls } = options;
  const logger = parentLogger.child({ component: 'manager' });
  const clock: Clock = options.clock ?? Date.now;
  const hooks = options.hooks ?? {};
  const outboxSettings: OutboxSettings = { ...DEFAULT_OUTBOX, ...options.outbox };

  const certificate = peerFromCertificate(tls.certificate);
  const self: SelfIdentity = {
    peerId: certificate.peerId,
    name: config.peer.name ?? certificate.name,
    chain: parsePemCertificates(tls.cert),
    privateKey: createPrivateKey(tls.key),
  };
  const anchors = trustAnchorsFromPem(tls.ca);
  const publicAddress = config.manager.publicAddress;

  // Our own agent unless the caller lends one; only our own is closed by close().
  const ownedAgent: Agent | undefined = options.dispatcher === undefined ? createPeerAgent(tls, config) : undefined;
  const dispatcher: Dispatcher = options.dispatcher ?? (ownedAgent as Agent);
  const peerClient = createPeerClient({
    dispatcher,
    ownAddress: publicAddress,
    headersTimeoutMs: config.timeouts.headersMs,
    bodyTimeoutMs: config.timeouts.bodyIdleMs,
  });

  const directoryAddress = config.manager.mode === 'directory' ? undefined : config.manager.directoryAddress;
  const peerDirectory = createPeerDirectory({
    store,
    peerClient,
    logger,
    clock,
    directoryAddress,
    directoryPeerId: config.manager.directoryPeerId,
  });
  const worker = createOutboxWorker({
    store,
    logger,
    clock,
    deliver: createDelivery({ peerClient, peerDirectory }),
    backoff: { baseDelayMs: outboxSettings.baseDelayMs, maxDelayMs: outboxSettings.maxDelayMs },
    pollIntervalMs: outboxSettings.pollIntervalMs,
    batchSize: outboxSettings.batchSize,
  });

  const certificates = createCertificateResolver({ store, peerClient, anchors, clock, logger });
  const contracts = createContractService({
    store,
    logger,
    clock,
    groupId: config.groupId,
    hashScheme: config.hashScheme,
    self,
    verifier: createSignatureVerifier(certificates),
    hooks,
    onEnqueued: () => worker.kick(),
  });
  const selfRecord: PeerRecord = { id: self.peerId, name: self.name, managerAddress: publicAddress, seenAt: 0 };
  const services = createServiceListing({ store, clock, self: selfRecord });

  let jwksCache: Promise<JsonWebKeySet> | undefined;
  const jwks = (): Promise<JsonWebKeySet> => (jwksCache ??= buildJwks([self.chain], anchors));

  const inwayServices = new Set(config.inway.services.map((s) => s.name));
  const inwayAddress = config.inway.publicAddress;
  const app = createManagerApp({
    logger,
    store,
    clock,
    self,
    contracts,
    services,
    certificates,
    jwks,
    maxBodyBytes: config.manager.maxBodyBytes,
    txlog: options.txlog,
    token: {
      store,
      logger,
      clock,
      groupId: config.groupId,
      hashScheme: config.hashScheme,
      self,
      lifetimeSeconds: config.manager.tokenLifetimeSeconds,
      maxBodyBytes: config.manager.maxBodyBytes,
      inwayAddressFallback: (name) =>
        inwayAddress !== undefined && inwayServices.has(name) ? inwayAddress : undefined,
    },
  });

  const service: ManagerService = {
    peerId: self.peerId,
    peerName: self.name,
    submitContract: (draft) => contracts.submitContract(draft),
    sign: (hash, type) => contracts.sign(hash, type),
    getContract: (hash) => contracts.getContract(hash),
    listContracts: (listOptions) => contracts.listContracts(listOptions),
    listPeers: (listOptions) => store.listPeers(listOptions),
    listServices: (query) => services.list(query),
    pendingDeliveries: (peerId) => store.pending(peerId),
    flushOutbox: () => worker.drain(),
    async retryDeliveriesNow(peerId) {
      const items = await store.pending(peerId);
      const now = clock();
      let rescheduled = 0;
      for (const item of items) {
        if (item.leasedUntil !== undefined || item.nextAttemptAt <= now) continue;
        if (await store.retry(item.id, now, item.attempts, item.lastError ?? 'rescheduled')) rescheduled++;
      }
      await worker.drain();
      return rescheduled;
    },
    jwks,
  };

  let server: RunningServer | undefined;
  let closing: Promise<void> | undefined;

  async function announce(): Promise<void> {
    const enqueue = { store, selfPeerId: self.peerId, now: clock() };
    if (directoryAddress !== undefined) {
      // fsc-core "Announce": "Each Peer MUST call the announce endpoint of a Directory". Through the
      // outbox, so a directory that is down at our start still learns our address when it is back.
      await enqueueAnnounce(enqueue, config.manager.directoryPeerId ?? 'directory', directoryAddress);
    }
    // "… a Manager SHOULD call the announce endpoint of the Peers with whom the Peer has negotiated
    // Contracts when the address of Manager changes."
    const previous = await store.kvGet(OWN_ADDRESS_KEY);
    if (previous !== undefined && previous !== publicAddress) {
      let cursor: string | undefined;
      do {
        const page = await store.listPeers({ limit: 1000, ...(cursor === undefined ? {} : { cursor }) });
        for (const peer of page.items) await enqueueAnnounce(enqueue, peer.id, peer.managerAddress);
        cursor = page.nextCursor;
      } while (cursor !== undefined);
      logger.info({ previous, publicAddress }, 'manager address changed, announcing to known peers');
    }
    if (previous !== publicAddress) await store.kvSet(OWN_ADDRESS_KEY, publicAddress);
  }

  return {
    app,
    service,
    publicAddress,
    peerClient,
    async listen() {
      if (closing !== undefined) throw new FscError('ERROR_CODE_SERVICE_UNAVAILABLE', 'the manager is closed');
      if (server !== undefined) return server;
      server = await startHttpServer({
        app,
        listen: config.manager.listen,
        tls: createServerTlsOptions({ ca: tls.ca, cert: tls.cert, key: tls.key, minVersion: config.tls.minVersion }),
        name: 'manager',
        logger,
        ...listenerOptionsFrom(config.listeners),
        errorDomain: 'ERROR_DOMAIN_MANAGER',
      });
      await announce();
      worker.start();
      return server;
    },
    close() {
      closing ??= (async () => {
        await worker.close();
        await server?.close();
        await ownedAgent?.close();
      })();
      return closing;
    },
  };
}
