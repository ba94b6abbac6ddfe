/**
 * One proxy hop over undici, shared by the outway (→ inway) and the inway (→ service): the request
 * body streams from the client socket to the upstream and the response body back, chunk by chunk
 * with backpressure, so a 100 MB body passes in flat memory (DESIGN.md "A call, end to end": the
 * data path streams bodies). Upstream failures map through the one table in http-client.ts.
 *
 * Measured choice: the response goes back as a `Response` whose `ReadableStream` is pull-based
 * (high-water mark 0): @hono/node-server reads the next chunk only after `outgoing.write()` had room
 * or `drain` fired, and we read from undici only on that pull, which pauses the upstream socket.
 * Writing to `c.env.outgoing` directly measured the same (100 MB down, in one process: external
 * buffers peak ≈ 30 MB both ways, time within noise) but hides the status from hono's middleware
 * (logs, metrics), so the `Response` it is. One cost: node-server joins a repeated response field
 * other than Set-Cookie into one `a, b` line, which RFC 9110 §5.3 makes equivalent.
 * Request side: pass `incoming` (the IncomingMessage) as body and `incoming.rawHeaders` to the
 * header filter; hono's `c.req.raw.body` is never touched, so nothing is buffered or wrapped.
 */
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { Agent, type Dispatcher } from 'undici';
import { FscError, type ErrorCode, type ErrorDomain } from '../protocol/index.ts';
import { upstreamErrorFor, type UpstreamErrorKind } from './http-client.ts';
import { responseHeadersForDownstream, toFetchHeaders, type ProxyHeaderOptions, type ProxyHeaders } from './proxy-headers.ts';

/** Which FSC codes an upstream failure becomes, in the caller's domain. */
export interface ForwardErrorCodes {
  domain: ErrorDomain;
  /** For every failure that is not a timeout (502), e.g. `ERROR_CODE_SERVICE_UNREACHABLE`. */
  unreachable: ErrorCode;
  /** For connect/headers/body timeouts (504), e.g. `ERROR_CODE_SERVICE_TIMEOUT`. */
  timeout: ErrorCode;
  /** Who the upstream is, for the human message ("service", "inway"); never its URL. */
  upstreamName: string;
}

/** Per-request timeouts in milliseconds (the connect timeout belongs to the Agent). */
export interface ForwardTimeouts {
  /** Request sent → response headers received. Default: the Agent's. */
  headersTimeoutMs?: number;
  /** Longest silence between two response body chunks. Default: the Agent's. */
  bodyTimeoutMs?: number;
}

/** Options of {@link forward}. */
export interface ForwardOptions {
  /** A pooled keep-alive dispatcher (see {@link createUpstreamAgent} / `createMtlsAgent`). */
  agent: Dispatcher;
  /** Scheme, host and port of the upstream, e.g. `https://inway.example:443`. */
  origin: string | URL;
  method: string;
  /** Path and query exactly as they go on the wire (never normalised or decoded). */
  path: string;
  /** Already filtered (see `requestHeadersForUpstream`). */
  headers: ProxyHeaders;
  /** The request body stream, or null when the request has none (see {@link requestBodyOf}). */
  body?: Readable | ReadableStream<Uint8Array> | null;
  /** Aborts the upstream request (and its body streams) — pass the client's abort signal. */
  signal?: AbortSignal;
  timeouts?: ForwardTimeouts;
  errors: ForwardErrorCodes;
}

/** The upstream's answer: any status 200–599 (service errors included), headers, streaming body. */
export interface ForwardedResponse {
  status: number;
  /** As undici parsed them: lower-case names, latin1 values (byte-exact), repeated fields as arrays. */
  headers: Record<string, string | string[] | undefined>;
  /** Consume it or destroy it: an unread body holds the pooled connection. */
  body: Readable;
}

/** The FscError a failed upstream call became, with the mapping used (for logs and tests). */
export class UpstreamFailure extends FscError {
  readonly kind: UpstreamErrorKind;
  readonly upstreamCode: string | undefined;

  constructor(code: ErrorCode, message: string, domain: ErrorDomain, kind: UpstreamErrorKind, upstreamCode: string | undefined, cause: unknown) {
    super(code, message, { domain, cause, reason: kind });
    this.kind = kind;
    this.upstreamCode = upstreamCode;
  }
}

/** Map any error of an upstream call to an {@link UpstreamFailure} (504 → `timeout` code, else `unreachable`). */
export function upstreamFailure(err: unknown, errors: ForwardErrorCodes): UpstreamFailure {
  if (err instanceof UpstreamFailure) return err;
  const mapped = upstreamErrorFor(err);
  if (mapped.status === 504) {
    return new UpstreamFailure(errors.timeout, `${errors.upstreamName} did not respond in time`, errors.domain, mapped.kind, mapped.code, err);
  }
  return new UpstreamFailure(errors.unreachable, `${errors.upstreamName} is unreachable`, errors.domain, mapped.kind, mapped.code, err);
}

const METHOD = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * The body of an incoming request for {@link ForwardOptions.body}: the IncomingMessage itself when
 * the request has one (RFC 9112 §6.3: `Transfer-Encoding` or a non-zero `Content-Length`), null
 * otherwise, so a GET is not sent upstream with an empty chunked body.
 */
export function requestBodyOf(incoming: IncomingMessage): Readable | null {
  if (incoming.headers['transfer-encoding'] !== undefined) return incoming;
  const length = incoming.headers['content-length'];
  return length !== undefined && length !== '0' ? incoming : null;
}

/**
 * Send one request upstream and resolve with the response as soon as its headers arrived; both
 * bodies stream. Service answers of any status pass through; a transport failure (connect, TLS,
 * reset, timeout, abort) rejects with an {@link UpstreamFailure} (502/504 in the caller's codes).
 * Failures after the headers (a body timeout, a reset mid-body) surface as an error of `body`.
 */
export async function forward(options: ForwardOptions): Promise<ForwardedResponse> {
  const { errors } = options;
  if (!METHOD.test(options.method)) throw new FscError('ERROR_CODE_BAD_REQUEST', 'invalid request method', { domain: errors.domain });
  const body = options.body === undefined || options.body === null ? null : options.body instanceof Readable ? options.body : Readable.fromWeb(options.body);
  const t = options.timeouts ?? {};
  let response: Dispatcher.ResponseData;
  try {
    response = await options.agent.request({
      origin: options.origin,
      path: options.path,
      method: options.method,
      headers: options.headers,
      body,
      // Retrying a proxied request is the client's decision, never ours.
      idempotent: false,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(t.headersTimeoutMs === undefined ? {} : { headersTimeout: t.headersTimeoutMs }),
      ...(t.bodyTimeoutMs === undefined ? {} : { bodyTimeout: t.bodyTimeoutMs }),
    });
  } catch (err) {
    // The request body may still be half read (client upload): stop it, the upstream is gone.
    if (body !== null && !body.readableEnded) body.destroy();
    throw upstreamFailure(err, errors);
  }
  if (response.statusCode < 200 || response.statusCode > 599) {
    response.body.destroy();
    throw upstreamFailure(Object.assign(new Error('upstream answered with an invalid status'), { code: 'UND_ERR_HTTP_PARSER' }), errors);
  }
  return { status: response.statusCode, headers: response.headers, body: response.body };
}

/**
 * A pull-based web stream over a Node stream: one chunk is read from `source` per pull, so the
 * reader's pace (the client socket) sets the upstream's. Cancelling destroys `source`, which
 * aborts the upstream response.
 *
 * When `source` fails and a `downstream` is given, the downstream connection is destroyed first and
 * the web stream then ends quietly: the client sees a cut-off response (never a clean end, never
 * text appended by the server adapter), and @hono/node-server has no error to print.
 */
export function pullStream(
  source: Readable,
  options: { onError?: (err: unknown) => void; downstream?: { destroy(error?: Error): unknown } } = {},
): ReadableStream<Uint8Array> {
  const iterator: AsyncIterator<Uint8Array, unknown> = source[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const next = await iterator.next();
          if (next.done === true) controller.close();
          else controller.enqueue(next.value);
        } catch (err) {
          options.onError?.(err);
          if (options.downstream === undefined) {
            controller.error(err);
          } else {
            options.downstream.destroy();
            controller.close();
          }
        }
      },
      cancel() {
        source.destroy();
      },
    },
    { highWaterMark: 0 },
  );
}

/** Options of {@link responseFromUpstream}. */
export interface DownstreamResponseOptions extends ProxyHeaderOptions {
  /** The request method: a HEAD answer has no body. */
  method: string;
  /** Called when the upstream body fails after the headers went out (the client sees a cut-off response). */
  onBodyError?: (err: unknown) => void;
  /**
   * The client's response (`c.env.outgoing`): destroyed when the upstream body fails, so the cut is
   * a reset connection rather than an adapter's error text. Recommended.
   */
  downstream?: { destroy(error?: Error): unknown };
}

// RFC 9110 §6.4.1: these never carry content.
function bodyless(method: string, status: number): boolean {
  return method === 'HEAD' || status === 204 || status === 304;
}

/**
 * The hono `Response` for an upstream answer: status and headers unaltered apart from the
 * hop-by-hop rules (plus `add`/`remove`), body streamed with backpressure.
 */
export function responseFromUpstream(upstream: ForwardedResponse, options: DownstreamResponseOptions): Response {
  const headers = toFetchHeaders(responseHeadersForDownstream(upstream.headers, options));
  if (bodyless(options.method.toUpperCase(), upstream.status)) {
    upstream.body.resume();
    return new Response(null, { status: upstream.status, headers });
  }
  const streamOptions = {
    ...(options.onBodyError === undefined ? {} : { onError: options.onBodyError }),
    ...(options.downstream === undefined ? {} : { downstream: options.downstream }),
  };
  return new Response(pullStream(upstream.body, streamOptions), { status: upstream.status, headers });
}

/** Options of {@link createUpstreamAgent}; durations in milliseconds. */
export interface UpstreamAgentOptions {
  /** TCP connect (plus TLS handshake for https). Default 5 000. */
  connectTimeoutMs?: number;
  /** Default 30 000. */
  headersTimeoutMs?: number;
  /** Default 30 000. */
  bodyTimeoutMs?: number;
  /** Idle pooled connection lifetime. Default 4 000. */
  keepAliveTimeoutMs?: number;
  /** Most connections per origin; default unlimited. */
  connections?: number;
  /** Extra trust anchors (PEM) for https upstreams with a private CA; Node's defaults otherwise. */
  ca?: string | Buffer;
}

/**
 * A pooled keep-alive undici Agent for plain HTTP(S) upstreams (the inway → its services). For
 * peer-to-peer mutual TLS use `createMtlsAgent`. Close it with `agent.close()`.
 */
export function createUpstreamAgent(options: UpstreamAgentOptions = {}): Agent {
  const ms = (name: string, v: number | undefined, d: number): number => {
    const x = v ?? d;
    if (!Number.isFinite(x) || x <= 0) throw new RangeError(`${name} must be a positive number`);
    return x;
  };
  const keepAliveTimeoutMs = ms('keepAliveTimeoutMs', options.keepAliveTimeoutMs, 4_000);
  return new Agent({
    connect: {
      timeout: ms('connectTimeoutMs', options.connectTimeoutMs, 5_000),
      ...(options.ca === undefined ? {} : { ca: options.ca }),
    },
    headersTimeout: ms('headersTimeoutMs', options.headersTimeoutMs, 30_000),
    bodyTimeout: ms('bodyTimeoutMs', options.bodyTimeoutMs, 30_000),
    keepAliveTimeout: keepAliveTimeoutMs,
    keepAliveMaxTimeout: Math.max(keepAliveTimeoutMs, 60_000),
    pipelining: 1,
    ...(options.connections === undefined ? {} : { connections: options.connections }),
  });
}
