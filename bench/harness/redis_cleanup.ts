/**
 * Deletes the keys a benchmark run left in Redis (rate-limit windows,
 * revocation entries) under its own prefix. Best effort: an unreachable
 * Redis is reported, not thrown, since the run itself is over.
 *
 * @example
 * await deleteRedisKeys('redis://127.0.0.1:6379/15', 'langvel-bench:1234:')
 */
export async function deleteRedisKeys(url: string, prefix: string): Promise<{ deleted: number } | { error: string }> {
  const { Redis } = require('ioredis') as typeof import('ioredis')
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 2000, retryStrategy: () => null })
  redis.on('error', () => undefined)
  try {
    await redis.connect()
    let deleted = 0
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${escapeGlob(prefix)}*`, 'COUNT', 500)
      cursor = next
      if (keys.length > 0) deleted += await redis.del(...keys)
    } while (cursor !== '0')
    return { deleted }
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) }
  } finally {
    redis.disconnect()
  }
}

function escapeGlob(value: string): string {
  return value.replace(/[*?[\]\\]/g, '\\$&')
}
