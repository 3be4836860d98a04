import type { AgentRouteInfo } from '../contracts/agent_run'
import { E_ABORTED, E_TIMEOUT, isException } from '../errors'
import type { Logger } from '../logger'
import type { Metrics, RunOutcome } from '../observability/metrics'
import type { ConcurrencyLimiter } from './concurrency_limiter'
import type { HttpContext } from './context'

export interface RunSupervisorOptions {
  limiter: ConcurrencyLimiter
  metrics: Metrics
  logger: Logger
  /** AGENT_TIMEOUT, used when the route sets no timeoutSeconds. */
  timeoutSeconds: number
  /** After an abort, how long a run may take to stop before its slot is reclaimed anyway. */
  abortGraceMs?: number
}

export interface SuperviseOptions<T> {
  /** Reject as soon as the signal aborts (invoke); streams handle the abort themselves. */
  race?: boolean
  outcome?: (value: T) => RunOutcome
}

/**
 * Runs agent work under the HTTP guarantees: a concurrency slot (or 503), a
 * deadline (AGENT_TIMEOUT or the route's timeoutSeconds) and cancellation when
 * the client disconnects or the server drains. All three abort one
 * AbortSignal that the runner passes to LangGraph, so a cancelled run really
 * stops. The slot is held until the run has settled, not merely until the
 * client was answered, so cancelled work cannot pile up behind the limit.
 *
 * @example
 * const result = await supervisor.supervise(ctx, route, (signal) => runner.invoke(route.path, input, { signal }))
 */
export class RunSupervisor {
  private readonly controllers = new Set<AbortController>()

  constructor(private readonly options: RunSupervisorOptions) {}

  /** Runs in progress or waiting for a slot. */
  get size(): number {
    return this.controllers.size
  }

  async supervise<T>(ctx: HttpContext, route: AgentRouteInfo, work: (signal: AbortSignal) => Promise<T>, options: SuperviseOptions<T> = {}): Promise<T> {
    const { limiter, metrics } = this.options
    const started = performance.now()
    const controller = new AbortController()
    const signal = controller.signal
    const seconds = route.timeoutSeconds ?? this.options.timeoutSeconds
    const timer = setTimeout(() => controller.abort(new E_TIMEOUT(seconds)), seconds * 1000)
    const onDisconnect = () => controller.abort(new E_ABORTED('client disconnected'))
    const clientSignal = ctx.clientSignal
    clientSignal.addEventListener('abort', onDisconnect, { once: true })
    this.controllers.add(controller)
    const cleanup = () => {
      clearTimeout(timer)
      clientSignal.removeEventListener('abort', onDisconnect)
      this.controllers.delete(controller)
    }
    const record = (outcome: RunOutcome) => metrics.recordAgentRun(route.path, outcome, (performance.now() - started) / 1000)

    let release: () => void
    try {
      release = await limiter.acquire(signal)
    } catch (error) {
      cleanup()
      record(outcomeOf(error))
      throw error
    }

    const running = Promise.resolve().then(() => work(signal))
    let releaseTimer: NodeJS.Timeout | undefined
    let done = false
    const settled = () => {
      if (done) return
      done = true
      if (releaseTimer) clearTimeout(releaseTimer)
      cleanup()
      release()
    }
    running.then(settled, settled)
    signal.addEventListener(
      'abort',
      () => {
        if (done) return
        // A runner that ignores its signal must not hold a slot forever.
        releaseTimer = setTimeout(() => {
          this.options.logger.warn('agent run did not stop after its abort; releasing its slot', { agent: route.path, requestId: ctx.requestId })
          settled()
        }, this.options.abortGraceMs ?? 5000)
        releaseTimer.unref()
      },
      { once: true },
    )

    try {
      const value = options.race === false ? await running : await raceAbort(running, signal)
      record(options.outcome?.(value) ?? 'success')
      return value
    } catch (error) {
      const reason = signal.aborted ? signal.reason : error
      record(outcomeOf(reason))
      throw reason
    }
  }

  /**
   * Counts a run refused before it was supervised (a stream's input failing
   * validation before the 200 is sent), under the outcome a supervised run
   * failing the same way gets, and returns the error to throw.
   */
  refused(ctx: HttpContext, route: AgentRouteInfo, error: unknown): unknown {
    this.options.metrics.recordAgentRun(route.path, outcomeOf(error), (performance.now() - ctx.startedAt) / 1000)
    return error
  }

  /** Aborts every run (used when the shutdown grace period runs out). */
  abortAll(reason: unknown): void {
    for (const controller of this.controllers) controller.abort(reason)
  }
}

/** Maps a run's failure to its metric outcome. */
export function outcomeOf(error: unknown): RunOutcome {
  if (!isException(error)) return 'error'
  switch (error.code) {
    case 'E_TIMEOUT':
      return 'timeout'
    case 'E_ABORTED':
    case 'E_SHUTTING_DOWN':
      return 'cancelled'
    case 'E_OVERLOADED':
      return 'rejected'
    default:
      return error.status < 500 ? 'invalid' : 'error'
  }
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}
