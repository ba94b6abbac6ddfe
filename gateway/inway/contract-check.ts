/**
 * The contract behind a token must still be valid (DESIGN.md "A call, end to end", step 5): a token
 * fetched before its contract was revoked, rejected or ran out is refused at once, not honoured until
 * the token expires, so an outway that ignores the revocation loses access too (issue 10 finding 2).
 * The answer per grant hash is cached for `ttlMs` (default 1 000) and dropped whenever the store
 * announces a contract change (Redis pub/sub reaches every replica; an SQLite store's announcements
 * reach the hop workers through their primary), so a revocation is honoured within a second
 * everywhere without a store read per call.
 */
import { FscError, isActive, type AccessTokenClaims } from '../protocol/index.ts';
import { CONTRACTS_CHANGED_CHANNEL, type ManagerStore, type Unsubscribe } from '../store/index.ts';
import type { InwayStep } from './steps.ts';

/** What the check reads: the contracts and the store's change channel. */
export type ContractSource = Pick<ManagerStore, 'findByGrantHash' | 'subscribe'>;

export interface ContractCheckOptions {
  contracts: ContractSource;
  /** Unix milliseconds. */
  clock: () => number;
  ttlMs?: number;
}

export interface ContractCheck {
  /** The inway step (after the token step). */
  readonly step: InwayStep;
  /** Subscribe to the change channel; resolves once a change would reach the cache. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export function createContractCheck(options: ContractCheckOptions): ContractCheck {
  const { contracts, clock } = options;
  const ttlMs = options.ttlMs ?? 1_000;
  const cache = new Map<string, { active: boolean; until: number }>();
  const pending = new Map<string, Promise<boolean>>();
  let unsubscribe: Unsubscribe | undefined;
  // A change announced while a read is in flight must not be overwritten by that read's older answer.
  let generation = 0;

  async function read(grantHash: string): Promise<boolean> {
    const now = clock();
    const seenGeneration = generation;
    const found = await contracts.findByGrantHash(grantHash);
    const nowSeconds = Math.floor(now / 1000);
    const active = found.some((c) => isActive(c.content, c.signatures, nowSeconds));
    if (generation === seenGeneration) {
      if (cache.size >= 10_000) cache.clear();
      cache.set(grantHash, { active, until: now + ttlMs });
    }
    return active;
  }

  function activeNow(grantHash: string): boolean | Promise<boolean> {
    const hit = cache.get(grantHash);
    if (hit !== undefined && clock() < hit.until) return hit.active;
    let p = pending.get(grantHash);
    if (p === undefined) {
      p = read(grantHash).finally(() => pending.delete(grantHash));
      pending.set(grantHash, p);
    }
    return p;
  }

  function refuseUnless(active: boolean): void {
    if (!active) {
      throw new FscError('ERROR_CODE_ACCESS_TOKEN_INVALID', 'the contract behind this access token is no longer valid', {
        domain: 'ERROR_DOMAIN_INWAY',
        reason: 'contract-not-valid',
      });
    }
  }

  // Synchronous on a cache hit: no promise per call.
  const step: InwayStep = function contract(call) {
    const known = activeNow((call.claims as AccessTokenClaims).gth);
    if (typeof known === 'boolean') return refuseUnless(known);
    return known.then(refuseUnless);
  };

  return {
    step,
    async start() {
      unsubscribe ??= await contracts.subscribe(CONTRACTS_CHANGED_CHANNEL, () => {
        generation++;
        cache.clear();
      });
    },
    async close() {
      const u = unsubscribe;
      unsubscribe = undefined;
      await u?.();
    },
  };
}
