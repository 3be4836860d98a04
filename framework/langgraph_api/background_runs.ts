import type { RunEvent } from '../contracts/run_events'
import type { Principal } from '../contracts/request_context'
import { E_RUN_STATE, E_THREAD_BUSY, isException } from '../errors'
import type { HttpContext } from '../http/context'
import { eventsMayFollow, watchRunEnd } from '../queue/run_endings'
import type { RunService } from '../queue/run_service'
import { FINAL_RUN_STATUSES, type CancelAction, type NewRun, type RunRecord as QueuedRun, type RunStatus as QueuedStatus } from '../queue/run_store'
import { lastEventId, streamRunEvents } from '../run_events/stream_run_events'
import { pause } from '../support/backoff'
import type { LiveRuns } from './live_runs'
import type { RunListOptions, RunRecord, RunStatus } from './run_store'
import { backgroundHolder, type ThreadRecord, type ThreadStore } from './thread_store'

/** How often a background run is looked at while a client waits for its end. */
const POLL_MS = 100
const MAX_POLL_MS = 500
/** How long an ended run's thread is waited for to be let go, before the run is answered as it ended anyway. */
const RELEASE_WAIT_MS = 30_000

/** The run table's statuses each protocol status stands for: a run stopped at interrupts ended well, a cancelled one reads `interrupted`. */
const QUEUED_STATUSES: Record<RunStatus, QueuedStatus[]> = {
  pending: ['pending'],
  running: ['running'],
  success: ['success', 'interrupted'],
  error: ['error'],
  timeout: ['timeout'],
  interrupted: ['cancelled'],
}

/** A run of the runs table as the protocol reports it (statuses as on LangGraph Platform). */
export function protocolRun(run: QueuedRun): RunRecord {
  const status: RunStatus = run.status === 'interrupted' ? 'success' : run.status === 'cancelled' ? 'interrupted' : run.status
  return {
    runId: run.id,
    threadId: run.threadId,
    assistantId: run.assistantId ?? run.route,
    status,
    metadata: run.metadata,
    multitaskStrategy: run.options.multitaskStrategy ?? null,
    cancelReason: run.cancelAction,
    createdAt: run.createdAt,
    updatedAt: run.updatedAt,
  }
}

/**
 * The LangGraph API's background runs: rows of the runs table executed by
 * the run queue (in `serve` with the sync driver, in `langvel queue:work`
 * with bullmq), so every instance lists, joins, cancels and re-attaches to
 * them alike. Their events come from the run event log, after a
 * Last-Event-ID; their thread is the stored thread they were created on.
 *
 * @example
 * const { run, created } = await background.dispatch({ route, threadId, input, principal })
 */
export class BackgroundRuns {
  constructor(
    private readonly service: () => RunService,
    private readonly live: LiveRuns,
    private readonly threads: ThreadStore,
  ) {}

  get runs(): RunService {
    return this.service()
  }

  /** The run this principal created with the idempotency key, if any. */
  async existing(principal: Principal | undefined, key: string): Promise<QueuedRun | undefined> {
    return this.runs.store.byIdempotencyKey(principal ? `${principal.type}:${principal.id}` : '', key)
  }

  dispatch(run: NewRun): Promise<{ run: QueuedRun; created: boolean }> {
    return this.runs.dispatch(run)
  }

  /**
   * Makes room on the thread as the multitask strategy says: `reject` (the
   * default) refuses a thread that is busy or has a background run not
   * ended yet (E_THREAD_BUSY), and otherwise takes the thread for the new
   * run at once (answering its hold, `run:<runId>`), so of two runs created
   * together only one gets it; `enqueue` leaves the new run to wait for the
   * thread; `interrupt` and `rollback` cancel the runs on it first.
   */
  async admit(thread: ThreadRecord, strategy: 'reject' | 'interrupt' | 'rollback' | 'enqueue', staleAfterMs: number, runId: string): Promise<string | undefined> {
    if (strategy === 'enqueue') return undefined
    const active = await this.runs.store.list({ threadId: thread.threadId, status: ['pending', 'running'] })
    if (strategy === 'reject') {
      // A thread busy long past its timeout was left by a process that died: acquire takes it over.
      const hold = active.length === 0 ? await this.threads.acquire(thread.threadId, Date.now() - staleAfterMs, backgroundHolder(runId)) : undefined
      if (!hold) throw new E_THREAD_BUSY(thread.threadId)
      return hold
    }
    for (const run of active) await this.cancel(run, strategy)
    // A run of the thread that waits or streams in this process.
    for (const live of this.live.ofThread(thread.threadId)) live.cancel(strategy)
    return undefined
  }

  /**
   * Before the thread is deleted: its runs waiting to start are cancelled
   * (letting the thread go when one holds it); none when one is running
   * (E_THREAD_BUSY: the thread cannot be deleted now).
   */
  async cancelPending(threadId: string): Promise<void> {
    const active = await this.runs.store.list({ threadId, status: ['pending', 'running'] })
    if (active.some((run) => run.status === 'running')) throw new E_THREAD_BUSY(threadId)
    for (const run of active) await this.cancel(run, 'interrupt')
  }

  /** The thread was deleted: every run of it (all ended now) is forgotten; one that slipped in meanwhile is cancelled first. */
  async forgetThread(threadId: string): Promise<void> {
    for (const run of await this.runs.store.list({ threadId, status: ['pending', 'running'] })) await this.cancel(run, 'interrupt')
    await this.runs.store.deleteEnded(threadId)
  }

  /** The thread's run with this id, if it is a background run. */
  async get(threadId: string, runId: string): Promise<QueuedRun | undefined> {
    const run = await this.runs.store.get(runId)
    return run && run.threadId === threadId ? run : undefined
  }

  /** The thread's background runs, newest first, as the protocol lists them. */
  async list(threadId: string, options: RunListOptions): Promise<RunRecord[]> {
    const runs = await this.runs.store.list({ threadId, limit: options.limit + options.offset, ...(options.status ? { status: QUEUED_STATUSES[options.status] } : {}) })
    return runs.map(protocolRun)
  }

  /** Stops a run that has not ended; one that has is left as it is. */
  async cancel(run: QueuedRun, action: CancelAction): Promise<void> {
    try {
      await this.runs.cancel(run.id, action)
    } catch (error) {
      if (!(isException(error) && error.code === 'E_RUN_STATE')) throw error
    }
  }

  /** Resolves with the run once it has ended and its thread was let go (undefined when it was rolled back and forgotten), or when the client leaves. */
  async ended(ctx: HttpContext, runId: string): Promise<QueuedRun | undefined> {
    let delay = POLL_MS
    for (;;) {
      const run = await this.runs.store.get(runId)
      if (!run || ctx.clientSignal.aborted || (await this.settled(run))) return run
      await pause(delay, ctx.clientSignal)
      delay = Math.min(delay * 2, MAX_POLL_MS)
    }
  }

  /** Ended and its thread let go (a run's end is recorded before its thread is); a thread never let go is not waited for long. */
  private async settled(run: QueuedRun): Promise<boolean> {
    if (!FINAL_RUN_STATUSES.includes(run.status)) return false
    if (!run.options.storedThread || Date.now() - (run.endedAt ?? 0) > RELEASE_WAIT_MS) return true
    return !(await this.threads.heldBy(run.threadId, backgroundHolder(run.id)))
  }

  /**
   * Answers the run's events as Server-Sent Events from the run event log
   * (any instance): after the client's Last-Event-ID, then live until the
   * run ends. Interrupts are sent as LangGraph streams them.
   */
  async stream(ctx: HttpContext, run: QueuedRun, heartbeatSeconds: number): Promise<void> {
    const events = this.runs.events
    if (!events) throw new E_RUN_STATE(run.id, 'has no event log to stream from')
    const after = lastEventId(ctx.req.headers)
    const watch = watchRunEnd(this.runs.store, run.id, ctx.clientSignal)
    try {
      await streamRunEvents(ctx.res, events, run.id, { after, heartbeatSeconds, follow: eventsMayFollow(run), signal: watch.signal, present: protocolFrames(run.options.streamModes ?? ['values']) })
    } finally {
      watch.stop()
    }
  }
}

/**
 * Stored events as the protocol streams them: `metadata` as `{ run_id,
 * attempt }`, an interrupt as `values` and `updates` with `__interrupt__`
 * (those of the two the run streams; the values are the last ones this
 * stream sent), no `end` (the stream ends); the rest as stored.
 */
function protocolFrames(modes: readonly string[]): (event: RunEvent) => Array<{ event: string; data: unknown }> {
  let values: Record<string, unknown> = {}
  return (event) => {
    switch (event.event) {
      case 'metadata': {
        const data = event.data as { run_id?: string; attempt?: number }
        return [{ event: 'metadata', data: { run_id: data.run_id, attempt: data.attempt } }]
      }
      case 'values':
        values = (event.data ?? {}) as Record<string, unknown>
        return [event]
      case 'interrupt': {
        const { interrupts } = event.data as { interrupts: unknown[] }
        return [
          ...(modes.includes('values') ? [{ event: 'values', data: { ...values, __interrupt__: interrupts } }] : []),
          ...(modes.includes('updates') ? [{ event: 'updates', data: { __interrupt__: interrupts } }] : []),
        ]
      }
      case 'end':
        return []
      default:
        return [event]
    }
  }
}
