// The transaction-log backends, one folder each (backends/<kind>/) and one line each in
// `txlogBackends`: the kind (as in the config's `txlog.kind`) and the function that opens it. A new
// backend is a folder exporting its options (with `kind: '<kind>'`, extending CommonTxLogOptions) and
// its open function, plus its line here; it then runs the shared contract suite
// (tests/integration/txlog.contract.ts).
import type { TxLog } from '../types.ts';
import { openRedisTxLog } from './redis/redis-txlog.ts';
import { openSqliteTxLog } from './sqlite/sqlite-txlog.ts';

export const txlogBackends = {
  sqlite: openSqliteTxLog,
  redis: openRedisTxLog,
} as const;

/** The options of any registered backend, told apart by `kind`. */
export type TxLogOptions = Parameters<(typeof txlogBackends)[keyof typeof txlogBackends]>[0];

/**
 * Open the transaction log of one peer: `{kind: 'sqlite', dataDir, peerId, …}` (embedded default) or
 * `{kind: 'redis', url, groupId, peerId, …}` (shared by replicas). Close it with `close()`.
 */
export async function createTxLog(options: TxLogOptions): Promise<TxLog> {
  const open = txlogBackends[options.kind] as (o: TxLogOptions) => TxLog | Promise<TxLog>;
  return open(options);
}
