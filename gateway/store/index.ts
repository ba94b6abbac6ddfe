// The face of gateway/store: the manager's control-plane state (contracts, signatures, peers, outbox,
// published services, caches, fan-out) behind one interface, in SQLite (embedded) or Redis (shared).
export { createStore, storeBackends } from './backends/index.ts';
export type { StoreOptions } from './backends/index.ts';
export type { SqliteStoreOptions } from './backends/sqlite/sqlite-store.ts';
export type { RedisStoreOptions } from './backends/redis/redis-store.ts';

export type {
  CommonStoreOptions,
  Clock,
  EnqueueInput,
  GrantIndexEntry,
  ListContractsOptions,
  ListPeersOptions,
  ManagerStore,
  MessageHandler,
  OutboxItem,
  OutboxKind,
  Page,
  PeerRecord,
  PutContractInput,
  PutContractOutcome,
  PutSignatureInput,
  PutSignatureOutcome,
  ServiceRecord,
  SortOrder,
  StoreLogger,
  StoredContract,
  Unsubscribe,
} from './types.ts';
export type { StoreErrorCode } from './errors.ts';
export { StoreError, isStoreError } from './errors.ts';
export { MAX_LIMIT } from './pagination.ts';
export { DEFAULT_OUTBOX_LEASE_MS } from './values.ts';
export { CONTRACTS_CHANGED_CHANNEL } from './channels.ts';
// Also used by gateway/txlog's Redis log (see redis-lua.ts for why it lives here).
