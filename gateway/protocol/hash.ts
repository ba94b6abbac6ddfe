/**
 * Contract content hashes and grant hashes (fsc-core "The content hash", "Grant hash", "Type mappings").
 *
 * A hash string is `$<hash algorithm int32>$<hash type int32>$<base64url digest, no padding>`, e.g.
 * `$1$3$…` for a ServiceConnectionGrant hashed with SHA3-512.
 *
 * Two constructions exist and a group uses exactly one of them ({@link HashScheme}):
 * - `jcs` (fsc-core working draft): content hash = H(JCS(content)); grant hash =
 *   H(content-hash string ‖ JCS(grant.data)).
 * - `fsc-1.1` (published FSC Core 1.1): H over a byte concatenation of selected fields, see
 *   {@link fsc11ContentBytes} and {@link fsc11GrantBytes}.
 */
import { createHash } from 'node:crypto';
import { FscError, type ErrorDomain } from './errors.ts';
import { uuidToBytes } from './ids.ts';
import { canonicalBytes } from './jcs.ts';
import type {
  ContractContent,
  DelegatedServiceRef,
  Grant,
  GrantData,
  GrantType,
  HashAlgorithm,
  HashScheme,
  ServiceRef,
  ServiceType,
} from './types.ts';

/** fsc-core "Type mappings > Hash types": the second field of a hash string. */
export enum HashType {
  Contract = 1,
  ServicePublicationGrant = 2,
  ServiceConnectionGrant = 3,
  DelegatedServiceConnectionGrant = 4,
  DelegatedServicePublicationGrant = 5,
}

/** fsc-core "Type mappings > Hash algorithms": the first field of a hash string. */
export const HASH_ALGORITHM_IDS: Readonly<Record<HashAlgorithm, number>> = Object.freeze({
  HASH_ALGORITHM_SHA3_512: 1,
});

/** fsc-core "Type mappings > Grant types" (used by the fsc-1.1 grant bytes). */
export const GRANT_TYPE_IDS: Readonly<Record<GrantType, number>> = Object.freeze({
  GRANT_TYPE_SERVICE_PUBLICATION: 1,
  GRANT_TYPE_SERVICE_CONNECTION: 2,
  GRANT_TYPE_DELEGATED_SERVICE_CONNECTION: 3,
  GRANT_TYPE_DELEGATED_SERVICE_PUBLICATION: 4,
});

/** fsc-core "Type mappings > Service types" (used by the fsc-1.1 grant bytes). */
export const SERVICE_TYPE_IDS: Readonly<Record<ServiceType, number>> = Object.freeze({
  SERVICE_TYPE_SERVICE: 1,
  SERVICE_TYPE_DELEGATED_SERVICE: 2,
});

const GRANT_HASH_TYPES: Readonly<Record<GrantType, HashType>> = Object.freeze({
  GRANT_TYPE_SERVICE_PUBLICATION: HashType.ServicePublicationGrant,
  GRANT_TYPE_SERVICE_CONNECTION: HashType.ServiceConnectionGrant,
  GRANT_TYPE_DELEGATED_SERVICE_CONNECTION: HashType.DelegatedServiceConnectionGrant,
  GRANT_TYPE_DELEGATED_SERVICE_PUBLICATION: HashType.DelegatedServicePublicationGrant,
});

/** Digest length in bytes per algorithm: SHA3-512 gives 64 bytes = 86 base64url characters. */
const DIGEST_BYTES: Readonly<Record<HashAlgorithm, number>> = Object.freeze({ HASH_ALGORITHM_SHA3_512: 64 });

const ALGORITHM_BY_ID: ReadonlyMap<number, HashAlgorithm> = new Map(
  Object.entries(HASH_ALGORITHM_IDS).map(([name, id]) => [id, name as HashAlgorithm]),
);

/** manager.yaml allows 1024 characters for a grant hash; refusing more early bounds the work. */
const MAX_HASH_LENGTH = 1024;
// Numbers without leading zeros, so a parsed hash formats back to exactly the same string.
const HASH_SHAPE = /^\$([1-9]\d{0,8})\$([1-9]\d{0,8})\$([A-Za-z0-9_-]+)$/;

/** The hash type of a grant's hash (fsc-core "Grant hash", step 7). */
export function hashTypeOfGrant(type: GrantType): HashType {
  return GRANT_HASH_TYPES[type];
}

/** True for the hash types of grants (2–5), false for the contract hash type. */
export function isGrantHashType(type: HashType): boolean {
  return type !== HashType.Contract;
}

/** A parsed hash string. */
export interface ParsedHash {
  algorithm: HashAlgorithm;
  type: HashType;
  /** The raw digest. */
  digest: Buffer;
  /** The hash string in its (only) canonical form. */
  hash: string;
}

/**
 * Parse `$<alg>$<type>$<base64url>`. An unknown algorithm number throws FscError
 * ERROR_CODE_UNKNOWN_HASH_ALGORITHM_HASH (fsc-core manager "Codes"); any other defect (shape, unknown
 * hash type, digest length, non-canonical base64url, padding) throws ERROR_CODE_BAD_REQUEST.
 */
export function parseHash(s: string): ParsedHash {
  if (typeof s !== 'string') throw malformed('a hash must be a string');
  if (s.length > MAX_HASH_LENGTH) throw malformed(`a hash is at most ${MAX_HASH_LENGTH} characters`);
  const m = HASH_SHAPE.exec(s);
  if (m === null) throw malformed('a hash has the form $<algorithm>$<type>$<base64url digest>');
  const [, algText, typeText, encoded] = m as unknown as [string, string, string, string];
  const algorithm = ALGORITHM_BY_ID.get(Number(algText));
  if (algorithm === undefined) {
    throw new FscError('ERROR_CODE_UNKNOWN_HASH_ALGORITHM_HASH', `unknown hash algorithm ${algText}`);
  }
  const type = Number(typeText);
  if (!isHashType(type)) throw malformed(`unknown hash type ${typeText}`);
  const digest = Buffer.from(encoded, 'base64url');
  const expected = DIGEST_BYTES[algorithm];
  if (digest.length !== expected) throw malformed(`a ${algorithm} digest has ${expected} bytes`);
  // Node's decoder ignores stray trailing bits; hash strings are compared as text (store keys,
  // token `gth`, URL paths), so only the one canonical spelling of a digest is accepted.
  if (digest.toString('base64url') !== encoded) throw malformed('digest is not canonical base64url');
  return { algorithm, type, digest, hash: formatHash(algorithm, type, digest) };
}

/**
 * Throws ERROR_CODE_UNKNOWN_HASH_ALGORITHM_HASH when `s` has the shape of a hash string with an
 * algorithm number we do not know; anything else passes (the caller reports other defects its own
 * way). fsc-core reserves that code for every place that takes a hash, so it is never a mismatch or
 * a generic bad request.
 */
export function assertKnownHashAlgorithm(s: string, domain?: ErrorDomain): void {
  const m = typeof s === 'string' && s.length <= MAX_HASH_LENGTH ? HASH_SHAPE.exec(s) : null;
  if (m !== null && !ALGORITHM_BY_ID.has(Number(m[1]))) {
    throw new FscError('ERROR_CODE_UNKNOWN_HASH_ALGORITHM_HASH', `unknown hash algorithm ${m[1]}`, domain === undefined ? {} : { domain });
  }
}

/** `$<alg>$<type>$<base64url digest without padding>` (fsc-core "The content hash", steps 3–6). */
export function formatHash(algorithm: HashAlgorithm, type: HashType, digest: Uint8Array): string {
  const alg = HASH_ALGORITHM_IDS[algorithm];
  return `$${alg}$${type}$${Buffer.from(digest.buffer, digest.byteOffset, digest.byteLength).toString('base64url')}`;
}

/** The content hash (`$1$1$…`) of a contract under the group's hash scheme (default `jcs`). */
export function contentHash(content: ContractContent, scheme: HashScheme = 'jcs'): string {
  if (scheme === 'jcs') return jcsContentHash(content);
  assertFsc11(scheme);
  return digestHash(content.hash_algorithm, HashType.Contract, fsc11ContentBytes(content, fsc11GrantHashes(content)));
}

/**
 * The hash of one grant: `grant` is its index in `content.grants` or the grant itself (which is then
 * hashed as if it were part of `content`).
 */
export function grantHash(content: ContractContent, grant: number | Grant, scheme: HashScheme = 'jcs'): string {
  const g = typeof grant === 'number' ? grantAt(content, grant) : grant;
  if (scheme === 'jcs') return jcsGrantHash(content, jcsContentHash(content), g.data);
  assertFsc11(scheme);
  return fsc11GrantHash(content, g.data);
}

/** The hashes of all grants, in the order of `content.grants`. */
export function grantHashes(content: ContractContent, scheme: HashScheme = 'jcs'): string[] {
  if (scheme === 'jcs') {
    const contentHashString = jcsContentHash(content);
    return content.grants.map((g) => jcsGrantHash(content, contentHashString, g.data));
  }
  assertFsc11(scheme);
  return fsc11GrantHashes(content);
}

// --- jcs scheme (fsc-core draft "The content hash" / "Grant hash") -----------------------------------

function jcsContentHash(content: ContractContent): string {
  return digestHash(content.hash_algorithm, HashType.Contract, canonicalBytes(content));
}

function jcsGrantHash(content: ContractContent, contentHashString: string, data: GrantData): string {
  // "Append the Canonical JSON string to the content hash": the content hash *string* ($1$1$…), not
  // its digest bytes, followed by JCS(grant.data); both are ASCII/UTF-8 text.
  const bytes = Buffer.concat([Buffer.from(contentHashString, 'utf8'), canonicalBytes(data)]);
  return digestHash(content.hash_algorithm, hashTypeOfGrant(data.type), bytes);
}

// --- fsc-1.1 scheme (published FSC Core 1.1 "The content hash", "Grant hash", "Data types") ---------

/**
 * The bytes hashed for a 1.1 content hash: group_id (UTF-8) ‖ iv (the 16 UUID bytes) ‖ not_before ‖
 * not_after ‖ created_at (each int64 little-endian) ‖ the grant-hash strings (UTF-8), sorted as byte
 * arrays in ascending order. `hash_algorithm` is not part of the bytes (1.1 lists no step for it).
 *
 * Decision (1.1 step "Append contract.content.iv"): the iv is appended as its 16 binary UUID bytes,
 * not as the 36-character text; the grant-hash step says "convert iv to bytes" for the same value.
 */
export function fsc11ContentBytes(content: ContractContent, grantHashStrings: readonly string[]): Buffer {
  const grantBytes = grantHashStrings.map((h) => Buffer.from(h, 'utf8')).sort((a, b) => Buffer.compare(a, b));
  return Buffer.concat([
    Buffer.from(content.group_id, 'utf8'),
    ivBytes(content.iv),
    int64le(content.validity.not_before, 'validity.not_before'),
    int64le(content.validity.not_after, 'validity.not_after'),
    int64le(content.created_at, 'created_at'),
    ...grantBytes,
  ]);
}

/**
 * The bytes hashed for a 1.1 grant hash: group_id (UTF-8) ‖ iv (16 bytes) ‖ every field of the grant
 * in the order manager.yaml defines them, depth first.
 *
 * Decisions, following the 1.1 "Data types" and "Type mappings" tables where the worked examples
 * differ: grant type and service type are int32 little-endian (tables "Grant types", "Service
 * types"); strings, including the hex public-key thumbprint and the `protocol` enum (which has no
 * mapping table), are their UTF-8 bytes; an optional field that is absent contributes nothing, so a
 * `SERVICE_TYPE_SERVICE` service adds type, peer_id, name and a `SERVICE_TYPE_DELEGATED_SERVICE`
 * also its delegator's peer_id. Field order (manager.yaml):
 * - publication: type, directory.peer_id, service.peer_id, service.name, service.protocol
 * - connection: type, outway.peer_id, outway.public_key_thumbprint, service.type, service.peer_id,
 *   service.name[, service.delegator.peer_id]
 * - delegated connection: as connection, then delegator.peer_id
 * - delegated publication: as publication, then delegator.peer_id
 * `properties` did not exist in 1.1 and has no byte form, so a grant carrying it cannot be hashed
 * under this scheme (FscError ERROR_CODE_INVALID_CONTRACT) rather than being silently left unsigned.
 */
export function fsc11GrantBytes(content: ContractContent, data: GrantData): Buffer {
  if (data.properties !== undefined) {
    throw new FscError(
      'ERROR_CODE_INVALID_CONTRACT',
      'grant properties cannot be hashed with the fsc-1.1 hash scheme',
      {
        reason: 'fsc-1.1-properties',
      },
    );
  }
  const parts: Buffer[] = [
    Buffer.from(content.group_id, 'utf8'),
    ivBytes(content.iv),
    int32le(GRANT_TYPE_IDS[data.type]),
  ];
  switch (data.type) {
    case 'GRANT_TYPE_SERVICE_PUBLICATION':
      parts.push(
        utf8(data.directory.peer_id),
        utf8(data.service.peer_id),
        utf8(data.service.name),
        utf8(data.service.protocol),
      );
      break;
    case 'GRANT_TYPE_SERVICE_CONNECTION':
      parts.push(
        utf8(data.outway.peer_id),
        utf8(data.outway.public_key_thumbprint),
        ...connectionServiceBytes(data.service),
      );
      break;
    case 'GRANT_TYPE_DELEGATED_SERVICE_CONNECTION':
      parts.push(
        utf8(data.outway.peer_id),
        utf8(data.outway.public_key_thumbprint),
        ...connectionServiceBytes(data.service),
        utf8(data.delegator.peer_id),
      );
      break;
    case 'GRANT_TYPE_DELEGATED_SERVICE_PUBLICATION':
      parts.push(
        utf8(data.directory.peer_id),
        utf8(data.service.peer_id),
        utf8(data.service.name),
        utf8(data.service.protocol),
        utf8(data.delegator.peer_id),
      );
      break;
  }
  return Buffer.concat(parts);
}

function connectionServiceBytes(service: ServiceRef | DelegatedServiceRef): Buffer[] {
  const parts = [int32le(SERVICE_TYPE_IDS[service.type]), utf8(service.peer_id), utf8(service.name)];
  if (service.type === 'SERVICE_TYPE_DELEGATED_SERVICE') parts.push(utf8(service.delegator.peer_id));
  return parts;
}

function fsc11GrantHash(content: ContractContent, data: GrantData): string {
  return digestHash(content.hash_algorithm, hashTypeOfGrant(data.type), fsc11GrantBytes(content, data));
}

function fsc11GrantHashes(content: ContractContent): string[] {
  return content.grants.map((g) => fsc11GrantHash(content, g.data));
}

// --- helpers -----------------------------------------------------------------------------------------

/** A scheme from untyped config must never silently fall through to another construction. */
function assertFsc11(scheme: HashScheme): void {
  if (scheme !== 'fsc-1.1') throw new TypeError(`unknown hash scheme ${String(scheme)}`);
}

function digestHash(algorithm: HashAlgorithm, type: HashType, bytes: Uint8Array): string {
  return formatHash(algorithm, type, digest(algorithm, bytes));
}

function digest(algorithm: HashAlgorithm, bytes: Uint8Array): Buffer {
  // The type says SHA3-512 is the only algorithm, but content may come from a cast or an older
  // parser: never hash with a default.
  if (algorithm !== 'HASH_ALGORITHM_SHA3_512') {
    throw new FscError('ERROR_CODE_UNKNOWN_HASH_ALGORITHM_HASH', `unknown hash algorithm ${String(algorithm)}`);
  }
  return createHash('sha3-512').update(bytes).digest();
}

function grantAt(content: ContractContent, index: number): Grant {
  const g = Number.isInteger(index) ? content.grants[index] : undefined;
  if (g === undefined) throw new RangeError(`no grant at index ${index}`);
  return g;
}

function ivBytes(iv: string): Buffer {
  try {
    return Buffer.from(uuidToBytes(iv));
  } catch {
    throw new FscError('ERROR_CODE_INVALID_CONTRACT', 'iv: must be a UUID', { reason: 'iv-not-uuid' });
  }
}

function int64le(n: number, field: string): Buffer {
  if (!Number.isSafeInteger(n)) {
    throw new FscError('ERROR_CODE_INVALID_CONTRACT', `${field}: must be an integer`, { reason: 'not-an-integer' });
  }
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(BigInt(n));
  return b;
}

function int32le(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(n);
  return b;
}

function utf8(s: string): Buffer {
  return Buffer.from(s, 'utf8');
}

const HASH_TYPE_VALUES: ReadonlySet<number> = new Set(
  Object.values(HashType).filter((v): v is HashType => typeof v === 'number'),
);

function isHashType(n: number): n is HashType {
  return HASH_TYPE_VALUES.has(n);
}

function malformed(message: string): FscError {
  return new FscError('ERROR_CODE_BAD_REQUEST', message, { reason: 'malformed-hash' });
}
