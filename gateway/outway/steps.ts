/**
 * The outway's own steps of the hop (DESIGN.md "A call, end to end", steps 1–4; fsc-core "Outway";
 * fsc-logging "Outway"), in order:
 *   address → grant → token → target
 * The hop then writes the record (durable before anything reaches the inway: fsc-logging "The Outway
 * MUST deny the request if the record to the TransactionLog could not be written") and forwards to
 * the token's `aud` over pooled mTLS.
 */
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
import { childTraceparent, formatTraceparent, type Logger } from '../runtime/index.ts';
import {
  sendFscError,
  upstreamRequestHeaders,
  type CircuitBreaker,
  type ConcurrencyLimit,
  type ForwardErrorCodes,
  type ForwardTarget,
  type HopCall,
  type HopStep,
} from '../hop/index.ts';
import type { ManagerStore } from '../store/index.ts';
import type { GrantResolver } from './grant-resolver.ts';
import type { GrantEntry } from './grant-table.ts';
import { listReachable } from './reachable-services.ts';
import { isReplayable, prepareBody, type OutgoingBody } from './request-body.ts';
import { parseServiceAddress, type ServiceAddress } from './service-address.ts';
import type { AccessToken } from './token-client.ts';
import type { TokenCache } from './token-cache.ts';

const DOMAIN = 'ERROR_DOMAIN_OUTWAY';

/** What the outway's steps learn about one call. */
export interface OutwayLocals {
  address: ServiceAddress | undefined;
  grant: GrantEntry | undefined;
  token: AccessToken | undefined;
}

export function outwayLocals(): OutwayLocals {
  return { address: undefined, grant: undefined, token: undefined };
}

export type OutwayStep = HopStep<OutwayLocals>;

const FORWARD_ERRORS: ForwardErrorCodes = {
  domain: DOMAIN,
  unreachable: 'ERROR_CODE_INWAY_UNREACHABLE',
  timeout: 'ERROR_CODE_SERVICE_TIMEOUT',
  upstreamName: 'the inway',
};

const SLOW_OR_ABORTED: ReadonlySet<string> = new Set(['headers-timeout', 'body-timeout', 'timeout', 'aborted']);

/** The inway's answers that mean "get a new token" (fsc-core Inway "Codes"). */
const TOKEN_REJECTIONS: ReadonlySet<string> = new Set(['ERROR_CODE_ACCESS_TOKEN_EXPIRED', 'ERROR_CODE_ACCESS_TOKEN_INVALID']);

// Never sent to the other organisation: purpose metadata stays in our own log (DESIGN.md "Transaction
// log"), the routing header is ours, and the FSC headers are set by us alone, whatever the client sent.
const REMOVE_UPSTREAM: ReadonlySet<string> = new Set([
  ...Object.keys(purposeHeaders),
  FSC_GRANT_HASH,
  FSC_AUTHORIZATION,
  FSC_TRANSACTION_ID,
  TRACEPARENT,
]);

/** Options of the grant step: where valid contracts are, and how to list what can be reached. */
export interface GrantStepOptions {
  grants: GrantResolver;
  store: ManagerStore;
  logger: Logger;
  /** `http` or `https`: how applications reach us (for the friendly URLs in listings). */
  scheme: 'http' | 'https';
}

/** Step 1: which service (friendly path or `Fsc-Grant-Hash`), and for what purpose. */
export function addressStep(): OutwayStep {
  return function address(call) {
    if (call.req.method === 'CONNECT') {
      throw new FscError('ERROR_CODE_METHOD_UNSUPPORTED', 'the outway does not support the CONNECT method', { domain: DOMAIN });
    }
    call.locals.address = parseServiceAddress(call.req.url ?? '/', call.req.headers[FSC_GRANT_HASH]);
    // Purpose headers are checked before anything is looked up.
    call.purpose = readPurposeHeaders(call.req.headers);
  };
}

/**
 * Step 2: the grant, from valid contracts only. None: an FSC error that also lists what this outway
 * can reach, so the developer of the calling application sees the right URL or grant hash at once.
 */
export function grantStep(options: GrantStepOptions): OutwayStep {
  const { grants, store, logger } = options;

  async function refuse(call: HopCall<OutwayLocals>, err: FscError): Promise<void> {
    const base = `${options.scheme}://${call.req.headers.host ?? 'localhost'}`;
    const services = await listReachable(await grants.reachable(), store, base);
    logger.debug({ method: call.req.method, code: err.code, status: err.status }, 'request rejected');
    sendFscError(call, err, { reachable_services: services });
  }

  return async function grant(call) {
    const address = call.locals.address;
    if (address === undefined) {
      await refuse(
        call,
        new FscError('ERROR_CODE_NO_GRANT', 'no service named: call /{provider peer id}/{service name}/… or send Fsc-Grant-Hash', { domain: DOMAIN }),
      );
      return;
    }
    if (address.kind === 'grant') {
      const entry = await grants.byHash(address.grantHash);
      if (entry === undefined) {
        await refuse(
          call,
          new FscError('ERROR_CODE_GRANT_NOT_FOUND', 'this outway has no valid contract with the grant named in Fsc-Grant-Hash', { domain: DOMAIN }),
        );
        return;
      }
      call.locals.grant = entry;
    } else {
      const entry = await grants.forService(address.providerPeerId, address.serviceName);
      if (entry === undefined) {
        // Name what was asked for only when it has the shape of a peer id and a service name: the path
        // is the client's input, echoed back.
        const named = isPeerId(address.providerPeerId) && isServiceName(address.serviceName);
        await refuse(
          call,
          new FscError(
            'ERROR_CODE_NO_GRANT',
            named
              ? `this outway has no valid contract for service ${address.serviceName} of peer ${address.providerPeerId}`
              : 'this outway has no valid contract for the service in the path',
            { domain: DOMAIN },
          ),
        );
        return;
      }
      call.locals.grant = entry;
    }
    call.service = call.locals.grant.serviceName;
    call.peer = call.locals.grant.providerPeerId;
  };
}

function tokenRequestOf(grant: GrantEntry): { grantHash: string; providerPeerId: string; serviceName: string } {
  return { grantHash: grant.grantHash, providerPeerId: grant.providerPeerId, serviceName: grant.serviceName };
}

/**
 * Step 2½: a place among the calls in flight to this service (hop/concurrency.ts): one slow service
 * cannot take every pooled connection to its inway from the other services there.
 */
export function limitStep(limit: ConcurrencyLimit): OutwayStep {
  return function concurrency(call) {
    const grant = call.locals.grant as GrantEntry;
    const got = limit.acquire(`${grant.providerPeerId}/${grant.serviceName}`);
    if (typeof got === 'function') {
      call.finally.push(got);
      return undefined;
    }
    return got.then((release) => {
      call.finally.push(release);
    });
  };
}

/** Step 3: an access token from the provider's manager (cached, single flight). */
export function tokenStep(tokens: TokenCache, grants: GrantResolver): OutwayStep {
  return async function token(call) {
    const grant = call.locals.grant as GrantEntry;
    try {
      call.locals.token = await tokens.get(tokenRequestOf(grant));
    } catch (err) {
      // The provider refused: the contract may have ended since we last read the store.
      if (err instanceof FscError && err.reason === 'refused') grants.invalidate();
      throw err;
    }
    call.claims = call.locals.token.claims;
  };
}

/** Options of {@link targetStep}. */
export interface TargetStepOptions {
  agent: Dispatcher;
  tokens: TokenCache;
  grants: GrantResolver;
  logger: Logger;
  newTransactionId: () => string;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  /** Bodies up to this size are kept for a second attempt after a refused token. */
  maxReplayBodyBytes: number;
  /** Per inway origin: an inway that failed to answer several times in a row is not tried for a while. */
  breaker: CircuitBreaker;
}

function bodyOf(body: OutgoingBody): ForwardTarget['body'] {
  switch (body.kind) {
    case 'none':
      return null;
    case 'buffered':
      return body.bytes;
    case 'stream':
      return body.source;
  }
}

/**
 * Step 4: body (small ones kept for a second attempt), transaction id, trace context, and the target:
 * the token's inway, with a second attempt on a refused token when the body can be sent again.
 */
export function targetStep(options: TargetStepOptions): OutwayStep {
  const { tokens, grants, logger } = options;
  const { breaker } = options;
  return async function target(call) {
    const { req } = call;
    // Before the body is read: a call to an inway that keeps failing is refused at once.
    const origin = (call.locals.token as AccessToken).inwayOrigin;
    const entry = breaker.enter(origin);
    if (!entry.allowed) {
      throw new FscError(
        'ERROR_CODE_INWAY_UNREACHABLE',
        `the inway could not be reached in the last ${entry.failures} attempts; it is tried again in ${Math.ceil(entry.retryAfterMs / 1000)} s`,
        { domain: 'ERROR_DOMAIN_OUTWAY', reason: 'circuit-open' },
      );
    }
    let reported = false;
    call.finally.push(() => {
      if (!reported) breaker.released(origin, entry.trial);
    });
    const body = await prepareBody(req, options.maxReplayBodyBytes);
    const transactionId = options.newTransactionId();
    call.transactionId = transactionId;
    const trace = childTraceparent(parseTraceparent(call.header(TRACEPARENT)));
    call.trace = trace;
    const headers = upstreamRequestHeaders(req.rawHeaders, {
      remove: REMOVE_UPSTREAM,
      add: [FSC_TRANSACTION_ID, transactionId, TRACEPARENT, formatTraceparent(trace)],
    });
    const grant = call.locals.grant as GrantEntry;
    const targetFor = (token: AccessToken, retried: boolean): ForwardTarget => ({
      dispatcher: options.agent,
      origin: token.inwayOrigin,
      path: (call.locals.address as ServiceAddress).forwardTarget,
      method: req.method ?? 'GET',
      headers: [...headers, FSC_AUTHORIZATION, token.token],
      body: bodyOf(body),
      headersTimeoutMs: options.headersTimeoutMs,
      bodyTimeoutMs: options.bodyTimeoutMs,
      errors: FORWARD_ERRORS,
      addResponse: [FSC_TRANSACTION_ID, transactionId],
      // A token names its inway (`aud`): when that inway cannot be reached, the provider may have moved
      // the service to another one. Drop the token and re-read the grants, so the next call asks the
      // provider again instead of pinning a dead inway until the token expires.
      onFailure: (failure) => {
        // A slow answer or our own client leaving says nothing about where the inway is.
        if (SLOW_OR_ABORTED.has(failure.kind)) return;
        tokens.invalidate(grant.grantHash, token.token);
        grants.invalidate();
        if (token.inwayOrigin === origin) {
          reported = true;
          breaker.failed(origin);
        }
      },
      onResponse: () => {
        if (token.inwayOrigin === origin) {
          reported = true;
          breaker.succeeded(origin);
        }
      },
      retry: (status, upstreamHeaders) => {
        const code = upstreamHeaders[FSC_ERROR_CODE];
        if (status !== 401 || typeof code !== 'string' || !TOKEN_REJECTIONS.has(code)) return undefined;
        tokens.invalidate(grant.grantHash, token.token);
        if (retried || !isReplayable(body)) return undefined;
        logger.info({ transactionId, code }, 'access token refused by the inway, fetching a new one');
        return async () => {
          let fresh: AccessToken;
          try {
            fresh = await tokens.get(tokenRequestOf(grant));
          } catch (err) {
            if (err instanceof FscError && err.reason === 'refused') grants.invalidate();
            throw err;
          }
          return targetFor(fresh, true);
        };
      },
    });
    call.target = targetFor(call.locals.token as AccessToken, false);
  };
}
