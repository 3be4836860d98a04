import { createHash } from 'node:crypto'

/**
 * A counter key part of fixed length that keeps user ids and client IPs out
 * of Redis keys in clear.
 *
 * @example
 * `${limiter}:${keyDigest('user:ada')}`
 */
export function keyDigest(value: string): string {
  return createHash('sha256').update(value).digest('base64url').slice(0, 22)
}
