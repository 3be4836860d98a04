/*
 * Secret-named keys, matched on the key lower-cased without `-`, `_`, `.` and
 * spaces (so `x-api-key`, `apiKey` and `API_KEY` are one name). Words that
 * are secrets wherever they appear in a name, and endings that are: `token`
 * and `pass` only at the end, so `accessToken` and `DB_PASS` are secrets
 * while `promptTokens`, `maxTokens`, `tokenCacheSize` and `passCount` are not.
 */
const SECRET_WORD = /passw(?:or)?d|passphrase|secret|authorization|apikey|cookie|credential|privatekey|signature/
const SECRET_END = /(?:token|pass|(?:access|refresh|api|auth|oauth|session|bearer|csrf|jwt)tokens|^idtokens)$/
const KEY_SEPARATORS = /[-_.\s]/g

/*
 * Secret-looking values, whatever their key, in one pass (one scan of the
 * string instead of one per kind): a password in a URL, a secret query
 * parameter, a bearer credential, a JWT (`eyJ` header, two more base64url
 * parts; the signature may be empty), a Langvel API key (`lv_` + 43 or more
 * base64url characters, like generated keys). Lengths that can fail to
 * match are bounded, so hostile text costs linear time, not quadratic.
 */
const SECRET_VALUE = new RegExp(
  [
    String.raw`(\b[a-zA-Z][a-zA-Z0-9+.-]{0,31}:\/\/[^:/?#\s@]{0,256}:)[^@/?#\s]+(?=@)`,
    String.raw`([?&]([A-Za-z0-9_.-]{1,64})=)[^&#\s"']+`,
    String.raw`(\b(?:[Bb]earer|BEARER)\s+)[A-Za-z0-9\-._~+/]+=*`,
    String.raw`\beyJ[A-Za-z0-9_-]{1,1024}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*`,
    String.raw`\blv_[A-Za-z0-9_-]{43,}`,
  ].join('|'),
  'g',
)

/**
 * Credentials that stand alone in a value (JWTs, Langvel API keys): what an
 * ordinarily named query parameter is searched for. A pattern of its own, so
 * masking a parameter never recurses into the full scan (`?a=?a=?a=...`).
 */
const BARE_CREDENTIAL = /\beyJ[A-Za-z0-9_-]{1,1024}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*|\blv_[A-Za-z0-9_-]{43,}/g

/** The shortest text that can hold a secret the patterns above recognise (`Bearer x`). */
const MIN_SECRET_LENGTH = 8

export const REDACTED = '[redacted]'

/**
 * True for a key whose value never reaches a log line or `config:show`.
 *
 * @example
 * isSecretKey('refresh_token') // true
 * isSecretKey('promptTokens')  // false
 */
export function isSecretKey(key: string): boolean {
  let secret = KEY_VERDICTS.get(key)
  if (secret === undefined) {
    const name = key.replace(KEY_SEPARATORS, '').toLowerCase()
    secret = SECRET_WORD.test(name) || SECRET_END.test(name)
    // Log lines repeat the same few keys; a flood of distinct ones only restarts the memo.
    if (KEY_VERDICTS.size >= MAX_KEY_VERDICTS) KEY_VERDICTS.clear()
    KEY_VERDICTS.set(key, secret)
  }
  return secret
}

/** isSecretKey's answers by key, bounded. */
const KEY_VERDICTS = new Map<string, boolean>()
const MAX_KEY_VERDICTS = 1024

function maskValue(match: string, urlPrefix?: string, queryPrefix?: string, queryName?: string, bearerPrefix?: string): string {
  if (urlPrefix !== undefined) return `${urlPrefix}${REDACTED}`
  // A parameter with an ordinary name may still carry a JWT or an API key.
  if (queryPrefix !== undefined) return `${queryPrefix}${isSecretKey(queryName as string) ? REDACTED : match.slice(queryPrefix.length).replace(BARE_CREDENTIAL, REDACTED)}`
  if (bearerPrefix !== undefined) return `${bearerPrefix}${REDACTED}`
  return REDACTED
}

/**
 * Masks secrets in free text: passwords in URLs, secret-named query
 * parameters (`?access_token=`), bearer credentials, JWTs and Langvel API
 * keys. Text without any comes back as the same string.
 *
 * @example
 * redactString('postgres://app:hunter22@db/x') // 'postgres://app:[redacted]@db/x'
 */
export function redactString(value: string): string {
  if (value.length < MIN_SECRET_LENGTH) return value
  return value.replace(SECRET_VALUE, maskValue)
}

/**
 * Returns a copy of `value` with secret-named keys replaced and secrets in
 * strings masked. Depth-limited and cycle-safe, because log context can be
 * anything a user passes.
 */
export function redact(value: unknown, depth = 0, seenSoFar?: WeakSet<object>): unknown {
  if (typeof value === 'string') return redactString(value)
  if (value === null || typeof value !== 'object') return value
  if (depth > 6) return '[depth limit]'
  // Created for objects only: most logged values are strings and numbers.
  const seen = seenSoFar ?? new WeakSet<object>()
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
