/** What config/webhooks.ts defaults to, so a sender built by hand behaves like a configured one. */
export const WEBHOOK_DEFAULTS = {
  /** Tries of one delivery, the first included. */
  maxAttempts: 5,
  /** Longest wait for a response's status line, per attempt. */
  timeoutMs: 10_000,
  retryBaseMs: 500,
  retryMaxMs: 60_000,
  /** Attempts in progress at once (a delivery waiting for its next retry holds no slot). */
  concurrency: 10,
  /** Deliveries that may wait beyond the busy slots (for a slot or their next retry); more are dropped. */
  maxPending: 1000,
  /** Longest wait at shutdown for deliveries in progress and pending. */
  shutdownTimeoutMs: 10_000,
  /** `host:port` entries allowed to resolve to loopback or private addresses (a bare host: ports 80 and 443). */
  allowedHosts: [] as string[],
}

export type WebhookOptions = typeof WEBHOOK_DEFAULTS

/** Bytes a WEBHOOK_SECRET needs at least. */
export const MIN_WEBHOOK_SECRET_BYTES = 32
