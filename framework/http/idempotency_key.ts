import { E_VALIDATION } from '../errors'
import type { HttpContext } from './context'

const MAX_KEY_LENGTH = 200

/**
 * The idempotency key of a request that creates a background run: the
 * `Idempotency-Key` header or the body's `metadata.idempotency_key` (both
 * must agree when both are sent); undefined without one. E_VALIDATION for a
 * key that is not 1-200 characters.
 *
 * @example
 * const key = idempotencyKey(ctx, body.metadata?.idempotency_key)
 */
export function idempotencyKey(ctx: HttpContext, fromMetadata: unknown): string | undefined {
  const header = ctx.header('idempotency-key')
  const invalid = (path: string) => new E_VALIDATION('The idempotency key is invalid', { details: [{ path, message: `must be a string of 1-${MAX_KEY_LENGTH} characters` }] })
  if (fromMetadata !== undefined && fromMetadata !== null && (typeof fromMetadata !== 'string' || fromMetadata === '' || fromMetadata.length > MAX_KEY_LENGTH)) throw invalid('metadata.idempotency_key')
  const fromBody = (fromMetadata ?? undefined) as string | undefined
  if (header === undefined) return fromBody
  if (header === '' || header.length > MAX_KEY_LENGTH) throw invalid('Idempotency-Key')
  if (fromBody !== undefined && fromBody !== header) {
    throw new E_VALIDATION('The Idempotency-Key header and metadata.idempotency_key differ', { details: [{ path: 'metadata.idempotency_key', message: 'send one key, or the same in both' }] })
  }
  return header
}
