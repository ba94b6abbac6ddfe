// One request through the outway (DESIGN.md "A call, end to end"; fsc-core "Outway"; fsc-logging
// "Outway"):
//   address → purpose headers → grant → access token → transaction id → log record (durable) →
//   forward to the token's `aud` over pooled mTLS → stream the answer back.
// Nothing reaches the inway unless the record is on durable storage (fsc-logging: "The Outway MUST
// deny the request if the record to the TransactionLog could not be written").
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import type { Context } from 'hono';
import type { Dispatcher } from 'undici';
import {
  FSC_AUTHORIZATION,
  FSC_ERROR_CODE,
  FSC_GRANT_HASH,
  FSC_TRANSACTION_ID,
  FscError,
  TRACEPARENT,
  isPeerId,
  isServiceName,
  parseTraceparent,
  purposeHeaders,
  readPurposeHeaders,
} from '../protocol/index.ts';
import type { TraceParent } from '../protocol/index.ts';
import {
  UpstreamFailure,
  childTraceparent,
  formatTraceparent,
  forward,
  fscErrorResponse,
  onResponseDone,
  requestHeadersForUpstream,
  responseFromUpstream,
  setTransactionId,
} from '../runtime/index.ts';
import type { ForwardedResponse, Logger } from '../runtime/index.ts';
import type { ManagerStore } from '../store/index.ts';
import type { TxLog } from '../txlog/index.ts';
import type { GrantResolver } from './grant-resolver.ts';
import type { GrantEntry } from './grant-table.ts';
import { errorWithListing, listReachable } from './reachable-services.ts';
import { isReplayable, prepareBody, type OutgoingBody } from './request-body.ts';
import { parseServiceAddress, type ServiceAddress } from './service-address.ts';
import type { AccessToken } from './token-client.ts';
import type { TokenCache } from './token-cache.ts';
import { transactionRecord } from './transaction-record.ts';

export interface ProxyHandlerOptions {
  logger: Logger;
  store: ManagerStore;
  txlog: TxLog;
  clock: () => number;
  grants: GrantResolver;
  tokens: TokenCache;
  /** Pooled keep-alive mTLS dispatcher to inways. */
  agent: Dispatcher;
  newTransactionId: () => string;
  /** `http` or `https`: how applications reach us (for the friendly URLs in listings). */
  scheme: () => 'http' | 'https';
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  maxReplayBodyBytes: number;
}

const DOMAIN = 'ERROR_DOMAIN_OUTWAY';

const FORWARD_ERRORS = {
  domain: DOMAIN,
  unreachable: 'ERROR_CODE_INWAY_UNREACHABLE',
  timeout: 'ERROR_CODE_SERVICE_TIMEOUT',
  upstreamName: 'the inway',
} as const;

/** The inway's answers that mean "get a new token" (fsc-core Inway "Codes"). */
const TOKEN_REJECTIONS: ReadonlySet<string> = new Set(['ERROR_CODE_ACCESS_TOKEN_EXPIRED', 'ERROR_CODE_ACCESS_TOKEN_INVALID']);

// Never sent to the other organisation: purpose metadata stays in our own log (DESIGN.md "Transaction
// log"), the routing header is ours, and the FSC headers are set by us alone, whatever the client sent.
const REMOVE_UPSTREAM: readonly string[] = [
  ...Object.keys(purposeHeaders),
  FSC_GRANT_HASH,
  FSC_AUTHORIZATION,
  FSC_TRANSACTION_ID,
  TRACEPARENT,
];

function incomingOf(c: Context): IncomingMessage {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (incoming === undefined) throw new FscError('ERROR_CODE_INTERNAL', 'the outway runs only on its own listener', { domain: DOMAIN });
  return incoming;
}

function bodyStream(body: OutgoingBody): Readable | null {
  switch (body.kind) {
    case 'none':
      return null;
    case 'buffered':
      return Readable.from([body.bytes], { objectMode: false });
    case 'stream':
      return body.source;
  }
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

export function createProxyHandler(options: ProxyHandlerOptions): (c: Context) => Promise<Response> {
  const { logger, store, txlog, clock, grants, tokens } = options;

  function baseUrl(incoming: IncomingMessage): string {
    const host = incoming.headers.host;
    return `${options.scheme()}://${host ?? 'localhost'}`;
  }

  async function noGrant(c: Context, err: FscError): Promise<Response> {
    const services = await listReachable(await grants.reachable(), store, baseUrl(incomingOf(c)));
    logger.info({ method: c.req.method, code: err.code, status: err.status }, 'request rejected');
    return errorWithListing(err, services);
  }

  async function resolve(address: ServiceAddress): Promise<GrantEntry | FscError> {
    if (address.kind === 'grant') {
      const entry = await grants.byHash(address.grantHash);
      return (
        entry ??
        new FscError('ERROR_CODE_GRANT_NOT_FOUND', 'this outway has no valid contract with the grant named in Fsc-Grant-Hash', {
          domain: DOMAIN,
        })
      );
    }
    const entry = await grants.forService(address.providerPeerId, address.serviceName);
    if (entry !== undefined) return entry;
    // Name what was asked for only when it has the shape of a peer id and a service name: the path is
    // the client's input, echoed back.
    const named = isPeerId(address.providerPeerId) && isServiceName(address.serviceName);
    return new FscError(
      'ERROR_CODE_NO_GRANT',
      named
        ? `this outway has no valid contract for service ${address.serviceName} of peer ${address.providerPeerId}`
        : 'this outway has no valid contract for the service in the path',
      { domain: DOMAIN },
    );
  }

  function send(c: Context, token: AccessToken, target: string, headers: Record<string, string | string[]>, body: OutgoingBody): Promise<ForwardedResponse> {
    return forward({
      agent: options.agent,
      origin: token.inwayOrigin,
      method: c.req.method,
      path: target,
      headers: { ...headers, [FSC_AUTHORIZATION]: token.token },
      body: bodyStream(body),
      signal: c.req.raw.signal,
      timeouts: { headersTimeoutMs: options.headersTimeoutMs, bodyTimeoutMs: options.bodyTimeoutMs },
      errors: FORWARD_ERRORS,
    });
  }

  return async function outwayProxy(c: Context): Promise<Response> {
    const started = performance.now();
    const incoming = incomingOf(c);
    if (c.req.method === 'CONNECT') {
      throw new FscError('ERROR_CODE_METHOD_UNSUPPORTED', 'the outway does not support the CONNECT method', { domain: DOMAIN });
    }

    // 1. Which service, for what purpose (purpose headers are checked before anything is looked up).
    const address = parseServiceAddress(incoming.url ?? '/', incoming.headers[FSC_GRANT_HASH]);
    if (address === undefined) {
      return noGrant(
        c,
        new FscError('ERROR_CODE_NO_GRANT', 'no service named: call /{provider peer id}/{service name}/… or send Fsc-Grant-Hash', {
          domain: DOMAIN,
        }),
      );
    }
    const purpose = readPurposeHeaders(incoming.headers);

    // 2. The grant, from valid contracts only.
    const grant = await resolve(address);
    if (grant instanceof FscError) return noGrant(c, grant);
    const tokenRequest = { grantHash: grant.grantHash, providerPeerId: grant.providerPeerId, serviceName: grant.serviceName };

    // 3. An access token from the provider's manager (cached).
    let token: AccessToken;
    try {
      token = await tokens.get(tokenRequest);
    } catch (err) {
      // The provider refused: the contract may have ended since we last read the store.
      if (err instanceof FscError && err.reason === 'refused') grants.invalidate();
      throw err;
    }

    // 4. Body (small ones are kept for a possible second attempt), transaction id, trace context.
    const body = await prepareBody(incoming, options.maxReplayBodyBytes);
    const transactionId = options.newTransactionId();
    setTransactionId(c, transactionId);
    const trace: TraceParent = childTraceparent(parseTraceparent(headerValue(incoming.headers[TRACEPARENT])));

    // 5. The log record, durable before anything is forwarded.
    const record = transactionRecord({ transactionId, claims: token.claims, now: clock(), trace, purpose });
    try {
      await txlog.write(record);
    } catch (err) {
      throw new FscError('TRANSACTION_LOG_WRITE_ERROR', 'the transaction log record could not be written', {
        domain: DOMAIN,
        transactionId,
        cause: err,
        reason: err instanceof FscError ? err.reason ?? 'write-failed' : 'write-failed',
      });
    }
    onResponseDone(c, () => {
      const status = c.res.status;
      const errorCode = c.res.headers.get(FSC_ERROR_CODE) ?? undefined;
      txlog
        .writeCompletion({
          transaction_id: transactionId,
          direction: 'DIRECTION_OUTGOING',
          status,
          duration_ms: Math.round(performance.now() - started),
          ...(errorCode === undefined ? {} : { error_code: errorCode }),
        })
        .catch((err: unknown) => logger.warn({ err, transactionId }, 'transaction completion could not be written'));
    });

    // 6. Forward, with a second attempt on a refused token when the body can be sent again.
    const headers = requestHeadersForUpstream(incoming.headers, {
      remove: REMOVE_UPSTREAM,
      add: { [FSC_TRANSACTION_ID]: transactionId, [TRACEPARENT]: formatTraceparent(trace) },
    });
    let upstream: ForwardedResponse;
    try {
      upstream = await send(c, token, address.forwardTarget, headers, body);
      const code = headerValue(upstream.headers[FSC_ERROR_CODE]);
      if (upstream.status === 401 && code !== undefined && TOKEN_REJECTIONS.has(code)) {
        tokens.invalidate(grant.grantHash, token.token);
        if (isReplayable(body)) {
          upstream.body.resume();
          logger.info({ transactionId, code }, 'access token refused by the inway, fetching a new one');
          token = await tokens.get(tokenRequest);
          upstream = await send(c, token, address.forwardTarget, headers, body);
        }
      }
    } catch (err) {
      if (err instanceof UpstreamFailure) {
        if (c.req.raw.signal.aborted) logger.info({ transactionId, reason: 'client-aborted' }, 'request aborted');
        else logger.warn({ transactionId, kind: err.kind, upstreamCode: err.upstreamCode, err: err.cause }, 'inway call failed');
        return fscErrorResponse(err, transactionId);
      }
      // The error boundary adds the transaction id (set above) to the answer.
      if (err instanceof FscError && err.reason === 'refused') grants.invalidate();
      throw err;
    }

    // 7. The answer, unaltered apart from hop-by-hop fields, plus our transaction id.
    return responseFromUpstream(upstream, {
      method: c.req.method,
      add: { [FSC_TRANSACTION_ID]: transactionId },
      onBodyError: (err) => logger.warn({ transactionId, err }, 'inway response body failed'),
    });
  };
}
