/**
 * HTTP header names used by FSC and Koppel, plus the pure rules around them.
 *
 * Names are lower-case: HTTP field names are case-insensitive (RFC 9110 §5.1), Node's `req.headers`
 * is keyed lower-case, and HTTP/2 requires lower-case on the wire.
 */
import { FscError } from './errors.ts';

/** fsc-core "Routing": the access token travels outway → inway → service in this header. */
export const FSC_AUTHORIZATION = 'fsc-authorization';
/** fsc-logging: the transaction id (UUIDv7 in Koppel) set by the outway, passed on by the inway. */
export const FSC_TRANSACTION_ID = 'fsc-transaction-id';
/** The grant an application wants the outway to use (FSC form of an outway request). */
export const FSC_GRANT_HASH = 'fsc-grant-hash';
/** fsc-core "FSC manager address": sent by a manager on every POST/PUT to another manager. */
export const FSC_MANAGER_ADDRESS = 'fsc-manager-address';
/** fsc-core "Error Handling": the error code of an FSC error response. */
export const FSC_ERROR_CODE = 'fsc-error-code';
/** W3C Trace Context. */
export const TRACEPARENT = 'traceparent';
export const TRACESTATE = 'tracestate';
/** fsc-core inway codes: 401 responses MUST carry `WWW-Authenticate: Bearer`. */
export const WWW_AUTHENTICATE = 'www-authenticate';

// --- NLX purpose headers (optional metadata an application sends to its outway) ---
export const NLX_REQUEST_PROCESS_ID = 'x-nlx-request-process-id';
export const NLX_REQUEST_DATA_SUBJECT = 'x-nlx-request-data-subject';
export const NLX_REQUEST_DATA_ELEMENTS = 'x-nlx-request-data-elements';
export const NLX_REQUEST_USER_ID = 'x-nlx-request-user-id';
export const NLX_REQUEST_APPLICATION_ID = 'x-nlx-request-application-id';

/** The longest value accepted in a purpose header, in characters (NLX heritage). */
export const PURPOSE_HEADER_MAX_LENGTH = 1024;

/** Purpose header name → the key under which it is stored in a log record's `additional_data`. */
export const purposeHeaders: Readonly<Record<string, PurposeKey>> = Object.freeze({
  [NLX_REQUEST_PROCESS_ID]: 'process_id',
  [NLX_REQUEST_DATA_SUBJECT]: 'data_subject',
  [NLX_REQUEST_DATA_ELEMENTS]: 'data_elements',
  [NLX_REQUEST_USER_ID]: 'user_id',
  [NLX_REQUEST_APPLICATION_ID]: 'application_id',
});

export type PurposeKey = 'process_id' | 'data_subject' | 'data_elements' | 'user_id' | 'application_id';

export type Purpose = Partial<Record<PurposeKey, string>>;

/** Header values as Node (`IncomingHttpHeaders`) or undici hand them over. */
export type HeaderBag = Readonly<Record<string, string | readonly string[] | undefined>>;

// Control characters other than horizontal tab are never valid in a field value (RFC 9110 §5.5).
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u0008\u000a-\u001f\u007f]/;

/**
 * Read the NLX purpose headers from lower-case keyed headers. Absent headers are left out; a value
 * that is longer than {@link PURPOSE_HEADER_MAX_LENGTH}, repeated, or contains control characters
 * throws ERROR_CODE_INVALID_PURPOSE_HEADER (the message names the header, never its value).
 */
export function readPurposeHeaders(headers: HeaderBag): Purpose {
  const purpose: Purpose = {};
  for (const [name, key] of Object.entries(purposeHeaders)) {
    const raw = headers[name];
    if (raw === undefined) continue;
    if (typeof raw !== 'string') {
      if (raw.length > 1) {
        throw new FscError('ERROR_CODE_INVALID_PURPOSE_HEADER', `header ${name} must not be repeated`, {
          domain: 'ERROR_DOMAIN_OUTWAY',
        });
      }
    }
    const value = typeof raw === 'string' ? raw : raw[0];
    if (value === undefined) continue;
    if ([...value].length > PURPOSE_HEADER_MAX_LENGTH) {
      throw new FscError(
        'ERROR_CODE_INVALID_PURPOSE_HEADER',
        `header ${name} is longer than ${PURPOSE_HEADER_MAX_LENGTH} characters`,
        { domain: 'ERROR_DOMAIN_OUTWAY' },
      );
    }
    if (CONTROL_CHARS.test(value)) {
      throw new FscError('ERROR_CODE_INVALID_PURPOSE_HEADER', `header ${name} contains control characters`, {
        domain: 'ERROR_DOMAIN_OUTWAY',
      });
    }
    purpose[key] = value;
  }
  return purpose;
}

/**
 * Hop-by-hop fields a proxy must not forward (RFC 9110 §7.6.1, plus the de-facto `proxy-connection`,
 * `keep-alive` and the proxy authentication fields that belong to one hop only).
 */
export const hopByHopHeaders: readonly string[] = Object.freeze([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'proxy-authenticate',
  'proxy-authorization',
]);

const hopByHopSet: ReadonlySet<string> = new Set(hopByHopHeaders);

/** True when `name` (any case) is a fixed hop-by-hop header. */
export function isHopByHopHeader(name: string): boolean {
  return hopByHopSet.has(name.toLowerCase());
}

/**
 * The full set of header names to drop before forwarding: the fixed hop-by-hop list plus every
 * name listed in the `Connection` header (RFC 9110 §7.6.1: "a proxy MUST ... remove any header or
 * trailer field ... listed in the Connection header field").
 */
export function headersToStrip(connection: string | readonly string[] | undefined): ReadonlySet<string> {
  if (connection === undefined) return hopByHopSet;
  const values = typeof connection === 'string' ? [connection] : connection;
  const set = new Set(hopByHopHeaders);
  for (const value of values) {
    for (const token of value.split(',')) {
      const name = token.trim().toLowerCase();
      if (name !== '') set.add(name);
    }
  }
  return set;
}

/**
 * Header names whose values are secrets: redact them in logs (STYLE.md "Logs and telemetry").
 */
export const sensitiveHeaders: readonly string[] = Object.freeze([
  'authorization',
  FSC_AUTHORIZATION,
  'proxy-authorization',
  'cookie',
  'set-cookie',
]);

/** The parts of a W3C `traceparent` value. */
export interface TraceParent {
  version: string;
  /** 32 lower-case hex characters (16 bytes), not all zero. */
  traceId: string;
  /** The parent-id: 16 lower-case hex characters (8 bytes), not all zero. */
  spanId: string;
  /** 2 hex characters. */
  flags: string;
}

const TRACEPARENT_RE = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/**
 * Parse a `traceparent` header (W3C Trace Context §3.2). fsc-logging: outway and inway MUST take
 * `trace-id` as the record's `trace_id` and `parent-id` as its `span_id`. Returns undefined for an
 * invalid value (the spec says to ignore it, not to fail the request).
 */
export function parseTraceparent(value: string | undefined): TraceParent | undefined {
  if (value === undefined) return undefined;
  const m = TRACEPARENT_RE.exec(value.trim());
  if (m === null) return undefined;
  const [, version, traceId, spanId, flags, rest] = m;
  if (version === undefined || traceId === undefined || spanId === undefined || flags === undefined) return undefined;
  if (version === 'ff') return undefined;
  // Version 00 has exactly four fields; later versions may append more after a dash.
  if (version === '00' && rest !== undefined) return undefined;
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  return { version, traceId, spanId, flags };
}
