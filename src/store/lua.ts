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

/**
 * KEYS meta, log; ARGV owner, now, ttl ms, max entries, max bytes, entries… → 1 ok, -1 owned by
 * another. The meta hash keeps the log's byte count, so trimming the oldest entries beyond either
 * limit reads only what it drops (a session written before the count existed is measured once).
 */
export const SESSION_APPEND = `
local owner = redis.call('HGET', KEYS[1], 'owner')
if owner and owner ~= ARGV[1] then return -1 end
if not owner then redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'created_at', ARGV[2]) end
local bytes = tonumber(redis.call('HGET', KEYS[1], 'bytes') or '-1')
if bytes < 0 then
  bytes = 0
  for _, entry in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do bytes = bytes + #entry end
end
for i = 6, #ARGV do
  redis.call('RPUSH', KEYS[2], ARGV[i])
  bytes = bytes + #ARGV[i]
end
local count = redis.call('LLEN', KEYS[2])
local maxEntries, maxBytes = tonumber(ARGV[4]), tonumber(ARGV[5])
while count > 0 and (count > maxEntries or bytes > maxBytes) do
  bytes = bytes - #redis.call('LPOP', KEYS[2])
  count = count - 1
end
redis.call('HSET', KEYS[1], 'updated_at', ARGV[2], 'bytes', bytes)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 1`;

/** KEYS meta, log → {owner, created_at, updated_at, entries} or nil. */
export const SESSION_READ = `
local meta = redis.call('HMGET', KEYS[1], 'owner', 'created_at', 'updated_at')
if not meta[1] then return nil end
return {meta[1], meta[2], meta[3], redis.call('LRANGE', KEYS[2], 0, -1)}`;
