/** What config/webhooks.ts defaults to, so a sender built by hand behaves like a configured one. */
export const WEBHOOK_DEFAULTS = {
  /** Tries of one delivery, the first included. */
  maxAttempts: 5,
  /** Longest wait for a response's status line, per attempt. */
  timeoutMs: 10_000,
  retryBaseMs: 500,
  retryMaxMs: 60_000,
  /** Deliveries in progress at once (their retries included). */
  concurrency: 10,
  /** Deliveries waiting for a free slot; more are dropped. */
  maxPending: 1000,
  /** Longest wait at shutdown for deliveries in progress and pending. */
  shutdownTimeoutMs: 10_000,
  /** Hosts allowed to resolve to loopback or private addresses. */
  allowedHosts: [] as string[],
}

export type WebhookOptions = typeof WEBHOOK_DEFAULTS

/** Bytes a WEBHOOK_SECRET needs at least. */
export const MIN_WEBHOOK_SECRET_BYTES = 32
