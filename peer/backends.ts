// Where a peer keeps its state, from its configuration: the one place that turns `store.*`, `txlog.*`
// and `dataDir` into backend options. The running peer (start-peer.ts) and the commands that open its
// log (`koppel logs verify|export`) both use it, so they always open the same files or keys.
import { resolve } from 'node:path';
import type { KoppelConfig } from '../config/index.ts';
import { redisKeyPrefix, redisUrlWithPassword } from '../gateway/redis/index.ts';

/** The backend part of StoreOptions / TxLogOptions: which kind, and where. */
export type BackendLocation =
  | { kind: 'sqlite'; dataDir: string }
  | { kind: 'redis'; url: string; groupId: string; keyPrefix: string };

export interface BackendOptions {
  store: BackendLocation;
  txlog: BackendLocation;
}

export interface BackendOptionsContext {
  /** Relative paths in the config resolve against this folder; default: the process's working directory. */
  cwd?: string;
}

/** The store's and the transaction log's backend options; reads the Redis password file when one is set. */
export async function backendOptionsFrom(config: KoppelConfig, context: BackendOptionsContext = {}): Promise<BackendOptions> {
  const path = (p: string): string => (context.cwd === undefined ? p : resolve(context.cwd, p));
  let redis: Promise<BackendLocation> | undefined;
  const location = (kind: 'sqlite' | 'redis'): Promise<BackendLocation> => {
    if (kind === 'sqlite') return Promise.resolve({ kind, dataDir: path(config.dataDir) });
    redis ??= (async () => {
      const url = config.store.redisUrl;
      if (url === undefined) throw new Error('store.redisUrl is required for a Redis store or transaction log');
      const passwordFile = config.store.redisPasswordPath === undefined ? undefined : path(config.store.redisPasswordPath);
      return {
        kind: 'redis',
        url: await redisUrlWithPassword(url, passwordFile),
        groupId: config.groupId,
        keyPrefix: redisKeyPrefix(config.store.keyPrefix),
      };
    })();
    return redis;
  };
  const [store, txlog] = await Promise.all([location(config.store.kind), location(config.txlog.kind)]);
  return { store, txlog };
}
