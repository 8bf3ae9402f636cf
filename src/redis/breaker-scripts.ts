import { luaScript } from './client.js';

/*
 * The fleet's breaker state in Redis. Per pipeline, every key shares the hash
 * tag {<pipeline>}, so a script's keys sit in one slot (Redis Cluster safe);
 * per breaker key `<base>k:<key>:`:
 *   s  't:<epoch>' tripped (a probe must close it) or 'c:<epoch>' closed; PX = stateTtlMs
 *   o  exists while the break runs; PX = the break left
 *   p  the probe lease: the holder's token; PX = probeLeaseMs
 * and per pipeline `<base>i`, a hash of the keys with an `s`, so a process
 * that starts can read them all in one call. Every time is Redis's: breaks
 * and leases are TTLs, and replies give what is left of them. Epochs come
 * from Redis's clock (and always grow per key), so a receiver can order
 * transitions whatever their path. Each transition is published on the
 * channel as JSON {p, k, s, e, ms, o}.
 *
 * A key Redis no longer holds (expired, or lost in a restart) is answered
 * with an epoch from the clock: newer than anything a process may remember,
 * so its reply is not taken for a stale one.
 *
 * KEYS: s, o, p, i. ARGV: key, encoded key, pipeline, token, channel,
 * stateTtlMs, then the script's own argument. Replies: {state, epoch, ms}.
 */
const COMMON = `
local function clock()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function epoch_of(v)
  if not v then return clock() end
  return tonumber(string.sub(v, 3)) or 0
end
local function publish(state, epoch, ms)
  redis.call('PUBLISH', ARGV[5], cjson.encode({
    p = ARGV[3], k = ARGV[1], s = state, e = epoch, ms = ms, o = ARGV[4] }))
end
local function index()
  redis.call('HSET', KEYS[4], ARGV[2], ARGV[1])
  redis.call('PEXPIRE', KEYS[4], ARGV[6])
end
local function lease_left()
  local ms = redis.call('PTTL', KEYS[3])
  if ms < 0 then return 0 end
  return ms
end
`;

/**
 * This process's breaker opened. ARGV[7]: break length. A break already
 * running stands (its time left is returned); else a fresh one starts under a
 * new epoch and any probe lease goes.
 */
export const TRIP = luaScript(`${COMMON}
local s = redis.call('GET', KEYS[1])
local epoch = epoch_of(s)
local left = redis.call('PTTL', KEYS[2])
if left > 0 then return {'open', epoch, left} end
epoch = math.max(epoch + 1, clock())
local e = string.format('%.0f', epoch)
redis.call('SET', KEYS[1], 't:' .. e, 'PX', ARGV[6])
redis.call('SET', KEYS[2], e, 'PX', ARGV[7])
redis.call('DEL', KEYS[3])
index()
local ms = tonumber(ARGV[7])
publish('open', epoch, ms)
return {'open', epoch, ms}
`);

/**
 * The break is over for this process. ARGV[7]: lease length. Takes the probe
 * lease (SET PX) unless another holder has it; renews this token's own. A
 * key the fleet does not hold (lost, or never written) is granted quietly.
 */
export const PROBE = luaScript(`${COMMON}
local s = redis.call('GET', KEYS[1])
local epoch = epoch_of(s)
local left = redis.call('PTTL', KEYS[2])
if left > 0 then return {'open', epoch, left} end
if s and string.sub(s, 1, 1) == 'c' then return {'closed', epoch, 0} end
local holder = redis.call('GET', KEYS[3])
if holder and holder ~= ARGV[4] then
  local lease = lease_left()
  if lease > 0 then return {'half_open', epoch, lease} end
end
redis.call('SET', KEYS[3], ARGV[4], 'PX', ARGV[7])
local ms = tonumber(ARGV[7])
if s and holder ~= ARGV[4] then publish('half_open', epoch, ms) end
return {'won', epoch, ms}
`);

/**
 * A probe succeeded here. ARGV[7]: the epoch it was admitted in. Closes the
 * key unless it tripped again since (a running break, or a newer epoch).
 */
export const CLOSE = luaScript(`${COMMON}
local s = redis.call('GET', KEYS[1])
local epoch = epoch_of(s)
local left = redis.call('PTTL', KEYS[2])
if left > 0 then return {'open', epoch, left} end
if s and string.sub(s, 1, 1) == 'c' then return {'closed', epoch, 0} end
if s and epoch > tonumber(ARGV[7]) then
  if redis.call('GET', KEYS[3]) == ARGV[4] then return {'won', epoch, lease_left()} end
  return {'half_open', epoch, lease_left()}
end
redis.call('SET', KEYS[1], 'c:' .. string.format('%.0f', epoch), 'PX', ARGV[6])
redis.call('DEL', KEYS[3])
index()
publish('closed', epoch, 0)
return {'closed', epoch, 0}
`);

/**
 * Every key of a pipeline. KEYS[1]: the index. ARGV: key base, token, most
 * entries. Replies {key, state, epoch, ms} each; drops index entries whose
 * state expired.
 */
export const LOAD = luaScript(`
local out = {}
local max = tonumber(ARGV[3])
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local base = ARGV[1] .. all[i]
  local s = redis.call('GET', base .. ':s')
  if not s then
    redis.call('HDEL', KEYS[1], all[i])
  elseif #out < max then
    local epoch = tonumber(string.sub(s, 3)) or 0
    local left = redis.call('PTTL', base .. ':o')
    local lease = redis.call('PTTL', base .. ':p')
    if lease < 0 then lease = 0 end
    local state = 'half_open'
    if string.sub(s, 1, 1) == 'c' then
      state, left = 'closed', 0
    elseif left > 0 then
      state = 'open'
    else
      left = lease
      if lease > 0 and redis.call('GET', base .. ':p') == ARGV[2] then state = 'won' end
    end
    table.insert(out, {all[i + 1], state, epoch, left})
  end
end
return out
`);
