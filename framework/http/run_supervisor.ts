import { RunDeadline } from '../agents/run_deadline'
import type { AgentRouteInfo, RunResult } from '../contracts/agent_run'
import { E_ABORTED, isException } from '../errors'
import type { Logger } from '../logger'
import type { Metrics, RunOutcome } from '../observability/metrics'
import type { ConcurrencyLimiter, Release } from './concurrency_limiter'
import type { HttpContext } from './context'

export interface RunSupervisorOptions {
  limiter: ConcurrencyLimiter
  metrics: Metrics
  logger: Logger
  /** After a stop, how long a run may take to finish before its slot is reclaimed anyway. */
  abortGraceMs?: number
  /** AGENT_TIMEOUT, for a route whose info carries no timeout (a runner built without one). */
  defaultTimeoutSeconds?: number
}

/**
 * Runs agent work under the HTTP guarantees: a concurrency slot (or 503
 * E_OVERLOADED), the run's deadline (run_deadline.ts: the route's timeout,
 * stopped early when the client disconnects or the server drains), and one
 * metric per run with its outcome. The slot is held until the run has really
 * finished — not merely until the client was answered — within the abort
 * grace period, so stopped work cannot pile up behind the limit.
 *
 * @example
 * const result = await supervisor.supervise(ctx, route, (deadline) => runner.invoke(route.path, input, { deadline }), resultOutcome)
 */
export class RunSupervisor {
  /** Runs in progress or waiting for a slot. */
  private readonly running = new Set<RunDeadline>()

  constructor(private readonly options: RunSupervisorOptions) {}

  /** How long a stopped run may take to finish before what it holds is let go anyway. */
  get abortGraceMs(): number {
    return this.options.abortGraceMs ?? 5000
  }

  /** Runs in progress or waiting for a slot. */
  get size(): number {
    return this.running.size
  }

  /**
   * `options.cancel`, when given, stops the run when it aborts, also while it waits for its slot;
   * `options.detached` keeps the run going when its client leaves (it still ends at its deadline).
   */
  async supervise<T>(
    ctx: HttpContext,
    route: AgentRouteInfo,
    work: (deadline: RunDeadline) => Promise<T>,
    outcome: (value: T) => RunOutcome = () => 'success',
    options: { cancel?: AbortSignal; detached?: boolean } = {},
  ): Promise<T> {
    const started = performance.now()
    const deadline = new RunDeadline(route.timeoutSeconds ?? this.options.defaultTimeoutSeconds, options.cancel)
    this.running.add(deadline)
    if (options.detached) {
      // Its client may leave: the run goes on.
    } else if (ctx.clientGone) deadline.stop(new E_ABORTED('client disconnected'))
    else ctx.onClose(() => {
      if (!ctx.res.writableFinished) deadline.stop(new E_ABORTED('client disconnected'))
    })
    let release: Release | undefined
    try {
      release = await this.options.limiter.acquire(deadline.signal)
      await startTurn()
      // A run stopped while it waited is refused by the runner before any of its middleware runs.
      const value = await work(deadline)
      this.record(route, outcome(value), started)
      return value
    } catch (error) {
      const reason = deadline.reason ?? error
      this.record(route, outcomeOf(reason), started)
      throw reason
    } finally {
      this.running.delete(deadline)
      if (release) this.releaseWhenSettled(deadline, release, route, ctx)
      else deadline.dispose()
    }
  }

  /** Stops every run (used when the shutdown grace period runs out). */
  abortAll(reason: unknown): void {
    for (const deadline of [...this.running]) deadline.stop(reason)
  }

  private releaseWhenSettled(deadline: RunDeadline, release: Release, route: AgentRouteInfo, ctx: HttpContext): void {
    deadline.settled(this.abortGraceMs).then((finished) => {
      deadline.dispose()
      if (!finished) this.options.logger.warn('agent run did not stop after its abort; releasing its slot', { agent: route.path, requestId: ctx.requestId })
      release()
    })
  }

  private record(route: AgentRouteInfo, outcome: RunOutcome, started: number): void {
    this.options.metrics.recordAgentRun(route.path, outcome, (performance.now() - started) / 1000)
  }
}

/** The outcome of a finished invoke or resume: interrupted when it stopped at an interrupt. */
export function resultOutcome(result: RunResult): RunOutcome {
  return result.interrupts.length > 0 ? 'interrupted' : 'success'
}

/** The outcome of a run that failed or was stopped, from its error. */
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
 * Resolves, for every run that got its slot during one event-loop turn, at
 * the same moment: in the check phase after the turn's I/O callbacks. A run
 * started from its request's own I/O callback would go from start to end
 * before the next request is even parsed; started together, the runs of a
 * turn advance side by side, each graph step running for all of them in a
 * row, which under load costs markedly less CPU per run. A lone run waits
 * only for the rest of its turn.
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
