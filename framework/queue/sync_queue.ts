import type { FailedJob, ProcessOptions, QueueCounts, RunJob, RunJobHandler, RunQueue } from '../contracts/run_queue'
import { E_QUEUE_CLOSED, E_QUEUE_FULL, E_RUN_CANCELLED, E_RUNTIME } from '../errors'
import type { Logger } from '../logger'
import { within } from '../support/deadlines'
import { queueMetrics, type QueueMetrics } from './queue_metrics'
import { checkRunId, queueOptions, type QueueOptions } from './queue_options'
import { isRunLost, isRunReleased } from './run_released'

interface Job {
  runId: string
  /** Attempts that failed so far. */
  failures: number
  enqueuedAt: number
  state: 'waiting' | 'active' | 'delayed'
  timer?: NodeJS.Timeout
  cancel?: AbortController
  drain?: AbortController
  settled?: Promise<void>
}

export interface SyncQueueOptions extends Partial<QueueOptions> {
  logger?: Logger
  metrics?: QueueMetrics
}

/**
 * The in-process driver (QUEUE_DRIVER=sync, the development default): runs
 * execute inside the process that enqueued them, at most `concurrency` at a
 * time, with at most `syncMaxWaiting` waiting (E_QUEUE_FULL beyond). Same
 * API and retry rules as the bullmq driver, but nothing survives the
 * process: a run still queued when it exits stays `pending` in the runs table.
 *
 * @example
 * const queue = new SyncQueue({ concurrency: 2 })
 * await queue.process(async (job) => execute(job))
 * await queue.enqueue(run.id)
 */
export class SyncQueue implements RunQueue {
  readonly driver = 'sync'
  readonly name: string
  private readonly options: QueueOptions
  private readonly metrics: QueueMetrics
  private readonly logger?: Logger
  private readonly jobs = new Map<string, Job>()
  private readonly waiting: string[] = []
  private readonly failedJobs = new Map<string, FailedJob>()
  private readonly completed = new Set<string>()
  private handler?: RunJobHandler
  private onFailed?: ProcessOptions['onFailed']
  private concurrency = 1
  private active = 0
  private closed = false

  constructor(options: SyncQueueOptions = {}) {
    this.options = queueOptions(options)
    this.name = this.options.name
    this.metrics = options.metrics ?? queueMetrics()
    this.metrics.watch(this)
    this.logger = options.logger
  }

  async enqueue(runId: string): Promise<void> {
    checkRunId(runId)
    if (this.closed) throw new E_QUEUE_CLOSED(this.name)
    if (this.jobs.has(runId) || this.failedJobs.has(runId) || this.completed.has(runId)) return
    this.checkCapacity()
    this.jobs.set(runId, { runId, failures: 0, enqueuedAt: Date.now(), state: 'waiting' })
    this.waiting.push(runId)
    this.dispatch()
  }

  checkCapacity(): void {
    if (this.closed) throw new E_QUEUE_CLOSED(this.name)
    if (this.waiting.length >= this.options.syncMaxWaiting) throw new E_QUEUE_FULL(this.name, this.options.syncMaxWaiting)
  }

  async process(handler: RunJobHandler, options: ProcessOptions = {}): Promise<void> {
    if (this.handler) throw new E_RUNTIME(`Run queue "${this.name}" is already being processed`)
    if (this.closed) throw new E_QUEUE_CLOSED(this.name)
    this.handler = handler
    this.onFailed = options.onFailed
    this.concurrency = Math.max(1, Math.floor(options.concurrency ?? this.options.concurrency))
    this.dispatch()
  }

  async cancel(runId: string): Promise<boolean> {
    const job = this.jobs.get(checkRunId(runId))
    if (!job) return false
    if (job.state === 'active') {
      job.cancel?.abort(new E_RUN_CANCELLED(runId))
      return true
    }
    clearTimeout(job.timer)
    this.remove(job)
    return true
  }

  async counts(): Promise<QueueCounts> {
    const counts: QueueCounts = { waiting: 0, active: 0, delayed: 0, completed: this.completed.size, failed: this.failedJobs.size }
    for (const job of this.jobs.values()) counts[job.state] += 1
    for (const [state, count] of Object.entries(counts)) this.metrics.depth.set({ queue: this.name, state }, count)
    return counts
  }

  async retry(runId: string): Promise<boolean> {
    if (this.jobs.has(checkRunId(runId))) return false
    this.failedJobs.delete(runId)
    this.completed.delete(runId)
    await this.enqueue(runId)
    return true
  }

  async failed(limit = 100): Promise<FailedJob[]> {
    return [...this.failedJobs.values()].slice(-limit).reverse()
  }

  async flushFailed(): Promise<number> {
    const count = this.failedJobs.size
    this.failedJobs.clear()
    return count
  }

  async workers(): Promise<number> {
    const count = this.handler && !this.closed ? 1 : 0
    this.metrics.workers.set({ queue: this.name }, count)
    return count
  }

  async ping(): Promise<number> {
    return 0
  }

  async close(graceMs = this.options.graceMs): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.metrics.unwatch(this)
    for (const job of [...this.jobs.values()]) {
      if (job.state === 'active') continue
      clearTimeout(job.timer)
      this.remove(job)
    }
    const held = () => [...this.jobs.values()].filter((job) => job.state === 'active')
    const settle = () => Promise.all(held().map((job) => job.settled))
    if (await within(settle(), graceMs)) return
    for (const job of held()) job.drain?.abort(new Error('the queue is closing'))
    // A handler that ignores its drain signal is left to finish on its own.
    if (!(await within(settle(), Math.max(10_000, graceMs)))) this.logger?.warn('run queue closed with runs still going', { queue: this.name, runs: held().map((job) => job.runId) })
  }

  private dispatch(): void {
    while (this.handler && !this.closed && this.active < this.concurrency && this.waiting.length > 0) {
      const job = this.jobs.get(this.waiting.shift() as string)
      if (!job || job.state !== 'waiting') continue
      this.start(job, this.handler)
    }
  }

  private start(job: Job, handler: RunJobHandler): void {
    this.active += 1
    job.state = 'active'
    job.cancel = new AbortController()
    job.drain = new AbortController()
    const attempt: RunJob = {
      runId: job.runId,
      attempt: job.failures + 1,
      maxAttempts: this.options.attempts,
      enqueuedAt: job.enqueuedAt,
      signal: job.cancel.signal,
      drain: job.drain.signal,
    }
    job.settled = (async () => {
      try {
        await handler(attempt)
        this.remove(job)
        this.remember(this.completed, job.runId, this.options.keepCompleted)
      } catch (error) {
        this.fail(job, error)
      } finally {
        this.active -= 1
        job.cancel = job.drain = undefined
        this.dispatch()
      }
    })()
  }

  private fail(job: Job, error: unknown): void {
    if (isRunReleased(error) || isRunLost(error)) {
      // Handed back while closing (or let go): nothing here will run it again.
      this.remove(job)
      return
    }
    job.failures += 1
    if (job.failures < this.options.attempts && !this.closed) {
      this.metrics.retried.inc({ queue: this.name })
      job.state = 'delayed'
      job.timer = setTimeout(() => {
        job.timer = undefined
        job.state = 'waiting'
        this.waiting.push(job.runId)
        this.dispatch()
      }, this.options.backoffMs * 2 ** (job.failures - 1))
      job.timer.unref()
      return
    }
    this.metrics.failed.inc({ queue: this.name })
    this.remove(job)
    const message = error instanceof Error ? error.message : String(error)
    this.failedJobs.set(job.runId, { runId: job.runId, attempts: job.failures, error: message, failedAt: Date.now() })
    if (this.failedJobs.size > this.options.keepFailed) this.failedJobs.delete(this.failedJobs.keys().next().value as string)
    void Promise.resolve()
      .then(() => this.onFailed?.({ runId: job.runId, stalled: false, error: message }))
      .catch((failure: unknown) => this.logger?.warn('run queue failure hook failed', { queue: this.name, runId: job.runId, error: failure instanceof Error ? failure.message : String(failure) }))
  }

  private remove(job: Job): void {
    if (this.jobs.get(job.runId) === job) this.jobs.delete(job.runId)
    const index = this.waiting.indexOf(job.runId)
    if (index >= 0) this.waiting.splice(index, 1)
  }

  private remember(set: Set<string>, runId: string, max: number): void {
    set.add(runId)
    if (set.size > max) set.delete(set.values().next().value as string)
  }
}
