/**
 * Outgoing mutual-TLS connections (outway → inway, manager → manager, outway → manager) and the
 * one table that turns an upstream failure into a status (STYLE.md "Errors": upstream failures map
 * in one table from undici's `err.code` to ours).
 */
import { createSecureContext } from 'node:tls';
import { Agent } from 'undici';
import type { TlsMinVersion } from './tls.ts';

/** Options of {@link createMtlsAgent}; all durations in milliseconds. */
export interface MtlsAgentOptions {
  /** The group trust anchor (PEM): the only CA the server certificate may chain to. */
  ca: string | Buffer;
  /** This peer's certificate chain (PEM, leaf first), presented as client certificate. */
  cert: string | Buffer;
  /** This peer's private key (PEM). */
  key: string | Buffer;
  /** TCP connect plus TLS handshake. Default 5 000. */
  connectTimeoutMs?: number;
  /** From request sent to response headers received. Default 30 000. */
  headersTimeoutMs?: number;
  /** Longest silence between two body chunks of a response. Default 30 000. */
  bodyTimeoutMs?: number;
  /** Most connections per origin; default unlimited (undici's default). */
  connections?: number;
  /** How long an idle pooled connection is kept. Default 4 000 (below the servers' 5 000). */
  keepAliveTimeoutMs?: number;
  /** Lowest TLS version offered; default `TLSv1.3`. */
  minVersion?: TlsMinVersion;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v <= 0) throw new RangeError(`${name} must be a positive number`);
  return v;
}

/**
 * An undici Agent for mutual TLS with a peer: pooled keep-alive connections, TLS session
 * resumption, the group CA as sole trust anchor, and host name verification left on (the server
 * certificate must name the host we dialled). Close it with `agent.close()` (idempotent).
 */
export function createMtlsAgent(options: MtlsAgentOptions): Agent {
  const connectTimeoutMs = positive('connectTimeoutMs', options.connectTimeoutMs, 5_000);
  const headersTimeoutMs = positive('headersTimeoutMs', options.headersTimeoutMs, 30_000);
  const bodyTimeoutMs = positive('bodyTimeoutMs', options.bodyTimeoutMs, 30_000);
  const keepAliveTimeoutMs = positive('keepAliveTimeoutMs', options.keepAliveTimeoutMs, 4_000);
  if (options.connections !== undefined && (!Number.isInteger(options.connections) || options.connections < 1)) {
    throw new RangeError('connections must be a positive integer');
  }
  // One secure context for every connection of this agent: building it (parsing the CA, certificate
  // and key) per connection cost more CPU than the handshake itself under load.
  const secureContext = createSecureContext({
    ca: options.ca,
    cert: options.cert,
    key: options.key,
    minVersion: options.minVersion ?? 'TLSv1.3',
    maxVersion: 'TLSv1.3',
  });
  return new Agent({
    connect: {
      secureContext,
      minVersion: options.minVersion ?? 'TLSv1.3',
      maxVersion: 'TLSv1.3',
      // Explicit, although it is Node's default: the one setting that must never change.
      rejectUnauthorized: true,
      timeout: connectTimeoutMs,
      maxCachedSessions: 100,
    },
    headersTimeout: headersTimeoutMs,
    bodyTimeout: bodyTimeoutMs,
    keepAliveTimeout: keepAliveTimeoutMs,
    // A server's `Keep-Alive: timeout=` hint may shorten our idle time, never stretch it.
    keepAliveMaxTimeout: keepAliveTimeoutMs,
    pipelining: 1,
    allowH2: false,
    ...(options.connections === undefined ? {} : { connections: options.connections }),
  });
}

/** What went wrong upstream, coarse enough for a caller to pick its FSC code. */
export type UpstreamErrorKind =
  | 'connect-timeout'
  | 'headers-timeout'
  | 'body-timeout'
  | 'timeout'
  | 'connection-refused'
  | 'connection-reset'
  | 'dns'
  | 'unreachable'
  | 'tls'
  | 'socket'
  | 'closed'
  | 'aborted'
  | 'protocol'
  | 'unknown';

/** The mapping of an upstream failure. */
export interface UpstreamError {
  /** 504 when the upstream did not answer in time, 502 for every other failure. */
  status: 502 | 504;
  kind: UpstreamErrorKind;
  /**
   * True when the failure happened before the request could have reached the upstream (no
   * connection, no handshake), so even a non-idempotent request may be retried elsewhere.
   */
  beforeRequestSent: boolean;
  /** The error code that decided the mapping (for logs), undefined when none was found. */
  code: string | undefined;
}

type Entry = readonly [status: 502 | 504, kind: UpstreamErrorKind, beforeRequestSent: boolean];

// The one table. Codes: undici lib/core/errors.js, Node net/dns errors, OpenSSL verify errors
// (node:tls `err.code`).
const upstreamErrorTable: Readonly<Record<string, Entry>> = Object.freeze({
  // undici
  UND_ERR_CONNECT_TIMEOUT: [504, 'connect-timeout', true],
  UND_ERR_HEADERS_TIMEOUT: [504, 'headers-timeout', false],
  UND_ERR_BODY_TIMEOUT: [504, 'body-timeout', false],
  UND_ERR_SOCKET: [502, 'socket', false],
  UND_ERR_CLOSED: [502, 'closed', true],
  UND_ERR_DESTROYED: [502, 'closed', true],
  UND_ERR_ABORTED: [502, 'aborted', false],
  UND_ERR_ABORT: [502, 'aborted', false],
  ABORT_ERR: [502, 'aborted', false],
  UND_ERR_HEADERS_OVERFLOW: [502, 'protocol', false],
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: [502, 'protocol', false],
  UND_ERR_REQ_CONTENT_LENGTH_MISMATCH: [502, 'protocol', false],
  UND_ERR_RES_EXCEEDED_MAX_SIZE: [502, 'protocol', false],
  UND_ERR_HTTP_PARSER: [502, 'protocol', false],
  HPE_INVALID_CONSTANT: [502, 'protocol', false],
  UND_ERR_INFO: [502, 'protocol', false],
  // TCP and DNS
  ECONNREFUSED: [502, 'connection-refused', true],
  ECONNRESET: [502, 'connection-reset', false],
  EPIPE: [502, 'connection-reset', false],
  ETIMEDOUT: [504, 'connect-timeout', true],
  ENOTFOUND: [502, 'dns', true],
  EAI_AGAIN: [502, 'dns', true],
  EHOSTUNREACH: [502, 'unreachable', true],
  ENETUNREACH: [502, 'unreachable', true],
  EHOSTDOWN: [502, 'unreachable', true],
  EADDRNOTAVAIL: [502, 'unreachable', true],
  // TLS: the server's certificate or the handshake failed; nothing was sent
  ERR_TLS_CERT_ALTNAME_INVALID: [502, 'tls', true],
  ERR_TLS_HANDSHAKE_TIMEOUT: [504, 'connect-timeout', true],
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: [502, 'tls', true],
  UNABLE_TO_GET_ISSUER_CERT: [502, 'tls', true],
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: [502, 'tls', true],
  DEPTH_ZERO_SELF_SIGNED_CERT: [502, 'tls', true],
  SELF_SIGNED_CERT_IN_CHAIN: [502, 'tls', true],
  CERT_HAS_EXPIRED: [502, 'tls', true],
  CERT_NOT_YET_VALID: [502, 'tls', true],
  CERT_SIGNATURE_FAILURE: [502, 'tls', true],
  CERT_REVOKED: [502, 'tls', true],
  CERT_UNTRUSTED: [502, 'tls', true],
  CERT_REJECTED: [502, 'tls', true],
  INVALID_CA: [502, 'tls', true],
  INVALID_PURPOSE: [502, 'tls', true],
  HOSTNAME_MISMATCH: [502, 'tls', true],
  EPROTO: [502, 'tls', true],
});

function lookup(code: string): Entry | undefined {
  const entry = upstreamErrorTable[code];
  if (entry !== undefined) return entry;
  // OpenSSL alerts and handshake failures: ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED,
  // ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE, ERR_SSL_WRONG_VERSION_NUMBER, …
  if (code.startsWith('ERR_SSL_')) return [502, 'tls', true];
  return undefined;
}

function codeOf(x: unknown): string | undefined {
  if (typeof x !== 'object' || x === null) return undefined;
  const code = (x as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

function* candidates(err: unknown): Generator<unknown> {
  // The error itself, then its causes and (happy-eyeballs AggregateError) member errors.
  const queue: unknown[] = [err];
  const seen = new Set<unknown>();
  while (queue.length > 0 && seen.size < 16) {
    const e = queue.shift();
    if (seen.has(e)) continue;
    seen.add(e);
    yield e;
    if (typeof e !== 'object' || e === null) continue;
    const { cause, errors } = e as { cause?: unknown; errors?: unknown };
    if (cause !== undefined) queue.push(cause);
    if (Array.isArray(errors)) queue.push(...(errors as unknown[]));
  }
}

/**
 * Map an error thrown by an undici request/stream (or a Node socket) to `{status, kind}`; unknown
 * errors are 502 `unknown`. Callers turn the result into their FSC code (e.g. the outway:
 * 504 → ERROR_CODE_SERVICE_TIMEOUT, otherwise ERROR_CODE_INWAY_UNREACHABLE).
 */
export function upstreamErrorFor(err: unknown): UpstreamError {
  let firstCode: string | undefined;
  for (const candidate of candidates(err)) {
    const code = codeOf(candidate);
    if (code === undefined) continue;
    firstCode ??= code;
    const entry = lookup(code);
    if (entry !== undefined) return { status: entry[0], kind: entry[1], beforeRequestSent: entry[2], code };
  }
  // An AbortSignal's reason, thrown as is by undici: `AbortSignal.timeout()` or a caller's abort.
  const name = typeof err === 'object' && err !== null ? (err as { name?: unknown }).name : undefined;
  if (name === 'TimeoutError') return { status: 504, kind: 'timeout', beforeRequestSent: false, code: firstCode };
  if (name === 'AbortError') return { status: 502, kind: 'aborted', beforeRequestSent: false, code: firstCode };
  return { status: 502, kind: 'unknown', beforeRequestSent: false, code: firstCode };
}

/** The codes {@link upstreamErrorFor} knows, for docs and tests. */
export const upstreamErrorCodes: readonly string[] = Object.freeze(Object.keys(upstreamErrorTable));

/** The parts of a peer's configuration that shape its outgoing mTLS connections (structurally `KoppelConfig`). */
export interface PeerConnectionSettings {
  tls: { minVersion: TlsMinVersion };
  timeouts: { connectMs: number; headersMs: number; bodyIdleMs: number };
}

/**
 * The agent a peer component (manager, admin API, outway) uses towards other peers: its own TLS
 * material and the configured TLS version and timeouts, so every component dials alike.
 */
export function createPeerAgent(
  tls: { ca: string | Buffer; cert: string | Buffer; key: string | Buffer },
  settings: PeerConnectionSettings,
  extra: { connections?: number } = {},
): Agent {
  return createMtlsAgent({
    ca: tls.ca,
    cert: tls.cert,
    key: tls.key,
    minVersion: settings.tls.minVersion,
    connectTimeoutMs: settings.timeouts.connectMs,
    headersTimeoutMs: settings.timeouts.headersMs,
    bodyTimeoutMs: settings.timeouts.bodyIdleMs,
    ...extra,
  });
}
