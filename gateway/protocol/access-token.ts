/**
 * The FSC access token (fsc-core "Access token"): a JWT signed by the service provider's manager,
 * header `alg` + `x5t#S256`, bound to the outway's client certificate through `cnf.x5t#S256`
 * (RFC 8705 §3.1).
 *
 * Claims: `gth` grant hash, `gid` group id, `sub` the outway's peer (the token's user, equal to the
 * grant's `outway.peer_id` and the token request's `client_id`), `iss` the provider peer, `svc` the
 * service name, `aud` the inway URL, `exp`, `nbf`, `cnf`, and optionally `act.sub` (the connection
 * delegator, `grant.data.delegator.peer_id` of a DelegatedServiceConnectionGrant), `pdi` (the
 * publication delegator, `grant.data.service.delegator.peer_id`), `prp` (the grant's properties) and
 * `add` (additional data).
 *
 * Note: the core text's delegation example words `act.sub`/`sub` the other way round, but its claim
 * list ties `act.sub` to `grant.data.delegator.peer_id` and the token rules tie `sub`/`cnf` to the
 * calling outway; we follow the claim list.
 */
import { SignJWT, compactVerify } from 'jose';
import type { KeyObject, X509Certificate, webcrypto } from 'node:crypto';
import { COMPACT_JWS_RE, decodeJsonPart, isPlainObject } from './compact-jws.ts';
import { FscError } from './errors.ts';
import type { FscErrorOptions } from './errors.ts';
import { certificateThumbprint, toX509 } from './identity.ts';
import type { CertificateInput } from './identity.ts';
import { isSignatureAlgorithm } from './signature.ts';
import type { SignatureAlgorithm, SigningKey } from './signature.ts';

/** The JWT claims of an FSC access token. */
export interface AccessTokenClaims {
  gth: string;
  gid: string;
  sub: string;
  iss: string;
  svc: string;
  aud: string;
  /** Unix seconds. */
  exp: number;
  /** Unix seconds. */
  nbf: number;
  cnf: { 'x5t#S256': string };
  act?: { sub: string };
  pdi?: string;
  prp?: Record<string, unknown>;
  add?: Record<string, unknown>;
}

/** A point in time: a Date, or Unix milliseconds (as from Date.now()). */
export type Instant = Date | number;

function toUnixSeconds(now: Instant): number {
  const ms = typeof now === 'number' ? now : now.getTime();
  // A value this small is almost surely seconds passed by mistake (it would be before 1973 in ms).
  if (!Number.isFinite(ms) || ms < 1e11) throw new RangeError('now must be a Date or Unix milliseconds');
  return Math.floor(ms / 1000);
}

export interface IssueAccessTokenInput {
  /** `gth`: the grant hash the token is issued for. */
  grantHash: string;
  /** `gid` */
  groupId: string;
  /** `sub`: peer id of the outway (the certificate peer requesting the token). */
  subject: string;
  /** `iss`: our peer id (the service provider). */
  issuer: string;
  /** `svc` */
  service: string;
  /** `aud`: URL of the inway offering the service, with scheme and port. */
  audience: string;
  /** `cnf.x5t#S256`: certificate thumbprint of the client certificate used for the token request. */
  clientCertificateThumbprint: string;
  /** `act.sub`: the connection delegator (DelegatedServiceConnectionGrant). */
  connectionDelegator?: string;
  /** `pdi`: the publication delegator (the service's delegator). */
  publicationDelegator?: string;
  /** `prp`: the grant's properties, when the grant has them. */
  properties?: Record<string, unknown>;
  /** `add`: additional data. */
  additionalData?: Record<string, unknown>;
  privateKey: SigningKey;
  /** Certificate of `privateKey`; its thumbprint goes into the `x5t#S256` header. */
  certificate: CertificateInput;
  /** Defaults to ES256. */
  alg?: SignatureAlgorithm;
  lifetimeSeconds: number;
  now: Instant;
}

/** Issue an access token. `nbf` is `now`, `exp` is `now + lifetimeSeconds`. */
export async function issueAccessToken(input: IssueAccessTokenInput): Promise<string> {
  const alg = input.alg ?? 'ES256';
  if (!isSignatureAlgorithm(alg)) throw new TypeError('unsupported token algorithm');
  if (!Number.isSafeInteger(input.lifetimeSeconds) || input.lifetimeSeconds <= 0) {
    throw new RangeError('lifetimeSeconds must be a positive integer');
  }
  const nbf = toUnixSeconds(input.now);
  const claims: AccessTokenClaims = {
    gth: input.grantHash,
    gid: input.groupId,
    sub: input.subject,
    iss: input.issuer,
    svc: input.service,
    aud: input.audience,
    exp: nbf + input.lifetimeSeconds,
    nbf,
    cnf: { 'x5t#S256': input.clientCertificateThumbprint },
  };
  if (input.connectionDelegator !== undefined) claims.act = { sub: input.connectionDelegator };
  if (input.publicationDelegator !== undefined) claims.pdi = input.publicationDelegator;
  if (input.properties !== undefined) claims.prp = input.properties;
  if (input.additionalData !== undefined) claims.add = input.additionalData;
  const claimError = checkClaims(claims);
  if (claimError !== undefined) throw new TypeError(`invalid token claims: ${claimError}`);
  return new SignJWT(claims as unknown as Record<string, unknown>)
    .setProtectedHeader({ alg, 'x5t#S256': certificateThumbprint(input.certificate) })
    .sign(input.privateKey);
}

// --- decoding and verification ---

/** Why a token was refused as ERROR_CODE_ACCESS_TOKEN_INVALID / _EXPIRED (FscError.reason). */
export type AccessTokenRejection =
  | 'malformed'
  | 'algorithm'
  | 'thumbprint-missing'
  | 'unknown-key'
  | 'signature'
  | 'claims'
  | 'issuer'
  | 'audience'
  | 'certificate-mismatch'
  | 'expired'
  | 'not-yet-valid';

function invalid(message: string, reason: AccessTokenRejection, cause?: unknown): FscError {
  const options: FscErrorOptions = { reason };
  if (cause !== undefined) options.cause = cause;
  return new FscError('ERROR_CODE_ACCESS_TOKEN_INVALID', message, options);
}

function isNonEmptyString(x: unknown): x is string {
  return typeof x === 'string' && x !== '';
}

/** The first problem with a claims object, or undefined when it has the FSC shape. */
function checkClaims(c: Record<string, unknown> | AccessTokenClaims): string | undefined {
  const o = c as Record<string, unknown>;
  for (const name of ['gth', 'gid', 'sub', 'iss', 'svc', 'aud'] as const) {
    if (!isNonEmptyString(o[name])) return `${name} must be a non-empty string`;
  }
  for (const name of ['exp', 'nbf'] as const) {
    const v = o[name];
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) return `${name} must be an integer`;
  }
  const cnf = o.cnf;
  if (!isPlainObject(cnf) || !isNonEmptyString(cnf['x5t#S256'])) return 'cnf.x5t#S256 must be a non-empty string';
  if (o.act !== undefined && (!isPlainObject(o.act) || !isNonEmptyString(o.act.sub))) return 'act.sub must be a string';
  if (o.pdi !== undefined && !isNonEmptyString(o.pdi)) return 'pdi must be a non-empty string';
  if (o.prp !== undefined && !isPlainObject(o.prp)) return 'prp must be an object';
  if (o.add !== undefined && !isPlainObject(o.add)) return 'add must be an object';
  return undefined;
}

export interface DecodedAccessToken {
  header: { alg: string; 'x5t#S256'?: string; [name: string]: unknown };
  claims: AccessTokenClaims;
}

/**
 * Read an access token WITHOUT verifying its signature: the outway uses this to route to `aud`,
 * check `gid` and cache until `exp`. Throws ERROR_CODE_ACCESS_TOKEN_INVALID (reason `malformed` or
 * `claims`) when it is not an FSC access token.
 */
export function decodeAccessTokenUnverified(token: string): DecodedAccessToken {
  if (typeof token !== 'string' || !COMPACT_JWS_RE.test(token)) throw invalid('access token is malformed', 'malformed');
  const [h, p] = token.split('.');
  const header = decodeJsonPart(h!);
  if (!isPlainObject(header) || typeof header.alg !== 'string') throw invalid('access token is malformed', 'malformed');
  const claims = decodeJsonPart(p!);
  if (!isPlainObject(claims)) throw invalid('access token is malformed', 'malformed');
  const problem = checkClaims(claims);
  if (problem !== undefined) throw invalid(`access token claims are invalid: ${problem}`, 'claims');
  return { header: header as DecodedAccessToken['header'], claims: claims as unknown as AccessTokenClaims };
}

/** A verification key with the thumbprint of its certificate, prepared once and reused per request. */
export interface AccessTokenKey {
  key: KeyObject | webcrypto.CryptoKey;
  /** `x5t#S256` of the certificate; a key without one is tried for any token. */
  certificateThumbprint?: string;
}

/** What may be passed as the issuer's key: a certificate (preferred), or a bare key, or a prepared key. */
export type AccessTokenKeyInput = X509Certificate | KeyObject | webcrypto.CryptoKey | AccessTokenKey;

const preparedFromCert = new WeakMap<X509Certificate, AccessTokenKey>();

function isAccessTokenKey(x: AccessTokenKeyInput): x is AccessTokenKey {
  return typeof x === 'object' && 'key' in x && !('type' in x && 'algorithm' in x);
}

function isX509(x: AccessTokenKeyInput): x is X509Certificate {
  return typeof x === 'object' && 'fingerprint256' in x && 'publicKey' in x;
}

/**
 * Turn certificates or keys into {@link AccessTokenKey}s. Certificates are parsed and thumbprinted
 * once (cached per X509Certificate object), so passing the same objects on every request is cheap.
 */
export function prepareAccessTokenKeys(
  input: AccessTokenKeyInput | CertificateInput | readonly (AccessTokenKeyInput | CertificateInput)[],
): AccessTokenKey[] {
  const list = Array.isArray(input) ? (input as readonly (AccessTokenKeyInput | CertificateInput)[]) : [input];
  return list.map((item) => {
    if (typeof item === 'string' || item instanceof Uint8Array || item instanceof ArrayBuffer) {
      return prepareCertificate(toX509(item));
    }
    const k = item as AccessTokenKeyInput;
    if (isX509(k)) return prepareCertificate(k);
    if (isAccessTokenKey(k)) return k;
    return { key: k };
  });
}

function prepareCertificate(cert: X509Certificate): AccessTokenKey {
  let prepared = preparedFromCert.get(cert);
  if (prepared === undefined) {
    prepared = { key: cert.publicKey, certificateThumbprint: certificateThumbprint(cert) };
    preparedFromCert.set(cert, prepared);
  }
  return prepared;
}

export interface VerifyAccessTokenInput {
  /** The `Fsc-Authorization` header value; undefined or empty → ERROR_CODE_ACCESS_TOKEN_MISSING. */
  token: string | undefined;
  /** The issuer's (our own peer's) token signing certificate(s) or key(s). */
  keys: AccessTokenKeyInput | readonly AccessTokenKeyInput[];
  /** Our group id; another `gid` → ERROR_CODE_WRONG_GROUP_ID_IN_TOKEN. */
  groupId: string;
  /** `x5t#S256` of the client certificate on this connection (RFC 8705 §3.1). */
  clientCertificateThumbprint: string;
  now: Instant;
  /** Allowed clock difference for `exp`/`nbf`; default 0. */
  clockToleranceSeconds?: number;
  /** When set, `iss` must equal it (the token must be issued by our own peer). */
  issuer?: string;
  /** When set, `aud` must equal it. */
  audience?: string;
}

/**
 * Verify an access token on the inway (fsc-core "Inway > Authorization"). Returns the claims, or
 * throws FscError:
 * - ERROR_CODE_ACCESS_TOKEN_MISSING: no token;
 * - ERROR_CODE_ACCESS_TOKEN_INVALID: malformed, algorithm not allowed (none, HMAC, PS*…), no
 *   `x5t#S256`, unknown key, bad signature, bad claims, wrong issuer/audience, or bound to another
 *   certificate — `reason` says which ({@link AccessTokenRejection});
 * - ERROR_CODE_ACCESS_TOKEN_EXPIRED: `exp` passed (reason `expired`) or `nbf` ahead (`not-yet-valid`);
 * - ERROR_CODE_WRONG_GROUP_ID_IN_TOKEN: `gid` is not our group.
 */
export async function verifyAccessToken(input: VerifyAccessTokenInput): Promise<AccessTokenClaims> {
  const claims = await verifyAccessTokenSignature(input.token, prepareAccessTokenKeys(input.keys));
  checkVerifiedClaims(claims, input);
  return claims;
}

async function verifyAccessTokenSignature(
  token: string | undefined,
  keys: readonly AccessTokenKey[],
): Promise<AccessTokenClaims> {
  if (token === undefined || token.trim() === '') {
    throw new FscError('ERROR_CODE_ACCESS_TOKEN_MISSING', 'access token is missing');
  }
  const { header } = decodeAccessTokenUnverified(token);
  if (!isSignatureAlgorithm(header.alg)) throw invalid('access token algorithm is not allowed', 'algorithm');
  const x5t = header['x5t#S256'];
  // fsc-core: "The JWT MUST specify the thumbprint of the X.509 certificate used to sign the JWT".
  if (typeof x5t !== 'string' || x5t === '') throw invalid('access token header has no x5t#S256', 'thumbprint-missing');
  const candidates = keys.filter((k) => k.certificateThumbprint === undefined || k.certificateThumbprint === x5t);
  if (candidates.length === 0) throw invalid('access token was signed by an unknown key', 'unknown-key');
  let lastError: unknown;
  for (const candidate of candidates) {
    try {
      const { payload } = await compactVerify(token, candidate.key, { algorithms: [header.alg] });
      const claims = JSON.parse(new TextDecoder().decode(payload)) as unknown;
      if (!isPlainObject(claims)) throw invalid('access token is malformed', 'malformed');
      const problem = checkClaims(claims);
      if (problem !== undefined) throw invalid(`access token claims are invalid: ${problem}`, 'claims');
      return claims as unknown as AccessTokenClaims;
    } catch (err) {
      if (err instanceof FscError) throw err;
      lastError = err;
    }
  }
  throw invalid('access token signature is invalid', 'signature', lastError);
}

function checkVerifiedClaims(claims: AccessTokenClaims, input: Omit<VerifyAccessTokenInput, 'token' | 'keys'>): void {
  const nowSeconds = toUnixSeconds(input.now);
  const tolerance = input.clockToleranceSeconds ?? 0;
  if (input.issuer !== undefined && claims.iss !== input.issuer) {
    throw invalid('access token was issued by another peer', 'issuer');
  }
  if (input.audience !== undefined && claims.aud !== input.audience) {
    throw invalid('access token is meant for another inway', 'audience');
  }
  // RFC 7519 §4.1.4: the token MUST NOT be accepted on or after exp.
  if (nowSeconds >= claims.exp + tolerance) {
    throw new FscError('ERROR_CODE_ACCESS_TOKEN_EXPIRED', 'access token has expired', { reason: 'expired' });
  }
  // RFC 7519 §4.1.5: the token MUST NOT be accepted before nbf.
  if (nowSeconds + tolerance < claims.nbf) {
    throw new FscError('ERROR_CODE_ACCESS_TOKEN_EXPIRED', 'access token is not valid yet', { reason: 'not-yet-valid' });
  }
  if (claims.gid !== input.groupId) {
    throw new FscError('ERROR_CODE_WRONG_GROUP_ID_IN_TOKEN', 'access token is for another group');
  }
  // RFC 8705 §3.1: the token is only valid on a connection with the certificate it is bound to.
  if (claims.cnf['x5t#S256'] !== input.clientCertificateThumbprint) {
    throw invalid('access token is bound to another certificate', 'certificate-mismatch');
  }
}

export interface AccessTokenVerifierOptions {
  keys: AccessTokenKeyInput | readonly AccessTokenKeyInput[];
  groupId: string;
  issuer?: string;
  audience?: string;
  clockToleranceSeconds?: number;
  /**
   * How many signature-verified tokens to remember (by exact token text); 0 disables. A hit skips
   * only the signature check — time, group and certificate binding are checked on every call.
   */
  cacheSize?: number;
}

export interface AccessTokenVerifier {
  verify(token: string | undefined, clientCertificateThumbprint: string, now: Instant): Promise<AccessTokenClaims>;
  /** Forget cached tokens (e.g. after the signing key changed). */
  clear(): void;
}

/**
 * A reusable verifier for the inway: keys are prepared once and verified tokens are remembered, so
 * an outway reusing its token for minutes costs one signature check, not one per request.
 */
export function createAccessTokenVerifier(options: AccessTokenVerifierOptions): AccessTokenVerifier {
  const keys = prepareAccessTokenKeys(options.keys);
  const cacheSize = options.cacheSize ?? 10_000;
  const cache = new Map<string, AccessTokenClaims>();
  const base: Omit<VerifyAccessTokenInput, 'token' | 'keys' | 'now' | 'clientCertificateThumbprint'> = {
    groupId: options.groupId,
  };
  if (options.issuer !== undefined) base.issuer = options.issuer;
  if (options.audience !== undefined) base.audience = options.audience;
  if (options.clockToleranceSeconds !== undefined) base.clockToleranceSeconds = options.clockToleranceSeconds;

  return {
    async verify(token, clientCertificateThumbprint, now) {
      let claims = token === undefined ? undefined : cache.get(token);
      if (claims === undefined) {
        claims = await verifyAccessTokenSignature(token, keys);
        if (cacheSize > 0 && token !== undefined) {
          if (cache.size >= cacheSize) {
            // Drop the oldest entry (Map keeps insertion order).
            const oldest = cache.keys().next();
            if (oldest.done !== true) cache.delete(oldest.value);
          }
          cache.set(token, claims);
        }
      }
      const checked = claims;
      try {
        checkVerifiedClaims(checked, { ...base, now, clientCertificateThumbprint });
      } catch (err) {
        if (token !== undefined && err instanceof FscError && err.reason === 'expired') cache.delete(token);
        throw err;
      }
      return structuredClone(checked);
    },
    clear() {
      cache.clear();
    },
  };
}
