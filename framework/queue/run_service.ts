import type { AgentRunner } from '../contracts/agent_run'
import type { RunEventLog } from '../contracts/run_events'
import type { RunQueue } from '../contracts/run_queue'
import { E_RUN_NOT_FOUND, E_RUN_STATE } from '../errors'
import type { Logger } from '../logger'
import { RunEndings, type RunThreads } from './run_endings'
import { RunExecutor } from './run_executor'
import type { CancelAction, NewRun, RunRecord, RunStore } from './run_store'
import type { WebhookSender } from '../webhooks/webhook_sender'

const CANCELLED = { errorCode: 'E_RUN_CANCELLED', error: 'The run was cancelled' }

export interface RunServiceOptions {
  store: RunStore
  queue: RunQueue
  /** Asked when this process starts executing runs (the sync driver, or queue:work). */
  runner: () => AgentRunner
  runTimeoutSeconds?: number
  concurrency?: number
  /** QUEUE_MAX_STALLED (for messages). */
  maxStalled?: number
  logger?: Logger
  /** Where runs' events are appended and read (any instance re-attaches to them). */
  events?: () => RunEventLog
  /** The signed webhook sender, made when a run with a webhook ends. */
  webhooks?: () => WebhookSender
  /** The LangGraph API's stored threads, held while their runs run. */
  threads?: () => RunThreads | undefined
}

/**
 * Background runs: the runs table plus the queue. What the HTTP endpoints
 * for background runs and the `queue:*` commands call.
 *
 * With the sync driver the process that creates a run also executes it, so
 * it starts processing on the first `dispatch()`; with bullmq runs are
 * executed by `langvel queue:work`.
 *
 * @example
 * const runs = app.make('runs')
 * const { run } = await runs.dispatch({ route: '/support', input: { question: 'hi' }, principal: 'user:42' })
 * await runs.cancel(run.id)
 */
export class RunService {
  readonly store: RunStore
  readonly queue: RunQueue
  private executing?: Promise<void>
  private endingsMade?: RunEndings

  constructor(private readonly options: RunServiceOptions) {
    this.store = options.store
    this.queue = options.queue
  }

  /** The event log runs append to; undefined when this service keeps none. */
  get events(): RunEventLog | undefined {
    return this.options.events?.()
  }

  private get endings(): RunEndings {
    const { store, events, webhooks, threads, logger } = this.options
    this.endingsMade ??= new RunEndings({ store, events, webhooks, threads: threads?.(), logger })
    return this.endingsMade
  }

  /** Records the run (or finds the one with the same idempotency key) and enqueues it; enqueueing twice is a no-op. */
  async dispatch(run: NewRun): Promise<{ run: RunRecord; created: boolean }> {
    if (this.queue.driver === 'sync') await this.work()
    // A repeated request gets its run even when the queue is full now.
    if (run.idempotencyKey !== undefined) {
      const principal = run.principal ? `${run.principal.type}:${run.principal.id}` : ''
      const existing = await this.store.byIdempotencyKey(principal, run.idempotencyKey)
      if (existing) return { run: existing, created: false }
    }
    // A queue without room refuses before anything is written.
    this.queue.checkCapacity?.()
    const result = await this.store.create(run)
    if (result.run.status !== 'pending') return result
    try {
      await this.queue.enqueue(result.run.id)
    } catch (error) {
      // Not queued: a run this call created goes, so no `pending` row is left that nothing will run (a retry with the same idempotency key creates it anew).
      if (result.created) await this.store.discard(result.run.id).catch(() => undefined)
      throw error
    }
    return result
  }

  /** Executes runs of the queue in this process (queue:work, or the sync driver inside serve). */
  work(options: { concurrency?: number; onSettled?: () => void } = {}): Promise<void> {
    this.executing ??= (async () => {
      const executor = new RunExecutor({
        store: this.store,
        runner: this.options.runner(),
        queueName: this.queue.name,
        runTimeoutSeconds: this.options.runTimeoutSeconds,
        maxStalled: this.options.maxStalled,
        logger: this.options.logger,
        events: this.options.events,
        endings: this.endings,
      })
      await this.queue.process(
        async (job) => {
          try {
            await executor.execute(job)
          } finally {
            options.onSettled?.()
          }
        },
        {
          concurrency: options.concurrency ?? this.options.concurrency,
          // A job the queue failed without its handler (it stalled too often) still ends its run.
          onFailed: async (failure) => {
            await executor.abandoned(failure.runId, failure)
          },
        },
      )
    })()
    return this.executing
  }

  async get(id: string): Promise<RunRecord> {
    const run = await this.store.get(id)
    if (!run) throw new E_RUN_NOT_FOUND(id)
    return run
  }

  /**
   * Cancels a run that has not ended: it is `cancelled` at once (so no
   * process starts or takes it over after this), and the process holding a
   * running one aborts its signal, so the agent stops within its current
   * step. A run that already ended is E_RUN_STATE (409). `rollback` also
   * takes a stored thread back to where the run started (the run's record
   * is then deleted, as on LangGraph Platform).
   */
  async cancel(id: string, action: CancelAction = 'interrupt'): Promise<RunRecord> {
    const run = await this.get(id)
    const reason = { ...CANCELLED, cancelAction: action }
    if (await this.store.transition(id, ['pending'], 'cancelled', reason)) {
      await this.queue.cancel(id)
      // Nothing holds a run that waited: its end is seen to here (a run handed back by a draining worker still holds its thread).
      await this.endings.ended(run)
      return (await this.store.get(id)) ?? { ...run, status: 'cancelled', cancelAction: action }
    }
    if (!(await this.store.transition(id, ['running'], 'cancelled', reason))) {
      throw new E_RUN_STATE(id, `has already ended (${(await this.get(id)).status}): there is nothing to cancel`)
    }
    await this.queue.cancel(id)
    return this.get(id)
  }

  /** Runs an errored or timed-out run again: back to pending, its job back to waiting. */
  async retry(id: string): Promise<RunRecord> {
    const run = await this.get(id)
    if (!(await this.store.transition(id, ['error', 'timeout'], 'pending'))) {
      throw new E_RUN_STATE(id, `is ${run.status}: only runs that ended in error or timeout can be retried`)
    }
    let queued: boolean
    try {
      // Its events start afresh: the ended log would refuse the new attempt's.
      await this.options.events?.().clear(id)
      queued = await this.queue.retry(id)
    } catch (error) {
      await this.revert(run)
      throw error
    }
    if (!queued) {
      await this.revert(run)
      throw new E_RUN_STATE(id, 'still has a job waiting or running in the queue: it cannot be retried until that ends')
    }
    return this.get(id)
  }

  /** Puts a run whose retry could not be queued back as it ended. */
  private async revert(run: RunRecord): Promise<void> {
    const reason = { errorCode: run.errorCode ?? 'E_RUNTIME', error: run.error ?? 'The run ended in error' }
    await this.store.transition(run.id, ['pending'], run.status, reason)
  }
}
