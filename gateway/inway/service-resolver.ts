/**
 * Where a service lives: the inway forwards to the endpoint of the service named in the token's
 * `svc` (fsc-core "Inway > Routing"); a service it does not offer is 404 ERROR_CODE_SERVICE_NOT_FOUND.
 */
import type { ManagerStore } from '../store/index.ts';

/** A service the inway offers. `endpointUrl` is internal: never put it in an error message. */
export interface InwayService {
  endpointUrl: string;
}

/** Looks a service up by name; undefined when this inway does not offer it. */
export interface ServiceResolver {
  resolve(name: string): InwayService | undefined | Promise<InwayService | undefined>;
}

/** Options of {@link createServiceResolver}. */
export interface ServiceResolverOptions {
  /** Services from the configuration (`inway.services`); they win over the store. */
  services?: readonly { name: string; endpointUrl: string }[];
  /** Services added through the admin API live in the store. */
  store?: Pick<ManagerStore, 'getService'>;
  /** Unix milliseconds. */
  clock: () => number;
  /** How long a store answer (found or not) is reused; default 5 000 ms, 0 disables caching. */
  cacheTtlMs?: number;
}

/**
 * Configured services first, then the store. Store answers are cached briefly so the data path does
 * not make a store round trip per request (DESIGN.md: no per-request round trip once warm).
 */
export function createServiceResolver(options: ServiceResolverOptions): ServiceResolver {
  const configured = new Map<string, InwayService>();
  for (const s of options.services ?? []) configured.set(s.name, { endpointUrl: s.endpointUrl });
  const { store, clock } = options;
  const ttl = options.cacheTtlMs ?? 5_000;
  const cache = new Map<string, { value: InwayService | undefined; until: number }>();
  return {
    // Synchronous for configured and cached services: no promise per call.
    resolve(name) {
      const fixed = configured.get(name);
      if (fixed !== undefined || store === undefined) return fixed;
      const now = clock();
      const hit = cache.get(name);
      if (hit !== undefined && hit.until > now) return hit.value;
      return store.getService(name).then((record) => {
        const value = record === undefined ? undefined : { endpointUrl: record.endpointUrl };
        if (ttl > 0) {
          // Bounded: names come from verified tokens (our own manager issued them), still keep it small.
          if (cache.size >= 1_000) cache.clear();
          cache.set(name, { value, until: now + ttl });
        }
        return value;
      });
    },
  };
}
