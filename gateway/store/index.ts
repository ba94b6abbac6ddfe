// The face of gateway/store: the manager's control-plane state (contracts, signatures, peers, outbox,
// published services, caches, fan-out) behind one interface, in SQLite (embedded) or Redis (shared).
import { openRedisStore } from './redis-store.ts';
import { openSqliteStore } from './sqlite-store.ts';
import type { ManagerStore, StoreOptions } from './types.ts';

/**
 * Opens the store the options name. SQLite: creates `<dataDir>/<fileName ?? 'manager'>.sqlite` and migrates it.
 * Redis: connects (rejecting when Redis cannot be reached) and checks the key schema version.
 */
export async function createStore(options: StoreOptions): Promise<ManagerStore> {
  switch (options.kind) {
    case 'sqlite':
      return openSqliteStore(options);
    case 'redis':
      return openRedisStore(options);
  }
}

export type {
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
  RedisStoreOptions,
  ServiceRecord,
  SortOrder,
  SqliteStoreOptions,
  StoreLogger,
  StoreOptions,
  StoredContract,
  Unsubscribe,
} from './types.ts';
export type { StoreErrorCode } from './errors.ts';
export { StoreError, isStoreError } from './errors.ts';
export { MAX_LIMIT } from './pagination.ts';
export { DEFAULT_OUTBOX_LEASE_MS } from './values.ts';
export { CONTRACTS_CHANGED_CHANNEL } from './channels.ts';
// Also used by gateway/txlog's Redis log (see redis-lua.ts for why it lives here).
export type { RedisScript } from './redis-lua.ts';
export { defineRedisScript, runRedisScript } from './redis-lua.ts';
