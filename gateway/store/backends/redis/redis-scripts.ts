// Lua scripts of the Redis store. A script runs atomically, so each multi-key write either happens whole or
// (when a check fails) not at all. Every key a script touches is passed in KEYS, and all of them share the
// peer's hash tag, so the scripts are legal on Redis Cluster.
import { defineRedisScript } from '../../../redis/index.ts';

/**
 * KEYS[1] contract hash, KEYS[2] iv hash, KEYS[3 .. 2+n] sorted-set indexes, KEYS[3+n ..] grant-hash sets.
 * ARGV: n, iv field, content hash, sort member, content JSON, createdAt, grant types JSON, peer ids JSON.
 * Checks first, writes after: a refused contract leaves no trace.
 */
export const putContractScript = defineRedisScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 'exists' end
if redis.call('HEXISTS', KEYS[2], ARGV[2]) == 1 then return 'iv-taken' end
redis.call('HSET', KEYS[1], 'content', ARGV[5], 'createdAt', ARGV[6], 'grantTypes', ARGV[7], 'peerIds', ARGV[8])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
local n = tonumber(ARGV[1])
for i = 3, 2 + n do redis.call('ZADD', KEYS[i], 0, ARGV[4]) end
for i = 3 + n, #KEYS do redis.call('SADD', KEYS[i], ARGV[3]) end
return 'created'
`);

/** KEYS[1] contract hash. ARGV: signature field, JWS, signed-at field, signedAt. The first signature wins. */
export const putSignatureScript = defineRedisScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 'no-contract' end
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 'exists' end
redis.call('HSET', KEYS[1], ARGV[3], ARGV[4])
return 'created'
`);

/** KEYS[1] items hash, KEYS[2] due sorted set. ARGV: id, item JSON, nextAttemptAt. */
export const enqueueScript = defineRedisScript(`
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return 1
`);

/**
 * KEYS[1] due sorted set, KEYS[2] items hash, KEYS[3] state hash, KEYS[4] lease hash. ARGV: now, leasedUntil, limit.
 * Claiming moves the item's score to the end of the lease, so no other caller sees it as due until then.
 * Returns a flat list id, item JSON, state JSON ('' when absent) per claimed item.
 */
export const claimDueScript = defineRedisScript(`
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for _, id in ipairs(ids) do
  redis.call('ZADD', KEYS[1], ARGV[2], id)
  redis.call('HSET', KEYS[4], id, ARGV[2])
  out[#out + 1] = id
  out[#out + 1] = redis.call('HGET', KEYS[2], id) or ''
  out[#out + 1] = redis.call('HGET', KEYS[3], id) or ''
end
return out
`);

/** KEYS[1] due sorted set, KEYS[2] items hash, KEYS[3] state hash, KEYS[4] lease hash. ARGV: id, nextAttemptAt, state JSON. */
export const retryScript = defineRedisScript(`
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
redis.call('HDEL', KEYS[4], ARGV[1])
return 1
`);

/** KEYS[1] due sorted set, KEYS[2] items hash, KEYS[3] state hash, KEYS[4] lease hash. ARGV: id. */
export const completeScript = defineRedisScript(`
local n = redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('HDEL', KEYS[4], ARGV[1])
return n
`);
