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
  /** Runs in progress or waiting for a slot. */
  private readonly running = new Set<SupervisedRun>()

  constructor(private readonly options: RunSupervisorOptions) {}

  /** Runs in progress or waiting for a slot. */
  get size(): number {
    return this.running.size
  }

  async supervise<T>(ctx: HttpContext, route: AgentRouteInfo, work: (signal: AbortSignal) => Promise<T>, options: SuperviseOptions<T> = {}): Promise<T> {
    const started = performance.now()
    const run = new SupervisedRun(this.options, this.running, ctx, route)
    const signal = run.signal
    if (ctx.clientGone) run.stop(new E_ABORTED('client disconnected'))
    else ctx.onClose(() => {
      if (!ctx.res.writableFinished) run.stop(new E_ABORTED('client disconnected'))
    })

    try {
      run.release = await this.options.limiter.acquire(signal)
    } catch (error) {
      run.settle()
      this.record(route, outcomeOf(error), started)
      throw error
    }
    if (signal.aborted) {
      // Stopped while the slot was being handed over: give it back untouched.
      run.settle()
      this.record(route, outcomeOf(signal.reason), started)
      throw signal.reason
    }
    run.phase = 'running'

    // Runs that became ready during one event-loop turn start together, after it (see startTurn).
    const running = startTurn().then(() => work(signal))
    running.then(
      () => run.settle(),
      () => run.settle(),
    )
    try {
      // Invoke answers as soon as the run is stopped, even if the work has not noticed yet;
      // a stream (race: false) writes its own error event and end, then settles.
      const value = options.race === false ? await running : await new Promise<T>((resolve, reject) => {
        run.interrupt = reject
        running.then(resolve, reject)
      })
      this.record(route, options.outcome?.(value) ?? 'success', started)
      return value
    } catch (error) {
      const reason = signal.aborted ? signal.reason : error
      this.record(route, outcomeOf(reason), started)
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
    for (const run of [...this.running]) run.stop(reason)
  }

  private record(route: AgentRouteInfo, outcome: RunOutcome, started: number): void {
    this.options.metrics.recordAgentRun(route.path, outcome, (performance.now() - started) / 1000)
  }
}

/**
 * One supervised run: its signal, deadline and slot. Every way a run is
 * stopped goes through `stop()` (the deadline, the client leaving, the server
 * draining); listening on its own signal would cost a listener per run. A
 * class rather than closures: under tsx each named closure costs a
 * defineProperty per request.
 */
class SupervisedRun {
  phase: 'waiting' | 'running' | 'settled' = 'waiting'
  /** Rejects the caller's race (invoke) at once when the run is stopped. */
  interrupt?: (reason: unknown) => void
  release?: Release
  private readonly controller = new AbortController()
  private readonly timer: NodeJS.Timeout
  private releaseTimer?: NodeJS.Timeout

  constructor(
    private readonly options: RunSupervisorOptions,
    private readonly registry: Set<SupervisedRun>,
    private readonly ctx: HttpContext,
    private readonly route: AgentRouteInfo,
  ) {
    const seconds = route.timeoutSeconds ?? options.timeoutSeconds
    this.timer = setTimeout(() => this.stop(new E_TIMEOUT(seconds)), seconds * 1000)
    registry.add(this)
  }

  get signal(): AbortSignal {
    return this.controller.signal
  }

  stop(reason: unknown): void {
    if (this.controller.signal.aborted || this.phase === 'settled') return
    this.controller.abort(reason)
    this.interrupt?.(reason)
    if (this.phase !== 'running') return
    // A runner that ignores its signal must not hold a slot forever.
    this.releaseTimer = setTimeout(() => {
      this.options.logger.warn('agent run did not stop after its abort; releasing its slot', { agent: this.route.path, requestId: this.ctx.requestId })
      this.settle()
    }, this.options.abortGraceMs ?? 5000)
    this.releaseTimer.unref()
  }

  settle(): void {
    if (this.phase === 'settled') return
    this.phase = 'settled'
    clearTimeout(this.timer)
    if (this.releaseTimer) clearTimeout(this.releaseTimer)
    this.registry.delete(this)
    this.release?.()
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

let turn: Promise<void> | undefined

/**
 * Resolves, for every caller of one event-loop turn, at the same moment: in
 * the check phase (setImmediate) after the turn's I/O callbacks. Each request
 * arrives in an I/O callback of its own, and a run awaited there would run
 * from start to end before the next request is even parsed. Released
 * together, the runs of a turn advance step by step side by side, each step
 * of the graph running for all of them in a row. Measured under load (100
 * connections, docs/benchmarks.md): about 30% less CPU per run for the same
 * instructions, as routes that wait on Redis before their run already showed.
 * A lone run waits only for the rest of its turn.
 */
function startTurn(): Promise<void> {
  turn ??= new Promise<void>((resolve) =>
    setImmediate(() => {
      turn = undefined
      resolve()
    }),
  )
  return turn
}
