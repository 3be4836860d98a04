import { createHmac, timingSafeEqual } from 'node:crypto'

/** The headers of a webhook request (lower case, as Node hands them to a receiver). */
export const WEBHOOK_HEADERS = {
  /** Unix time in seconds when the attempt was signed. */
  timestamp: 'x-langvel-timestamp',
  /** `v1=` then the hex HMAC-SHA256 of `<timestamp>.<delivery id>.<body>` keyed with WEBHOOK_SECRET. */
  signature: 'x-langvel-signature',
  /** The same for every attempt of one delivery, and signed: receivers drop a delivery they already processed. */
  delivery: 'x-langvel-delivery',
} as const

/** How far a signature's timestamp may be from the receiver's clock by default, in seconds. */
export const WEBHOOK_TOLERANCE_SECONDS = 300

/**
 * The `x-langvel-signature` value for `body` of delivery `deliveryId` sent at
 * `timestamp` (seconds): the HMAC covers `<timestamp>.<deliveryId>.<body>`,
 * so neither the time nor the delivery id can be changed without the secret
 * (a replay under a new delivery id would get past a receiver's dedupe).
 *
 * @example
 * signWebhook(secret, Math.floor(Date.now() / 1000), deliveryId, JSON.stringify(payload)) // 'v1=5f2b...'
 */
export function signWebhook(secret: string, timestamp: number, deliveryId: string, body: string | Buffer): string {
  // The body's bytes as they are: a receiver holding raw bytes must not need to decode them first.
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${deliveryId}.`).update(body).digest('hex')}`
}

export interface VerifyWebhookOptions {
  secret: string
  /** The raw request body, exactly as received (not re-serialised JSON). */
  body: string | Buffer
  timestamp: string | undefined
  /** The x-langvel-delivery header. */
  deliveryId: string | undefined
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
 *   deliveryId: req.headers['x-langvel-delivery'] as string,
 *   signature: req.headers['x-langvel-signature'] as string,
 * })
 */
export function verifyWebhookSignature(options: VerifyWebhookOptions): boolean {
  const { secret, timestamp, deliveryId, signature } = options
  if (!secret || !timestamp || !signature || !deliveryId || !/^\d{1,12}$/.test(timestamp)) return false
  // A delivery id is a UUID: a line break or a dot in it would make the signed text ambiguous.
  if (!/^[A-Za-z0-9-]{1,128}$/.test(deliveryId)) return false
  const seconds = Number(timestamp)
  const now = (options.now ?? Date.now()) / 1000
  if (Math.abs(now - seconds) > (options.toleranceSeconds ?? WEBHOOK_TOLERANCE_SECONDS)) return false
  const expected = Buffer.from(signWebhook(secret, seconds, deliveryId, options.body))
  const given = Buffer.from(signature.trim())
  return given.length === expected.length && timingSafeEqual(given, expected)
}
