import { z } from 'zod'
import { E_NOT_FOUND, E_VALIDATION } from '../errors'
import type { HttpContext } from '../http/context'
import { SseStream } from '../http/sse_stream'
import type { RunRecord as QueuedRun } from '../queue/run_store'
import { protocolRun, type BackgroundRuns } from './background_runs'
import type { LiveRuns } from './live_runs'
import { parseBody, queryFlag } from './request'
import { isFinished, RUN_STATUSES, type RunRecord, type RunStore } from './run_store'
import type { ThreadGate } from './thread_gate'

const LIST_QUERY = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(10),
  offset: z.coerce.number().int().min(0).default(0),
  status: z.enum(RUN_STATUSES).optional(),
})
const CANCEL_QUERY = z.object({ action: z.enum(['interrupt', 'rollback']).default('interrupt') })
/** How often a run that runs in another process is looked at while it is joined. */
const POLL_MS = 250

export interface RunResourcesOptions {
  gate: ThreadGate
  runs: RunStore
  live: LiveRuns
  heartbeatSeconds: number
  /** Background runs (the runs table): listed, read, cancelled, joined and streamed from any instance. */
  background?: BackgroundRuns
}

/** A run found through its thread: one that runs in a request (kept by this process) or a background run (the runs table). */
type FoundRun = { run: RunRecord; queued?: undefined } | { run: RunRecord; queued: QueuedRun }

/**
 * The runs of a stored thread as resources: listing, reading, cancelling,
 * joining (waiting for the end) and re-attaching to a run's stream. Every
 * endpoint first opens the thread as its other endpoints do (its owner, its
 * route's middleware): another principal's thread is 404.
 *
 * @example
 * endpoints.add('GET', '/threads/:thread_id/runs/:run_id', controller.show)
 */
export class RunResourcesController {
  constructor(private readonly options: RunResourcesOptions) {}

  list = async (ctx: HttpContext): Promise<void> => {
    const { thread } = await this.options.gate.open(ctx, ctx.params.thread_id)
    const query = parseBody(LIST_QUERY, queryOf(ctx, ['limit', 'offset', 'status']))
    const { background } = this.options
    if (!background) return ctx.json(200, (await this.options.runs.list(thread.threadId, query)).map(presentRun))
    // Both kinds, newest first: each asked for as many as the page could need.
    const wide = { ...query, limit: query.limit + query.offset, offset: 0 }
    const [held, queued] = await Promise.all([this.options.runs.list(thread.threadId, wide), background.list(thread.threadId, query)])
    const runs = [...held, ...queued].sort((a, b) => b.createdAt - a.createdAt || (a.runId < b.runId ? 1 : -1))
    ctx.json(200, runs.slice(query.offset, query.offset + query.limit).map(presentRun))
  }

  show = async (ctx: HttpContext): Promise<void> => {
    ctx.json(200, presentRun((await this.find(ctx)).run))
  }

  /** Stops a pending or running run (`action=rollback` also takes its thread back to where the run started); a finished run is left as it is. */
  cancel = async (ctx: HttpContext): Promise<void> => {
    const { run, queued } = await this.find(ctx)
    const { action } = parseBody(CANCEL_QUERY, queryOf(ctx, ['action']))
    const wait = queryFlag(ctx, 'wait')
    const background = this.options.background
    if (queued && background) {
      // Reaches the process running it, whichever it is; a run that ended is left as it is.
      await background.cancel(queued, action)
      if (wait) await background.ended(ctx, queued.id)
      ctx.res.statusCode = wait ? 204 : 202
      ctx.res.end()
      return
    }
    const live = this.options.live.get(run.runId)
    if (!isFinished(run.status) && !live) throw new E_NOT_FOUND(`Run ${JSON.stringify(run.runId)} on this server instance (it runs on another one)`)
    if (live) {
      live.cancel(action)
      if (wait) await live.done
    }
    ctx.res.statusCode = wait ? 204 : 202
    ctx.res.end()
  }

  /**
   * Waits for the run to end, then answers its thread's values (with
   * `__interrupt__` when it stopped at interrupts); a run that failed is
   * answered `{ __error__: { error, message } }`, as `runs/wait` answers it.
   */
  join = async (ctx: HttpContext): Promise<void> => {
    const { run, queued } = await this.find(ctx)
    this.cancelOnDisconnect(ctx, run.runId, queued)
    let failed: boolean
    if (queued && this.options.background) {
      const ended = await this.options.background.ended(ctx, queued.id)
      failed = ended?.status === 'error' || ended?.status === 'timeout'
    } else {
      await this.ended(ctx, run)
      failed = (await this.options.runs.get(run.threadId, run.runId))?.status === 'error'
    }
    if (ctx.clientGone) return
    const thread = await this.options.gate.store.get(run.threadId)
    if (failed && thread?.error) {
      const [code, ...message] = thread.error.split(': ')
      ctx.json(200, { __error__: { error: code, message: message.join(': ') || code } })
      return
    }
    const interrupts = Object.values(thread?.interrupts ?? {}).flat()
    ctx.json(200, { ...(thread?.values ?? {}), ...(interrupts.length > 0 ? { __interrupt__: interrupts } : {}) })
  }

  /**
   * Re-attaches to a run in progress in this process: the events it sent
   * that are still buffered after `Last-Event-ID`, then the new ones until
   * it ends. A finished run answers an empty stream.
   */
  stream = async (ctx: HttpContext): Promise<void> => {
    const { run, queued } = await this.find(ctx)
    this.cancelOnDisconnect(ctx, run.runId, queued)
    if (queued && this.options.background) return this.options.background.stream(ctx, queued, this.options.heartbeatSeconds)
    const sse = new SseStream(ctx.res, { heartbeatSeconds: this.options.heartbeatSeconds })
    sse.open()
    try {
      const live = this.options.live.get(run.runId)
      if (live) {
        for await (const event of live.follow(lastEventId(ctx), ctx.clientSignal)) await sse.send(event.event, event.data, event.id)
      } else {
        await this.ended(ctx, run)
      }
    } finally {
      sse.close()
    }
  }

  /**
   * Forgets a finished run (its record only: the checkpoints it made stay in
   * the thread's history); a pending or running one is refused (cancel it first).
   */
  destroy = async (ctx: HttpContext): Promise<void> => {
    const { run, queued } = await this.find(ctx)
    if (!isFinished(run.status)) {
      throw new E_VALIDATION(`Run ${JSON.stringify(run.runId)} has not ended`, {
        details: [{ path: 'run_id', message: `the run is ${run.status}: cancel it (POST /threads/{thread_id}/runs/{run_id}/cancel), then delete it` }],
      })
    }
    if (queued && this.options.background) await this.options.background.runs.store.delete(queued.id)
    else await this.options.runs.delete(run.threadId, run.runId)
    ctx.res.statusCode = 204
    ctx.res.end()
  }

  /**
   * A background run's event stream by its id alone (`GET /runs/{run_id}/stream`,
   * for a run created without a thread): reached through its thread's gate.
   */
  streamById = async (ctx: HttpContext): Promise<void> => {
    const queued = await this.options.background?.runs.store.get(ctx.params.run_id)
    if (!queued) throw new E_NOT_FOUND(`Run ${JSON.stringify(ctx.params.run_id.slice(0, 200))}`)
    ctx.params = { ...ctx.params, thread_id: queued.threadId }
    return this.stream(ctx)
  }

  /** The run, through its thread's gate; E_NOT_FOUND when the thread has no such run. */
  private async find(ctx: HttpContext): Promise<FoundRun> {
    const { thread } = await this.options.gate.open(ctx, ctx.params.thread_id)
    const run = await this.options.runs.get(thread.threadId, ctx.params.run_id)
    if (run) return { run }
    const queued = await this.options.background?.get(thread.threadId, ctx.params.run_id)
    if (queued) return { run: protocolRun(queued), queued }
    throw new E_NOT_FOUND(`Run ${JSON.stringify(ctx.params.run_id.slice(0, 200))}`)
  }

  /** Resolves once the run has ended (or the client left); a run of another process is looked at every so often. */
  private async ended(ctx: HttpContext, run: RunRecord): Promise<void> {
    const live = this.options.live.get(run.runId)
    if (live) {
      await Promise.race([live.done, aborted(ctx.clientSignal)])
      return
    }
    let current: RunRecord | undefined = run
    while (current && !isFinished(current.status) && !ctx.clientSignal.aborted) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS))
      current = await this.options.runs.get(run.threadId, run.runId)
    }
  }

  /** `cancel_on_disconnect=1`: the run is cancelled when this client leaves before it ends. */
  private cancelOnDisconnect(ctx: HttpContext, runId: string, queued?: QueuedRun): void {
    if (!queryFlag(ctx, 'cancel_on_disconnect')) return
    ctx.onClose(() => {
      if (ctx.res.writableFinished) return
      if (queued && this.options.background) {
        this.options.background.cancel(queued, 'interrupt').catch((error: unknown) => ctx.logger.error('could not cancel a background run whose client left', { runId, error }))
      } else {
        this.options.live.get(runId)?.cancel('interrupt')
      }
    })
  }
}

/** A run as the protocol's `Run`. */
export function presentRun(run: RunRecord): Record<string, unknown> {
  return {
    run_id: run.runId,
    thread_id: run.threadId,
    assistant_id: run.assistantId,
    created_at: new Date(run.createdAt).toISOString(),
    updated_at: new Date(run.updatedAt).toISOString(),
    status: run.status,
    metadata: run.metadata,
    multitask_strategy: run.multitaskStrategy,
    cancel_reason: run.cancelReason,
  }
}

function queryOf(ctx: HttpContext, names: string[]): Record<string, string> {
  const query: Record<string, string> = {}
  for (const name of names) {
    const value = ctx.searchParam(name)
    if (value !== null && value !== '') query[name] = value
  }
  return query
}

/** The `Last-Event-ID` a reconnecting client sends: events after it are sent; 0 (all) when absent or not a number. */
function lastEventId(ctx: HttpContext): number {
  const value = Number(ctx.header('last-event-id'))
  return Number.isSafeInteger(value) && value > 0 ? value : 0
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })))
}
