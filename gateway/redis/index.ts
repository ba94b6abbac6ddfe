// The face of gateway/redis: what the Redis backends of the store and the transaction log share.
export { defineRedisScript, runRedisScript } from './scripts.ts';
export type { RedisScript } from './scripts.ts';
export { redisKeyPrefix, redisUrlWithPassword } from './connection.ts';
export { persistenceProblem, readRedisPersistence } from './durability.ts';
export type { RedisPersistence } from './durability.ts';
