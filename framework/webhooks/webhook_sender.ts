import { randomUUID } from 'node:crypto'
import { E_INVALID_CONFIG, isException } from '../errors'
import type { Logger } from '../logger'
import type { PrivateTargetFilter } from '../support/address_guard'
import { backoffDelay } from '../support/backoff'
import { signWebhook, WEBHOOK_HEADERS } from './signature'
import { webhookMetrics, type WebhookMetrics, type WebhookOutcome } from './webhook_metrics'
import { WEBHOOK_DEFAULTS, type WebhookOptions } from './webhook_options'
import { attemptDelivery, type AttemptResult } from './webhook_request'
import { allowedHostsFilter, parseWebhookUrl } from './webhook_target'

export interface WebhookResult {
  outcome: WebhookOutcome
  /** Sent as x-langvel-delivery on every attempt. */
  deliveryId: string
  attempts: number
  /** The last HTTP status received. */
  status?: number
  /** Why it was not delivered. */
  error?: { code: string; message: string }
}

export interface WebhookSenderOptions extends Partial<WebhookOptions> {
  secret: string | undefined
  logger?: Logger
  metrics?: WebhookMetrics
  /** Overrides `allowedHosts` with any rule. */
  allowPrivate?: PrivateTargetFilter
  /** Random in [0, 1) for the jitter; a test's fixed value. */
  random?: () => number
}

interface Job {
  url: URL
  body: string
  deliveryId: string
  resolve: (result: WebhookResult) => void
  /** Attempts made so far. */
  attempts: number
  last?: AttemptResult
  /** Set while the job sits out its backoff before the next attempt (it holds no slot meanwhile). */
  retryTimer?: NodeJS.Timeout
}

/**
 * Sends signed webhooks in the background: a JSON body POSTed with
 * x-langvel-timestamp, x-langvel-delivery and x-langvel-signature
 * (HMAC-SHA256 of `<timestamp>.<delivery id>.<body>` with WEBHOOK_SECRET).
 * Network errors, timeouts, 429 and 5xx are retried with exponential backoff
 * and jitter, up to `maxAttempts`; other statuses are final. At most
 * `concurrency` attempts run at once; a delivery waiting for its next retry
 * gives its slot up meanwhile, so a dead receiver does not hold the others
 * back. Beyond the slots, `maxPending` deliveries may wait (for a slot or for
 * their next retry); beyond that a delivery is dropped (counted and logged).
 * Destinations must be public addresses unless listed in `allowedHosts`,
 * checked on the address each attempt connects to.
 *
 * @example
 * const result = await app.make('webhooks').send('https://example.com/hooks/runs', { run_id, status: 'success' })
 */
export class WebhookSender {
  private readonly options: WebhookOptions
  private readonly secret: string
  private readonly metrics: WebhookMetrics
  private readonly allowPrivate: PrivateTargetFilter
  /** Ready for an attempt, waiting for a slot. */
  private readonly pending: Job[] = []
  /** Sitting out their backoff before the next attempt. */
  private readonly retrying = new Set<Job>()
  private active = 0
  private closed = false
  private readonly aborted = new AbortController()
  /** Resolved once nothing is pending, retrying or in progress (close() waits on them). */
  private readonly idle = new Set<() => void>()

  constructor(private readonly config: WebhookSenderOptions) {
    if (!config.secret) throw new E_INVALID_CONFIG(['WEBHOOK_SECRET is not set: webhooks cannot be signed (run `openssl rand -hex 32` and put it in .env)'])
    this.secret = config.secret
    const defined = Object.fromEntries(Object.entries(config).filter(([, value]) => value !== undefined))
    this.options = { ...WEBHOOK_DEFAULTS, ...defined } as WebhookOptions
    this.metrics = config.metrics ?? webhookMetrics()
    this.allowPrivate = config.allowPrivate ?? allowedHostsFilter(this.options.allowedHosts)
  }

  /** The filter destinations are checked with (for checkWebhookUrl). */
  get privateTargetFilter(): PrivateTargetFilter {
    return this.allowPrivate
  }

  /** Deliveries waiting for a slot, waiting for their next retry, and in progress. */
  get size(): { pending: number; retrying: number; active: number } {
    return { pending: this.pending.length, retrying: this.retrying.size, active: this.active }
  }

  /** Deliveries accepted and not ended yet. */
  private get inFlight(): number {
    return this.active + this.pending.length + this.retrying.size
  }

  /**
   * Queues a delivery of `payload` (as JSON) to `url`. Resolves when it has
   * ended, with its outcome; it never rejects, so a caller may leave it
   * unawaited. A malformed URL or a refused address ends as `refused`.
   */
  send(url: string, payload: unknown): Promise<WebhookResult> {
    const deliveryId = randomUUID()
    let target: URL
    let body: string
    try {
      target = parseWebhookUrl(url)
      body = JSON.stringify(payload ?? null)
    } catch (error) {
      return Promise.resolve(this.finish({ outcome: 'refused', deliveryId, attempts: 0, error: describe(error, 'E_WEBHOOK_REFUSED') }, url))
    }
    // Every slot busy and `maxPending` more waiting (for a slot or a retry): no room.
    if (this.closed || this.inFlight >= this.options.concurrency + this.options.maxPending) {
      const reason = this.closed ? 'the server is shutting down' : `every slot is busy and ${this.options.maxPending} deliveries are already waiting (WEBHOOK_MAX_PENDING)`
      this.metrics.dropped.inc()
      return Promise.resolve(this.finish({ outcome: 'dropped', deliveryId, attempts: 0, error: { code: this.closed ? 'E_SHUTTING_DOWN' : 'E_OVERLOADED', message: `webhook dropped: ${reason}` } }, url))
    }
    return new Promise((resolve) => {
      this.pending.push({ url: target, body, deliveryId, resolve, attempts: 0 })
      this.pump()
    })
  }

  /**
   * Stops taking deliveries and waits for those queued, waiting for a retry
   * and in progress, up to `shutdownTimeoutMs`; then aborts what is left (in
   * progress or already tried: failed; never tried: dropped).
   */
  async close(timeoutMs = this.options.shutdownTimeoutMs): Promise<void> {
    this.closed = true
    if (this.inFlight > 0) {
      let timer: NodeJS.Timeout | undefined
      await Promise.race([
        this.whenIdle(),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
      ])
      clearTimeout(timer)
    }
    this.aborted.abort()
    const left = [...this.pending.splice(0), ...this.retrying]
    for (const job of this.retrying) clearTimeout(job.retryTimer)
    this.retrying.clear()
    for (const job of left) {
      if (job.attempts > 0) {
        job.resolve(this.finish(abortedResult(job), job.url.href))
        continue
      }
      this.metrics.dropped.inc()
      job.resolve(this.finish({ outcome: 'dropped', deliveryId: job.deliveryId, attempts: 0, error: { code: 'E_SHUTTING_DOWN', message: 'webhook dropped: shutdown did not leave time for it' } }, job.url.href))
    }
    if (this.active > 0) await this.whenIdle()
  }

  private whenIdle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve()
    return new Promise((resolve) => this.idle.add(resolve))
  }

  private pump(): void {
    while (this.active < this.options.concurrency && this.pending.length > 0) {
      const job = this.pending.shift() as Job
      this.active += 1
      void this.attempt(job).then((result) => {
        this.active -= 1
        if (result) job.resolve(result)
        this.pump()
        if (this.inFlight === 0) {
          for (const resolve of this.idle) resolve()
          this.idle.clear()
        }
      })
    }
  }

  /** One attempt of `job`: its result when it has ended, or undefined when it waits for a retry (its slot given up). */
  private async attempt(job: Job): Promise<WebhookResult | undefined> {
    const { maxAttempts, timeoutMs, retryBaseMs, retryMaxMs } = this.options
    if (this.aborted.signal.aborted) return this.finish(abortedResult(job), job.url.href)
    const attempt = (job.attempts += 1)
    const timestamp = Math.floor(Date.now() / 1000)
    const last = (job.last = await attemptDelivery(job.url, job.body, {
      headers: {
        'content-type': 'application/json',
        'user-agent': 'langvel-webhooks',
        [WEBHOOK_HEADERS.timestamp]: String(timestamp),
        [WEBHOOK_HEADERS.signature]: signWebhook(this.secret, timestamp, job.deliveryId, job.body),
        [WEBHOOK_HEADERS.delivery]: job.deliveryId,
      },
      allowPrivate: this.allowPrivate,
      timeoutMs,
      signal: this.aborted.signal,
    }))
    const status = last.kind === 'status' ? last.status : undefined
    if (last.kind === 'refused') {
      return this.finish({ outcome: 'refused', deliveryId: job.deliveryId, attempts: attempt, error: { code: 'E_WEBHOOK_REFUSED', message: `Webhook destination refused: ${last.reason}` } }, job.url.href)
    }
    if (status !== undefined && status >= 200 && status < 300) {
      return this.finish({ outcome: 'delivered', deliveryId: job.deliveryId, attempts: attempt, status }, job.url.href)
    }
    const retryable = last.kind === 'network' || status === 429 || (status !== undefined && status >= 500)
    if (!retryable || attempt >= maxAttempts) return this.finish(failedResult(job, 'webhook not delivered'), job.url.href)
    if (this.aborted.signal.aborted) return this.finish(abortedResult(job), job.url.href)
    this.metrics.retries.inc()
    const backoff = backoffDelay(attempt, retryBaseMs, retryMaxMs, this.config.random)
    const wait = last.kind === 'status' && last.retryAfterMs !== undefined ? Math.min(Math.max(backoff, last.retryAfterMs), retryMaxMs) : backoff
    // The slot goes back now; the job comes back to the queue when its backoff is over.
    this.retrying.add(job)
    job.retryTimer = setTimeout(() => {
      job.retryTimer = undefined
      if (!this.retrying.delete(job)) return
      this.pending.push(job)
      this.pump()
    }, wait)
    return undefined
  }

  private finish(result: WebhookResult, url: string): WebhookResult {
    this.metrics.deliveries.inc({ outcome: result.outcome })
    if (result.outcome !== 'delivered') {
      this.config.logger?.warn(`webhook ${result.outcome}`, { delivery: result.deliveryId, host: safeHost(url), attempts: result.attempts, status: result.status, error: result.error?.message })
    }
    return result
  }
}

function failedResult(job: Job, prefix: string): WebhookResult {
  const { attempts, last } = job
  const reason = last?.kind === 'status' ? `HTTP ${last.status}` : last?.kind === 'network' ? last.reason : 'not attempted'
  return {
    outcome: 'failed',
    deliveryId: job.deliveryId,
    attempts,
    status: last?.kind === 'status' ? last.status : undefined,
    error: { code: 'E_WEBHOOK_FAILED', message: `${prefix}: ${reason}` },
  }
}

function abortedResult(job: Job): WebhookResult {
  return failedResult(job, 'webhook abandoned at shutdown')
}

function describe(error: unknown, code: string): { code: string; message: string } {
  if (isException(error)) return { code: error.code, message: error.message }
  return { code, message: error instanceof Error ? error.message : String(error) }
}

/** The host only: a webhook URL may carry a token in its path or query, which logs must not keep. */
function safeHost(url: string): string {
  try {
    return new URL(url).host
  } catch {
    return '(not a URL)'
  }
}
