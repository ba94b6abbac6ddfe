// The store backends, one folder each (backends/<kind>/) and one line each in `storeBackends`: the
// kind (as in the config's `store.kind`) and the function that opens it. A new backend is a folder
// exporting its options (with `kind: '<kind>'`, extending CommonStoreOptions) and its open function,
// plus its line here; it then runs the shared contract suite (tests/integration/store.contract.ts).
import type { ManagerStore } from '../types.ts';
import { openRedisStore } from './redis/redis-store.ts';
import { openSqliteStore } from './sqlite/sqlite-store.ts';

export const storeBackends = {
  sqlite: openSqliteStore,
  redis: openRedisStore,
} as const;

/** The options of any registered backend, told apart by `kind`. */
export type StoreOptions = Parameters<(typeof storeBackends)[keyof typeof storeBackends]>[0];

/**
 * Opens the store the options name. SQLite: creates `<dataDir>/<fileName ?? 'manager'>.sqlite` and migrates it.
 * Redis: connects (rejecting when Redis cannot be reached) and checks the key schema version.
 */
export async function createStore(options: StoreOptions): Promise<ManagerStore> {
  const open = storeBackends[options.kind] as (o: StoreOptions) => ManagerStore | Promise<ManagerStore>;
  return open(options);
}
