import { createHmac, timingSafeEqual } from 'node:crypto'

/** The headers of a webhook request (lower case, as Node hands them to a receiver). */
export const WEBHOOK_HEADERS = {
  /** Unix time in seconds when the attempt was signed. */
  timestamp: 'x-langvel-timestamp',
  /** `v1=` then the hex HMAC-SHA256 of `<timestamp>.<body>` keyed with WEBHOOK_SECRET. */
  signature: 'x-langvel-signature',
  /** The same for every attempt of one delivery: receivers drop a delivery they already processed. */
  delivery: 'x-langvel-delivery',
} as const

/** How far a signature's timestamp may be from the receiver's clock by default, in seconds. */
export const WEBHOOK_TOLERANCE_SECONDS = 300

/**
 * The `x-langvel-signature` value for `body` sent at `timestamp` (seconds).
 *
 * @example
 * signWebhook(secret, Math.floor(Date.now() / 1000), JSON.stringify(payload)) // 'v1=5f2b...'
 */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`
}

export interface VerifyWebhookOptions {
  secret: string
  /** The raw request body, exactly as received (not re-serialised JSON). */
  body: string | Buffer
  timestamp: string | undefined
  signature: string | undefined
  toleranceSeconds?: number
  /** Epoch ms; a test's clock. */
  now?: number
}

/**
 * True when a webhook request carries a valid signature of its body, signed
 * within `toleranceSeconds` of now (a replayed old request is refused). The
 * comparison takes constant time.
 *
 * @example
 * const ok = verifyWebhookSignature({
 *   secret: process.env.WEBHOOK_SECRET!,
 *   body: rawBody,
 *   timestamp: req.headers['x-langvel-timestamp'] as string,
 *   signature: req.headers['x-langvel-signature'] as string,
 * })
 */
export function verifyWebhookSignature(options: VerifyWebhookOptions): boolean {
  const { secret, timestamp, signature } = options
  if (!secret || !timestamp || !signature || !/^\d{1,12}$/.test(timestamp)) return false
  const seconds = Number(timestamp)
  const now = (options.now ?? Date.now()) / 1000
  if (Math.abs(now - seconds) > (options.toleranceSeconds ?? WEBHOOK_TOLERANCE_SECONDS)) return false
  const body = typeof options.body === 'string' ? options.body : options.body.toString('utf8')
  const expected = Buffer.from(signWebhook(secret, seconds, body))
  const given = Buffer.from(signature.trim())
  return given.length === expected.length && timingSafeEqual(given, expected)
}
