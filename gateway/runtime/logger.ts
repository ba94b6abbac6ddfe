/**
 * Structured logs (pino). Redaction lives in the logger's configuration, not at call sites, so a
 * forgotten field can never leak a secret (STYLE.md "Logs and telemetry").
 *
 * Why not pino's `redact` paths: its wildcards match exactly one level, so covering our fields at
 * the depths they occur takes ~140 paths, which measured ~160 µs per log line (one line per
 * request on the data path). A copy-on-write walk over the log object by field name, wired in
 * through `formatters`, costs about a microsecond and also catches fields at unexpected depths.
 */
import { pino, stdSerializers, type DestinationStream, type Logger as PinoLogger } from 'pino';
import { sensitiveHeaders } from '../protocol/index.ts';

/** The logger every component receives: a pino logger. */
export type Logger = PinoLogger;

/** Log levels, most to least severe; `silent` switches logging off. */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  level: LogLevel;
  /** The component (`manager`, `inway`, …); every line carries it as `name`. */
  name: string;
  /** Where lines go; defaults to stdout. Tests pass an in-memory sink. */
  destination?: DestinationStream;
}

/** What a redacted value is replaced with. */
export const REDACTED = '[Redacted]';

// Field names whose values are secrets or personal data, matched case-insensitively (HTTP field
// names are case-insensitive, and code spells outgoing headers either way).
const SECRET_FIELDS = [
  // credentials in HTTP headers
  'authorization',
  'fsc-authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  // key material and tokens, whatever object they sit in
  'key',
  'keys',
  'privateKey',
  'private_key',
  'keyPem',
  'passphrase',
  'password',
  'secret',
  'clientSecret',
  'client_secret',
  'token',
  'tokens',
  'accessToken',
  'access_token',
  'refreshToken',
  'refresh_token',
  // personal data from the NLX purpose headers: who the request is about, and who asked
  'x-nlx-request-data-subject',
  'x-nlx-request-user-id',
  'dataSubject',
  'dataSubjects',
  'data_subject',
  'data_subjects',
  'userId',
  'user_id',
] as const;

/** The field names (case-insensitive) whose values every Koppel logger replaces with `[Redacted]`. */
export const REDACTED_FIELDS: readonly string[] = Object.freeze([
  // protocol's list of secret headers stays the source of truth for header names
  ...new Set([...SECRET_FIELDS, ...sensitiveHeaders].map((f) => f.toLowerCase())),
]);

const redactedSet: ReadonlySet<string> = new Set(REDACTED_FIELDS);

// Deep enough for `err.request.headers.authorization` and a contract's `content.grants[0].data.x`;
// the bound also stops cycles.
const MAX_DEPTH = 8;

function isSensitive(key: string): boolean {
  return redactedSet.has(key) || redactedSet.has(key.toLowerCase());
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Copy-on-write redaction: the caller's object is never modified, and an object without sensitive
 * fields is returned as is (no allocation on the hot path).
 */
function redactValue(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const redacted = redactValue(item, depth + 1);
      if (redacted !== item) {
        copy ??= value.slice();
        copy[i] = redacted;
      }
    }
    return copy ?? value;
  }
  // Class instances (Buffers, Headers, Maps, X509Certificates) are left to their own JSON form;
  // errors go through the `err` serializer, which redacts its output.
  if (!isPlainObject(value)) return value;
  let copy: Record<string, unknown> | undefined;
  for (const key in value) {
    if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
    const item = value[key];
    const redacted = isSensitive(key) ? REDACTED : redactValue(item, depth + 1);
    if (redacted !== item) {
      copy ??= { ...value };
      copy[key] = redacted;
    }
  }
  return copy ?? value;
}

/** Redact a log object the way every Koppel logger does (see {@link REDACTED_FIELDS}). */
export function redactLogObject<T extends object>(obj: T): T {
  return redactValue(obj, 0) as T;
}

/**
 * A logged error: type, message, code and the error's other own fields, redacted. An error with a
 * string `code` (ECONNREFUSED, UND_ERR_HEADERS_TIMEOUT, an FSC error code) is an expected condition
 * that the code names: its stack says nothing an operator needs and fills lines with paths of ours.
 * An error without one is a bug, and its stack is where to look.
 */
export function serializeError(err: Error): Record<string, unknown> {
  const { stack, ...rest } = stdSerializers.err(err) as Record<string, unknown>;
  const code = (err as { code?: unknown }).code;
  return redactLogObject(typeof code === 'string' ? rest : { ...rest, stack });
}

/**
 * Create a component logger. Secrets (authorization headers, cookies, keys, tokens) and personal
 * data (data subjects, user ids) are replaced with `[Redacted]` at any depth up to three levels.
 */
export function createLogger(options: LoggerOptions): Logger {
  const config = {
    name: options.name,
    level: options.level,
    serializers: {
      // Serializers run after `formatters.log`, so a serialized error is redacted here.
      err: serializeError,
    },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      // A readable level beats a number for people reading raw lines and for log shippers.
      level: (label: string) => ({ level: label }),
      bindings: (bindings: Record<string, unknown>) => redactLogObject(bindings),
      log: (obj: Record<string, unknown>) => redactLogObject(obj),
    },
  };
  const logger = options.destination === undefined ? pino(config) : pino(config, options.destination);
  // pino applies `formatters.bindings` to the root only; children (which inherit this method through
  // their prototype chain) must not be a way around redaction.
  type ChildFn = (this: Logger, bindings: object, childOptions?: object) => Logger;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the child as `this`
  const pinoChild = logger.child as unknown as ChildFn;
  const redactedChild: ChildFn = function redactedChild(this: Logger, bindings, childOptions) {
    return pinoChild.call(this, redactLogObject(bindings), childOptions);
  };
  logger.child = redactedChild as unknown as Logger['child'];
  return logger;
}
