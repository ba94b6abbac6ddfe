/**
 * The inway's own steps of the hop (DESIGN.md "A call, end to end", step 5), in order:
 *   certificate → token → service → transaction id → target
 * The TLS handshake already required a client certificate chaining to the group trust anchor
 * (Inway-Incoming-Request-4); the access token must be signed by our own peer and bound (RFC 8705
 * §3.1 `cnf.x5t#S256`) to that certificate (fsc-core "Inway > Authorization"); the service named in
 * `svc` must be ours; the outway's `Fsc-Transaction-Id` must be present and valid. The hop then writes
 * the record and forwards: path and query unchanged below the endpoint's base, `Fsc-Authorization`
 * kept (fsc-core "Inway > Routing"), `Fsc-Transaction-Id` and a child `traceparent` added.
 */
import type { X509Certificate } from 'node:crypto';
import type { Dispatcher } from 'undici';
import {
  FSC_AUTHORIZATION,
  FSC_TRANSACTION_ID,
  FscError,
  TRACEPARENT,
  certificateThumbprint,
  parseTraceparent,
  type AccessTokenClaims,
  type AccessTokenVerifier,
} from '../protocol/index.ts';
import { childTraceparent, formatTraceparent, peerCertificateOfSocket } from '../runtime/index.ts';
import { requestBodyOf, upstreamRequestHeaders, type ForwardErrorCodes, type HopCall, type HopStep } from '../hop/index.ts';
import { tokenFromHeader } from './authorize.ts';
import type { InwayService, ServiceResolver } from './service-resolver.ts';
import { readTransactionId } from './transaction-id.ts';
import { parseEndpoint, upstreamTarget, type ParsedEndpoint } from './upstream-target.ts';

const DOMAIN = 'ERROR_DOMAIN_INWAY';

/** What the inway's steps learn about one call. */
export interface InwayLocals {
  /** SHA-256 thumbprint of the verified client certificate (the token must be bound to it). */
  thumbprint: string;
  endpoint: ParsedEndpoint | undefined;
}

export function inwayLocals(): InwayLocals {
  return { thumbprint: '', endpoint: undefined };
}

export type InwayStep = HopStep<InwayLocals>;

const UPSTREAM_ERRORS: ForwardErrorCodes = {
  domain: DOMAIN,
  unreachable: 'ERROR_CODE_SERVICE_UNREACHABLE',
  timeout: 'ERROR_CODE_SERVICE_TIMEOUT',
  upstreamName: 'service',
};

// The client certificate's thumbprint, once per connection (a keep-alive connection carries many calls).
const thumbprints = new WeakMap<X509Certificate, string>();

/** Step 1: the verified client certificate of this connection. */
export function certificateStep(): InwayStep {
  return function certificate(call) {
    const cert = peerCertificateOfSocket(call.req.socket);
    if (cert === undefined) {
      // Unreachable behind the mTLS listener (the handshake requires a trusted certificate); kept so
      // a misconfigured listener fails closed instead of skipping the certificate binding.
      throw new FscError('ERROR_CODE_ACCESS_TOKEN_INVALID', 'no verified client certificate on this connection', {
        domain: DOMAIN,
        reason: 'no-client-certificate',
      });
    }
    let thumbprint = thumbprints.get(cert);
    if (thumbprint === undefined) {
      thumbprint = certificateThumbprint(cert);
      thumbprints.set(cert, thumbprint);
    }
    call.locals.thumbprint = thumbprint;
  };
}

/** Options of {@link tokenStep}. */
export interface TokenStepOptions {
  verifier: AccessTokenVerifier;
  clock: () => number;
  /** Most verified (token, certificate) pairs kept; default 10 000. */
  cacheSize?: number;
}

/**
 * Step 2: the access token, verified once per (token, client certificate) and then taken from the
 * cache until its `exp`: a signature check per call would be most of the inway's CPU. A token that
 * failed is never cached; a token's `nbf`/`exp` still apply to every call.
 */
export function tokenStep(options: TokenStepOptions): InwayStep {
  const { verifier, clock } = options;
  const max = options.cacheSize ?? 10_000;
  const verified = new Map<string, { claims: AccessTokenClaims; fromMs: number; untilMs: number }>();
  // Synchronous on a cache hit: no promise per call.
  return function token(call) {
    const raw = tokenFromHeader(call.header(FSC_AUTHORIZATION));
    const now = clock();
    const key = raw === undefined ? undefined : `${call.locals.thumbprint}.${raw}`;
    const hit = key === undefined ? undefined : verified.get(key);
    if (hit !== undefined && now >= hit.fromMs && now < hit.untilMs) {
      call.claims = hit.claims;
      call.peer = hit.claims.sub;
      return undefined;
    }
    return verifier.verify(raw, call.locals.thumbprint, now).then((claims) => {
      if (key !== undefined) {
        if (verified.size >= max) verified.clear();
        verified.set(key, { claims, fromMs: claims.nbf * 1000, untilMs: claims.exp * 1000 });
      }
      call.claims = claims;
      call.peer = claims.sub;
    });
  };
}

/** Step 3: the service named in the token's `svc` must be one this inway offers. */
export function serviceStep(resolver: ServiceResolver): InwayStep {
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
  function use(call: HopCall<InwayLocals>, svc: string, found: InwayService | undefined): void {
    if (found === undefined) {
      throw new FscError('ERROR_CODE_SERVICE_NOT_FOUND', 'the service in the access token is not offered by this inway', { domain: DOMAIN });
    }
    call.service = svc;
    call.locals.endpoint = endpointOf(found.endpointUrl);
  }
  return function service(call) {
    const svc = (call.claims as AccessTokenClaims).svc;
    const found = resolver.resolve(svc);
    if (found instanceof Promise) return found.then((f) => use(call, svc, f));
    return use(call, svc, found);
  };
}

/** Step 4: fsc-logging "Inway": the outway's transaction id, present and a UUIDv7; a child trace span. */
export function transactionIdStep(): InwayStep {
  return function transactionId(call) {
    call.transactionId = readTransactionId(call.header(FSC_TRANSACTION_ID));
    call.trace = childTraceparent(parseTraceparent(call.header(TRACEPARENT)));
  };
}

/** Options of {@link targetStep}. */
export interface TargetStepOptions {
  agent: Dispatcher;
  headersTimeoutMs?: number;
  bodyTimeoutMs?: number;
}

const NOTHING_REMOVED: ReadonlySet<string> = new Set();

/** Step 5: where the call goes: the endpoint's origin and base path, then the request's own target. */
export function targetStep(options: TargetStepOptions): InwayStep {
  return function target(call: HopCall<InwayLocals>) {
    const { req } = call;
    const to = upstreamTarget(call.locals.endpoint as ParsedEndpoint, req.url);
    const transactionId = call.transactionId as string;
    call.target = {
      dispatcher: options.agent,
      origin: to.origin,
      path: to.path,
      method: req.method ?? 'GET',
      headers: upstreamRequestHeaders(req.rawHeaders, {
        remove: NOTHING_REMOVED,
        forwarded: { for: req.socket.remoteAddress, proto: 'https', host: req.headers.host },
        add: [FSC_TRANSACTION_ID, transactionId, TRACEPARENT, formatTraceparent(call.trace!)],
      }),
      body: requestBodyOf(req),
      errors: UPSTREAM_ERRORS,
      addResponse: [FSC_TRANSACTION_ID, transactionId],
      ...(options.headersTimeoutMs === undefined ? {} : { headersTimeoutMs: options.headersTimeoutMs }),
      ...(options.bodyTimeoutMs === undefined ? {} : { bodyTimeoutMs: options.bodyTimeoutMs }),
    };
  };
}
