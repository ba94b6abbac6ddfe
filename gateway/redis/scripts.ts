// Loading and running Lua scripts on Redis, shared by the Redis store and the Redis transaction log.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/** A Lua script with its SHA-1, the name Redis knows it by in EVALSHA. */
export interface RedisScript {
  readonly lua: string;
  readonly sha: string;
}

/** Wraps Lua source as a script, computing its SHA-1 once at module load. */
export function defineRedisScript(lua: string): RedisScript {
  return { lua, sha: createHash('sha1').update(lua).digest('hex') };
}

/** Runs a script by its SHA, loading it on the first NOSCRIPT (after a restart or failover of Redis). */
export async function runRedisScript(
  client: Redis,
  s: RedisScript,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  try {
    return await client.evalsha(s.sha, keys.length, ...keys, ...args);
  } catch (err) {
    if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
    return client.eval(s.lua, keys.length, ...keys, ...args);
  }
}
