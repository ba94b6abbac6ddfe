// Access tokens per grant (DESIGN.md "A call, end to end", step 3): fetched once and reused until
// shortly before they expire, so a warm outway makes no manager round trip per request.
// - single flight: while a token for a grant is being fetched, every other request for that grant
//   waits for the same fetch (a burst of requests causes one token request, not one each);
// - refresh ahead: once `refreshRatio` of a token's lifetime has passed, the next request starts a
//   fetch in the background and keeps using the current token, so nobody waits at expiry;
// - a token the inway refused is dropped (`invalidate`), and the next request fetches a new one.
// Lifetimes are measured on our own clock (`exp - nbf` from the moment the token arrived), so a
// provider whose clock runs ahead or behind does not make every token look expired.
import type { Logger } from '../runtime/index.ts';
import type { AccessToken, TokenClient, TokenRequest } from './token-client.ts';

export interface TokenCacheOptions {
  client: TokenClient;
  clock: () => number;
  logger: Logger;
  /** Share of the lifetime after which a token is refreshed in the background, 0 < x ≤ 1. */
  refreshRatio: number;
  /** A token this close to its end is not sent any more (it could expire on the way). */
  expirySkewMs: number;
}

interface Cached {
  token: AccessToken;
  refreshAt: number;
  expiresAt: number;
}

export interface TokenCache {
  /** A usable token for the grant: cached, or fetched (one fetch at a time per grant). */
  get(request: TokenRequest): Promise<AccessToken>;
  /** Drop the cached token of a grant if it is still `token` (a newer one is kept). */
  invalidate(grantHash: string, token: string): void;
  /** Drop every cached token (e.g. after a certificate change). */
  clear(): void;
}

export function createTokenCache(options: TokenCacheOptions): TokenCache {
  const { client, clock, logger } = options;
  if (!(options.refreshRatio > 0 && options.refreshRatio <= 1)) throw new RangeError('refreshRatio must be in (0, 1]');
  const cache = new Map<string, Cached>();
  const inFlight = new Map<string, Promise<AccessToken>>();

  function remember(token: AccessToken, fetchedAt: number): Cached {
    const { exp, nbf } = token.claims;
    const lifetimeMs = exp > nbf ? (exp - nbf) * 1000 : Math.max(0, exp * 1000 - fetchedAt);
    return {
      token,
      refreshAt: fetchedAt + lifetimeMs * options.refreshRatio,
      expiresAt: fetchedAt + lifetimeMs,
    };
  }

  function fetchOnce(request: TokenRequest): Promise<AccessToken> {
    const pending = inFlight.get(request.grantHash);
    if (pending !== undefined) return pending;
    const attempt = (async () => {
      try {
        const fetchedAt = clock();
        const token = await client.fetch(request);
        cache.set(request.grantHash, remember(token, fetchedAt));
        logger.debug({ grantHash: request.grantHash, service: request.serviceName }, 'access token fetched');
        return token;
      } finally {
        inFlight.delete(request.grantHash);
      }
    })();
    inFlight.set(request.grantHash, attempt);
    return attempt;
  }

  return {
    async get(request) {
      const now = clock();
      const cached = cache.get(request.grantHash);
      if (cached !== undefined && now < cached.expiresAt - options.expirySkewMs) {
        if (now >= cached.refreshAt && !inFlight.has(request.grantHash)) {
          fetchOnce(request).catch((err: unknown) => {
            // The current token still works; the next request tries again.
            logger.warn({ err, grantHash: request.grantHash }, 'access token refresh failed');
          });
        }
        return cached.token;
      }
      if (cached !== undefined) cache.delete(request.grantHash);
      return fetchOnce(request);
    },
    invalidate(grantHash, token) {
      if (cache.get(grantHash)?.token.token === token) cache.delete(grantHash);
    },
    clear() {
      cache.clear();
    },
  };
}
