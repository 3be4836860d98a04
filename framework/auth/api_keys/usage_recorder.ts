import type { Logger } from '../../logger'
import type { ApiKeyStore } from './api_key_store'

export interface UsageRecorderOptions {
  /** How often gathered usage is written; 5 s by default. */
  flushIntervalMs?: number
  logger?: Logger
}

/**
 * Counts API key uses in memory and writes them in one batch every few
 * seconds (and on shutdown), so authenticating a request costs no write.
 * The store adds counts atomically, so every worker's batch adds up. At most
 * one interval of counts is lost if the process dies without shutting down.
 *
 * @example
 * recorder.record(key.id)
 * await recorder.close()   // flushes
 */
export class UsageRecorder {
  private pending = new Map<string, { count: number; lastUsedAt: number }>()
  private timer?: NodeJS.Timeout
  private flushing?: Promise<void>
  private readonly intervalMs: number

  constructor(
    private readonly store: ApiKeyStore,
    private readonly options: UsageRecorderOptions = {},
  ) {
    this.intervalMs = options.flushIntervalMs ?? 5000
  }

  record(id: string, at = Date.now()): void {
    const entry = this.pending.get(id)
    if (entry) {
      entry.count++
      if (at > entry.lastUsedAt) entry.lastUsedAt = at
    } else {
      this.pending.set(id, { count: 1, lastUsedAt: at })
    }
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined
        void this.flush()
      }, this.intervalMs)
      // Pending counts never keep a process alive; shutdown flushes them.
      this.timer.unref()
    }
  }

  /** Writes what was gathered; a failed write is logged and its counts kept for the next flush. */
  async flush(): Promise<void> {
    if (this.flushing) await this.flushing
    if (this.pending.size === 0) return
    const batch = this.pending
    this.pending = new Map()
    const usage = [...batch].map(([id, { count, lastUsedAt }]) => ({ id, count, lastUsedAt: new Date(lastUsedAt) }))
    this.flushing = this.store
      .recordUsage(usage)
      .catch((error) => {
        this.options.logger?.warn('could not record API key usage; retrying at the next flush', { error: error as Error })
        for (const { id, count, lastUsedAt } of usage) {
          const entry = this.pending.get(id)
          if (entry) {
            entry.count += count
            entry.lastUsedAt = Math.max(entry.lastUsedAt, lastUsedAt.getTime())
          } else {
            this.pending.set(id, { count, lastUsedAt: lastUsedAt.getTime() })
          }
        }
      })
      .finally(() => (this.flushing = undefined))
    await this.flushing
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
    await this.flush()
  }
}
