// Wires the outway from its dependencies: `createOutway({ config, logger, store, txlog, tls, clock })`.
// `store` is the consumer manager's store (contracts, peers); `txlog` the peer's transaction log;
// `tls` the outway's own certificate (its public key is what connection grants name). Applications
// talk plain HTTP to it (HTTPS with `outway.tls`); towards inways and managers it speaks mTLS over one
// pooled keep-alive Agent, so a warm outway does no handshake per request.
import { readFile } from 'node:fs/promises';
import type { ServerOptions as HttpsServerOptions } from 'node:https';
import type { Agent } from 'undici';
import type { KoppelConfig } from '../../config/index.ts';
import { createUuidV7Generator, peerFromCertificate, publicKeyThumbprint } from '../protocol/index.ts';
import {
  createPeerAgent,
  LIMIT_DEFAULTS,
  listenerOptionsFrom,
  startHttpServer,
  type Logger,
  type Metrics,
  type PeerTlsMaterial,
  type RunningServer,
} from '../runtime/index.ts';
import { createCircuitBreaker, createConcurrencyLimit, createHop, type Hop } from '../hop/index.ts';
import type { ManagerStore } from '../store/index.ts';
import type { TxLog } from '../txlog/index.ts';
import { refuseConnect } from './connect-method.ts';
import { createGrantResolver, type GrantResolver } from './grant-resolver.ts';
import { addressStep, grantStep, limitStep, outwayLocals, targetStep, tokenStep, type OutwayLocals } from './steps.ts';
import { createTokenCache, type TokenCache } from './token-cache.ts';
import { createTokenClient } from './token-client.ts';

/** Data-path tuning; the defaults suit production, tests shorten them. */
export interface OutwayTuning {
  /** Longest the grant table (valid contracts) is used before the store is read again. Default 5 000. */
  grantCacheTtlMs: number;
  /**
   * Shortest interval between store reads caused by an unknown grant or service. Default 0: every
   * miss reads the store again (concurrent misses share one read), so a contract that just became
   * valid works on the first try. Raise it when applications often ask for what they cannot reach.
   */
  grantMissRefreshMs: number;
  /** Share of a token's lifetime after which it is refreshed in the background. Default 0.8. */
  tokenRefreshRatio: number;
  /** A token this close to its expiry is not used any more. Default 2 000. */
  tokenExpirySkewMs: number;
  /** Bodies up to this size are kept for a second attempt after a refused token. Default 65 536. */
  maxReplayBodyBytes: number;
  /**
   * Most keep-alive mTLS connections to one inway (or manager); further requests queue for a free one.
   * Default 64: unlimited, a burst of clients became a storm of TLS handshakes that slowed every
   * request (and timed out connects) instead of reusing warm connections.
   */
  maxConnectionsPerInway: number;
}

/**
 * How long the outway waits for an inway, given the timeout an inway (with the same setting) gives its
 * service: a quarter longer, and at least a second longer (the inway's own checks and its log write
 * come before its timer starts).
 */
export function upstreamTimeoutMs(serviceTimeoutMs: number): number {
  return Math.max(Math.round(serviceTimeoutMs * 1.25), serviceTimeoutMs + 1_000);
}

export const DEFAULT_OUTWAY_TUNING: Readonly<OutwayTuning> = Object.freeze({
  grantCacheTtlMs: 5_000,
  grantMissRefreshMs: 0,
  tokenRefreshRatio: 0.8,
  tokenExpirySkewMs: 2_000,
  maxReplayBodyBytes: 64 * 1024,
  maxConnectionsPerInway: 64,
});

export interface CreateOutwayOptions {
  config: KoppelConfig;
  logger: Logger;
  /** The consumer manager's store: contracts (valid ones authorise traffic) and peers. */
  store: ManagerStore;
  /** This peer's transaction log; a record is written before each request is forwarded. */
  txlog: Pick<TxLog, 'write' | 'writeCompletion'>;
  /** The outway's certificate, key and the group trust anchor. */
  tls: PeerTlsMaterial;
  /** Milliseconds since the epoch; default Date.now. */
  clock?: () => number;
  /** Our peer id; default the certificate's Subject serialNumber. */
  peerId?: string;
  /** Our group id; default `config.groupId`. */
  groupId?: string;
  /** The manager address of a peer; default the peers in `store` (learned from announcements and the directory). */
  resolvePeer?: (peerId: string) => Promise<string | undefined>;
  /** Request duration metrics (runtime `createMetrics`); none when left out. */
  metrics?: Metrics;
  tuning?: Partial<OutwayTuning>;
}

export interface Outway {
  /** The hop (its Node request listener serves every path). */
  readonly hop: Hop;
  /** Base URL of the listener (`http://127.0.0.1:8080`); throws before `listen()`. */
  readonly url: string;
  readonly peerId: string;
  /** Start the listener (idempotent: a second call returns the same server). */
  listen(): Promise<RunningServer>;
  /** Stop accepting, drain, close the pooled connections and the store subscription. Idempotent. */
  close(): Promise<void>;
}

export function createOutway(options: CreateOutwayOptions): Outway {
  const { config, store, txlog, tls } = options;
  const logger = options.logger.child({ component: 'outway' });
  const clock = options.clock ?? Date.now;
  const tuning: OutwayTuning = { ...DEFAULT_OUTWAY_TUNING, ...options.tuning };
  const peerId = options.peerId ?? peerFromCertificate(tls.certificate).peerId;
  const groupId = options.groupId ?? config.groupId;
  const resolvePeer = options.resolvePeer ?? (async (id: string) => (await store.getPeer(id))?.managerAddress);

  const agent: Agent = createPeerAgent(tls, config, { connections: tuning.maxConnectionsPerInway });
  const grants: GrantResolver = createGrantResolver({
    store,
    logger,
    clock,
    peerId,
    publicKeyThumbprint: publicKeyThumbprint(tls.certificate),
    hashScheme: config.hashScheme,
    ttlMs: tuning.grantCacheTtlMs,
    missRefreshMs: tuning.grantMissRefreshMs,
  });
  const tokens: TokenCache = createTokenCache({
    client: createTokenClient({
      dispatcher: agent,
      peerId,
      groupId,
      resolvePeer,
      headersTimeoutMs: config.timeouts.headersMs,
      bodyTimeoutMs: config.timeouts.bodyIdleMs,
    }),
    clock,
    logger,
    refreshRatio: tuning.tokenRefreshRatio,
    expirySkewMs: tuning.tokenExpirySkewMs,
  });

  const scheme: 'http' | 'https' = config.outway.tls === undefined ? 'http' : 'https';
  const hop = createHop<OutwayLocals>({
    name: 'outway',
    upstreamName: 'inway',
    domain: 'ERROR_DOMAIN_OUTWAY',
    direction: 'DIRECTION_OUTGOING',
    logger,
    txlog,
    clock,
    ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
    locals: outwayLocals,
    maxRequestBodyBytes: config.listeners?.maxRequestBodyBytes ?? LIMIT_DEFAULTS.maxRequestBodyBytes,
    steps: [
      addressStep(),
      grantStep({ grants, store, logger, scheme }),
      limitStep(
        createConcurrencyLimit({
          maxInFlight: config.outway.maxCallsPerService,
          maxQueued: config.outway.maxQueuedCallsPerService,
          maxWaitMs: config.outway.maxQueueWaitMs,
          domain: 'ERROR_DOMAIN_OUTWAY',
          what: 'service',
        }),
      ),
      tokenStep(tokens, grants),
      targetStep({
        agent,
        breaker: createCircuitBreaker({
          failuresToOpen: config.outway.inwayFailuresToOpen,
          openMs: config.outway.inwayOpenMs,
          maxOpenMs: Math.max(config.outway.inwayOpenMs, 60_000),
          clock,
        }),
        tokens,
        grants,
        logger,
        newTransactionId: createUuidV7Generator({ now: clock }),
        // A quarter longer than the same timeouts at the inway: with equal settings on both sides the
        // inway's own service timeout answers first, and the client learns whose timeout it was
        // (SERVICE_TIMEOUT from the inway) instead of "the inway did not respond".
        headersTimeoutMs: upstreamTimeoutMs(config.timeouts.headersMs),
        bodyTimeoutMs: upstreamTimeoutMs(config.timeouts.bodyIdleMs),
        maxReplayBodyBytes: tuning.maxReplayBodyBytes,
      }),
    ],
  });

  let server: RunningServer | undefined;
  let starting: Promise<RunningServer> | undefined;
  let closing: Promise<void> | undefined;

  async function appTls(): Promise<HttpsServerOptions | undefined> {
    const t = config.outway.tls;
    if (t === undefined) return undefined;
    const [cert, key] = await Promise.all([readFile(t.certificatePath, 'utf8'), readFile(t.keyPath, 'utf8')]);
    // Applications are not FSC peers: no client certificate, and TLS 1.2 for older clients.
    return { cert, key, minVersion: 'TLSv1.2' };
  }

  async function start(): Promise<RunningServer> {
    await grants.start();
    const httpsOptions = await appTls();
    const running = await startHttpServer({
      handler: hop.handle,
      listen: config.outway.listen,
      ...(httpsOptions === undefined ? {} : { tls: httpsOptions }),
      name: 'outway',
      logger,
      ...listenerOptionsFrom(config.listeners),
      errorDomain: 'ERROR_DOMAIN_OUTWAY',
    });
    running.server.on('connect', refuseConnect(logger));
    server = running;
    return running;
  }

  return {
    hop,
    peerId,
    get url(): string {
      if (server === undefined) throw new Error('the outway is not listening');
      return server.url;
    },
    listen() {
      if (closing !== undefined) return Promise.reject(new Error('the outway is closed'));
      starting ??= start();
      return starting;
    },
    close() {
      closing ??= (async () => {
        await starting?.catch(() => undefined);
        await server?.close();
        hop.close();
        await grants.close();
        await agent.close();
      })();
      return closing;
    },
  };
}
