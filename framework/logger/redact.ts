/** Key names whose values never reach a log line. Matched case-insensitively, ignoring - and _. */
const SECRET_KEY = /(pass(word)?|secret|token|authorization|apikey|api_key|cookie|credential|privatekey|signature)/i
const URL_CREDENTIALS = /(\b[a-z][a-z0-9+.-]*:\/\/[^:/?#\s@]*:)([^@/?#\s]+)(@)/gi
const BEARER = /\b(Bearer\s+)[A-Za-z0-9\-._~+/]+=*/g
const API_KEY = /\blv_[A-Za-z0-9_-]{16,}/g

export const REDACTED = '[redacted]'

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key.replace(/[-_]/g, ''))
}

/** Removes passwords in URLs, bearer tokens and Langvel API keys from free text. */
export function redactString(value: string): string {
  if (value.length < 8) return value
  return value.replace(URL_CREDENTIALS, `$1${REDACTED}$3`).replace(BEARER, `$1${REDACTED}`).replace(API_KEY, REDACTED)
}

/**
 * Returns a copy of `value` with secret-named keys replaced and secrets in
 * strings masked. Depth-limited and cycle-safe, because log context can be
 * anything a user passes.
 */
export function redact(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return redactString(value)
  if (value === null || typeof value !== 'object') return value
  if (depth > 6) return '[depth limit]'
  if (seen.has(value)) return '[circular]'
  seen.add(value)
  if (value instanceof Error) return serializeError(value, depth, seen)
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1, seen))
  if (value instanceof Date) return value.toISOString()
  const out: Record<string, unknown> = {}
  for (const [key, item] of Object.entries(value)) {
    out[key] = isSecretKey(key) && item !== undefined && item !== null && typeof item !== 'boolean' ? REDACTED : redact(item, depth + 1, seen)
  }
  return out
}

export function serializeError(error: Error, depth = 0, seen = new WeakSet<object>()): Record<string, unknown> {
  const out: Record<string, unknown> = { name: error.name, message: redactString(error.message) }
  const code = (error as { code?: unknown }).code
  if (code !== undefined) out.code = code
  if (error.stack) out.stack = redactString(error.stack)
  if (error.cause !== undefined && depth < 4) out.cause = redact(error.cause, depth + 1, seen)
  return out
}
