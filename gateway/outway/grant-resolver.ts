// Resolves a request to a grant without a store round trip per request: the table of usable grants is
// cached and read again when it is older than `ttlMs`, when a message arrives on the store channel
// `contracts-changed` (a replica or the manager saw a contract or signature change), when a token
// request was refused for a grant (the contract may have been revoked), and — at most every
// `missRefreshMs`, by default on every miss — when a request names a grant or service the table does
// not have (a contract that just became valid is usable at once).
import { FscError } from '../protocol/index.ts';
import type { HashScheme } from '../protocol/index.ts';
import type { Logger } from '../runtime/index.ts';
import { CONTRACTS_CHANGED_CHANNEL } from '../store/index.ts';
import type { ManagerStore, Unsubscribe } from '../store/index.ts';
import { inValidity, loadGrantTable, pickForService, type GrantEntry, type GrantTable } from './grant-table.ts';

export { CONTRACTS_CHANGED_CHANNEL };

export interface GrantResolverOptions {
  store: ManagerStore;
  logger: Logger;
  clock: () => number;
  peerId: string;
  publicKeyThumbprint: string;
  hashScheme: HashScheme;
  /** Longest a table is used before it is read again. */
  ttlMs: number;
  /** Shortest interval between two reads caused by a miss. */
  missRefreshMs: number;
}

export interface GrantResolver {
  /** The usable grant with this hash, valid now. */
  byHash(grantHash: string): Promise<GrantEntry | undefined>;
  /** The grant the friendly form uses for (provider, service), valid now. */
  forService(providerPeerId: string, serviceName: string): Promise<GrantEntry | undefined>;
  /** Every grant usable now (for the "what can I reach" listing). */
  reachable(): Promise<GrantEntry[]>;
  /** Read the table again before its next use. */
  invalidate(): void;
  /** Subscribe to the store channel. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export function createGrantResolver(options: GrantResolverOptions): GrantResolver {
  const { store, logger, clock } = options;
  let table: GrantTable | undefined;
  let loading: Promise<GrantTable> | undefined;
  // Bumped by every invalidation; a load that started before the latest bump is stale on arrival.
  let generation = 0;
  let tableGeneration = -1;
  let loads = 0;
  const hashCache = new Map<string, string[]>();
  let unsubscribe: Unsubscribe | undefined;
  let closed = false;

  function load(): Promise<GrantTable> {
    if (loading !== undefined) return loading;
    const startedGeneration = generation;
    const attempt = (async () => {
      try {
        const fresh = await loadGrantTable({
          store,
          peerId: options.peerId,
          publicKeyThumbprint: options.publicKeyThumbprint,
          hashScheme: options.hashScheme,
          now: clock(),
          hashCache,
        });
        table = fresh;
        tableGeneration = startedGeneration;
        loads++;
        logger.debug({ grants: fresh.entries.length }, 'grant table loaded');
        return fresh;
      } catch (err) {
        // A store hiccup should not stop traffic that was authorised a moment ago: keep the last table.
        if (table !== undefined) {
          logger.warn({ err }, 'grant table could not be read, using the previous one');
          return table;
        }
        throw new FscError('ERROR_CODE_SERVICE_UNAVAILABLE', 'the contracts of this outway could not be read', {
          domain: 'ERROR_DOMAIN_OUTWAY',
          cause: err,
        });
      } finally {
        loading = undefined;
      }
    })();
    loading = attempt;
    return attempt;
  }

  async function current(): Promise<GrantTable> {
    if (table !== undefined && tableGeneration === generation && clock() - table.loadedAt < options.ttlMs) return table;
    return load();
  }

  async function lookup<T>(find: (t: GrantTable, nowSeconds: number) => T | undefined): Promise<T | undefined> {
    const loadsBefore = loads;
    const t = await current();
    const found = find(t, Math.floor(clock() / 1000));
    // A table read during this very lookup is as fresh as a second read would be.
    if (found !== undefined || loads !== loadsBefore) return found;
    if (options.missRefreshMs > 0 && clock() - t.loadedAt < options.missRefreshMs) return found;
    const again = await load();
    return find(again, Math.floor(clock() / 1000));
  }

  return {
    byHash(grantHash) {
      return lookup((t, now) => {
        const e = t.byHash.get(grantHash);
        return e !== undefined && inValidity(e, now) ? e : undefined;
      });
    },
    forService(providerPeerId, serviceName) {
      return lookup((t, now) => pickForService(t, providerPeerId, serviceName, now));
    },
    async reachable() {
      const t = await current();
      const now = Math.floor(clock() / 1000);
      return t.entries.filter((e) => inValidity(e, now));
    },
    invalidate() {
      generation++;
    },
    async start() {
      if (unsubscribe !== undefined || closed) return;
      unsubscribe = await store.subscribe(CONTRACTS_CHANGED_CHANNEL, () => {
        generation++;
      });
    },
    async close() {
      closed = true;
      const u = unsubscribe;
      unsubscribe = undefined;
      if (u !== undefined) await u().catch((err: unknown) => logger.debug({ err }, 'unsubscribe failed'));
    },
  };
}
