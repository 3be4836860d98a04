import type { RunEventLog } from '../contracts/run_events'
import type { Logger } from '../logger'
import type { WebhookSender } from '../webhooks/webhook_sender'
import { FINAL_RUN_STATUSES, type RunRecord, type RunStore } from './run_store'

/**
 * The stored threads of background runs (the LangGraph API's `threads`
 * table): a run holds its thread while it runs, and its values and status
 * are recorded when it ends. Implemented by framework/langgraph_api.
 */
export interface RunThreads {
  /**
   * Takes the run's thread before an attempt runs, waiting while another run
   * holds it (at most the route's timeout: E_THREAD_BUSY), until `signal`
   * aborts. The hold is kept fresh while the attempt runs, until `stop()`.
   */
  take(run: RunRecord, signal: AbortSignal): Promise<{ stop(): void }>
  /** True while the run still holds its thread. */
  holds(run: RunRecord): Promise<boolean>
  /** Drops what this process kept for the run's attempt (where it started). */
  forget?(runId: string): void
  /**
   * Lets the thread go once the run has ended (`ended`, as recorded): its
   * values and status recorded, or taken back to where the run started for a
   * run cancelled with `rollback` (whose record is then deleted).
   */
  release(run: RunRecord, ended: RunRecord): Promise<void>
}

export interface RunEndingsOptions {
  store: RunStore
  /** Where the run's events go (every process reading them sees the end). */
  events?: () => RunEventLog
  /** Made on first use: WEBHOOK_SECRET is checked when a run with a webhook ends. */
  webhooks?: () => WebhookSender
  threads?: RunThreads
  logger?: Logger
}

/**
 * What happens once a background run has ended, whoever ended it (the
 * worker that ran it, a cancel of a run that never started, a job the
 * queue gave up on): its stored thread is let go, its event log gets an
 * `end` event and is closed, and its webhook is sent, signed. Each step's
 * failure is logged; none undoes the run's recorded end.
 *
 * @example
 * await endings.ended(run)
 */
export class RunEndings {
  constructor(private readonly options: RunEndingsOptions) {}

  /** The run's stored thread is taken before an attempt (no-op for a run on a plain checkpointer thread). */
  async take(run: RunRecord, signal: AbortSignal): Promise<{ stop(): void } | undefined> {
    if (run.options.storedThread && this.options.threads) return this.options.threads.take(run, signal)
    return undefined
  }

  forget(runId: string): void {
    this.options.threads?.forget?.(runId)
  }

  /**
   * A run found ended that may not have been settled (its process died
   * between recording the end and the rest, or it was cancelled while
   * nothing ran it): settled now when it still holds its thread or its
   * event log has no `end`.
   */
  async settleLeftover(run: RunRecord): Promise<void> {
    const threads = this.options.threads
    const held = run.options.storedThread && threads ? await threads.holds(run).catch(() => false) : false
    if (held || !(await this.endLogged(run.id))) await this.ended(run)
  }

  /** True when the run's event log has its `end` (or cannot say: nothing is done then). */
  private async endLogged(runId: string): Promise<boolean> {
    const events = this.options.events?.()
    if (!events) return true
    try {
      let last: string | undefined
      for await (const event of events.read(runId, { follow: false })) last = event.event
      return last === 'end'
    } catch {
      return true
    }
  }

  async ended(run: RunRecord): Promise<void> {
    const { store, logger } = this.options
    const ended = await store.get(run.id)
    if (!ended) return
    const report = (step: string) => (error: unknown) => logger?.error(`background run ended, but ${step} failed`, { runId: run.id, error })
    if (run.options.storedThread && this.options.threads) await this.options.threads.release(run, ended).catch(report('letting its thread go'))
    // Rolled back: the run is forgotten, as if it had never run.
    if (ended.status === 'cancelled' && ended.cancelAction === 'rollback') await store.delete(run.id).catch(report('deleting its record'))
    const events = this.options.events?.()
    if (events) {
      const data = { status: ended.status, ...(ended.errorCode ? { error: { code: ended.errorCode, message: ended.error ?? ended.errorCode } } : {}) }
      await events
        .append(run.id, { event: 'end', data })
        .catch((error: unknown) => ((error as { code?: string }).code === 'E_RUN_ENDED' ? undefined : report('appending its end event')(error)))
      await events.end(run.id).catch(report('ending its event log'))
    }
    if (ended.webhook && this.options.webhooks) {
      try {
        void this.options.webhooks().send(ended.webhook, webhookPayload(ended))
      } catch (error) {
        report('sending its webhook')(error)
      }
    }
  }
}

/** How long after a run's recorded end its last events (`end`) may still be appended. */
const END_EVENTS_GRACE_MS = 30_000

/**
 * True while a run's events may still come: it has not ended, or it ended
 * moments ago (its `end` event follows its recorded end). A stream of a run
 * that ended before that sends what is kept and ends, instead of waiting
 * for events that will never come.
 */
export function eventsMayFollow(run: RunRecord, now = Date.now()): boolean {
  return run.endedAt === null || !FINAL_RUN_STATUSES.includes(run.status) || now - run.endedAt < END_EVENTS_GRACE_MS
}

/**
 * A signal that aborts once the run's events cannot come any more (it ended
 * a while ago, or is gone) or `client` aborts, looked at every `everyMs`:
 * a stream that follows a run whose end event was never written (its
 * process died first) stops instead of waiting for it. `stop()` ends the watch.
 *
 * @example
 * const watch = watchRunEnd(store, run.id, ctx.clientSignal)
 * try { await streamRunEvents(res, log, run.id, { signal: watch.signal, ... }) } finally { watch.stop() }
 */
export function watchRunEnd(store: RunStore, runId: string, client: AbortSignal, everyMs = 5000): { signal: AbortSignal; stop(): void } {
  const stopped = new AbortController()
  const stop = () => {
    clearInterval(timer)
    client.removeEventListener('abort', stop)
    stopped.abort()
  }
  const timer = setInterval(() => {
    store.get(runId).then(
      (run) => {
        if (run === undefined || !eventsMayFollow(run)) stop()
      },
      () => undefined,
    )
  }, everyMs)
  timer.unref()
  if (client.aborted) stop()
  else client.addEventListener('abort', stop, { once: true })
  return { signal: stopped.signal, stop }
}

/** What a run's webhook carries: the run as it ended. */
export function webhookPayload(run: RunRecord): Record<string, unknown> {
  const time = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())
  return {
    run_id: run.id,
    thread_id: run.threadId,
    assistant_id: run.assistantId,
    route: run.route,
    status: run.status,
    attempts: run.attempts,
    metadata: run.metadata,
    output: run.output,
    error: run.errorCode ? { code: run.errorCode, message: run.error ?? run.errorCode } : null,
    created_at: time(run.createdAt),
    started_at: time(run.startedAt),
    ended_at: time(run.endedAt),
  }
}
