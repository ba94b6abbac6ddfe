// The control-plane state of one peer's manager, as one async interface with two implementations
// (sqlite-store.ts, redis-store.ts). The store is deliberately dumb: it keeps what it is given
// (hashes, peer lists and times are computed by the caller) and applies no FSC rule; the only
// invariants it enforces are the ones that must be atomic to be correct at all (one contract per
// content hash, one iv per group, one signature per (contract, peer, type), one claim per outbox item).
import type { ContractContent, ContractSignatures, GrantType, Protocol, SignatureType } from '../protocol/index.ts';

/** FSC `sortOrder` (manager.yaml components/schemas/sortOrder). */
export type SortOrder = 'SORT_ORDER_ASCENDING' | 'SORT_ORDER_DESCENDING';

/** Milliseconds since the Unix epoch, injected so TTL and lease logic can be tested without waiting. */
export type Clock = () => number;

/** One grant of a contract as the index sees it: its hash string (`$1$3$…`) and its type. */
export interface GrantIndexEntry {
  hash: string;
  type: GrantType;
}

export interface PutContractInput {
  /** The content hash string (`$1$1$…`) the caller computed for `content`. */
  contentHash: string;
  content: ContractContent;
  /** Every grant of the contract with the hash the caller computed; indexes grant-type and grant-hash lookups. */
  grants: readonly GrantIndexEntry[];
  /** Every peer that appears on the contract; indexes `listContracts({ peerId })`. */
  peerIds: readonly string[];
  /**
   * Ordering key of listContracts: a non-negative integer, usually `content.created_at` (Unix seconds,
   * "Returns Contracts sorted by their creation date", manager.yaml GET /contracts).
   */
  createdAt: number;
}

/**
 * `created`: stored now. `exists`: a contract with this content hash was already stored (nothing changed).
 * `iv-taken`: another contract of the same group already uses this iv (fsc-core: the iv is unique); nothing stored.
 */
export type PutContractOutcome = 'created' | 'exists' | 'iv-taken';

export interface StoredContract {
  contentHash: string;
  content: ContractContent;
  createdAt: number;
  /** peer id → compact JWS, per signature type, exactly as stored by putSignature. */
  signatures: ContractSignatures;
}

export interface ListContractsOptions {
  /** Contracts with at least one grant of one of these types. Empty or absent: no filter. */
  grantTypes?: readonly GrantType[];
  /** Contracts with at least one grant whose hash is in this list. Empty or absent: no filter. */
  grantHashes?: readonly string[];
  /** Contracts on which this peer appears (as given in `PutContractInput.peerIds`). */
  peerId?: string;
  /** `nextCursor` of a previous page; absent for the first page. */
  cursor?: string;
  /** 1–1000 (manager.yaml queryPaginationLimit). */
  limit: number;
  /** Defaults to ascending. Order is (createdAt, contentHash). */
  sortOrder?: SortOrder;
}

export interface Page<T> {
  items: T[];
  /** Opaque base64url cursor for the next page; absent when this page is the last one. */
  nextCursor?: string;
}

export interface PutSignatureInput {
  contentHash: string;
  peerId: string;
  type: SignatureType;
  /** Compact JWS as received or produced. */
  jws: string;
  /** Unix seconds, the `signed_at` of the JWS payload. */
  signedAt: number;
}

/**
 * `created`: stored now. `exists`: this peer already has a signature of this type on the contract (the first one
 * is kept). `no-contract`: no contract with this content hash is stored; nothing stored.
 */
export type PutSignatureOutcome = 'created' | 'exists' | 'no-contract';

export interface PeerRecord {
  id: string;
  name: string;
  managerAddress: string;
  /** Milliseconds since the epoch of the last time the peer was seen. */
  seenAt: number;
}

export interface ListPeersOptions {
  /** Only these peers (manager.yaml GET /peers `peer_id`). Empty or absent: no filter. */
  peerIds?: readonly string[];
  /** Case-insensitive substring of the name (manager.yaml GET /peers `peer_name`). */
  nameContains?: string;
  cursor?: string;
  /** 1–1000. */
  limit: number;
  /** Defaults to ascending. Order is by peer id. */
  sortOrder?: SortOrder;
}

export type OutboxKind = 'contract' | 'signature' | 'announce';

export interface EnqueueInput {
  /** Caller-chosen id; enqueueing an id that is already queued changes nothing. */
  id: string;
  /** The peer the message is for. */
  peerId: string;
  kind: OutboxKind;
  /** Any JSON-serialisable value; returned as parsed JSON. */
  payload: unknown;
  /** Milliseconds since the epoch. */
  nextAttemptAt: number;
}

export interface OutboxItem {
  id: string;
  peerId: string;
  kind: OutboxKind;
  payload: unknown;
  /** Milliseconds since the epoch (store clock) of enqueue. */
  createdAt: number;
  /** When the item is next due; while leased this is the end of the lease. */
  nextAttemptAt: number;
  /** As last passed to `retry` (0 after enqueue). */
  attempts: number;
  lastError?: string;
  /**
   * End of the lease of the last `due` claim, until `retry` releases it. A value in the past means the claiming
   * worker never reported back; the item is due again.
   */
  leasedUntil?: number;
}

export interface ServiceRecord {
  /** Service name, `^[a-zA-Z0-9-._]{1,100}$` (fsc-core). */
  name: string;
  /** Where the inway forwards to. An internal URL: never put it in an error message. */
  endpointUrl: string;
  /** The inway address published for this service (`https://host:port`). */
  inwayAddress: string;
  protocol: Protocol;
}

export type Unsubscribe = () => Promise<void>;

/** Receives each message published on the channel after the subscription resolved. */
export type MessageHandler = (message: string) => void | Promise<void>;

/**
 * The manager's state. Every method is async (Redis fits); every method rejects with
 * `StoreError('STORE_CLOSED')` after `close()`.
 */
export interface ManagerStore {
  /** The backend's name, as in `store.kind` (backends/index.ts). */
  readonly kind: string;

  // --- contracts and signatures ---
  /** Idempotent by content hash; atomic with its indexes. */
  putContract(input: PutContractInput): Promise<PutContractOutcome>;
  getContract(contentHash: string): Promise<StoredContract | undefined>;
  /** The contract of `groupId` that uses `iv` (fsc-core: the iv of a contract is unique). */
  getContractByIv(groupId: string, iv: string): Promise<StoredContract | undefined>;
  /** Stable cursor pagination over (createdAt, contentHash); filters combine with AND. */
  listContracts(options: ListContractsOptions): Promise<Page<StoredContract>>;
  /** Every contract with a grant of this hash, ascending by (createdAt, contentHash). */
  findByGrantHash(grantHash: string): Promise<StoredContract[]>;
  /** Atomic; idempotent for the same (contentHash, peerId, type). */
  putSignature(input: PutSignatureInput): Promise<PutSignatureOutcome>;

  // --- peers ---
  /** Inserts or replaces the peer; resolves `true` when the peer was not known before. */
  upsertPeer(peer: PeerRecord): Promise<boolean>;
  getPeer(id: string): Promise<PeerRecord | undefined>;
  listPeers(options: ListPeersOptions): Promise<Page<PeerRecord>>;

  // --- outbox (peer-to-peer delivery with retries; survives restarts) ---
  /** Resolves `true` when queued now, `false` when an item with this id is already queued. */
  enqueue(item: EnqueueInput): Promise<boolean>;
  /**
   * Claims up to `limit` items with `nextAttemptAt <= now`, oldest first, by leasing them until
   * `now + leaseMs` (store option `outboxLeaseMs`): a concurrent `due` never returns a leased item, and an
   * item whose worker died becomes due again when its lease ends.
   */
  due(now: number, limit: number): Promise<OutboxItem[]>;
  /** Removes the item (delivered or given up). Resolves `false` if it was not queued. */
  complete(id: string): Promise<boolean>;
  /** Releases the lease and schedules the next attempt. Resolves `false` if it was not queued. */
  retry(id: string, nextAttemptAt: number, attempts: number, lastError: string): Promise<boolean>;
  /** Every queued item (leased or not), optionally of one peer, ordered by (nextAttemptAt, id). */
  pending(peerId?: string): Promise<OutboxItem[]>;

  // --- published services (admin "publish" configuration) ---
  /** Inserts or replaces; resolves `true` when the service was new. */
  putService(service: ServiceRecord): Promise<boolean>;
  getService(name: string): Promise<ServiceRecord | undefined>;
  /** All services, by name. */
  listServices(): Promise<ServiceRecord[]>;
  deleteService(name: string): Promise<boolean>;

  // --- key-value cache with TTL (store clock) ---
  kvGet(key: string): Promise<string | undefined>;
  /** `ttlMs` absent: no expiry. */
  kvSet(key: string, value: string, ttlMs?: number): Promise<void>;
  kvDelete(key: string): Promise<boolean>;

  // --- fan-out between replicas (e.g. a revoked contract) ---
  /** Resolves once the subscription is active: a later `publish` (from any replica) reaches `handler`. */
  subscribe(channel: string, handler: MessageHandler): Promise<Unsubscribe>;
  publish(channel: string, message: string): Promise<void>;

  /** Idempotent. */
  close(): Promise<void>;
}

/** Minimal logger (pino-compatible) for failures the store cannot report to a caller, e.g. a throwing handler. */
export interface StoreLogger {
  warn(obj: object, msg: string): void;
}

export interface CommonStoreOptions {
  clock?: Clock;
  /** Lease of an outbox item claimed by `due`; default 60 000. */
  outboxLeaseMs?: number;
  logger?: StoreLogger;
}

