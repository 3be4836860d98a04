import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

export const API_KEY_PREFIX = 'lv_'
/** 256 bits of randomness: 43 base64url characters after the prefix. */
const KEY_BYTES = 32
const KEY_SHAPE = /^lv_[A-Za-z0-9_-]{43,128}$/

/**
 * A new API key: `lv_` and 32 random bytes, URL-safe. Shown once; only its
 * SHA-256 is stored. A fast hash is right here (unlike passwords): the key
 * has 256 bits of entropy, so there is nothing to brute-force.
 *
 * @example
 * const key = generateApiKey()   // lv_Jm3k...
 * store.insert({ hash: hashApiKey(key), ... })
 */
export function generateApiKey(): string {
  return `${API_KEY_PREFIX}${randomBytes(KEY_BYTES).toString('base64url')}`
}

/** Hex SHA-256 of the whole key, prefix included. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex')
}

/** Cheap shape check before hashing or touching the store. */
export function looksLikeApiKey(value: string): boolean {
  return KEY_SHAPE.test(value)
}

/** Compares two hex digests in constant time (the store found the row by index; this confirms it). */
export function sameDigest(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex')
  const right = Buffer.from(b, 'hex')
  return left.length === right.length && left.length > 0 && timingSafeEqual(left, right)
}

/** A short public id for listing and revoking: `ak_` and 16 hex characters. */
export function generateApiKeyId(): string {
  return `ak_${randomBytes(8).toString('hex')}`
}
