/** Lua scripts: each feature operation is one atomic round trip. KEYS share a hash tag where >1. */

/** KEYS[1] counter; ARGV limit, expire-at ms → {allowed, count, pttl}. Rejected attempts are not counted. */
export const CONSUME = `
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if cur + 1 > tonumber(ARGV[1]) then return {0, cur, redis.call('PTTL', KEYS[1])} end
local v = redis.call('INCR', KEYS[1])
if v == 1 then redis.call('PEXPIREAT', KEYS[1], ARGV[2]) end
return {1, v, redis.call('PTTL', KEYS[1])}`;

/**
 * KEYS counter, backstop; ARGV limit, backstop limit, expire-at ms → {allowed, count, pttl, refused
 * by (0 none, 1 counter, 2 backstop)}. Both are counted, or neither.
 */
export const CONSUME_BOTH = `
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if cur + 1 > tonumber(ARGV[1]) then return {0, cur, redis.call('PTTL', KEYS[1]), 1} end
local other = tonumber(redis.call('GET', KEYS[2]) or '0')
if other + 1 > tonumber(ARGV[2]) then return {0, cur, redis.call('PTTL', KEYS[1]), 2} end
for i = 1, 2 do
  if redis.call('INCR', KEYS[i]) == 1 then redis.call('PEXPIREAT', KEYS[i], ARGV[3]) end
end
return {1, cur + 1, redis.call('PTTL', KEYS[1]), 0}`;

/** KEYS counters → decrements each unless already zero or gone. */
export const REFUND = `
for i = 1, #KEYS do
  local cur = tonumber(redis.call('GET', KEYS[i]) or '0')
  if cur > 0 then redis.call('DECR', KEYS[i]) end
end
return 0`;

/** KEYS[1] counter → {count, pttl}. */
export const PEEK = `
return {tonumber(redis.call('GET', KEYS[1]) or '0'), redis.call('PTTL', KEYS[1])}`;

/** KEYS meta, log; ARGV owner, now, ttl ms, max entries, entries… → 1 ok, -1 owned by another. */
export const SESSION_APPEND = `
local owner = redis.call('HGET', KEYS[1], 'owner')
if owner and owner ~= ARGV[1] then return -1 end
if not owner then redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'created_at', ARGV[2]) end
redis.call('HSET', KEYS[1], 'updated_at', ARGV[2])
for i = 5, #ARGV do redis.call('RPUSH', KEYS[2], ARGV[i]) end
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[4]), -1)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 1`;

/** KEYS meta, log → {owner, created_at, updated_at, entries} or nil. */
export const SESSION_READ = `
local meta = redis.call('HMGET', KEYS[1], 'owner', 'created_at', 'updated_at')
if not meta[1] then return nil end
return {meta[1], meta[2], meta[3], redis.call('LRANGE', KEYS[2], 0, -1)}`;
