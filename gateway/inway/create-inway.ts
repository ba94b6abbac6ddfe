/**
 * The inway: the provider's reverse proxy (DESIGN.md "A call, end to end", step 5–6).
 *
 * Per request, in this order: the TLS handshake already required a client certificate chaining to
 * the group trust anchor (Inway-Incoming-Request-4); the access token is verified and bound to that
 * certificate (fsc-core "Inway > Authorization"); the service named in `svc` must be ours; the
 * outway's `Fsc-Transaction-Id` must be present and valid; the log record is written and durable
 * (fsc-logging "Inway": deny the request when it cannot be written); only then is the request
 * forwarded to the service, path and query unchanged, `Fsc-Authorization` kept (fsc-core "Inway >
 * Routing"), `Fsc-Transaction-Id` and a child `traceparent` added. The service's answer streams back
 * unaltered, whatever its status (fsc-core "Inway > Error response").
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Hono, type Context } from 'hono';
import { Counter } from 'prom-client';
import type { Agent } from 'undici';
import {
  FSC_AUTHORIZATION,
  FSC_TRANSACTION_ID,
  FscError,
  TRACEPARENT,
  isFscError,
  parseTraceparent,
  createAccessTokenVerifier,
  type AccessTokenKeyInput,
  type AccessTokenVerifier,
  type CertificateInput,
} from '../protocol/index.ts';
import {
  UpstreamFailure,
  childTraceparent,
  createErrorHandler,
  createMetrics,
  createServerTlsOptions,
  createUpstreamAgent,
  formatTraceparent,
  forward,
  fscErrorResponse,
  onResponseDone,
  peerCertificate,
  requestBodyOf,
  requestHeadersForUpstream,
  responseFromUpstream,
  setTransactionId,
  startHttpServer,
  transactionIdOf,
  type ForwardErrorCodes,
  type Logger,
  type Metrics,
  type RunningServer,
  type ServerTimeouts,
  type TlsMinVersion,
} from '../runtime/index.ts';
import type { ManagerStore } from '../store/index.ts';
import type { TxLog } from '../txlog/index.ts';
import { authorizeRequest } from './authorize.ts';
import { incomingLogRecord } from './log-record.ts';
import { createServiceResolver, type ServiceResolver } from './service-resolver.ts';
import { readTransactionId } from './transaction-id.ts';
import { parseEndpoint, upstreamTarget, type ParsedEndpoint } from './upstream-target.ts';

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
}

/** Options of {@link createInway}. */
export interface CreateInwayOptions {
  config: InwayConfig;
  logger: Logger;
  /** Where records are written; `write` must resolve only once the record is durable. */
  txlog: Pick<TxLog, 'write' | 'writeCompletion'>;
  /** Services added through the admin API (looked up after `config.inway.services`). */
  store?: Pick<ManagerStore, 'getService'>;
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
  /** The hono app (the proxy endpoint `/`, every path). */
  readonly app: Hono<InwayEnv>;
}

/** Hono environment of the inway app. */
export type InwayEnv = {
  Bindings: { incoming: IncomingMessage; outgoing: ServerResponse };
  Variables: {
    transactionId?: string;
    service?: string;
    outwayPeerId?: string;
    errorCode?: string;
  };
};

const UPSTREAM_ERRORS: ForwardErrorCodes = {
  domain: DOMAIN,
  unreachable: 'ERROR_CODE_SERVICE_UNREACHABLE',
  timeout: 'ERROR_CODE_SERVICE_TIMEOUT',
  upstreamName: 'service',
};

// Node joins repeated fields into one string (`set-cookie` aside), so this is the field's value.
function headerOf(incoming: IncomingMessage, name: string): string | undefined {
  const value = incoming.headers[name];
  return typeof value === 'string' ? value : value?.join(', ');
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
    keys: (options.tokenKeys ?? defaultTokenKeys(options.tls.cert)) as AccessTokenKeyInput | readonly AccessTokenKeyInput[],
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

  const endpoints = new Map<string, ParsedEndpoint>();
  function endpointOf(url: string): ParsedEndpoint {
    let parsed = endpoints.get(url);
    if (parsed === undefined) {
      parsed = parseEndpoint(url);
      if (endpoints.size > 1_000) endpoints.clear();
      endpoints.set(url, parsed);
    }
    return parsed;
  }

  const fallbackErrorHandler = createErrorHandler({ logger, domain: DOMAIN });

  const app = new Hono<InwayEnv>();

  // One info line per request, written when the response has really ended. No path: a path may
  // carry a data subject (a BSN in a registry URL); no purpose headers either.
  app.use(async function inwayRequestLog(c, next) {
    const started = performance.now();
    await next();
    onResponseDone(c, (aborted) => {
      const service = c.get('service');
      const errorCode = c.get('errorCode');
      requests.inc({ service: service ?? '_none', outcome: errorCode ?? 'OK' });
      const fields: Record<string, unknown> = {
        method: c.req.method,
        status: c.res.status,
        durationMs: Math.round((performance.now() - started) * 100) / 100,
        transactionId: transactionIdOf(c),
        service,
        outwayPeerId: c.get('outwayPeerId'),
      };
      if (errorCode !== undefined) fields.code = errorCode;
      if (aborted) fields.aborted = true;
      logger.info(fields, 'request completed');
    });
  });
  app.use(metrics.middleware);

  app.all('*', async function inwayProxy(c) {
    const incoming = c.env.incoming;
    const started = performance.now();

    const claims = await authorizeRequest(verifier, headerOf(incoming, FSC_AUTHORIZATION), peerCertificate(c), clock());
    c.set('outwayPeerId', claims.sub);
    const service = await resolver.resolve(claims.svc);
    if (service === undefined) {
      throw new FscError('ERROR_CODE_SERVICE_NOT_FOUND', 'the service in the access token is not offered by this inway', { domain: DOMAIN });
    }
    c.set('service', claims.svc);

    const transactionId = readTransactionId(headerOf(incoming, FSC_TRANSACTION_ID));
    setTransactionId(c, transactionId);
    const target = upstreamTarget(endpointOf(service.endpointUrl), incoming.url);
    const trace = childTraceparent(parseTraceparent(headerOf(incoming, TRACEPARENT)));

    // fsc-logging "Inway": write the record, durably, before the service sees anything; a failure
    // denies the request.
    try {
      await txlog.write(incomingLogRecord({ transactionId, claims, nowMs: clock(), trace }));
    } catch (err) {
      throw new FscError('TRANSACTION_LOG_WRITE_ERROR', 'the transaction log record could not be written', {
        domain: DOMAIN,
        cause: err,
        reason: isFscError(err) && err.reason !== undefined ? err.reason : 'store-unavailable',
      });
    }
    onResponseDone(c, () => {
      const errorCode = c.get('errorCode');
      txlog
        .writeCompletion({
          transaction_id: transactionId,
          direction: 'DIRECTION_INCOMING',
          status: c.res.status,
          duration_ms: Math.round(performance.now() - started),
          ...(errorCode === undefined ? {} : { error_code: errorCode }),
        })
        .catch((err: unknown) => logger.warn({ transactionId, err }, 'transaction log completion not written'));
    });

    const headers = requestHeadersForUpstream(incoming.rawHeaders, {
      forwarded: { for: incoming.socket.remoteAddress, proto: 'https', host: incoming.headers.host },
      add: { [FSC_TRANSACTION_ID]: transactionId, [TRACEPARENT]: formatTraceparent(trace) },
    });
    const upstream = await forward({
      agent,
      origin: target.origin,
      method: c.req.method,
      path: target.path,
      headers,
      body: requestBodyOf(incoming),
      signal: c.req.raw.signal,
      errors: UPSTREAM_ERRORS,
    });
    return responseFromUpstream(upstream, {
      method: c.req.method,
      add: { [FSC_TRANSACTION_ID]: transactionId },
      onBodyError: (err) => logger.warn({ transactionId, service: claims.svc, err }, 'service response body failed'),
      downstream: c.env.outgoing,
    });
  });

  app.onError(function inwayErrorBoundary(err: Error, c: Context<InwayEnv>) {
    if (!isFscError(err)) return fallbackErrorHandler(err, c);
    c.set('errorCode', err.code);
    const transactionId = transactionIdOf(c);
    if (err instanceof UpstreamFailure && c.req.raw.signal.aborted) {
      // The outway went away and took the service call with it: nobody reads this answer.
      logger.info({ transactionId, service: c.get('service'), reason: 'client-aborted' }, 'request aborted');
    } else if (err instanceof UpstreamFailure) {
      logger.warn({ transactionId, service: c.get('service'), code: err.code, kind: err.kind, upstreamCode: err.upstreamCode }, 'service call failed');
    } else if (err.status >= 500) {
      logger.error({ transactionId, code: err.code, reason: err.reason, err }, 'request failed');
    }
    // 4xx are the peer's doing: the request line (info) carries the code; the reason goes to debug.
    else logger.debug({ transactionId, code: err.code, reason: err.reason }, 'request rejected');
    return fscErrorResponse(err, transactionId);
  });

  let server: RunningServer | undefined;
  let listening: Promise<string> | undefined;
  let closing: Promise<void> | undefined;

  function listen(): Promise<string> {
    if (closing !== undefined) return Promise.reject(new Error('inway is closed'));
    listening ??= startHttpServer({
      app,
      listen: config.inway.listen,
      tls: createServerTlsOptions({
        ca: options.tls.ca,
        cert: options.tls.cert,
        key: options.tls.key,
        ...(config.tls?.minVersion === undefined ? {} : { minVersion: config.tls.minVersion }),
      }),
      name: 'inway',
      logger,
      ...(options.serverTimeouts === undefined ? {} : { timeouts: options.serverTimeouts }),
    }).then((running) => {
      server = running;
      return running.url;
    });
    return listening;
  }

  function close(): Promise<void> {
    closing ??= (async () => {
      if (listening !== undefined) {
        await listening.catch(() => undefined);
        await server?.close();
      }
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
    app,
  };
}
