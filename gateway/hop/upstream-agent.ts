/**
 * The pooled keep-alive undici Agent of the inway towards its services (plain HTTP(S)). Peer-to-peer
 * mutual TLS (outway → inway) uses runtime's `createPeerAgent`.
 */
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { Agent } from 'undici';

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

/** A pooled keep-alive Agent for plain HTTP(S) upstreams. Close it with `agent.close()`. */
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

/**
 * The body of an incoming request for a forward: the IncomingMessage itself when the request has one
 * (RFC 9112 §6.3: `Transfer-Encoding` or a non-zero `Content-Length`), null otherwise, so a GET is not
 * sent upstream with an empty chunked body.
 */
export function requestBodyOf(incoming: IncomingMessage): Readable | null {
  if (incoming.headers['transfer-encoding'] !== undefined) return incoming;
  const length = incoming.headers['content-length'];
  return length !== undefined && length !== '0' ? incoming : null;
}
