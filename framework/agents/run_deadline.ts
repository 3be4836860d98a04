import type { RunBounds } from '../contracts/agent_run'
import { E_ABORTED, E_TIMEOUT, isException } from '../errors'

/** setTimeout's range; a longer deadline would fire at once, so it is no deadline. */
const MAX_TIMER_MS = 2_147_483_647

/** The error a stopped run surfaces as: E_TIMEOUT, E_SHUTTING_DOWN... as given, or E_ABORTED for a plain cancel. */
export function stopError(reason: unknown): Error {
  if (isException(reason)) return reason
  const text = reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : 'cancelled by the caller'
  return new E_ABORTED(text, { cause: reason })
}

/**
 * The deadline of one agent run. Every rule about when a run stops lives here:
 *
 * - **How long.** `seconds` is the route's timeout, else the agent class's
 *   `timeoutSeconds`, else AGENT_TIMEOUT: the runner resolves that order into
 *   `AgentRouteInfo.timeoutSeconds`, and whoever starts a run passes it here.
 *   The clock starts when the run is received, so over HTTP the time spent
 *   waiting for a concurrency slot counts.
 * - **Who stops it.** The timer (E_TIMEOUT), the caller's own signal (a CLI
 *   Ctrl-C), or `stop(reason)` (the HTTP client leaving: E_ABORTED; the server
 *   draining: E_SHUTTING_DOWN). All of them abort one signal, which LangGraph
 *   gets, so nodes that honour it stop mid-step.
 * - **Waiting.** `race(work)` rejects with the stop reason the moment the run
 *   is stopped, even when a node ignores its signal: the caller is answered
 *   at once.
 * - **Letting go.** `settled(graceMs)` resolves once every raced piece of work
 *   has really finished, or `graceMs` after a stop if a node ignores its
 *   signal: what a run holds (a concurrency slot) is freed then, so stopped
 *   work cannot pile up behind a limit, and a stuck node cannot hold it forever.
 *
 * @example
 * const deadline = new RunDeadline(route.timeoutSeconds)
 * try {
 *   return await runner.invoke(route.path, input, { deadline })
 * } finally {
 *   deadline.settled(5000).then(release)
 *   deadline.dispose()
 * }
 */
export class RunDeadline implements RunBounds {
  private readonly controller = new AbortController()
  private readonly timer?: NodeJS.Timeout
  private readonly pending = new Set<Promise<void>>()
  private readonly onParentAbort = () => this.stop(this.parent?.reason)

  constructor(
    readonly seconds?: number,
    private readonly parent?: AbortSignal,
  ) {
    if (parent?.aborted) this.stop(parent.reason)
    else parent?.addEventListener('abort', this.onParentAbort, { once: true })
    if (seconds && seconds * 1000 <= MAX_TIMER_MS && !this.signal.aborted) {
      this.timer = setTimeout(() => this.stop(new E_TIMEOUT(seconds)), seconds * 1000)
      this.timer.unref()
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal
  }

  /** Why the run was stopped, as the error it surfaces as; undefined while it runs. */
  get reason(): Error | undefined {
    return this.signal.aborted ? stopError(this.signal.reason) : undefined
  }

  /** Stops the run (the first reason wins). */
  stop(reason: unknown): void {
    if (!this.signal.aborted) this.controller.abort(reason)
  }

  race<T>(work: Promise<T>): Promise<T> {
    const tracked = work.then(
      () => undefined,
      () => undefined,
    )
    this.pending.add(tracked)
    tracked.then(() => this.pending.delete(tracked))
    if (this.signal.aborted) return Promise.reject(stopError(this.signal.reason))
    // A listener per call, removed when the work settles: racing a shared never-settling promise would keep
    // every raced value (each event of a long stream) reachable until the run ends.
    return new Promise<T>((resolve, reject) => {
      const onStop = () => reject(stopError(this.signal.reason))
      this.signal.addEventListener('abort', onStop, { once: true })
      work.then(
        (value) => {
          this.signal.removeEventListener('abort', onStop)
          resolve(value)
        },
        (error: unknown) => {
          this.signal.removeEventListener('abort', onStop)
          reject(error)
        },
      )
    })
  }

  /** True once the raced work has finished; false when `graceMs` after a stop ran out first. */
  settled(graceMs: number): Promise<boolean> {
    const all = Promise.all([...this.pending])
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined
      const startGrace = () => {
        timer = setTimeout(() => resolve(false), graceMs)
        timer.unref()
      }
      if (this.signal.aborted) startGrace()
      else this.signal.addEventListener('abort', startGrace, { once: true })
      all.then(() => {
        clearTimeout(timer)
        this.signal.removeEventListener('abort', startGrace)
        resolve(true)
      })
    })
  }

  /** Clears the timer and the link to the caller's signal; the signal stays as it is. */
  dispose(): void {
    clearTimeout(this.timer)
    this.parent?.removeEventListener('abort', this.onParentAbort)
  }
}

/**
 * A stream's events, each read through the run's bounds: a stopped run ends
 * the stream at once with its reason. Closing early lets the inner
 * generators (logging, the graph stream) clean up; that cleanup is raced
 * too, so `settled()` waits for it, but the reader does not.
 */
export async function* raceEvents<T>(events: AsyncIterable<T>, bounds: RunBounds, onEnd?: () => void): AsyncGenerator<T> {
  const iterator = events[Symbol.asyncIterator]()
  let done = false
  try {
    for (;;) {
      const step = await bounds.race(iterator.next())
      if (step.done) {
        done = true
        return
      }
      yield step.value
    }
  } finally {
    onEnd?.()
    if (!done && iterator.return) bounds.race(Promise.resolve(iterator.return())).catch(() => undefined)
  }
}
