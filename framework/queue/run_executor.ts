import { randomUUID } from 'node:crypto'
import { isGraphDrained, RunControl } from '@langchain/langgraph'
import { toPlainValues } from '../agents/plain_values'
import type { AgentRunner, InterruptInfo, RunOptions, RunResult, StreamEvent, StreamMode } from '../contracts/agent_run'
import type { RunEventLog } from '../contracts/run_events'
import type { Principal, RequestContext } from '../contracts/request_context'
import type { RunJob } from '../contracts/run_queue'
import { RunDeadline } from '../agents/run_deadline'
import { E_RUN_CANCELLED, E_RUN_STALLED, E_RUNTIME, isException } from '../errors'
import { publicErrorMessage } from '../http/exception_handler'
import type { Logger } from '../logger'
import { queueMetrics, type QueueMetrics } from './queue_metrics'
import { encodeRunEvent } from './run_event_encoding'
import type { RunEndings } from './run_endings'
import { isRunLost, RunLost, RunReleased } from './run_released'
import { FINAL_RUN_STATUSES, type RunRecord, type RunStatus, type RunStore } from './run_store'

export interface RunExecutorOptions {
  store: RunStore
  runner: AgentRunner
  queueName: string
  /** QUEUE_RUN_TIMEOUT: seconds; 0 leaves it to the route's own timeout. */
  runTimeoutSeconds?: number
  /** QUEUE_MAX_STALLED, for the message of a run that stalled too often. */
  maxStalled?: number
  logger?: Logger
  metrics?: QueueMetrics
  /** Where the run's events are appended, for readers on any instance; without it runs are invoked and emit none. */
  events?: () => RunEventLog
  /** What follows a run's end: its thread let go, its event log ended, its webhook sent. */
  endings?: RunEndings
}

/**
 * Executes one attempt at a queued run: loads it, starts it in the runs
 * table (one process wins), runs the route's agent on the run's thread and
 * records how it ended. An attempt after one that started continues the
 * thread from its last checkpoint (`Agent.continue`), so steps that finished
 * do not run again.
 *
 * - cancelled (the job's signal): `cancelled`, the job completes;
 * - out of time: `timeout` (E_TIMEOUT), not retried;
 * - an interrupt: `interrupted`, with the pending interrupts in the output;
 * - an error a retry cannot fix (status below 500: bad input, unknown route): `error` at once;
 * - any other error: back to `pending` and rethrown, so the queue retries
 *   with backoff; on the last attempt `error` with the error's code;
 * - the worker draining (`job.drain`): the run stops at its next step
 *   boundary with its checkpoint saved, goes back to `pending` and
 *   `RunReleased` hands the job back to the queue.
 *
 * @example
 * await queue.process((job) => executor.execute(job))
 */
export class RunExecutor {
  private readonly metrics: QueueMetrics

  constructor(private readonly options: RunExecutorOptions) {
    this.metrics = options.metrics ?? queueMetrics()
  }

  async execute(job: RunJob): Promise<void> {
    const { store, logger } = this.options
    const seen = await store.get(job.runId)
    if (!seen) {
      logger?.warn('queued run not found in the runs table: skipped', { runId: job.runId })
      return
    }
    if (FINAL_RUN_STATUSES.includes(seen.status)) {
      // Ended, but maybe not settled: its process died (or was gone when it was cancelled) before letting its thread go.
      await this.options.endings?.settleLeftover(seen)
      return
    }
    const run = await store.start(seen)
    if (!run) {
      logger?.info('queued run was started by another process: skipped', { runId: job.runId })
      return
    }
    // Time spent waiting before the run first started; later attempts wait for their backoff, not for a worker.
    if (seen.attempts === 0) this.metrics.waitSeconds.observe({ queue: this.options.queueName }, (Date.now() - job.enqueuedAt) / 1000)
    const control = new RunControl()
    const onDrain = () => control.requestDrain('the worker is shutting down')
    if (job.drain.aborted) onDrain()
    else job.drain.addEventListener('abort', onDrain, { once: true })
    let deadline: RunDeadline | undefined
    let hold: { stop(): void } | undefined
    try {
      // Waiting for a stored thread (another run holds it) is bounded on its own: it does not eat the run's time.
      hold = await this.options.endings?.take(run, job.signal)
      // The run's one deadline: QUEUE_RUN_TIMEOUT (or the route's timeout), stopped early by a cancel or a lost run.
      deadline = new RunDeadline(this.timeoutSeconds(run), job.signal)
      await this.emit(run.id, 'metadata', { run_id: run.id, thread_id: run.threadId, attempt: run.attempts })
      const result = await this.attempt(run, { deadline, control })
      const interrupted = result.interrupts.length > 0
      await this.end(job, run, {
        status: interrupted ? 'interrupted' : 'success',
        output: interrupted ? { values: toPlainValues(result.output), interrupts: toPlainValues(result.interrupts) } : toPlainValues(result.output),
      })
    } catch (error) {
      await this.failed(job, run, error, control)
    } finally {
      hold?.stop()
      deadline?.dispose()
      job.drain.removeEventListener('abort', onDrain)
      this.options.endings?.forget(run.id)
    }
  }

  /**
   * A run whose job failed for good without its handler recording it (its
   * workers kept dying, so the queue gave up on it): the run ends in `error`.
   */
  async abandoned(runId: string, failure: { stalled: boolean; error: string }): Promise<boolean> {
    const code = failure.stalled ? 'E_RUN_STALLED' : 'E_RUNTIME'
    // The queue's reason for a failure is the raw error: the run records a generic message (the reason is logged).
    const error = failure.stalled ? new E_RUN_STALLED(runId, (this.options.maxStalled ?? 1) + 1).message : publicErrorMessage(undefined)
    const ended = await this.options.store.transition(runId, ['pending', 'running'], 'error', { errorCode: code, error })
    const run = await this.options.store.get(runId)
    if (ended) {
      this.options.logger?.warn('queued run failed without finishing: recorded as error', { runId, code, reason: failure.error })
      if (run) await this.options.endings?.ended(run)
    } else if (run && FINAL_RUN_STATUSES.includes(run.status)) {
      await this.options.endings?.settleLeftover(run)
    }
    return ended
  }

  /**
   * The run's first attempt invokes the route on its thread, after noting the
   * thread's newest checkpoint. A later attempt continues the thread only
   * when its newest checkpoint is another one, written by this run; when it
   * is still the one noted (the attempt died before its first checkpoint),
   * the run starts afresh. Both go through the runner: middleware, trace and deadline.
   */
  private async attempt(run: RunRecord, bounds: { deadline: RunDeadline; control: RunControl }): Promise<RunResult> {
    const { runner, store } = this.options
    const execution = run.options
    const options: RunOptions = {
      threadId: run.threadId,
      context: runContext(run),
      ...bounds,
      ...(execution.durability ? { durability: execution.durability } : {}),
      ...(execution.interruptBefore ? { interruptBefore: execution.interruptBefore } : {}),
      ...(execution.interruptAfter ? { interruptAfter: execution.interruptAfter } : {}),
    }
    const newest = await this.newestCheckpoint(run)
    if (run.startCheckpoint === null || newest === run.startCheckpoint) {
      if (run.startCheckpoint === null && !(await store.markStart(run.id, run.attempts, newest))) {
        // Cancelled as it started: it ends as a cancelled run (its thread let go), not as one another worker holds.
        if ((await store.get(run.id))?.status === 'cancelled') throw new E_RUN_CANCELLED(run.id)
        throw new RunLost(run.id, 'lock-lost')
      }
      return this.run(run, options)
    }
    if (!runner.continue) throw new E_RUNTIME(`The agent runner cannot continue the thread of run ${run.id}`)
    let result: RunResult
    try {
      result = await runner.continue(run.route, run.threadId, options)
    } catch (error) {
      // The thread's newest checkpoint is this run's: it finished (or reached an interrupt) but died before recording it.
      if ((error as { code?: string }).code !== 'E_NOTHING_TO_CONTINUE') throw error
      const state = await runner.getState(run.route, run.threadId)
      result = { output: state.values, threadId: run.threadId, interrupts: state.interrupts }
    }
    // A continued run emits where it ended: its state (and interrupts).
    await this.emit(run.id, 'values', encodeRunEvent({ event: 'values', data: result.output }).data)
    if (result.interrupts.length > 0) await this.emit(run.id, 'interrupt', interruptData(result.interrupts))
    return result
  }

  /**
   * A first attempt: the route run on the run's input (or its command), its
   * events appended to the run's event log as they come when there is one.
   */
  private async run(run: RunRecord, bounds: RunOptions): Promise<RunResult> {
    const { runner } = this.options
    const execution = run.options
    const cannot = () => new E_RUNTIME(`The agent runner cannot continue the thread of run ${run.id} with a command`)
    if (!this.options.events) {
      if (!execution.command) return runner.invoke(run.route, run.input, bounds)
      if (!runner.command) throw cannot()
      return runner.command(run.route, run.threadId, execution.command, bounds)
    }
    const wanted: StreamMode[] = execution.streamModes?.length ? execution.streamModes : ['values']
    // Values are always read (they are the run's output); they are appended only when asked for.
    const streamOptions = { ...bounds, modes: [...new Set<StreamMode>([...wanted, 'values'])], ...(execution.subgraphs ? { subgraphs: true } : {}) }
    let events: AsyncIterable<StreamEvent>
    if (execution.command) {
      if (!runner.commandStream) throw cannot()
      events = await runner.commandStream(run.route, run.threadId, execution.command, streamOptions)
    } else {
      events = await runner.stream(run.route, run.input, streamOptions)
    }
    let output: unknown
    const interrupts: InterruptInfo[] = []
    for await (const event of events) {
      if (event.event === 'interrupt') {
        interrupts.push(...event.data)
        await this.emit(run.id, 'interrupt', interruptData(event.data))
        continue
      }
      if (event.event === 'values' && !event.namespace?.length) output = event.data
      if (!wanted.includes(event.event)) continue
      const encoded = encodeRunEvent(event)
      await this.emit(run.id, encoded.event, encoded.data)
    }
    if (output === undefined) output = (await runner.getState(run.route, run.threadId)).values
    return { output: output as Record<string, unknown>, threadId: run.threadId, interrupts }
  }

  /** Appends one event of the run; an event the log refuses (too large, the store down) is logged and skipped: the run goes on. */
  private async emit(runId: string, event: string, data: unknown): Promise<void> {
    const log = this.options.events?.()
    if (!log) return
    try {
      await log.append(runId, { event, data })
    } catch (error) {
      this.options.logger?.warn('a background run event was not stored', { runId, event, error: (error as { code?: string }).code ?? String(error) })
    }
  }

  /** The id of the thread's newest checkpoint; '' when it has none. */
  private async newestCheckpoint(run: RunRecord): Promise<string> {
    try {
      return (await this.options.runner.getState(run.route, run.threadId)).checkpointId ?? ''
    } catch (error) {
      if ((error as { code?: string }).code === 'E_THREAD_NOT_FOUND') return ''
      throw error
    }
  }

  private async failed(job: RunJob, run: RunRecord, error: unknown, control: RunControl): Promise<void> {
    const { store, logger } = this.options
    if (isRunLost(error)) throw error
    if (job.signal.aborted && isRunLost(job.signal.reason)) {
      // Another worker holds the run now (or will): it records how the run ends.
      logger?.info('queued run stopped: this worker no longer holds it', { runId: run.id, why: job.signal.reason.why })
      throw job.signal.reason
    }
    if (isGraphDrained(error) || (control.drainRequested && !isException(error))) {
      await store.release(run.id, run.attempts)
      throw new RunReleased(run.id)
    }
    const code = errorCode(error)
    // What the run records is what its clients, webhook and thread may read: internals stay in the log.
    const message = publicErrorMessage(error)
    if (code === 'E_RUN_CANCELLED' || (job.signal.aborted && code === 'E_ABORTED')) {
      // Usually recorded already by whoever cancelled it; this covers a cancel that reached only the queue.
      await this.options.store.finish(run.id, run.attempts, { status: 'cancelled', errorCode: 'E_RUN_CANCELLED', error: 'The run was cancelled' })
      await this.options.endings?.ended(run)
      return
    }
    if (code === 'E_TIMEOUT') {
      await this.end(job, run, { status: 'timeout', errorCode: code, error: message })
      return
    }
    const status = isException(error) ? error.status : 500
    if (status < 500 || job.attempt >= job.maxAttempts) {
      await this.emit(run.id, 'error', { error: code, message })
      await this.end(job, run, { status: 'error', errorCode: code, error: message })
      if (status < 500) return
      logger?.warn('queued run failed: attempts used up', { runId: run.id, attempts: job.attempt, code, error })
      throw error
    }
    logger?.warn('queued run attempt failed: it will be retried', { runId: run.id, attempt: job.attempt, code, error })
    await store.release(run.id, run.attempts)
    throw error
  }

  private async end(job: RunJob, run: RunRecord, end: { status: Exclude<RunStatus, 'pending' | 'running'>; output?: unknown; errorCode?: string; error?: string }): Promise<void> {
    const recorded = await this.options.store.finish(run.id, run.attempts, end)
    if (!recorded) this.options.logger?.info('queued run ended after it was cancelled or taken over: its outcome is not recorded', { runId: run.id, status: end.status })
    else this.metrics.runSeconds.observe({ queue: this.options.queueName, status: end.status }, (Date.now() - job.enqueuedAt) / 1000)
    // A run cancelled meanwhile is let go here too: its holder is this attempt.
    if (recorded || (await this.options.store.get(run.id))?.status === 'cancelled') await this.options.endings?.ended(run)
  }

  private timeoutSeconds(run: RunRecord): number | undefined {
    if (this.options.runTimeoutSeconds) return this.options.runTimeoutSeconds
    try {
      return this.options.runner.route(run.route).timeoutSeconds
    } catch {
      return undefined
    }
  }
}

/** The interrupt event's data: where the run stopped, each interrupt's id and value. */
function interruptData(interrupts: readonly InterruptInfo[]): { interrupts: Array<{ id: string; value: unknown }> } {
  return { interrupts: interrupts.map((item) => ({ id: item.id, value: toPlainValues(item.value) })) }
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code
  return isException(error) && typeof code === 'string' ? code : 'E_RUNTIME'
}

/**
 * The run acts as the principal that created it, exactly as stored then
 * (type, id, permissions, claims); a run created without one has none. Its
 * permissions were checked when it was created; the route's run middleware
 * applies again here.
 */
function runContext(run: RecordLike): RequestContext {
  const stored = run.principalData
  const principal: Principal | undefined = stored
    ? Object.freeze({ ...stored, permissions: Object.freeze([...stored.permissions]), ...(stored.claims ? { claims: Object.freeze({ ...stored.claims }) } : {}) })
    : undefined
  const requestId = `run-${run.id}`
  return Object.freeze({ requestId, traceId: (run.metadata.trace_id as string | undefined) ?? randomUUID(), ...(principal ? { principal } : {}) })
}

type RecordLike = Pick<RunRecord, 'id' | 'principalData' | 'metadata'>
