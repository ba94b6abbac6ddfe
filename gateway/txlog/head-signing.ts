// Ready-made HeadSigner/HeadVerifier on jose, for callers that hold the peer's key themselves. The
// txlog only depends on the two function types, so the runtime may plug in whatever signs for the peer
// (e.g. the manager's signing key with its x5t#S256); these helpers are the plain JWS version of that.
import { CompactSign, compactVerify, type CompactVerifyGetKey, type KeyInput } from 'jose';
import { canonicalJson } from './canonical.ts';
import type { AnchorPayload, HeadPayload, HeadSigner, HeadVerifier } from './types.ts';

export interface JwsHeadSignerOptions {
  /** The peer's private key (CryptoKey, KeyObject or JWK). */
  privateKey: KeyInput;
  /** JWS alg; default ES256 (the FSC default for P-256 keys). */
  alg?: string;
  /** Base64url SHA-256 thumbprint of the peer's certificate (DER), for the `x5t#S256` header. */
  x5tS256: string;
  /**
   * The certificate chain (standard base64 DER, leaf first) for the `x5c` header (RFC 7515 §4.1.6): a
   * head then says who signed it, so `koppel logs verify` checks heads signed before a certificate
   * renewal without being given the old certificate (it checks that the chain leads to the trust
   * anchor and names this peer).
   */
  x5c?: readonly string[];
}

/** Signs head and anchor payloads as compact JWS over their canonical JSON, header `{alg, x5t#S256[, x5c]}`. */
export function createJwsHeadSigner(options: JwsHeadSignerOptions): HeadSigner {
  const alg = options.alg ?? 'ES256';
  const encoder = new TextEncoder();
  const header = {
    alg,
    'x5t#S256': options.x5tS256,
    ...(options.x5c === undefined ? {} : { x5c: [...options.x5c] }),
  };
  return async function signTxlogHead(payload: HeadPayload | AnchorPayload): Promise<string> {
    return new CompactSign(encoder.encode(canonicalJson(payload))).setProtectedHeader(header).sign(options.privateKey);
  };
}

export interface JwsHeadVerifierOptions {
  /** The peer's public key, or a function choosing one from the protected header (e.g. by `x5t#S256`). */
  publicKey: KeyInput | CompactVerifyGetKey;
  /** Accepted algorithms; default ['ES256']. */
  algorithms?: string[];
}

/** Verifies a JWS made by {@link createJwsHeadSigner} and returns its parsed payload. */
export function createJwsHeadVerifier(options: JwsHeadVerifierOptions): HeadVerifier {
  const algorithms = options.algorithms ?? ['ES256'];
  const decoder = new TextDecoder();
  return async function verifyTxlogHead(jws: string): Promise<unknown> {
    const { payload } = await compactVerify(jws, options.publicKey, { algorithms });
    return JSON.parse(decoder.decode(payload)) as unknown;
  };
}
