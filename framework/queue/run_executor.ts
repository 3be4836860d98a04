import { randomUUID } from 'node:crypto'
import { isGraphDrained, RunControl } from '@langchain/langgraph'
import { toPlainValues } from '../agents/plain_values'
import type { AgentRunner, RunResult } from '../contracts/agent_run'
import type { Principal, RequestContext } from '../contracts/request_context'
import type { RunJob } from '../contracts/run_queue'
import { E_RUNTIME, E_TIMEOUT, isException } from '../errors'
import type { Logger } from '../logger'
import { queueMetrics, type QueueMetrics } from './queue_metrics'
import { RunReleased } from './run_released'
import { FINAL_RUN_STATUSES, type RunRecord, type RunStatus, type RunStore } from './run_store'

export interface RunExecutorOptions {
  store: RunStore
  runner: AgentRunner
  queueName: string
  /** QUEUE_RUN_TIMEOUT: seconds; 0 leaves it to the route's own timeout. */
  runTimeoutSeconds?: number
  logger?: Logger
  metrics?: QueueMetrics
}

/** What `continue()` needs of a compiled agent (framework/agents/agent.ts). */
interface ContinuableAgent {
  continue(threadId: string, options: Parameters<AgentRunner['invoke']>[2]): Promise<RunResult>
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
    if (FINAL_RUN_STATUSES.includes(seen.status)) return
    const run = await store.start(seen)
    if (!run) {
      logger?.info('queued run was started by another process: skipped', { runId: job.runId })
      return
    }
    this.metrics.waitSeconds.observe({ queue: this.options.queueName }, (Date.now() - job.enqueuedAt) / 1000)
    const control = new RunControl()
    const onDrain = () => control.requestDrain('the worker is shutting down')
    if (job.drain.aborted) onDrain()
    else job.drain.addEventListener('abort', onDrain, { once: true })
    const stop = new AbortController()
    const onCancel = () => stop.abort(job.signal.reason)
    if (job.signal.aborted) onCancel()
    else job.signal.addEventListener('abort', onCancel, { once: true })
    const seconds = this.timeoutSeconds(run)
    const timer = seconds ? setTimeout(() => stop.abort(new E_TIMEOUT(seconds)), seconds * 1000) : undefined
    timer?.unref()
    try {
      const result = await this.attempt(run, seen.attempts > 0, { signal: stop.signal, control })
      const interrupted = result.interrupts.length > 0
      await this.end(job, run, {
        status: interrupted ? 'interrupted' : 'success',
        output: interrupted ? { values: toPlainValues(result.output), interrupts: toPlainValues(result.interrupts) } : toPlainValues(result.output),
      })
    } catch (error) {
      await this.failed(job, run, error, control)
    } finally {
      clearTimeout(timer)
      job.drain.removeEventListener('abort', onDrain)
      job.signal.removeEventListener('abort', onCancel)
    }
  }

  /** The first attempt invokes the route; a later one continues the thread where the last attempt stopped. */
  private async attempt(run: RunRecord, resumed: boolean, bounds: { signal: AbortSignal; control: RunControl }): Promise<RunResult> {
    const { runner } = this.options
    const options = { threadId: run.threadId, context: runContext(run), ...bounds }
    if (resumed && runner.compiledAgent) {
      const agent = (await runner.compiledAgent(run.route)) as Partial<ContinuableAgent>
      if (typeof agent.continue !== 'function') throw new E_RUNTIME(`The agent of ${run.route} cannot continue a thread`)
      try {
        return await agent.continue(run.threadId, options)
      } catch (error) {
        const code = (error as { code?: string }).code
        // The last attempt stopped before its first checkpoint: nothing ran, start afresh.
        if (code === 'E_THREAD_NOT_FOUND') return runner.invoke(run.route, run.input, options)
        // It finished (or reached an interrupt) but died before recording it: the thread holds the outcome.
        if (code === 'E_NOTHING_TO_CONTINUE') {
          const state = await runner.getState(run.route, run.threadId)
          return { output: state.values, threadId: run.threadId, interrupts: state.interrupts }
        }
        throw error
      }
    }
    return runner.invoke(run.route, run.input, options)
  }

  private async failed(job: RunJob, run: RunRecord, error: unknown, control: RunControl): Promise<void> {
    const { store, logger } = this.options
    if (isGraphDrained(error) || (control.drainRequested && !isException(error))) {
      await store.release(run.id, run.attempts)
      throw new RunReleased(run.id)
    }
    const code = errorCode(error)
    const message = error instanceof Error ? error.message : String(error)
    if (code === 'E_RUN_CANCELLED' || (job.signal.aborted && code === 'E_ABORTED')) {
      // Usually recorded already by whoever cancelled it; this covers a cancel that reached only the queue.
      await this.options.store.finish(run.id, run.attempts, { status: 'cancelled', errorCode: 'E_RUN_CANCELLED', error: 'The run was cancelled' })
      return
    }
    if (code === 'E_TIMEOUT') {
      await this.end(job, run, { status: 'timeout', errorCode: code, error: message })
      return
    }
    const status = isException(error) ? error.status : 500
    if (status < 500 || job.attempt >= job.maxAttempts) {
      await this.end(job, run, { status: 'error', errorCode: code, error: message })
      if (status < 500) return
      logger?.warn('queued run failed: attempts used up', { runId: run.id, attempts: job.attempt, code })
      throw error
    }
    logger?.warn('queued run attempt failed: it will be retried', { runId: run.id, attempt: job.attempt, code })
    await store.release(run.id, run.attempts)
    throw error
  }

  private async end(job: RunJob, run: RunRecord, end: { status: Exclude<RunStatus, 'pending' | 'running'>; output?: unknown; errorCode?: string; error?: string }): Promise<void> {
    const recorded = await this.options.store.finish(run.id, run.attempts, end)
    if (!recorded) this.options.logger?.info('queued run ended after it was cancelled or taken over: its outcome is not recorded', { runId: run.id, status: end.status })
    else this.metrics.runSeconds.observe({ queue: this.options.queueName, status: end.status }, (Date.now() - job.enqueuedAt) / 1000)
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

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code
  return isException(error) && typeof code === 'string' ? code : 'E_RUNTIME'
}

/**
 * The run acts as the principal that created it. Its permissions were
 * checked when it was created; the route's run middleware applies again here.
 */
function runContext(run: RecordLike): RequestContext {
  const match = /^(user|api_key|system):(.+)$/.exec(run.principal)
  const principal: Principal = match
    ? { id: match[2], type: match[1] as Principal['type'], permissions: ['*'] }
    : { id: run.principal || 'queue', type: 'system', permissions: ['*'] }
  const requestId = `run-${run.id}`
  return Object.freeze({ requestId, traceId: (run.metadata.trace_id as string | undefined) ?? randomUUID(), principal: Object.freeze(principal) })
}

type RecordLike = Pick<RunRecord, 'id' | 'principal' | 'metadata'>
