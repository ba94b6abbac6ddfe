/**
 * Contract signatures (fsc-core "Signatures"): a JWS in compact serialisation whose protected header
 * carries `alg` and `x5t#S256` (the signer's certificate thumbprint, RFC 7515 §4.1.8) and whose
 * payload is `{contract_content_hash, type, signed_at}`.
 */
import { CompactSign, compactVerify } from 'jose';
import type { KeyObject, webcrypto } from 'node:crypto';
import { COMPACT_JWS_RE, decodeJsonPart, isPlainObject } from './compact-jws.ts';
import { FscError } from './errors.ts';
import { certificateThumbprint, peerFromCertificate, toX509 } from './identity.ts';
import type { CertificateInput } from './identity.ts';
import type { SignaturePayload, SignatureType } from './types.ts';

/**
 * The algorithms fsc-core allows for signatures and access tokens ("The JWS MUST be created using one
 * of the following digital signature algorithms"). PS256/384/512 are not on that list, so they are
 * refused like `none` and HMAC.
 */
export type SignatureAlgorithm = 'RS256' | 'RS384' | 'RS512' | 'ES256' | 'ES384' | 'ES512';

export const signatureAlgorithms: readonly SignatureAlgorithm[] = Object.freeze([
  'RS256',
  'RS384',
  'RS512',
  'ES256',
  'ES384',
  'ES512',
]);

export function isSignatureAlgorithm(x: unknown): x is SignatureAlgorithm {
  return typeof x === 'string' && (signatureAlgorithms as readonly string[]).includes(x);
}

export const signatureTypes: readonly SignatureType[] = Object.freeze(['accept', 'reject', 'revoke']);

export function isSignatureType(x: unknown): x is SignatureType {
  return typeof x === 'string' && (signatureTypes as readonly string[]).includes(x);
}

/** A private or public key as node:crypto KeyObject or WebCrypto CryptoKey. */
export type SigningKey = KeyObject | webcrypto.CryptoKey;

export interface SignContractInput {
  /** The contract content hash (`$1$1$…`). */
  contentHash: string;
  type: SignatureType;
  /** Unix seconds. */
  signedAt: number;
  privateKey: SigningKey;
  /** The certificate of `privateKey`; its thumbprint goes into `x5t#S256`. */
  certificate: CertificateInput;
  /** Defaults to ES256. */
  alg?: SignatureAlgorithm;
}

/** Create a contract signature (compact JWS). */
export async function signContract(input: SignContractInput): Promise<string> {
  const alg = input.alg ?? 'ES256';
  if (!isSignatureAlgorithm(alg)) {
    throw new FscError('ERROR_CODE_UNKNOWN_ALGORITHM_SIGNATURE', 'signature algorithm is not supported');
  }
  if (typeof input.contentHash !== 'string' || input.contentHash === '') {
    throw new TypeError('contentHash must be a non-empty string');
  }
  if (!isSignatureType(input.type)) throw new TypeError('type must be accept, reject or revoke');
  if (!Number.isSafeInteger(input.signedAt) || input.signedAt < 0) {
    throw new TypeError('signedAt must be Unix seconds');
  }
  const payload: SignaturePayload = {
    contract_content_hash: input.contentHash,
    type: input.type,
    signed_at: input.signedAt,
  };
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg, 'x5t#S256': certificateThumbprint(input.certificate) })
    .sign(input.privateKey);
}

/** The protected header of a contract signature. */
export interface SignatureHeader {
  alg: string;
  'x5t#S256'?: string;
  [name: string]: unknown;
}

export interface DecodedSignature {
  header: SignatureHeader;
  payload: SignaturePayload;
}

function fail(message: string, reason: string): FscError {
  return new FscError('ERROR_CODE_SIGNATURE_VERIFICATION_FAILED', message, { reason });
}

function toSignaturePayload(x: unknown): SignaturePayload | undefined {
  if (!isPlainObject(x)) return undefined;
  const { contract_content_hash, type, signed_at } = x;
  if (typeof contract_content_hash !== 'string' || contract_content_hash === '') return undefined;
  if (!isSignatureType(type)) return undefined;
  if (typeof signed_at !== 'number' || !Number.isSafeInteger(signed_at) || signed_at < 0) return undefined;
  return { contract_content_hash, type, signed_at };
}

/**
 * Read header and payload of a contract signature WITHOUT verifying it, e.g. to find the signer's
 * certificate by `x5t#S256` before verification. Throws ERROR_CODE_SIGNATURE_VERIFICATION_FAILED for
 * a malformed JWS or payload. Never trust the result before {@link verifyContractSignature}.
 */
export function decodeSignatureUnverified(jws: string): DecodedSignature {
  if (typeof jws !== 'string' || !COMPACT_JWS_RE.test(jws)) throw fail('signature is not a compact JWS', 'malformed');
  const [h, p] = jws.split('.');
  const header = decodeJsonPart(h!);
  if (!isPlainObject(header) || typeof header.alg !== 'string')
    throw fail('signature header is malformed', 'malformed');
  if (header['x5t#S256'] !== undefined && typeof header['x5t#S256'] !== 'string') {
    throw fail('signature header is malformed', 'malformed');
  }
  const payload = toSignaturePayload(decodeJsonPart(p!));
  if (payload === undefined) throw fail('signature payload is malformed', 'malformed');
  return { header: header as SignatureHeader, payload };
}

export interface VerifyContractSignatureInput {
  jws: string;
  /** The signer's certificate (its chain to the trust anchor is checked elsewhere). */
  certificate: CertificateInput;
  /** The content hash of the contract we hold. */
  expectedContentHash: string;
  /** When set, the signature must be of this type (e.g. `accept` on the accept endpoint). */
  expectedType?: SignatureType;
  /** When set, the certificate's peer id must equal this (the peer the signature is filed under). */
  expectedPeerId?: string;
}

export interface VerifiedSignature {
  type: SignatureType;
  /** Unix seconds. */
  signedAt: number;
  contentHash: string;
  alg: SignatureAlgorithm;
  /** `x5t#S256` of the signing certificate. */
  certificateThumbprint: string;
}

/**
 * Verify a contract signature against the signer's certificate. Throws FscError:
 * - ERROR_CODE_UNKNOWN_ALGORITHM_SIGNATURE: `alg` is none, HMAC, PS* or anything not allowed by fsc-core;
 * - ERROR_CODE_SIGNATURE_VERIFICATION_FAILED: malformed, `x5t#S256` missing or not the certificate's,
 *   key does not fit `alg`, bad signature, or the wrong signature type (`reason` tells which);
 * - ERROR_CODE_PEER_ID_SIGNATURE_MISMATCH: the certificate belongs to another peer than expected;
 * - ERROR_CODE_SIGNATURE_CONTRACT_CONTENT_HASH_MISMATCH: a valid signature for other content.
 */
export async function verifyContractSignature(input: VerifyContractSignatureInput): Promise<VerifiedSignature> {
  const { header } = decodeSignatureUnverified(input.jws);
  const alg = header.alg;
  if (!isSignatureAlgorithm(alg)) {
    throw new FscError('ERROR_CODE_UNKNOWN_ALGORITHM_SIGNATURE', 'signature algorithm is not supported');
  }
  const x509 = toX509(input.certificate);
  const thumbprint = certificateThumbprint(x509);
  if (header['x5t#S256'] === undefined) throw fail('signature header has no x5t#S256', 'thumbprint-missing');
  if (header['x5t#S256'] !== thumbprint) {
    throw fail('signature was not made with the given certificate', 'thumbprint-mismatch');
  }
  let payloadBytes: Uint8Array;
  try {
    const result = await compactVerify(input.jws, x509.publicKey, { algorithms: [alg] });
    payloadBytes = result.payload;
  } catch (cause) {
    throw new FscError('ERROR_CODE_SIGNATURE_VERIFICATION_FAILED', 'signature could not be verified', {
      cause,
      reason: 'signature',
    });
  }
  // Re-read the payload from the verified bytes, not from the unverified decode.
  const payload = toSignaturePayload(
    (() => {
      try {
        return JSON.parse(new TextDecoder().decode(payloadBytes)) as unknown;
      } catch {
        return undefined;
      }
    })(),
  );
  if (payload === undefined) throw fail('signature payload is malformed', 'malformed');
  if (input.expectedPeerId !== undefined) {
    const { peerId } = peerFromCertificate(x509);
    if (peerId !== input.expectedPeerId) {
      throw new FscError(
        'ERROR_CODE_PEER_ID_SIGNATURE_MISMATCH',
        'signature peer id does not match the submitting peer',
      );
    }
  }
  if (input.expectedType !== undefined && payload.type !== input.expectedType) {
    throw fail(`expected a signature of type ${input.expectedType}, got ${payload.type}`, 'type-mismatch');
  }
  if (payload.contract_content_hash !== input.expectedContentHash) {
    throw new FscError(
      'ERROR_CODE_SIGNATURE_CONTRACT_CONTENT_HASH_MISMATCH',
      'signature contract content hash does not match the contract content hash',
    );
  }
  return {
    type: payload.type,
    signedAt: payload.signed_at,
    contentHash: payload.contract_content_hash,
    alg,
    certificateThumbprint: thumbprint,
  };
}
