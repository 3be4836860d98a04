import type { AgentRouteInfo } from '../contracts/agent_run'
import { E_ABORTED, E_TIMEOUT, isException } from '../errors'
import type { Logger } from '../logger'
import type { Metrics, RunOutcome } from '../observability/metrics'
import type { ConcurrencyLimiter, Release } from './concurrency_limiter'
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
 * // `supervised`: the runner takes this signal as the run's only deadline and adds none of its own.
 * const result = await supervisor.supervise(ctx, route, (signal) => runner.invoke(route.path, input, { signal, supervised: true }))
 */
export class RunSupervisor {
  /** How to stop each run in progress or waiting for a slot. */
  private readonly running = new Set<(reason: unknown) => void>()

  constructor(private readonly options: RunSupervisorOptions) {}

  /** Runs in progress or waiting for a slot. */
  get size(): number {
    return this.running.size
  }

  async supervise<T>(ctx: HttpContext, route: AgentRouteInfo, work: (signal: AbortSignal) => Promise<T>, options: SuperviseOptions<T> = {}): Promise<T> {
    const { limiter, metrics } = this.options
    const started = performance.now()
    const controller = new AbortController()
    const signal = controller.signal
    const seconds = route.timeoutSeconds ?? this.options.timeoutSeconds
    const record = (outcome: RunOutcome) => metrics.recordAgentRun(route.path, outcome, (performance.now() - started) / 1000)

    // Every way a run is stopped goes through here: the deadline, the client leaving, the server draining.
    // Listening on its own signal would cost a listener per run; instead stop() does what an abort must.
    let phase: 'waiting' | 'running' | 'settled' = 'waiting'
    let interrupt: ((reason: unknown) => void) | undefined
    let release: Release | undefined
    let releaseTimer: NodeJS.Timeout | undefined
    const stop = (reason: unknown) => {
      if (signal.aborted || phase === 'settled') return
      controller.abort(reason)
      interrupt?.(reason)
      if (phase !== 'running') return
      // A runner that ignores its signal must not hold a slot forever.
      releaseTimer = setTimeout(() => {
        this.options.logger.warn('agent run did not stop after its abort; releasing its slot', { agent: route.path, requestId: ctx.requestId })
        settled()
      }, this.options.abortGraceMs ?? 5000)
      releaseTimer.unref()
    }
    const timer = setTimeout(() => stop(new E_TIMEOUT(seconds)), seconds * 1000)
    this.running.add(stop)
    const settled = () => {
      if (phase === 'settled') return
      phase = 'settled'
      clearTimeout(timer)
      if (releaseTimer) clearTimeout(releaseTimer)
      this.running.delete(stop)
      release?.()
    }
    if (ctx.clientGone) stop(new E_ABORTED('client disconnected'))
    else ctx.onClose(() => {
      if (!ctx.res.writableFinished) stop(new E_ABORTED('client disconnected'))
    })

    try {
      release = await limiter.acquire(signal)
    } catch (error) {
      settled()
      record(outcomeOf(error))
      throw error
    }
    if (signal.aborted) {
      // Stopped while the slot was being handed over: give it back untouched.
      settled()
      record(outcomeOf(signal.reason))
      throw signal.reason
    }
    phase = 'running'

    const running = Promise.resolve().then(() => work(signal))
    running.then(settled, settled)
    try {
      // Invoke answers as soon as the run is stopped, even if the work has not noticed yet;
      // a stream (race: false) writes its own error event and end, then settles.
      const value = options.race === false ? await running : await new Promise<T>((resolve, reject) => {
        interrupt = reject
        running.then(resolve, reject)
      })
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
    for (const stop of [...this.running]) stop(reason)
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
