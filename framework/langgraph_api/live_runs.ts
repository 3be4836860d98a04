import type { RunDeadline } from '../agents/run_deadline'
import { E_ABORTED } from '../errors'

export type CancelAction = 'interrupt' | 'rollback'

/** One event a live run sent, numbered as its stream numbered it (`id:`). */
export interface BufferedEvent {
  id: number
  event: string
  data: unknown
}

/**
 * A run in progress in this server process: how to stop it, the events it
 * streamed (the last `maxEvents` of them, for clients that join it), and
 * when it has ended. It lives only as long as its run and only here: a
 * run is joined or cancelled on the instance that runs it.
 */
export class LiveRun {
  private deadline?: RunDeadline
  private action?: CancelAction
  private readonly buffer: BufferedEvent[] = []
  private sequence = 0
  private wake: Array<() => void> = []
  private resolveDone!: () => void
  /** Resolves once the run has ended and its thread was recorded. */
  readonly done: Promise<void>
  ended = false

  constructor(
    readonly runId: string,
    readonly threadId: string,
    private readonly maxEvents: number,
  ) {
    this.done = new Promise((resolve) => (this.resolveDone = resolve))
  }

  /** How it was cancelled, if it was. */
  get cancelAction(): CancelAction | undefined {
    return this.action
  }

  /** The run's graph started under `deadline`; a cancel that came first stops it now. */
  start(deadline: RunDeadline): void {
    this.deadline = deadline
    if (this.action) deadline.stop(new E_ABORTED('cancelled'))
  }

  /** Stops the run (the first action wins); a run still waiting for a slot stops as it gets one. */
  cancel(action: CancelAction): void {
    if (this.ended) return
    this.action ??= action
    this.deadline?.stop(new E_ABORTED('cancelled'))
  }

  /** Keeps an event for joiners; answers its number. */
  publish(event: string, data: unknown): number {
    const id = ++this.sequence
    this.buffer.push({ id, event, data })
    if (this.buffer.length > this.maxEvents) this.buffer.shift()
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
        yield event
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

  constructor(private readonly maxEvents = 1000) {}

  open(runId: string, threadId: string): LiveRun {
    const live = new LiveRun(runId, threadId, this.maxEvents)
    this.byRun.set(runId, live)
    this.byThread.set(threadId, live)
    return live
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
