// A Redis transaction log is only as durable as Redis's own persistence: a record is acknowledged
// once Redis has it in memory, and only `appendonly yes` with `appendfsync always` puts every write on
// disk before Redis answers. A peer with a Redis log therefore checks at start, and refuses to run on
// a Redis that could lose acknowledged records, unless its operator explicitly accepted that.
import { Redis } from 'ioredis';

/** What the Redis server says about its persistence. */
export interface RedisPersistence {
  appendonly: string | undefined;
  appendfsync: string | undefined;
}

/** Why a Redis would lose acknowledged writes; undefined when it would not. */
export function persistenceProblem(p: RedisPersistence): string | undefined {
  if (p.appendonly !== 'yes' || p.appendfsync !== 'always') {
    return `Redis has appendonly ${p.appendonly ?? '?'} and appendfsync ${p.appendfsync ?? '?'}: acknowledged transaction-log records can be lost in a crash (needs appendonly yes and appendfsync always)`;
  }
  return undefined;
}

/** Reads the persistence settings (CONFIG GET); rejects when Redis cannot be reached or refuses CONFIG. */
export async function readRedisPersistence(url: string, timeoutMs = 2_000): Promise<RedisPersistence> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, commandTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const [, appendonly] = (await client.config('GET', 'appendonly')) as [string?, string?];
    const [, appendfsync] = (await client.config('GET', 'appendfsync')) as [string?, string?];
    return { appendonly, appendfsync };
  } finally {
    client.disconnect();
  }
}
