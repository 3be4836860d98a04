import { E_OVERLOADED } from '../errors'

export type Release = () => void

export interface ConcurrencyLimiterOptions {
  /** MAX_CONCURRENT_REQUESTS: runs holding a slot at once. */
  maxConcurrent: number
  /** MAX_QUEUE_SIZE: runs allowed to wait for a slot; 0 refuses at once when full. */
  maxQueue: number
  /** Told about every change, for the queue and concurrency gauges. */
  onChange?: (active: number, queued: number) => void
}

interface Waiter {
  resolve: (release: Release) => void
  reject: (error: unknown) => void
  signal?: AbortSignal
  onAbort?: () => void
}

/**
 * A semaphore with a bounded FIFO wait queue. When every slot is taken and
 * the queue is full, `acquire` fails at once with E_OVERLOADED (503 with
 * Retry-After): load is shed at the door instead of piling up. A waiter whose
 * signal aborts (timeout, client gone) leaves the queue.
 *
 * @example
 * const release = await limiter.acquire(signal)
 * try { await run() } finally { release() }
 */
export class ConcurrencyLimiter {
  private running = 0
  private readonly waiters = new Set<Waiter>()

  constructor(private readonly options: ConcurrencyLimiterOptions) {}

  get active(): number {
    return this.running
  }

  get queued(): number {
    return this.waiters.size
  }

  acquire(signal?: AbortSignal): Promise<Release> {
    if (signal?.aborted) return Promise.reject(signal.reason)
    if (this.running < this.options.maxConcurrent && this.waiters.size === 0) {
      this.running++
      this.changed()
      return Promise.resolve(this.releaser())
    }
    if (this.waiters.size >= this.options.maxQueue) return Promise.reject(new E_OVERLOADED())
    return new Promise<Release>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal }
      if (signal) {
        waiter.onAbort = () => {
          if (this.waiters.delete(waiter)) {
            this.changed()
            reject(signal.reason)
          }
        }
        signal.addEventListener('abort', waiter.onAbort, { once: true })
      }
      this.waiters.add(waiter)
      this.changed()
    })
  }

  private releaser(): Release {
    let released = false
    return () => {
      if (released) return
      released = true
      const next = this.waiters.values().next()
      if (next.done) {
        this.running--
      } else {
        // The slot passes straight to the first waiter; `running` is unchanged.
        const waiter = next.value
        this.waiters.delete(waiter)
        if (waiter.onAbort) waiter.signal?.removeEventListener('abort', waiter.onAbort)
        waiter.resolve(this.releaser())
      }
      this.changed()
    }
  }

  private changed(): void {
    this.options.onChange?.(this.running, this.waiters.size)
  }
}
