import { luaScript } from './client.js';

/*
 * One key per record; its string value is a one-letter state followed by JSON:
 *   p{"t":ownerToken,"f":fingerprint}                  in flight,   PX = lease
 *   c{"f":fingerprint,"st":status,"h":headers,"b":b64} completed,   PX = retention
 * Expiry is the key's own TTL, so Redis's clock decides it and an expired lease
 * simply vanishes: the next SET NX takes over, with no separate lock key and
 * no unconditional overwrite. Every script touches KEYS[1] only, so a record
 * never spans hash slots (Redis Cluster safe).
 */

/** The owner check shared by the fenced scripts: true when KEYS[1] is in flight for ARGV[1]. */
const OWNED_BY_ARGV1 = `
local function owned()
  local v = redis.call('GET', KEYS[1])
  if not v or string.sub(v, 1, 1) ~= 'p' then return nil end
  local record = cjson.decode(string.sub(v, 2))
  if record.t ~= ARGV[1] then return nil end
  return record
end
`;

/**
 * Claim. ARGV: ownerToken, in-flight value, leaseMs.
 * Returns {1} when claimed, else {0, value, pttl} of the record that is there.
 * The GET after a failed SET NX runs inside the same script, so the key cannot
 * vanish in between.
 */
export const CLAIM = luaScript(`${OWNED_BY_ARGV1}
if redis.call('SET', KEYS[1], ARGV[2], 'NX', 'PX', ARGV[3]) then return {1} end
if owned() then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return {1}
end
return {0, redis.call('GET', KEYS[1]), redis.call('PTTL', KEYS[1])}
`);

/** Renew. ARGV: ownerToken, leaseMs. Returns 1 when renewed, 0 when fenced out. */
export const RENEW = luaScript(`${OWNED_BY_ARGV1}
if not owned() then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`);

/**
 * Complete. ARGV: ownerToken, response JSON object (without the fingerprint),
 * retentionMs. The fingerprint is carried over from the in-flight record.
 */
export const COMPLETE = luaScript(`${OWNED_BY_ARGV1}
local record = owned()
if not record then return 0 end
local value = 'c{"f":' .. cjson.encode(record.f) .. ',' .. string.sub(ARGV[2], 2)
redis.call('SET', KEYS[1], value, 'PX', ARGV[3])
return 1
`);

/** Release. ARGV: ownerToken. Returns 1 when deleted, 0 when fenced out. */
export const RELEASE = luaScript(`${OWNED_BY_ARGV1}
if not owned() then return 0 end
redis.call('DEL', KEYS[1])
return 1
`);
