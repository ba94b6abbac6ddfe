/**
 * Contracts: structural parsing, the validation rules of fsc-core "Contract Validation" and the grant
 * sections, the peers a contract involves, and its lifecycle state.
 *
 * Everything here is pure. Time is passed in as Unix seconds (the wire unit of `created_at` and
 * `validity`); stores and clocks stay with the caller.
 */
import { FscError, type ErrorCode } from './errors.ts';
import { HASH_ALGORITHM_IDS } from './hash.ts';
import { isUuid } from './ids.ts';
import { canonicalize, JcsError } from './jcs.ts';
import type {
  Contract,
  ContractContent,
  ContractSignatures,
  DelegatedServiceRef,
  Grant,
  GrantData,
  GrantType,
  HashAlgorithm,
  OutwayRef,
  PeerRef,
  Protocol,
  ServicePublicationRef,
  ServiceRef,
  SignatureMap,
  Validity,
} from './types.ts';

// --- limits and patterns -----------------------------------------------------------------------------

/** fsc-core "Group ID". */
export const GROUP_ID_PATTERN = /^[a-zA-Z0-9./_-]{1,100}$/;
/** fsc-core "ServicePublicationGrant": the service name rule, applied to every grant's service. */
export const SERVICE_NAME_PATTERN = /^[a-zA-Z0-9-._]{1,100}$/;
/** manager.yaml `publicKeyThumbprint`: hex SHA-256 of the public key, exactly 64 characters. */
export const PUBLIC_KEY_THUMBPRINT_PATTERN = /^[0-9a-fA-F]{64}$/;
/** manager.yaml `peerID` / `serviceName`: minLength 3; peerID maxLength 255. */
const PEER_ID_MIN = 3;
const PEER_ID_MAX = 255;
const SERVICE_NAME_MIN = 3;
/**
 * "A valid date is provided" (fsc-core "Contract Validation"): we read it as a Unix time in seconds
 * between 0 and 9999-12-31T23:59:59Z. The upper bound also catches milliseconds sent by mistake.
 */
export const MAX_UNIX_SECONDS = 253_402_300_799;
/** fsc-core "Properties > Security Considerations": RECOMMENDED limit of 1 MB for serialised properties. */
export const MAX_PROPERTIES_BYTES = 1_000_000;

const GRANT_TYPES: readonly GrantType[] = [
  'GRANT_TYPE_SERVICE_PUBLICATION',
  'GRANT_TYPE_SERVICE_CONNECTION',
  'GRANT_TYPE_DELEGATED_SERVICE_CONNECTION',
  'GRANT_TYPE_DELEGATED_SERVICE_PUBLICATION',
];
const SERVICE_TYPES = ['SERVICE_TYPE_SERVICE', 'SERVICE_TYPE_DELEGATED_SERVICE'] as const;
const PROTOCOLS: readonly Protocol[] = ['PROTOCOL_TCP_HTTP_1.1', 'PROTOCOL_TCP_HTTP_2'];
const HASH_ALGORITHMS = Object.keys(HASH_ALGORITHM_IDS) as HashAlgorithm[];

// --- errors --------------------------------------------------------------------------------------------

/** One problem found in a contract: `path` is the field (`grants[0].data.service.name`). */
export interface ContractIssue {
  path: string;
  message: string;
}

const MAX_ISSUES_IN_MESSAGE = 10;

/** FscError ERROR_CODE_INVALID_CONTRACT (422) carrying every structural problem found. */
export class ContractValidationError extends FscError {
  readonly issues: readonly ContractIssue[];

  constructor(issues: readonly ContractIssue[], code: ErrorCode = 'ERROR_CODE_INVALID_CONTRACT') {
    const shown = issues.slice(0, MAX_ISSUES_IN_MESSAGE).map(formatIssue);
    const more = issues.length > MAX_ISSUES_IN_MESSAGE ? `; and ${issues.length - MAX_ISSUES_IN_MESSAGE} more` : '';
    super(code, `invalid contract: ${shown.join('; ')}${more}`, { reason: 'invalid-contract' });
    this.issues = Object.freeze([...issues]);
  }
}

/** `path: message` */
export function formatIssue(issue: ContractIssue): string {
  return issue.path === '' ? issue.message : `${issue.path}: ${issue.message}`;
}

// --- structural parsing --------------------------------------------------------------------------------

export interface ParseOptions {
  /** Prefix for issue paths, e.g. `content` when the content sits inside a contract document. */
  path?: string | undefined;
}

/**
 * Check that `input` is a contract content as manager.yaml `contractContent` defines it and return a
 * fresh, typed copy. Every problem is collected; the thrown {@link ContractValidationError} lists
 * them all, each naming its field. Unknown fields are refused: the fsc-1.1 hash does not cover them,
 * and extensions carry their data in grant `properties` (fsc-core "Properties").
 *
 * An unknown `hash_algorithm` is reported first and alone with FscError
 * ERROR_CODE_UNKNOWN_HASH_ALGORITHM_HASH, the code fsc-core reserves for it.
 */
export function parseContractContent(input: unknown, options: ParseOptions = {}): ContractContent {
  const base = options.path ?? '';
  if (isPlainObject(input) && typeof input.hash_algorithm === 'string' && !isHashAlgorithm(input.hash_algorithm)) {
    throw new FscError(
      'ERROR_CODE_UNKNOWN_HASH_ALGORITHM_HASH',
      `${join(base, 'hash_algorithm')}: unknown hash algorithm, expected one of ${HASH_ALGORITHMS.join(', ')}`,
    );
  }
  const r = new Reader();
  const content = readContent(r, input, base);
  if (r.issues.length > 0 || content === undefined) throw new ContractValidationError(r.issues);
  return content;
}

/**
 * Parse a whole contract `{content, signatures: {accept, reject, revoke}}` (manager.yaml `contract`).
 * Signatures are only checked to be maps of peer id → string here; verifying them is signature.ts's job.
 */
export function parseContract(input: unknown): Contract {
  const r = new Reader();
  const o = r.object(input, '', ['content', 'signatures'], ['content', 'signatures']);
  if (o === undefined) throw new ContractValidationError(r.issues);
  let content: ContractContent | undefined;
  if (Object.hasOwn(o, 'content')) {
    try {
      content = parseContractContent(o.content, { path: 'content' });
    } catch (err) {
      if (!(err instanceof ContractValidationError)) throw err;
      r.issues.push(...err.issues);
    }
  }
  const signatures = Object.hasOwn(o, 'signatures') ? readSignatures(r, o.signatures, 'signatures') : undefined;
  if (r.issues.length > 0 || content === undefined || signatures === undefined)
    throw new ContractValidationError(r.issues);
  return { content, signatures };
}

class Reader {
  readonly issues: ContractIssue[] = [];

  add(path: string, message: string): undefined {
    this.issues.push({ path, message });
    return undefined;
  }

  /** A plain object with the given required keys present and no keys outside `known`. */
  object(
    v: unknown,
    path: string,
    known: readonly string[],
    required: readonly string[],
  ): Record<string, unknown> | undefined {
    if (!isPlainObject(v)) return this.add(path, 'must be an object');
    for (const key of Object.keys(v)) if (!known.includes(key)) this.add(join(path, key), 'unknown field');
    for (const key of required) if (!Object.hasOwn(v, key)) this.add(join(path, key), 'is required');
    return v;
  }

  string(v: unknown, path: string): string | undefined {
    if (typeof v !== 'string') return this.add(path, 'must be a string');
    return v;
  }

  peerId(v: unknown, path: string): string | undefined {
    const s = this.string(v, path);
    if (s === undefined) return undefined;
    const n = codePoints(s);
    if (n < PEER_ID_MIN || n > PEER_ID_MAX)
      return this.add(path, `must be ${PEER_ID_MIN} to ${PEER_ID_MAX} characters`);
    return s;
  }

  serviceName(v: unknown, path: string): string | undefined {
    const s = this.string(v, path);
    if (s === undefined) return undefined;
    if (!SERVICE_NAME_PATTERN.test(s)) return this.add(path, `must match ${SERVICE_NAME_PATTERN.source}`);
    if (s.length < SERVICE_NAME_MIN) return this.add(path, `must be at least ${SERVICE_NAME_MIN} characters`);
    return s;
  }

  oneOf<T extends string>(v: unknown, path: string, allowed: readonly T[]): T | undefined {
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
      return this.add(path, `must be one of ${allowed.join(', ')}`);
    }
    return v as T;
  }

  unixSeconds(v: unknown, path: string): number | undefined {
    if (typeof v !== 'number' || !Number.isInteger(v))
      return this.add(path, 'must be an integer (Unix time in seconds)');
    if (v < 0 || v > MAX_UNIX_SECONDS)
      return this.add(path, `must be a Unix time in seconds between 0 and ${MAX_UNIX_SECONDS}`);
    return v;
  }
}

function readContent(r: Reader, input: unknown, path: string): ContractContent | undefined {
  const keys = ['iv', 'group_id', 'validity', 'grants', 'hash_algorithm', 'created_at'];
  const o = r.object(input, path, keys, keys);
  if (o === undefined) return undefined;

  let iv: string | undefined;
  if (Object.hasOwn(o, 'iv')) {
    iv = r.string(o.iv, join(path, 'iv'));
    if (iv !== undefined && !isUuid(iv)) iv = r.add(join(path, 'iv'), 'must be a UUID');
  }
  let groupId: string | undefined;
  if (Object.hasOwn(o, 'group_id')) {
    groupId = r.string(o.group_id, join(path, 'group_id'));
    if (groupId !== undefined && !GROUP_ID_PATTERN.test(groupId)) {
      groupId = r.add(join(path, 'group_id'), `must match ${GROUP_ID_PATTERN.source}`);
    }
  }
  const validity = Object.hasOwn(o, 'validity') ? readValidity(r, o.validity, join(path, 'validity')) : undefined;
  let grants: Grant[] | undefined;
  if (Object.hasOwn(o, 'grants')) {
    const gPath = join(path, 'grants');
    if (!Array.isArray(o.grants)) {
      r.add(gPath, 'must be an array');
    } else {
      const list: unknown[] = o.grants;
      const read = list.map((g, i) => readGrant(r, g, `${gPath}[${i}]`));
      if (read.every((g): g is Grant => g !== undefined)) grants = read;
    }
  }
  const hashAlgorithm = Object.hasOwn(o, 'hash_algorithm')
    ? r.oneOf(o.hash_algorithm, join(path, 'hash_algorithm'), HASH_ALGORITHMS)
    : undefined;
  const createdAt = Object.hasOwn(o, 'created_at') ? r.unixSeconds(o.created_at, join(path, 'created_at')) : undefined;

  if (
    iv === undefined ||
    groupId === undefined ||
    validity === undefined ||
    grants === undefined ||
    hashAlgorithm === undefined ||
    createdAt === undefined
  ) {
    return undefined;
  }
  return { iv, group_id: groupId, validity, grants, hash_algorithm: hashAlgorithm, created_at: createdAt };
}

function readValidity(r: Reader, v: unknown, path: string): Validity | undefined {
  const keys = ['not_before', 'not_after'];
  const o = r.object(v, path, keys, keys);
  if (o === undefined) return undefined;
  const notBefore = Object.hasOwn(o, 'not_before') ? r.unixSeconds(o.not_before, join(path, 'not_before')) : undefined;
  const notAfter = Object.hasOwn(o, 'not_after') ? r.unixSeconds(o.not_after, join(path, 'not_after')) : undefined;
  if (notBefore === undefined || notAfter === undefined) return undefined;
  return { not_before: notBefore, not_after: notAfter };
}

function readGrant(r: Reader, v: unknown, path: string): Grant | undefined {
  const o = r.object(v, path, ['data'], ['data']);
  if (o === undefined || !Object.hasOwn(o, 'data')) return undefined;
  const data = readGrantData(r, o.data, join(path, 'data'));
  return data === undefined ? undefined : { data };
}

/** The fields of each grant type, in manager.yaml order. */
const GRANT_FIELDS: Readonly<Record<GrantType, { known: readonly string[]; required: readonly string[] }>> = {
  GRANT_TYPE_SERVICE_PUBLICATION: {
    known: ['type', 'directory', 'service', 'properties'],
    required: ['type', 'directory', 'service'],
  },
  GRANT_TYPE_SERVICE_CONNECTION: {
    known: ['type', 'outway', 'service', 'properties'],
    required: ['type', 'outway', 'service'],
  },
  GRANT_TYPE_DELEGATED_SERVICE_CONNECTION: {
    known: ['type', 'outway', 'service', 'delegator', 'properties'],
    required: ['type', 'outway', 'service', 'delegator'],
  },
  GRANT_TYPE_DELEGATED_SERVICE_PUBLICATION: {
    known: ['type', 'directory', 'service', 'delegator', 'properties'],
    required: ['type', 'directory', 'service', 'delegator'],
  },
};

function readGrantData(r: Reader, v: unknown, path: string): GrantData | undefined {
  if (!isPlainObject(v)) return r.add(path, 'must be an object');
  const type = r.oneOf(v.type, join(path, 'type'), GRANT_TYPES);
  if (type === undefined) return undefined;
  const o = r.object(v, path, GRANT_FIELDS[type].known, GRANT_FIELDS[type].required);
  if (o === undefined) return undefined;
  const has = (k: string): boolean => Object.hasOwn(o, k);
  const properties = has('properties') ? readProperties(r, o.properties, join(path, 'properties')) : undefined;
  const propertiesOk = !has('properties') || properties !== undefined;
  const withProperties = <T extends object>(d: T): T => (properties === undefined ? d : { ...d, properties });

  switch (type) {
    case 'GRANT_TYPE_SERVICE_PUBLICATION': {
      const directory = has('directory') ? readPeerRef(r, o.directory, join(path, 'directory')) : undefined;
      const service = has('service') ? readServicePublication(r, o.service, join(path, 'service')) : undefined;
      if (directory === undefined || service === undefined || !propertiesOk) return undefined;
      return withProperties({ type, directory, service });
    }
    case 'GRANT_TYPE_DELEGATED_SERVICE_PUBLICATION': {
      const directory = has('directory') ? readPeerRef(r, o.directory, join(path, 'directory')) : undefined;
      const service = has('service') ? readServicePublication(r, o.service, join(path, 'service')) : undefined;
      const delegator = has('delegator') ? readPeerRef(r, o.delegator, join(path, 'delegator')) : undefined;
      if (directory === undefined || service === undefined || delegator === undefined || !propertiesOk)
        return undefined;
      return withProperties({ type, directory, service, delegator });
    }
    case 'GRANT_TYPE_SERVICE_CONNECTION': {
      const outway = has('outway') ? readOutway(r, o.outway, join(path, 'outway')) : undefined;
      const service = has('service') ? readConnectionService(r, o.service, join(path, 'service')) : undefined;
      if (outway === undefined || service === undefined || !propertiesOk) return undefined;
      return withProperties({ type, outway, service });
    }
    case 'GRANT_TYPE_DELEGATED_SERVICE_CONNECTION': {
      const outway = has('outway') ? readOutway(r, o.outway, join(path, 'outway')) : undefined;
      const service = has('service') ? readConnectionService(r, o.service, join(path, 'service')) : undefined;
      const delegator = has('delegator') ? readPeerRef(r, o.delegator, join(path, 'delegator')) : undefined;
      if (outway === undefined || service === undefined || delegator === undefined || !propertiesOk) return undefined;
      return withProperties({ type, outway, service, delegator });
    }
  }
}

function readPeerRef(r: Reader, v: unknown, path: string): PeerRef | undefined {
  const o = r.object(v, path, ['peer_id'], ['peer_id']);
  if (o === undefined || !Object.hasOwn(o, 'peer_id')) return undefined;
  const peerId = r.peerId(o.peer_id, join(path, 'peer_id'));
  return peerId === undefined ? undefined : { peer_id: peerId };
}

function readOutway(r: Reader, v: unknown, path: string): OutwayRef | undefined {
  const keys = ['peer_id', 'public_key_thumbprint'];
  const o = r.object(v, path, keys, keys);
  if (o === undefined) return undefined;
  const peerId = Object.hasOwn(o, 'peer_id') ? r.peerId(o.peer_id, join(path, 'peer_id')) : undefined;
  let thumbprint: string | undefined;
  if (Object.hasOwn(o, 'public_key_thumbprint')) {
    const tPath = join(path, 'public_key_thumbprint');
    thumbprint = r.string(o.public_key_thumbprint, tPath);
    if (thumbprint !== undefined && !PUBLIC_KEY_THUMBPRINT_PATTERN.test(thumbprint)) {
      thumbprint = r.add(tPath, 'must be 64 hexadecimal characters (SHA-256 of the public key)');
    }
  }
  if (peerId === undefined || thumbprint === undefined) return undefined;
  return { peer_id: peerId, public_key_thumbprint: thumbprint };
}

function readServicePublication(r: Reader, v: unknown, path: string): ServicePublicationRef | undefined {
  const keys = ['peer_id', 'name', 'protocol'];
  const o = r.object(v, path, keys, keys);
  if (o === undefined) return undefined;
  const peerId = Object.hasOwn(o, 'peer_id') ? r.peerId(o.peer_id, join(path, 'peer_id')) : undefined;
  const name = Object.hasOwn(o, 'name') ? r.serviceName(o.name, join(path, 'name')) : undefined;
  const protocol = Object.hasOwn(o, 'protocol') ? r.oneOf(o.protocol, join(path, 'protocol'), PROTOCOLS) : undefined;
  if (peerId === undefined || name === undefined || protocol === undefined) return undefined;
  return { peer_id: peerId, name, protocol };
}

function readConnectionService(r: Reader, v: unknown, path: string): ServiceRef | DelegatedServiceRef | undefined {
  if (!isPlainObject(v)) return r.add(path, 'must be an object');
  // manager.yaml: `service` is oneOf service / delegatedService, discriminated by `type`.
  const type = r.oneOf(v.type, join(path, 'type'), SERVICE_TYPES);
  if (type === undefined) return undefined;
  const keys = type === 'SERVICE_TYPE_SERVICE' ? ['type', 'peer_id', 'name'] : ['type', 'peer_id', 'name', 'delegator'];
  const o = r.object(v, path, keys, keys);
  if (o === undefined) return undefined;
  const peerId = Object.hasOwn(o, 'peer_id') ? r.peerId(o.peer_id, join(path, 'peer_id')) : undefined;
  const name = Object.hasOwn(o, 'name') ? r.serviceName(o.name, join(path, 'name')) : undefined;
  if (type === 'SERVICE_TYPE_SERVICE') {
    if (peerId === undefined || name === undefined) return undefined;
    return { type, peer_id: peerId, name };
  }
  const delegator = Object.hasOwn(o, 'delegator') ? readPeerRef(r, o.delegator, join(path, 'delegator')) : undefined;
  if (peerId === undefined || name === undefined || delegator === undefined) return undefined;
  return { type, peer_id: peerId, name, delegator };
}

function readProperties(r: Reader, v: unknown, path: string): Record<string, unknown> | undefined {
  // fsc-core "Properties": "MUST be a valid JSON object"; it is part of the grant hash, so it must
  // survive canonicalisation (I-JSON), and it SHOULD be at most 1 MB serialised.
  if (!isPlainObject(v)) return r.add(path, 'must be a JSON object');
  let text: string;
  try {
    text = canonicalize(v);
  } catch (err) {
    if (err instanceof JcsError) return r.add(path + err.path.slice(1), err.problem);
    throw err;
  }
  if (Buffer.byteLength(text, 'utf8') > MAX_PROPERTIES_BYTES) {
    return r.add(path, `must be at most ${MAX_PROPERTIES_BYTES} bytes serialised`);
  }
  return JSON.parse(text) as Record<string, unknown>;
}

function readSignatures(r: Reader, v: unknown, path: string): ContractSignatures | undefined {
  const keys = ['accept', 'reject', 'revoke'];
  const o = r.object(v, path, keys, keys);
  if (o === undefined) return undefined;
  const maps = keys.map((k) => (Object.hasOwn(o, k) ? readSignatureMap(r, o[k], join(path, k)) : undefined));
  const [accept, reject, revoke] = maps;
  if (accept === undefined || reject === undefined || revoke === undefined) return undefined;
  return { accept, reject, revoke };
}

function readSignatureMap(r: Reader, v: unknown, path: string): SignatureMap | undefined {
  if (!isPlainObject(v)) return r.add(path, 'must be an object');
  const out: SignatureMap = {};
  let ok = true;
  for (const [peer, jws] of Object.entries(v)) {
    if (typeof jws !== 'string') {
      r.add(`${path}[${JSON.stringify(peer)}]`, 'must be a string (compact JWS)');
      ok = false;
    } else {
      out[peer] = jws;
    }
  }
  return ok ? out : undefined;
}

// --- peers -----------------------------------------------------------------------------------------------

/**
 * The peers of one grant, i.e. the peers whose signature that grant requires (fsc-core "Signature
 * requirements" of each grant type, and "Signatures" for who may sign):
 * - ServicePublication: directory, service
 * - DelegatedServicePublication: directory, service, delegator
 * - ServiceConnection: outway, service, and service.delegator for a delegated service
 * - DelegatedServiceConnection: outway, service, delegator, and service.delegator for a delegated service
 */
export function grantPeers(data: GrantData): string[] {
  switch (data.type) {
    case 'GRANT_TYPE_SERVICE_PUBLICATION':
      return unique([data.directory.peer_id, data.service.peer_id]);
    case 'GRANT_TYPE_DELEGATED_SERVICE_PUBLICATION':
      return unique([data.directory.peer_id, data.service.peer_id, data.delegator.peer_id]);
    case 'GRANT_TYPE_SERVICE_CONNECTION':
      return unique([data.outway.peer_id, ...connectionServicePeers(data.service)]);
    case 'GRANT_TYPE_DELEGATED_SERVICE_CONNECTION':
      return unique([data.outway.peer_id, ...connectionServicePeers(data.service), data.delegator.peer_id]);
  }
}

function connectionServicePeers(service: ServiceRef | DelegatedServiceRef): string[] {
  return service.type === 'SERVICE_TYPE_DELEGATED_SERVICE'
    ? [service.peer_id, service.delegator.peer_id]
    : [service.peer_id];
}

/** Every peer named anywhere in the contract's grants, in order of first appearance. */
export function peersOnContract(content: ContractContent): string[] {
  return unique(content.grants.flatMap((g) => grantPeers(g.data)));
}

/**
 * The peers whose `accept` signature makes the contract valid: the union of every grant's signature
 * requirements. In FSC every peer named in a grant must sign, so this equals {@link peersOnContract};
 * it is a separate function because the two answer different questions.
 */
export function requiredSigners(content: ContractContent): string[] {
  return peersOnContract(content);
}

// --- validation rules ----------------------------------------------------------------------------------

/** What the receiving manager knows when it validates a contract. */
export interface ContractValidationContext {
  /** Our group id (fsc-core "Group ID"). */
  groupId: string;
  /** Now, in Unix seconds. */
  now: number;
  /** Peer id from the certificate of the manager that submitted or signed the contract. */
  submittingPeerId?: string | undefined;
  /** Our own peer id, when we are the receiving manager. */
  receivingPeerId?: string | undefined;
  /**
   * True when a *different* contract already uses this iv (fsc-core "Contract Validation": "Each Peer
   * is responsible for ensuring that only one Contract can exist with a given iv"). Receiving the same
   * contract again (a propagation retry) is not a conflict, so the caller compares content hashes.
   */
  ivInUse?: ((iv: string) => boolean) | undefined;
  /**
   * Whether we offer a service of this name. Checked for connection grants whose service peer is the
   * receiving peer (fsc-core "ServiceConnectionGrant": the service is offered by service.peer_id).
   */
  offersService?: ((serviceName: string) => boolean) | undefined;
  /** Tolerated clock difference for `created_at`; default 0 (the spec: "can not be in the future"). */
  clockSkewSeconds?: number | undefined;
  /**
   * The fsc-core text names ERROR_CODE_SUBMITTING_/RECEIVING_PEER_NOT_PART_OF_CONTRACT; manager.yaml's
   * `managerErrorCode` enum only has ERROR_CODE_PEER_NOT_PART_OF_CONTRACT. `split` (default) follows
   * the text, `combined` the enum.
   */
  peerNotPartOfContractCode?: 'split' | 'combined' | undefined;
}

/** A single validation rule: throws an FscError when the contract breaks it. */
export type ContractRule = (content: ContractContent, ctx: ContractValidationContext) => void;

function fail(code: ErrorCode, message: string, reason: string): never {
  throw new FscError(code, message, { reason });
}

/** "A UUID MUST be provided in the field contract.iv." */
export const checkIvIsUuid: ContractRule = (content) => {
  if (!isUuid(content.iv)) fail('ERROR_CODE_INVALID_CONTRACT', 'iv: must be a UUID', 'iv-not-uuid');
};

/** "The value must be unique. … only one Contract can exist with a given iv." */
export const checkIvUnique: ContractRule = (content, ctx) => {
  if (ctx.ivInUse?.(content.iv) === true) {
    fail('ERROR_CODE_INVALID_CONTRACT', 'iv: another contract already uses this iv', 'iv-not-unique');
  }
};

/** "A hash algorithm is provided in the field contract.content.hash_algorithm" — and one we know. */
export const checkHashAlgorithm: ContractRule = (content) => {
  if (!isHashAlgorithm(content.hash_algorithm)) {
    fail('ERROR_CODE_UNKNOWN_HASH_ALGORITHM_HASH', 'hash_algorithm: unknown hash algorithm', 'unknown-hash-algorithm');
  }
};

/** "The date provided in contract.content.created_at can not be in the future." */
export const checkCreatedAtNotInFuture: ContractRule = (content, ctx) => {
  if (content.created_at > ctx.now + (ctx.clockSkewSeconds ?? 0)) {
    fail('ERROR_CODE_INVALID_CONTRACT', 'created_at: must not be in the future', 'created-at-in-future');
  }
};

/** "The Group ID of the Manager matches the Group ID defined in the field contract.group_id." */
export const checkGroupId: ContractRule = (content, ctx) => {
  if (content.group_id !== ctx.groupId) {
    fail('ERROR_CODE_INCORRECT_GROUP_ID', 'group_id: does not match the group of this manager', 'incorrect-group-id');
  }
};

/** "A valid date is provided in … not_before" and "… not_after". */
export const checkValidityDates: ContractRule = (content) => {
  for (const field of ['not_before', 'not_after'] as const) {
    const v = content.validity[field];
    if (!Number.isInteger(v) || v < 0 || v > MAX_UNIX_SECONDS) {
      fail('ERROR_CODE_INVALID_CONTRACT', `validity.${field}: must be a Unix time in seconds`, 'invalid-date');
    }
  }
};

/** "The date provided in … not_after must be greater than the date provided in … not_before." */
export const checkValidityOrder: ContractRule = (content) => {
  if (!(content.validity.not_after > content.validity.not_before)) {
    fail('ERROR_CODE_INVALID_CONTRACT', 'validity.not_after: must be after validity.not_before', 'validity-order');
  }
};

/** "The date provided in contract.content.validity.not_after must be in the future." */
export const checkNotAfterInFuture: ContractRule = (content, ctx) => {
  if (!(content.validity.not_after > ctx.now)) {
    fail('ERROR_CODE_INVALID_CONTRACT', 'validity.not_after: must be in the future', 'not-after-in-past');
  }
};

/** "At least one Grant is set in the field contract.content.grants." */
export const checkHasGrants: ContractRule = (content) => {
  if (content.grants.length === 0)
    fail('ERROR_CODE_INVALID_CONTRACT', 'grants: at least one grant is required', 'no-grants');
};

/**
 * "A ServicePublicationGrant or DelegatedServicePublicationGrant cannot be mixed with other Grants."
 * Read strictly: a contract holding a publication grant holds only grants of that one type (several
 * ServicePublicationGrants are allowed, fsc-core "Directory > Service publication"); a
 * ServicePublicationGrant next to a DelegatedServicePublicationGrant is a mix of types too.
 */
export const checkGrantCombination: ContractRule = (content) => {
  const types = new Set(content.grants.map((g) => g.data.type));
  const hasPublication =
    types.has('GRANT_TYPE_SERVICE_PUBLICATION') || types.has('GRANT_TYPE_DELEGATED_SERVICE_PUBLICATION');
  if (hasPublication && types.size > 1) {
    fail(
      'ERROR_CODE_GRANT_COMBINATION_NOT_ALLOWED',
      'grants: a service publication grant cannot be combined with any other grant type',
      'grant-combination',
    );
  }
};

/**
 * The per-grant field rules (service name pattern, outway public-key thumbprint, peer ids, properties
 * a JSON object), for content that did not come through {@link parseContractContent}.
 */
export const checkGrantFields: ContractRule = (content) => {
  const r = new Reader();
  content.grants.forEach((g, i) => readGrant(r, g, `grants[${i}]`));
  if (r.issues.length > 0) throw new ContractValidationError(r.issues);
};

/**
 * A delegation names two different peers: delegating to yourself is not a delegation, and would
 * make `act`/`pdi` token claims name the subject itself (fsc-core delegated grant sections:
 * "The Delegatee is … / The Delegator is …").
 */
export const checkDelegatorsDistinct: ContractRule = (content) => {
  content.grants.forEach((g, i) => {
    const d = g.data;
    const at = `grants[${i}].data`;
    if (d.type === 'GRANT_TYPE_DELEGATED_SERVICE_CONNECTION' && d.delegator.peer_id === d.outway.peer_id) {
      fail(
        'ERROR_CODE_INVALID_CONTRACT',
        `${at}.delegator.peer_id: must differ from outway.peer_id`,
        'self-delegation',
      );
    }
    if (d.type === 'GRANT_TYPE_DELEGATED_SERVICE_PUBLICATION' && d.delegator.peer_id === d.service.peer_id) {
      fail(
        'ERROR_CODE_INVALID_CONTRACT',
        `${at}.delegator.peer_id: must differ from service.peer_id`,
        'self-delegation',
      );
    }
    if (
      (d.type === 'GRANT_TYPE_SERVICE_CONNECTION' || d.type === 'GRANT_TYPE_DELEGATED_SERVICE_CONNECTION') &&
      d.service.type === 'SERVICE_TYPE_DELEGATED_SERVICE' &&
      d.service.delegator.peer_id === d.service.peer_id
    ) {
      fail(
        'ERROR_CODE_INVALID_CONTRACT',
        `${at}.service.delegator.peer_id: must differ from service.peer_id`,
        'self-delegation',
      );
    }
  });
};

/** The submitting peer (certificate of the calling manager) must be on the contract (fsc-core "Codes"). */
export const checkSubmittingPeerOnContract: ContractRule = (content, ctx) => {
  if (ctx.submittingPeerId === undefined) return;
  if (!peersOnContract(content).includes(ctx.submittingPeerId)) {
    const code =
      ctx.peerNotPartOfContractCode === 'combined'
        ? 'ERROR_CODE_PEER_NOT_PART_OF_CONTRACT'
        : 'ERROR_CODE_SUBMITTING_PEER_NOT_PART_OF_CONTRACT';
    fail(code, 'the submitting peer is not part of the contract', 'submitting-peer-not-on-contract');
  }
};

/** The receiving peer (us) must be on the contract (fsc-core "Codes"). */
export const checkReceivingPeerOnContract: ContractRule = (content, ctx) => {
  if (ctx.receivingPeerId === undefined) return;
  if (!peersOnContract(content).includes(ctx.receivingPeerId)) {
    const code =
      ctx.peerNotPartOfContractCode === 'combined'
        ? 'ERROR_CODE_PEER_NOT_PART_OF_CONTRACT'
        : 'ERROR_CODE_RECEIVING_PEER_NOT_PART_OF_CONTRACT';
    fail(code, 'the receiving peer is not part of the contract', 'receiving-peer-not-on-contract');
  }
};

/**
 * fsc-core "ServiceConnectionGrant": "The Service provided in the field grant.data.service.name is
 * offered by the Peer provided in the field grant.data.service.peer_id". Only the service peer can
 * tell, so this runs for grants whose service peer is the receiving peer, when `offersService` is given.
 */
export const checkServiceOffered: ContractRule = (content, ctx) => {
  const { receivingPeerId, offersService } = ctx;
  if (receivingPeerId === undefined || offersService === undefined) return;
  content.grants.forEach((g, i) => {
    const d = g.data;
    if (d.type !== 'GRANT_TYPE_SERVICE_CONNECTION' && d.type !== 'GRANT_TYPE_DELEGATED_SERVICE_CONNECTION') return;
    if (d.service.peer_id === receivingPeerId && !offersService(d.service.name)) {
      fail(
        'ERROR_CODE_INVALID_CONTRACT',
        `grants[${i}].data.service.name: not a service offered by this peer`,
        'service-not-offered',
      );
    }
  });
};

/** The rules {@link validateContract} applies, in order; the first broken rule decides the error. */
export const contractRules: readonly ContractRule[] = Object.freeze([
  checkHashAlgorithm,
  checkIvIsUuid,
  checkIvUnique,
  checkCreatedAtNotInFuture,
  checkGroupId,
  checkValidityDates,
  checkValidityOrder,
  checkNotAfterInFuture,
  checkHasGrants,
  checkGrantCombination,
  checkGrantFields,
  checkDelegatorsDistinct,
  checkSubmittingPeerOnContract,
  checkReceivingPeerOnContract,
  checkServiceOffered,
]);

/**
 * Apply every rule of fsc-core "Contract Validation" and the grant sections to a received contract.
 * Throws the FscError of the first rule broken (ERROR_CODE_INCORRECT_GROUP_ID,
 * ERROR_CODE_GRANT_COMBINATION_NOT_ALLOWED, ERROR_CODE_SUBMITTING_/RECEIVING_PEER_NOT_PART_OF_CONTRACT,
 * ERROR_CODE_UNKNOWN_HASH_ALGORITHM_HASH, otherwise ERROR_CODE_INVALID_CONTRACT).
 */
export function validateContract(content: ContractContent, ctx: ContractValidationContext): void {
  for (const rule of contractRules) rule(content, ctx);
}

// --- state ---------------------------------------------------------------------------------------------

/** Where a contract is in its life (fsc-core "Signatures", FSC-NOTES "State"). */
export type ContractState = 'proposed' | 'valid' | 'rejected' | 'revoked' | 'expired';

/** Verified signatures per type, keyed by peer id; only the keys are read here. */
export interface SignatureSets {
  accept: Readonly<Record<string, unknown>>;
  reject: Readonly<Record<string, unknown>>;
  revoke: Readonly<Record<string, unknown>>;
}

/** The required signers that have not placed an `accept` signature yet. */
export function missingSigners(content: ContractContent, signatures: Pick<SignatureSets, 'accept'>): string[] {
  return requiredSigners(content).filter((peer) => !Object.hasOwn(signatures.accept, peer));
}

/**
 * The state of a contract at `now` (Unix seconds). Signatures must already be verified; signatures of
 * peers that are not on the contract are ignored.
 *
 * - `revoked`: a peer on the contract placed a revoke signature (checked first: it is the later act);
 * - `rejected`: a peer on the contract placed a reject signature;
 * - `expired`: `now` is past `validity.not_after` ("not valid after this date", so the second
 *   `not_after` itself still counts);
 * - `valid`: every required signer accepted — even before `not_before`, see {@link isActive};
 * - `proposed`: otherwise.
 * Revoked, rejected and expired are final: content never changes, so nothing can bring the contract back.
 */
export function contractState(content: ContractContent, signatures: SignatureSets, now: number): ContractState {
  const peers = peersOnContract(content);
  const signedBySomePeer = (map: Readonly<Record<string, unknown>>): boolean =>
    peers.some((p) => Object.hasOwn(map, p));
  if (signedBySomePeer(signatures.revoke)) return 'revoked';
  if (signedBySomePeer(signatures.reject)) return 'rejected';
  if (now > content.validity.not_after) return 'expired';
  return missingSigners(content, signatures).length === 0 ? 'valid' : 'proposed';
}

/**
 * True when the contract authorises traffic at `now`: it is `valid` and `now` lies within
 * `[not_before, not_after]` (manager.yaml `validity`: "not valid before this date").
 */
export function isActive(content: ContractContent, signatures: SignatureSets, now: number): boolean {
  return contractState(content, signatures, now) === 'valid' && now >= content.validity.not_before;
}

// --- helpers --------------------------------------------------------------------------------------------

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

function isHashAlgorithm(v: unknown): v is HashAlgorithm {
  return typeof v === 'string' && Object.hasOwn(HASH_ALGORITHM_IDS, v);
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function unique(list: readonly string[]): string[] {
  return [...new Set(list)];
}
