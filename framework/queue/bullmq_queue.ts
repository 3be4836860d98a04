import type { Job, Queue, Worker } from 'bullmq'
import type { Redis, RedisOptions } from 'ioredis'
import type { FailedJob, ProcessOptions, QueueCounts, RunJobHandler, RunQueue } from '../contracts/run_queue'
import { E_QUEUE_CLOSED, E_RUN_CANCELLED, E_RUNTIME, E_SERVICE_UNAVAILABLE, isException } from '../errors'
import type { Logger } from '../logger'
import { within } from '../support/deadlines'
import { queueMetrics, type QueueMetrics } from './queue_metrics'
import { checkRunId, queueOptions, type QueueOptions } from './queue_options'
import { isRunLost, isRunReleased, RunLost } from './run_released'

interface JobData {
  enqueuedAt: number
}

export interface BullmqQueueOptions extends Partial<QueueOptions> {
  /** REDIS_URL. BullMQ needs connections of its own: its blocking reads must not time out. */
  url: string
  /** Key prefix (REDIS_PREFIX): keys are `<prefix>queue:<name>:...`. */
  prefix?: string
  logger?: Logger
  metrics?: QueueMetrics
  /** How long close() waits for drained runs to stop before letting go of them (default 10 s). */
  drainWaitMs?: number
}

const CANCELLED = 'cancelled'
/** BullMQ's reason for a job whose workers stopped renewing its lock more than maxStalledCount times. */
const STALLED_TOO_OFTEN = 'job stalled more than allowable limit'
/** How long a drained run may take to reach its next step boundary before the worker lets go of it (another takes it over once its lock lapses). */
const DRAIN_WAIT_MS = 10_000
const COMMAND_TIMEOUT_MS = 2000
/** Longest wait for one queue operation, connecting included. */
const OPERATION_TIMEOUT_MS = 5000
/** Connections that send plain commands (enqueue, cancel, counts, ping) answer or fail within a bound, so a Redis that is down is an error, not a wait. */
const FAIL_FAST: RedisOptions = { maxRetriesPerRequest: 1, commandTimeout: COMMAND_TIMEOUT_MS, connectTimeout: COMMAND_TIMEOUT_MS }

/**
 * The Redis driver (QUEUE_DRIVER=bullmq), on BullMQ: jobs survive restarts,
 * and any number of processes (`serve`, `langvel queue:work`) share the
 * queue. A worker renews a lock on each job it holds; when it dies, the lock
 * lapses after `lockMs` and another worker's stalled check (every
 * `stalledIntervalMs`) takes the job over, at most `maxStalled` times.
 *
 * Cancelling a job held by another process goes over Redis pub/sub: every
 * worker listens on the queue's cancel channel, and the one holding the job
 * aborts its handler's signal.
 *
 * @example
 * const queue = new BullmqQueue({ url: 'redis://127.0.0.1:6379', prefix: 'langvel:' })
 * await queue.enqueue(run.id)
 */
export class BullmqQueue implements RunQueue {
  readonly driver = 'bullmq'
  readonly name: string
  private readonly options: QueueOptions
  private readonly metrics: QueueMetrics
  private readonly logger?: Logger
  private readonly prefix: string
  private readonly channel: string
  private readonly connections: Redis[] = []
  private readonly held = new Map<string, { drain: AbortController; lose: (why: RunLost['why']) => void; settled: Promise<unknown> }>()
  private queue?: Queue<JobData>
  private worker?: Worker<JobData>
  private subscriber?: Redis
  private publishing?: Redis
  private closed = false

  constructor(private readonly config: BullmqQueueOptions) {
    this.options = queueOptions(config)
    this.name = this.options.name
    this.metrics = config.metrics ?? queueMetrics()
    this.metrics.watch(this)
    this.logger = config.logger
    this.prefix = `${config.prefix ?? ''}queue`
    this.channel = `${this.prefix}:${this.name}:cancel`
  }

  async enqueue(runId: string): Promise<void> {
    checkRunId(runId)
    if (this.closed) throw new E_QUEUE_CLOSED(this.name)
    // A job added after the bound passed is harmless: the job id is the run id.
    await this.bounded(() =>
      this.bull().add('run', { enqueuedAt: Date.now() }, {
        jobId: runId,
        attempts: this.options.attempts,
        backoff: { type: 'exponential', delay: this.options.backoffMs },
        removeOnComplete: { count: this.options.keepCompleted },
        removeOnFail: { count: this.options.keepFailed },
      }),
    )
  }

  async process(handler: RunJobHandler, options: ProcessOptions = {}): Promise<void> {
    if (this.worker) throw new E_RUNTIME(`Run queue "${this.name}" is already being processed`)
    if (this.closed) throw new E_QUEUE_CLOSED(this.name)
    const { Worker: BullWorker, WaitingError } = require('bullmq') as typeof import('bullmq')
    const subscriber = this.connect('cancel')
    this.subscriber = subscriber
    subscriber.on('message', (_channel: string, runId: string) => {
      this.worker?.cancelJob(runId, CANCELLED)
    })
    try {
      // Its connection retries forever: a Redis that is down fails the start instead of hanging it.
      await this.bounded(() => subscriber.subscribe(this.channel))
    } catch (error) {
      await this.close(0)
      throw new E_SERVICE_UNAVAILABLE(`The run queue "${this.name}" (Redis at ${redactedUrl(this.config.url)})`, {
        cause: error,
        help: 'The worker could not reach Redis within 5 seconds: check REDIS_URL and that Redis is running.',
      })
    }
    const worker = new BullWorker<JobData>(
      this.name,
      async (job, token, signal) => {
        const runId = job.id as string
        const drain = new AbortController()
        const cancel = new AbortController()
        const lose = (why: RunLost['why']) => cancel.abort(new RunLost(runId, why))
        const onAbort = () => cancel.abort(new E_RUN_CANCELLED(runId))
        if (signal?.aborted) onAbort()
        else signal?.addEventListener('abort', onAbort, { once: true })
        const enqueuedAt = job.data?.enqueuedAt ?? job.timestamp
        const work = handler({ runId, attempt: job.attemptsMade + 1, maxAttempts: this.options.attempts, enqueuedAt, signal: cancel.signal, drain: drain.signal })
        this.held.set(runId, { drain, lose, settled: work.catch(() => undefined) })
        try {
          await work
        } catch (error) {
          // Not this worker's any more: the job is left to whoever holds it (its lock decides), no attempt recorded here.
          if (isRunLost(error)) throw new WaitingError()
          if (!isRunReleased(error)) throw error
          // Back to waiting, the attempt not counted: another worker continues the run.
          await job.moveToWait(token)
          throw new WaitingError()
        } finally {
          signal?.removeEventListener('abort', onAbort)
          this.held.delete(runId)
        }
      },
      {
        connection: this.connect('worker'),
        prefix: this.prefix,
        concurrency: Math.max(1, Math.floor(options.concurrency ?? this.options.concurrency)),
        lockDuration: this.options.lockMs,
        stalledInterval: this.options.stalledIntervalMs,
        maxStalledCount: this.options.maxStalled,
      },
    )
    worker.on('stalled', () => this.metrics.stalled.inc({ queue: this.name }))
    worker.on('lockRenewalFailed', (jobIds: string[]) => {
      for (const runId of jobIds) {
        this.logger?.warn('run queue worker lost the lock of a run it holds: it stops the run and leaves it to its new holder', { queue: this.name, runId })
        this.held.get(runId)?.lose('lock-lost')
      }
    })
    worker.on('failed', (job: Job<JobData> | undefined, error: Error) => {
      if (!job) return
      if (job.attemptsMade < (job.opts.attempts ?? 1) && !job.finishedOn) {
        this.metrics.retried.inc({ queue: this.name })
        return
      }
      this.metrics.failed.inc({ queue: this.name })
      const stalled = error?.message === STALLED_TOO_OFTEN || job.failedReason === STALLED_TOO_OFTEN
      void Promise.resolve()
        .then(() => options.onFailed?.({ runId: job.id as string, stalled, error: error?.message ?? job.failedReason ?? '' }))
        .catch((failure: unknown) => this.logger?.warn('run queue failure hook failed', { queue: this.name, runId: job.id, error: failure instanceof Error ? failure.message : String(failure) }))
    })
    worker.on('error', (error: Error) => this.logger?.warn('run queue worker error', { queue: this.name, error: error.message }))
    this.worker = worker
    await worker.waitUntilReady()
  }

  async cancel(runId: string): Promise<boolean> {
    const job = await this.bounded(() => this.bull().getJob(checkRunId(runId)))
    if (!job) return false
    const state = await this.bounded(() => job.getState())
    if (state === 'completed' || state === 'failed') return false
    if (state !== 'active') {
      try {
        await job.remove()
        return true
      } catch {
        // It became active (or locked) meanwhile: its worker is told below.
      }
    }
    await this.bounded(() => this.publisher().publish(this.channel, runId))
    return true
  }

  async counts(): Promise<QueueCounts> {
    const raw = await this.bounded(() => this.bull().getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'completed', 'failed'))
    const counts: QueueCounts = {
      waiting: (raw.waiting ?? 0) + (raw.prioritized ?? 0),
      active: raw.active ?? 0,
      delayed: raw.delayed ?? 0,
      completed: raw.completed ?? 0,
      failed: raw.failed ?? 0,
    }
    for (const [state, count] of Object.entries(counts)) this.metrics.depth.set({ queue: this.name, state }, count)
    return counts
  }

  async retry(runId: string): Promise<boolean> {
    const job = await this.bounded(() => this.bull().getJob(checkRunId(runId)))
    const state = job ? await this.bounded(() => job.getState()) : 'missing'
    if (job && state === 'failed') {
      // A retried run gets all its attempts again.
      await this.bounded(() => job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true }))
      return true
    }
    if (job && state !== 'completed' && state !== 'unknown') return false
    // A completed job keeps its id: it goes before the run is enqueued again.
    if (job) await this.bounded(() => job.remove())
    await this.enqueue(runId)
    return true
  }

  async failed(limit = 100): Promise<FailedJob[]> {
    const jobs = await this.bounded(() => this.bull().getFailed(0, Math.max(0, limit - 1)))
    return jobs.map((job) => ({ runId: job.id as string, attempts: job.attemptsMade, error: job.failedReason ?? '', failedAt: job.finishedOn ?? 0 }))
  }

  async flushFailed(): Promise<number> {
    return (await this.bounded(() => this.bull().clean(0, 0, 'failed'))).length
  }

  async workers(): Promise<number> {
    const count = await this.bounded(() => this.bull().getWorkersCount())
    this.metrics.workers.set({ queue: this.name }, count)
    return count
  }

  async ping(): Promise<number> {
    const started = performance.now()
    await this.bounded(() => this.publisher().ping())
    return performance.now() - started
  }

  async close(graceMs = this.options.graceMs): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.metrics.unwatch(this)
    const worker = this.worker
    if (worker) {
      // Stops taking jobs; resolves once the held ones have settled.
      const closing = worker.close()
      if (!(await within(closing, graceMs))) {
        for (const { drain } of this.held.values()) drain.abort(new Error('the worker is shutting down'))
        if (!(await within(closing, Math.max(this.config.drainWaitMs ?? DRAIN_WAIT_MS, graceMs)))) {
          this.logger?.warn('run queue worker closed with runs still going: their locks lapse and another worker takes them over', { queue: this.name, runs: [...this.held.keys()] })
          // Let go of them first: they stop at their next step and record nothing (another worker runs them on).
          for (const { lose } of this.held.values()) lose('closed')
          await within(worker.close(true).catch(() => undefined), COMMAND_TIMEOUT_MS)
        }
      }
    }
    // Bounded: closing waits for a connection that may never come back.
    if (this.queue) await within(this.queue.close().catch(() => undefined), COMMAND_TIMEOUT_MS)
    await Promise.all(
      this.connections.map(async (connection) => {
        // QUIT would wait for a connection that is not up: drop it at once instead.
        if (connection.status !== 'ready') return connection.disconnect()
        await connection.quit().catch(() => connection.disconnect())
      }),
    )
  }

  /**
   * BullMQ waits for its connection as long as Redis is down: every queue
   * operation answers within a bound instead, E_SERVICE_UNAVAILABLE past it.
   */
  private async bounded<T>(work: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new E_SERVICE_UNAVAILABLE(`The run queue "${this.name}"`, { help: 'Check REDIS_URL and that Redis is running.' })), OPERATION_TIMEOUT_MS)
    })
    try {
      return await Promise.race([work(), expired])
    } catch (error) {
      if (isException(error)) throw error
      throw new E_SERVICE_UNAVAILABLE(`The run queue "${this.name}"`, { cause: error })
    } finally {
      clearTimeout(timer)
    }
  }

  private bull(): Queue<JobData> {
    if (this.closed) throw new E_QUEUE_CLOSED(this.name)
    if (!this.queue) {
      const { Queue: BullQueue } = require('bullmq') as typeof import('bullmq')
      this.queue = new BullQueue<JobData>(this.name, { connection: this.connect('queue', FAIL_FAST), prefix: this.prefix })
      this.queue.on('error', (error: Error) => this.logger?.warn('run queue error', { queue: this.name, error: error.message }))
    }
    return this.queue
  }

  /** Cancels, pings: plain commands on a connection of their own. */
  private publisher(): Redis {
    if (this.closed) throw new E_QUEUE_CLOSED(this.name)
    this.publishing ??= this.connect('commands', FAIL_FAST)
    return this.publishing
  }

  private connect(role: string, options: RedisOptions = {}): Redis {
    const { Redis: RedisClient } = require('ioredis') as typeof import('ioredis')
    // BullMQ blocks on its worker connection: by default no per-command timeout, retried until closed.
    const connection = new RedisClient(this.config.url, { maxRetriesPerRequest: null, ...options })
    connection.on('error', (error: Error) => this.logger?.debug('run queue connection error', { role, error: error.message }))
    this.connections.push(connection)
    return connection
  }
}

/** The Redis URL without its password, for messages. */
function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return 'REDIS_URL'
  }
}
