import type { RunDeadline } from '../agents/run_deadline'
import { E_ABORTED } from '../errors'

export type CancelAction = 'interrupt' | 'rollback'

/** One event a live run sent, numbered as its stream numbered it (`id:`). */
export interface BufferedEvent {
  id: number
  event: string
  data: unknown
}

/** What a live run keeps of its events for joiners by default: at most this many, and at most this many bytes of JSON. */
export const DEFAULT_MAX_EVENTS = 500
export const DEFAULT_MAX_BUFFER_BYTES = 1024 * 1024

export interface ReplayLimits {
  maxEvents: number
  maxBytes: number
}

/**
 * A run in progress in this server process: how to stop it, the events it
 * streamed (the last ones, at most `maxEvents` and `maxBytes` of JSON, for
 * clients that join it), and when it has ended. It lives only as long as its
 * run and only here: a run is joined or cancelled on the instance that runs it.
 */
export class LiveRun {
  private action?: CancelAction
  private frozen = false
  private readonly cancelled = new AbortController()
  private readonly buffer: Array<BufferedEvent & { bytes: number }> = []
  private bufferedBytes = 0
  private sequence = 0
  private wake: Array<() => void> = []
  private resolveDone!: () => void
  /** Resolves once the run has ended and its thread was recorded. */
  readonly done: Promise<void>
  ended = false
  /** The run goes on when the client that started it leaves (`on_disconnect: "continue"`). */
  detached = false

  constructor(
    readonly runId: string,
    readonly threadId: string,
    private readonly limits: ReplayLimits = { maxEvents: DEFAULT_MAX_EVENTS, maxBytes: DEFAULT_MAX_BUFFER_BYTES },
  ) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve))
  }

  /** How it was cancelled, if it was. */
  get cancelAction(): CancelAction | undefined {
    return this.action
  }

  /** Aborts when the run is cancelled: its deadline follows it, so a run still waiting for a concurrency slot stops waiting. */
  get signal(): AbortSignal {
    return this.cancelled.signal
  }

  /** The run's graph started under `deadline`; a cancel that came first stops it now. */
  start(deadline: RunDeadline): void {
    if (this.action) deadline.stop(new E_ABORTED('cancelled'))
  }

  /** Stops the run (the first action wins), waiting for a slot or running; a run whose work has returned is not cancelled any more. */
  cancel(action: CancelAction): void {
    if (this.ended || this.frozen) return
    this.action ??= action
    this.cancelled.abort(new E_ABORTED('cancelled'))
  }

  /** The run's work has returned: later cancels change nothing. Answers how it was cancelled before, if it was. */
  freeze(): CancelAction | undefined {
    this.frozen = true
    return this.action
  }

  /** Keeps an event for joiners; answers its number. */
  publish(event: string, data: unknown): number {
    const id = ++this.sequence
    const bytes = Buffer.byteLength(JSON.stringify(data) ?? '', 'utf8') + event.length
    this.buffer.push({ id, event, data, bytes })
    this.bufferedBytes += bytes
    // The oldest go first: a joiner gets the latest events, never more than the limits.
    while (this.buffer.length > this.limits.maxEvents || (this.bufferedBytes > this.limits.maxBytes && this.buffer.length > 0)) {
      this.bufferedBytes -= (this.buffer.shift() as { bytes: number }).bytes
    }
    this.notify()
    return id
  }

  finish(): void {
    if (this.ended) return
    this.ended = true
    this.resolveDone()
    this.notify()
  }

  /** The buffered events after `afterId`, then each new one, until the run ends or `signal` aborts. */
  async *follow(afterId: number, signal: AbortSignal): AsyncGenerator<BufferedEvent> {
    let last = afterId
    for (;;) {
      // A copy: events published while this one is consumed may push older ones out of the buffer.
      for (const event of this.buffer.filter((buffered) => buffered.id > last)) {
        last = event.id
        yield { id: event.id, event: event.event, data: event.data }
      }
      if (this.ended || signal.aborted) return
      await new Promise<void>((resolve) => {
        const onAbort = () => resolve()
        signal.addEventListener('abort', onAbort, { once: true })
        this.wake.push(() => {
          signal.removeEventListener('abort', onAbort)
          resolve()
        })
      })
    }
  }

  private notify(): void {
    const waiting = this.wake
    this.wake = []
    for (const wake of waiting) wake()
  }
}

/**
 * The runs in progress in this process, by run and by thread (a thread
 * runs one run at a time).
 *
 * @example
 * const live = runs.open(runId, threadId)
 * try { ... } finally { runs.close(live) }
 */
export class LiveRuns {
  private readonly byRun = new Map<string, LiveRun>()
  private readonly byThread = new Map<string, LiveRun>()

  private readonly limits: ReplayLimits

  constructor(limits: Partial<ReplayLimits> = {}) {
    this.limits = { maxEvents: limits.maxEvents ?? DEFAULT_MAX_EVENTS, maxBytes: limits.maxBytes ?? DEFAULT_MAX_BUFFER_BYTES }
  }

  /** A run accepted in this process, not yet holding its thread (it may wait for it). */
  open(runId: string, threadId: string): LiveRun {
    const live = new LiveRun(runId, threadId, this.limits)
    this.byRun.set(runId, live)
    return live
  }

  /** The run took its thread. */
  hold(live: LiveRun): void {
    if (this.byRun.get(live.runId) === live) this.byThread.set(live.threadId, live)
  }

  /** The runs of the thread in this process: the one holding it and the ones waiting for it. */
  ofThread(threadId: string): LiveRun[] {
    return [...this.byRun.values()].filter((live) => live.threadId === threadId)
  }

  get(runId: string): LiveRun | undefined {
    return this.byRun.get(runId)
  }

  /** The run holding the thread in this process, if one does. */
  onThread(threadId: string): LiveRun | undefined {
    return this.byThread.get(threadId)
  }

  close(live: LiveRun): void {
    live.finish()
    if (this.byRun.get(live.runId) === live) this.byRun.delete(live.runId)
    if (this.byThread.get(live.threadId) === live) this.byThread.delete(live.threadId)
  }
}
