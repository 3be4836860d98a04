import { E_SERVICE_UNAVAILABLE, isException } from '../errors'

/**
 * A Redis failure (down, timed out) as the 503 the rest of the framework
 * answers, naming what used it (`Redis (message bus)`); our own errors pass
 * through unchanged.
 *
 * @example
 * await redis.xadd(...).catch((error) => { throw redisUnavailable(error, 'message bus') })
 */
export function redisUnavailable(error: unknown, what: string): Error {
  if (isException(error)) return error
  return new E_SERVICE_UNAVAILABLE(`Redis (${what})`, { cause: error })
}
