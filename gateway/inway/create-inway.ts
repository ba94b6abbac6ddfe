/**
 * The inway: the provider's reverse proxy (DESIGN.md "A call, end to end", step 5–6), the hop of
 * gateway/hop with the inway's own steps (steps.ts): certificate → token → service → transaction
 * id → target, then the hop writes the record (fail closed) and forwards. The service's answer
 * streams back unaltered, whatever its status (fsc-core "Inway > Error response").
 */
import { Counter } from 'prom-client';
import type { Agent } from 'undici';
import {
  createAccessTokenVerifier,
  type AccessTokenKeyInput,
  type AccessTokenVerifier,
  type CertificateInput,
} from '../protocol/index.ts';
import {
  createMetrics,
  createServerTlsOptions,
  LIMIT_DEFAULTS,
  listenerOptionsFrom,
  startHttpServer,
  type Logger,
  type Metrics,
  type RunningServer,
  type ListenerSettings,
  type ServerTimeouts,
  type TlsMinVersion,
} from '../runtime/index.ts';
import { createHop, createUpstreamAgent, type Hop } from '../hop/index.ts';
import type { ManagerStore } from '../store/index.ts';
import type { TxLog } from '../txlog/index.ts';
import { createServiceResolver } from './service-resolver.ts';
import type { ServiceResolver } from './service-resolver.ts';
import { createContractCheck, type ContractCheck, type ContractSource } from './contract-check.ts';
import {
  certificateStep,
  inwayLocals,
  serviceStep,
  targetStep,
  tokenStep,
  transactionIdStep,
  type InwayLocals,
  type InwayStep,
} from './steps.ts';

const DOMAIN = 'ERROR_DOMAIN_INWAY';

/** The parts of the Koppel configuration the inway reads (a full `KoppelConfig` fits). */
export interface InwayConfig {
  inway: {
    listen: { host: string; port: number };
    /** The inway's public address (token `aud`); only informational here. */
    publicAddress?: string | undefined;
    services?: readonly { name: string; endpointUrl: string }[];
  };
  /** Outgoing (inway → service) timeouts in milliseconds. */
  timeouts?: { connectMs?: number; headersMs?: number; bodyIdleMs?: number };
  tls?: { minVersion?: TlsMinVersion };
  /** Limits of the mTLS listener; omitted: those of `startHttpServer`. */
  listeners?: ListenerSettings;
}

/** Options of {@link createInway}. */
export interface CreateInwayOptions {
  config: InwayConfig;
  logger: Logger;
  /** Where records are written; `write` must resolve only once the record is durable. */
  txlog: Pick<TxLog, 'write' | 'writeCompletion'>;
  /** Services added through the admin API (looked up after `config.inway.services`). */
  store?: Pick<ManagerStore, 'getService'>;
  /**
   * The provider manager's contracts: with it, a token whose contract is no longer valid (revoked,
   * rejected, expired) is refused within a second (contract-check.ts). The peer assembly always
   * passes it; tests of the token rules alone may leave it out.
   */
  contracts?: ContractSource;
  /** Unix milliseconds; default `Date.now`. */
  clock?: () => number;
  /** This peer's TLS material: group trust anchor, certificate chain and key (PEM). */
  tls: { ca: string | Buffer; cert: string | Buffer; key: string | Buffer };
  /** Our peer id: tokens must be issued (`iss`) by it. */
  peerId: string;
  /** Our group id: tokens with another `gid` are refused (403). */
  groupId: string;
  /**
   * Certificate(s) or key(s) of our manager's token signing key. Default: the peer certificate in
   * `tls.cert` (the manager signs tokens with the peer key).
   */
  tokenKeys?: AccessTokenKeyInput | CertificateInput | readonly (AccessTokenKeyInput | CertificateInput)[];
  /** Overrides the resolver built from `config.inway.services` and `store`. */
  services?: ServiceResolver;
  /** Allowed clock skew for `exp`/`nbf`, seconds; default 0. */
  clockToleranceSeconds?: number;
  /** When set, tokens must carry exactly this `aud` (FSC does not require the check). */
  audience?: string;
  /** Extra trust anchors (PEM) for https service endpoints with a private CA. */
  serviceCa?: string | Buffer;
  /** Listener timeouts (see `startHttpServer`). */
  serverTimeouts?: ServerTimeouts;
}

/** A running (or ready to run) inway. */
export interface Inway {
  /** Start listening; resolves with the base URL. Idempotent. */
  listen(): Promise<string>;
  /** Stop accepting, drain in-flight requests, close the pooled service connections. Idempotent. */
  close(): Promise<void>;
  /** `https://host:port` once listening; throws before. */
  readonly url: string;
  /** The inway's Prometheus registry (serve it on the admin listener, never on the proxy port). */
  readonly metrics: Metrics;
  /** The hop (its Node request listener serves every path). */
  readonly hop: Hop;
}

function defaultTokenKeys(cert: string | Buffer): CertificateInput {
  // The leaf is the first certificate of the chain file.
  const pem = typeof cert === 'string' ? cert : cert.toString('utf8');
  const leaf = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0];
  if (leaf === undefined) throw new TypeError('tls.cert holds no PEM certificate');
  return leaf;
}

/** Build the inway from its dependencies; call `listen()` to open the mTLS port. */
export function createInway(options: CreateInwayOptions): Inway {
  const { config, logger, txlog } = options;
  const clock = options.clock ?? Date.now;
  const verifier: AccessTokenVerifier = createAccessTokenVerifier({
    keys: (options.tokenKeys ?? defaultTokenKeys(options.tls.cert)) as
      AccessTokenKeyInput | readonly AccessTokenKeyInput[],
    groupId: options.groupId,
    issuer: options.peerId,
    ...(options.audience === undefined ? {} : { audience: options.audience }),
    ...(options.clockToleranceSeconds === undefined ? {} : { clockToleranceSeconds: options.clockToleranceSeconds }),
  });
  const resolver =
    options.services ??
    createServiceResolver({
      ...(config.inway.services === undefined ? {} : { services: config.inway.services }),
      ...(options.store === undefined ? {} : { store: options.store }),
      clock,
    });
  const t = config.timeouts ?? {};
  const agent: Agent = createUpstreamAgent({
    ...(t.connectMs === undefined ? {} : { connectTimeoutMs: t.connectMs }),
    ...(t.headersMs === undefined ? {} : { headersTimeoutMs: t.headersMs }),
    ...(t.bodyIdleMs === undefined ? {} : { bodyTimeoutMs: t.bodyIdleMs }),
    ...(options.serviceCa === undefined ? {} : { ca: options.serviceCa }),
  });

  const metrics = createMetrics({ component: 'inway' });
  const requests = new Counter({
    name: 'koppel_inway_requests_total',
    help: 'Requests handled by the inway, by service and outcome (OK or the Fsc-Error-Code).',
    labelNames: ['service', 'outcome'],
    registers: [metrics.registry],
  });

  const contractCheck: ContractCheck | undefined =
    options.contracts === undefined ? undefined : createContractCheck({ contracts: options.contracts, clock });
  const steps: InwayStep[] = [certificateStep(), tokenStep({ verifier, clock })];
  if (contractCheck !== undefined) steps.push(contractCheck.step);
  steps.push(serviceStep(resolver), transactionIdStep(), targetStep({ agent }));

  const hop = createHop<InwayLocals>({
    name: 'inway',
    upstreamName: 'service',
    domain: DOMAIN,
    direction: 'DIRECTION_INCOMING',
    logger,
    txlog,
    clock,
    metrics,
    locals: inwayLocals,
    steps,
    maxRequestBodyBytes: config.listeners?.maxRequestBodyBytes ?? LIMIT_DEFAULTS.maxRequestBodyBytes,
    observe: (call) => requests.inc({ service: call.service ?? '_none', outcome: call.errorCode ?? 'OK' }),
  });

  let server: RunningServer | undefined;
  let listening: Promise<string> | undefined;
  let closing: Promise<void> | undefined;

  async function start(): Promise<string> {
    // The change channel first: a revocation announced from now on reaches the contract check.
    await contractCheck?.start();
    const running = await startHttpServer({
      handler: hop.handle,
      listen: config.inway.listen,
      tls: createServerTlsOptions({
        ca: options.tls.ca,
        cert: options.tls.cert,
        key: options.tls.key,
        ...(config.tls?.minVersion === undefined ? {} : { minVersion: config.tls.minVersion }),
      }),
      name: 'inway',
      logger,
      ...listenerOptionsFrom(config.listeners, options.serverTimeouts),
      errorDomain: 'ERROR_DOMAIN_INWAY',
    });
    server = running;
    return running.url;
  }

  function listen(): Promise<string> {
    if (closing !== undefined) return Promise.reject(new Error('inway is closed'));
    listening ??= start();
    return listening;
  }

  function close(): Promise<void> {
    closing ??= (async () => {
      if (listening !== undefined) {
        await listening.catch(() => undefined);
        await server?.close();
      }
      hop.close();
      await contractCheck?.close();
      await agent.close();
    })();
    return closing;
  }

  return {
    listen,
    close,
    get url(): string {
      if (server === undefined) throw new Error('inway is not listening');
      return server.url;
    },
    metrics,
    hop,
  };
}
