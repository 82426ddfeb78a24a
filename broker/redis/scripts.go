package redis

import "github.com/redis/rueidis"

// publishScript appends a publication to the channel's stream and
// publishes it in one atomic step, so offsets have no gaps and PUB/SUB
// delivery order equals offset order.
//
// KEYS: 1 stream, 2 meta, 3 idempotency result.
// ARGV: 1 PUB/SUB channel, 2 encoded publication (no offset), 3 history
// size (0: no history), 4 history TTL ms, 5 meta TTL ms, 6 epoch to use
// when the meta is created, 7 idempotent result TTL ms (0: no key).
// Returns {offset, epoch, suppressed (0/1)}.
var publishScript = rueidis.NewLuaScript(`
if ARGV[7] ~= "0" then
  local res = redis.call("hmget", KEYS[3], "s", "e")
  if res[1] then
    return {res[1], res[2], 1}
  end
end
local offset = 0
local epoch = ""
if ARGV[3] ~= "0" then
  epoch = redis.call("hget", KEYS[2], "e")
  if not epoch then
    epoch = ARGV[6]
    redis.call("hset", KEYS[2], "e", epoch)
    redis.call("del", KEYS[1])
  end
  offset = redis.call("hincrby", KEYS[2], "s", 1)
  redis.call("xadd", KEYS[1], "MAXLEN", ARGV[3], offset, "d", ARGV[2])
  redis.call("pexpire", KEYS[1], ARGV[4])
  redis.call("pexpire", KEYS[2], ARGV[5])
end
redis.call("publish", ARGV[1], "__p1:" .. offset .. ":" .. epoch .. "__" .. ARGV[2])
if ARGV[7] ~= "0" then
  redis.call("hset", KEYS[3], "s", offset, "e", epoch)
  redis.call("pexpire", KEYS[3], ARGV[7])
end
return {tostring(offset), epoch, 0}
`)

// historyScript reads the stream top, creating the meta with a fresh epoch
// when there is none, extends the meta's life and reads items.
//
// KEYS: 1 stream, 2 meta.
// ARGV: 1 epoch to use when the meta is created, 2 meta TTL ms, 3 the
// caller's epoch ("" = any), 4 read items (0/1), 5 reverse (0/1), 6 start
// ID, 7 end ID (for XREVRANGE: the high one first), 8 count (-1 = all).
// Returns {top offset, epoch, items}; items is empty on an epoch mismatch.
var historyScript = rueidis.NewLuaScript(`
local meta = redis.call("hmget", KEYS[2], "s", "e")
local top = meta[1]
local epoch = meta[2]
if not epoch then
  epoch = ARGV[1]
  top = "0"
  redis.call("hset", KEYS[2], "e", epoch)
  redis.call("del", KEYS[1])
end
if not top then
  top = "0"
end
local ttl = tonumber(ARGV[2])
local pttl = redis.call("pttl", KEYS[1])
if pttl > ttl then
  ttl = pttl
end
redis.call("pexpire", KEYS[2], ttl)
if ARGV[4] == "0" or (ARGV[3] ~= "" and ARGV[3] ~= epoch) then
  return {top, epoch, {}}
end
local items
local cmd = "xrange"
if ARGV[5] == "1" then
  cmd = "xrevrange"
end
if ARGV[8] == "-1" then
  items = redis.call(cmd, KEYS[1], ARGV[6], ARGV[7])
else
  items = redis.call(cmd, KEYS[1], ARGV[6], ARGV[7], "COUNT", ARGV[8])
end
return {top, epoch, items}
`)

// Presence scripts share helpers that drop a client and expire entries.
//
// KEYS: 1 data, 2 expire, 3 client → user, 4 user → count.
const presenceHelpers = `
local function decr_user(u)
  if redis.call("hincrby", KEYS[4], u, -1) <= 0 then
    redis.call("hdel", KEYS[4], u)
  end
end
local function drop(id)
  redis.call("hdel", KEYS[1], id)
  redis.call("zrem", KEYS[2], id)
  local u = redis.call("hget", KEYS[3], id)
  if u then
    redis.call("hdel", KEYS[3], id)
    decr_user(u)
  end
end
local t = redis.call("time")
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expired = redis.call("zrangebyscore", KEYS[2], "-inf", now, "LIMIT", 0, 1000)
for _, id in ipairs(expired) do
  drop(id)
end
`

// presenceAddScript adds or refreshes a client.
// ARGV: 1 TTL ms, 2 client ID, 3 user ID, 4 encoded ClientInfo.
var presenceAddScript = rueidis.NewLuaScript(presenceHelpers + `
local old = redis.call("hget", KEYS[3], ARGV[2])
if old ~= ARGV[3] then
  if old then
    decr_user(old)
  end
  redis.call("hset", KEYS[3], ARGV[2], ARGV[3])
  redis.call("hincrby", KEYS[4], ARGV[3], 1)
end
redis.call("hset", KEYS[1], ARGV[2], ARGV[4])
redis.call("zadd", KEYS[2], now + tonumber(ARGV[1]), ARGV[2])
for i = 1, 4 do
  redis.call("pexpire", KEYS[i], ARGV[1])
end
return 1
`)

// presenceRemoveScript removes a client. ARGV: 1 client ID.
var presenceRemoveScript = rueidis.NewLuaScript(presenceHelpers + `
drop(ARGV[1])
return 1
`)

// presenceGetScript returns the live entries as a flat [id, info, …] list.
var presenceGetScript = rueidis.NewLuaScript(presenceHelpers + `
return redis.call("hgetall", KEYS[1])
`)

// presenceStatsScript returns {clients, users}.
var presenceStatsScript = rueidis.NewLuaScript(presenceHelpers + `
return {redis.call("hlen", KEYS[1]), redis.call("hlen", KEYS[4])}
`)
