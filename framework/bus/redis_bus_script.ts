import { createHash } from 'node:crypto'
import type { Redis } from 'ioredis'

/**
 * The bound of a topic's stream, checked and applied atomically with the
 * XADD, so two publishers (or processes) cannot both take the last place.
 *
 * 1. Entries every live group has acknowledged are trimmed: the stream keeps
 *    everything from the oldest entry some group still needs (its oldest
 *    pending entry, or the first it has not been given) to the tip. The trim
 *    is by MINID, never by MAXLEN, so no entry a group has not acknowledged
 *    is ever dropped.
 * 2. What is left is the depth. A publish is accepted only while it is below
 *    the bound; otherwise the script refuses and the caller waits or fails.
 *
 * Groups of subscriptions without a name ("~" + uuid) hold an alive key their
 * subscription refreshes; once it has expired (the process died) the group
 * is destroyed here, so a dead subscriber cannot hold a topic full forever.
 * With no group left nothing can be delivered: the stream is emptied and a
 * publish stores nothing, as in memory.
 *
 * KEYS[1] stream; ARGV: bound, alive key prefix, 'add' | 'probe', field, value...
 * Returns { accepted (0 | 1), depth }.
 */
export const PUBLISH_SCRIPT = `
local stream = KEYS[1]
local bound = tonumber(ARGV[1])
local alivePrefix = ARGV[2]
local mode = ARGV[3]

local function parse(id)
  local dash = string.find(id, '-', 1, true)
  return tonumber(string.sub(id, 1, dash - 1)), tonumber(string.sub(id, dash + 1))
end
local function before(a, b)
  local am, as = parse(a)
  local bm, bs = parse(b)
  return am < bm or (am == bm and as < bs)
end

local groups = {}
if redis.call('EXISTS', stream) == 1 then groups = redis.call('XINFO', 'GROUPS', stream) end
local keep = nil
for _, flat in ipairs(groups) do
  local g = {}
  for i = 1, #flat, 2 do g[flat[i]] = flat[i + 1] end
  local name = g['name']
  if string.sub(name, 1, 1) == '~' and redis.call('EXISTS', alivePrefix .. name) == 0 then
    redis.call('XGROUP', 'DESTROY', stream, name)
  else
    local oldest
    if tonumber(g['pending']) > 0 then
      oldest = redis.call('XPENDING', stream, name)[2]
    else
      local ms, seq = parse(g['last-delivered-id'])
      oldest = string.format('%.0f-%.0f', ms, seq + 1)
    end
    if keep == nil or before(oldest, keep) then keep = oldest end
  end
end

if keep == nil then
  redis.call('XTRIM', stream, 'MAXLEN', 0)
  return {1, 0}
end
redis.call('XTRIM', stream, 'MINID', keep)
local depth = redis.call('XLEN', stream)
if mode == 'probe' then return {1, depth} end
if depth >= bound then return {0, depth} end
redis.call('XADD', stream, '*', unpack(ARGV, 4))
return {1, depth + 1}
`

const SHA = createHash('sha1').update(PUBLISH_SCRIPT).digest('hex')

/** Runs the script by its hash, loading it once per server (after a restart or SCRIPT FLUSH too). */
export async function runPublishScript(redis: Redis, stream: string, args: Array<string | number>): Promise<{ accepted: boolean; depth: number }> {
  let result: [number, number]
  try {
    result = (await redis.evalsha(SHA, 1, stream, ...args)) as [number, number]
  } catch (error) {
    if (!String((error as Error).message).includes('NOSCRIPT')) throw error
    result = (await redis.eval(PUBLISH_SCRIPT, 1, stream, ...args)) as [number, number]
  }
  return { accepted: result[0] === 1, depth: result[1] }
}
