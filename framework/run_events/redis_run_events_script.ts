/*
 * One stream per run. Its last entry is the end marker once the run has
 * ended (field `end`): readers following with XREAD see it in order after
 * the last event, so "ended" can never overtake an event.
 */

/**
 * KEYS[1] stream; ARGV: maxlen, event, data, idle ttl ms.
 * Returns the new entry's id, or the error ENDED when the run has ended.
 */
export const APPEND_SCRIPT = `
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
if last[1] and last[1][2][1] == 'end' then return redis.error_reply('ENDED run has ended') end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'e', ARGV[2], 'd', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return id
`

/** KEYS[1] stream; ARGV: retention ms. Adds the end marker once and starts the retention period. */
export const END_SCRIPT = `
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
if last[1] and last[1][2][1] == 'end' then return 0 end
redis.call('XADD', KEYS[1], '*', 'end', '1')
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
`
