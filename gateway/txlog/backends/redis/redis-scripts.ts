// Lua scripts of the Redis transaction log. A script runs atomically; each one checks everything first
// and writes after, so a refused call leaves no trace (Redis does not roll back a script that fails
// half-way). Every key a script touches is passed in KEYS (they share the peer's hash tag), and the
// per-entry keys are referenced from a JSON plan by their KEYS index.
import { defineRedisScript } from '../../../redis/index.ts';

/**
 * Compare-and-set append (docs/transaction-log.md "Several replicas, one chain").
 * KEYS[1] head, KEYS[2] chain, KEYS[3] anchors, KEYS[4..] entry / index / pointer keys.
 * ARGV[1] expected head seq, ARGV[2] expected head hash, ARGV[3] new head seq, ARGV[4] new head hash,
 * ARGV[5] plan JSON [{k, s, j, h, z: [index KEYS], d?: pointer KEYS}], ARGV[6] tail channel,
 * ARGV[7] tail message, ARGV[8] genesis hash.
 * Returns {1} when appended, {0, seq, hash} (the actual head) when another writer got there first.
 */
export const appendScript = defineRedisScript(`
local h = redis.call('HMGET', KEYS[1], 'seq', 'hash')
local seq, hash = h[1], h[2]
if not seq then
  if redis.call('ZCARD', KEYS[2]) > 0 or redis.call('ZCARD', KEYS[3]) > 0 then
    return redis.error_reply('TXLOG_HEAD_MISSING the chain head is missing')
  end
  seq = '0'
  hash = ARGV[8]
end
if seq ~= ARGV[1] or hash ~= ARGV[2] then return {0, seq, hash} end
local plan = cjson.decode(ARGV[5])
for _, e in ipairs(plan) do
  if redis.call('EXISTS', KEYS[e.k]) == 1 then
    return redis.error_reply('TXLOG_ENTRY_EXISTS an entry with this seq exists')
  end
end
for _, e in ipairs(plan) do
  redis.call('HSET', KEYS[e.k], 'j', e.j, 'h', e.h)
  redis.call('ZADD', KEYS[2], e.s, e.s)
  for _, i in ipairs(e.z) do redis.call('ZADD', KEYS[i], e.s, e.s) end
  if e.d then redis.call('SET', KEYS[e.d], e.s) end
end
redis.call('HSET', KEYS[1], 'seq', ARGV[3], 'hash', ARGV[4])
redis.call('PUBLISH', ARGV[6], ARGV[7])
return {1}
`);

/**
 * Remove a verified prefix and record its anchor, unless another replica moved the anchor first.
 * KEYS[1] anchors, KEYS[2] chain, KEYS[3] heads, KEYS[4..] entry / index / pointer keys.
 * ARGV[1] expected newest anchor seq (0 for none), ARGV[2] new anchor seq, ARGV[3] anchor JSON,
 * ARGV[4] plan JSON [{k, m, z: [index KEYS], d?: pointer KEYS}].
 */
export const cutScript = defineRedisScript(`
local top = redis.call('ZREVRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local current = top[2] or '0'
if tonumber(current) ~= tonumber(ARGV[1]) then return 0 end
local plan = cjson.decode(ARGV[4])
for _, e in ipairs(plan) do
  redis.call('DEL', KEYS[e.k])
  redis.call('ZREM', KEYS[2], e.m)
  for _, i in ipairs(e.z) do redis.call('ZREM', KEYS[i], e.m) end
  if e.d and redis.call('GET', KEYS[e.d]) == e.m then redis.call('DEL', KEYS[e.d]) end
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', ARGV[2])
return 1
`);
