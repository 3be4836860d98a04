import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import type { StreamMode } from '../../contracts/agent_run'
import type { Principal } from '../../contracts/request_context'
import type { RunEvent, RunEventLog } from '../../contracts/run_events'
import { ThreadOwnership } from '../../auth/threads/thread_ownership'
import * as errors from '../../errors'
import { E_RUN_NOT_FOUND, E_RUNTIME, E_SERVICE_UNAVAILABLE, E_VALIDATION, Exception, type ErrorCode } from '../../errors'
import type { Logger } from '../../logger'
import { eventsMayFollow, watchRunEnd } from '../../queue/run_endings'
import type { RunService } from '../../queue/run_service'
import { FINAL_RUN_STATUSES, type RunRecord } from '../../queue/run_store'
import { lastEventId, streamRunEvents } from '../../run_events/stream_run_events'
import type { PrivateTargetFilter } from '../../support/address_guard'
import { checkWebhookUrl } from '../../webhooks/webhook_target'
import { THREAD_ID_PATTERN } from '../agent_path'
import type { HttpContext } from '../context'
import type { ExceptionHandler } from '../exception_handler'
import { presentInterrupts } from '../presenters'
import type { ThreadAccess } from '../thread_access'
import { STREAM_MODES, validationDetails } from './runs_controller'
import { pause } from '../../support/backoff'
import { idempotencyKey as requestIdempotencyKey } from '../idempotency_key'

export interface BackgroundRunsControllerOptions {
  /** The runs service (`app.make('runs')`), asked on first use so a server without background runs never builds it. */
  runs: () => RunService
  /** The filter webhook destinations are checked with (`app.make('webhooks').privateTargetFilter`). */
  webhookFilter: () => PrivateTargetFilter
  exceptionHandler: ExceptionHandler
  heartbeatSeconds: number
  logger?: Pick<Logger, 'warn'>
  /** Thread ownership; every thread is open without it. */
  threads?: ThreadAccess
}

const CREATE_BODY = z.object({
  input: z.unknown().refine((value) => value !== undefined, 'input is required'),
  config: z.looseObject({ thread_id: z.string().regex(THREAD_ID_PATTERN, 'must be 1-128 of A-Z a-z 0-9 . _ : -').optional() }).optional(),
  stream_mode: z.union([z.enum(STREAM_MODES), z.array(z.enum(STREAM_MODES)).min(1)]).optional(),
  webhook: z.string().min(1).max(2048).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
})

/** How long a wait sleeps between looks at a run when its event log cannot tell it the end, at most. */
const MAX_POLL_MS = 1000

/** Each error class's status by its code, so a stored run error is shown as the exception handler shows that error. */
const STATUS_OF_CODE = new Map<string, number>(
  Object.values(errors).flatMap((value) => {
    const { code, status } = value as { code?: unknown; status?: unknown }
    return typeof value === 'function' && typeof code === 'string' && typeof status === 'number' ? [[code, status] as const] : []
  }),
)

/**
 * Background runs of an agent route: `POST /agents/{path}/runs` records a
 * run and answers 202 at once; the run executes in the queue (inside serve
 * with the sync driver, in `langvel queue:work` with bullmq) as the
 * principal that created it. The run is then read, cancelled, waited for
 * and streamed (from its event log, resumable with Last-Event-ID) under
 * `/agents/{path}/runs/{run_id}`. Another principal's run, and a run of
 * another route, is 404.
 *
 * @example
 * kernel.route('POST', '/agents/echo/runs', controller.create)
 */
export class BackgroundRunsController {
  constructor(private readonly options: BackgroundRunsControllerOptions) {}

  create = async (ctx: HttpContext): Promise<void> => {
    const route = ctx.agent
    if (!route) throw new E_RUNTIME('agent route missing from the request context')
    const body = CREATE_BODY.safeParse(ctx.body)
    if (!body.success) throw new E_VALIDATION('The request body is invalid', { details: validationDetails(body.error.issues) })
    const { input, config, stream_mode: streamMode, webhook, metadata = {} } = body.data
    const idempotencyKey = requestIdempotencyKey(ctx, metadata.idempotency_key)
    if (idempotencyKey !== undefined && !ctx.principal && config?.thread_id === undefined) {
      // Anonymous keys are one namespace: without a thread to match, a guessed key would hand out another caller's run.
      throw new E_VALIDATION('An idempotency key needs an authenticated caller, or a run on a thread', {
        details: [{ path: 'Idempotency-Key', message: 'authenticate, or send config.thread_id with the key' }],
      })
    }
    if (webhook !== undefined) await checkWebhookUrl(webhook, this.options.webhookFilter(), { logger: this.options.logger })
    const threadId = config?.thread_id ?? randomUUID()
    await this.options.threads?.claim(threadId, ctx.principal, { fresh: config?.thread_id === undefined })
    const { run, created } = await this.options.runs().dispatch({
      route: route.path,
      threadId,
      input,
      principal: ctx.principal ?? null,
      // The run's trace continues the request's.
      metadata: { ...metadata, trace_id: ctx.traceId },
      ...(webhook === undefined ? {} : { webhook }),
      ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
      options: { streamModes: modesOf(streamMode) },
    })
    if (!created && !ctx.principal && run.threadId !== threadId) {
      throw new E_VALIDATION('The idempotency key was already used for a run of another thread', { details: [{ path: 'Idempotency-Key', message: 'use a new key for each run' }] })
    }
    if (!created && !this.sameRoute(ctx, run)) {
      throw new E_VALIDATION('The idempotency key was already used for a run of another agent', {
        details: [{ path: 'Idempotency-Key', message: 'use a new key for each run' }],
      })
    }
    ctx.res.setHeader('Location', runUrl(ctx.params.path, run.id))
    ctx.json(created ? 202 : 200, this.present(ctx, run))
  }

  show = async (ctx: HttpContext): Promise<void> => {
    ctx.json(200, this.present(ctx, await this.find(ctx)))
  }

  /** Cancels a run that has not ended (202); E_RUN_STATE (409) for one that has. */
  cancel = async (ctx: HttpContext): Promise<void> => {
    const run = await this.find(ctx)
    ctx.json(202, this.present(ctx, await this.options.runs().cancel(run.id)))
  }

  /** Waits for the run to end, then answers it as `show` does; stops waiting when the client leaves. */
  wait = async (ctx: HttpContext): Promise<void> => {
    let run = await this.find(ctx)
    const signal = ctx.clientSignal
    if (!ended(run)) await this.untilEnded(run, signal)
    if (signal.aborted) return
    run = await this.options.runs().get(run.id)
    ctx.json(200, this.present(ctx, run))
  }

  /**
   * The run's events as Server-Sent Events, from its event log: all of them,
   * or those after `Last-Event-ID`, then the live ones until the run ends.
   * A run that has ended gets the events still kept.
   */
  stream = async (ctx: HttpContext): Promise<void> => {
    const run = await this.find(ctx)
    const after = lastEventId(ctx.req.headers)
    // A run that ended a while ago gets what is kept of its events, at once; a run whose end never reaches its log stops being followed once it has ended.
    const watch = watchRunEnd(this.options.runs().store, run.id, ctx.clientSignal)
    try {
      await streamRunEvents(ctx.res, this.eventLog(), run.id, {
        after,
        follow: eventsMayFollow(run),
        signal: watch.signal,
        heartbeatSeconds: this.options.heartbeatSeconds,
        present: (event) => this.presentEvent(ctx, run, event),
      })
    } finally {
      watch.stop()
    }
  }

  /** The run of the URL, when it is this route's and the caller's; E_RUN_NOT_FOUND otherwise. */
  private async find(ctx: HttpContext): Promise<RunRecord> {
    const id = ctx.params.run_id
    const run = await this.options.runs().store.get(id)
    if (!run || !this.sameRoute(ctx, run) || !ownedBy(run, ctx.principal)) throw new E_RUN_NOT_FOUND(id)
    return run
  }

  private sameRoute(ctx: HttpContext, run: RunRecord): boolean {
    return ctx.agent !== undefined && run.route === ctx.agent.path
  }

  private eventLog(): RunEventLog {
    const log = this.options.runs().events
    if (!log) throw new E_SERVICE_UNAVAILABLE('The run event log')
    return log
  }

  /** Resolves once the run has ended or `signal` aborts: the run is looked at again and again, less often the longer it runs (no event-log reader is held). */
  private async untilEnded(run: RunRecord, signal: AbortSignal): Promise<void> {
    let delay = 50
    while (!signal.aborted && !ended(await this.options.runs().get(run.id))) {
      await pause(delay, signal)
      delay = Math.min(delay * 2, MAX_POLL_MS)
    }
  }

  /** A run as the API shows it: times as ISO strings, an error as `{ code, message }` with internals hidden as in error responses. */
  private present(ctx: HttpContext, run: RunRecord): Record<string, unknown> {
    const agentPath = ctx.params.path
    const interrupted = run.status === 'interrupted' && isInterruptedOutput(run.output)
    const output = interrupted ? (run.output as InterruptedOutput).values : run.output
    const interrupts = interrupted ? (run.output as InterruptedOutput).interrupts : []
    return {
      run_id: run.id,
      thread_id: run.threadId,
      agent: ctx.agent?.agent,
      path: run.route,
      status: run.status,
      output: output ?? null,
      interrupts: presentInterrupts(agentPath, run.threadId, interrupts),
      error: run.errorCode === null ? null : this.presentError(ctx, run.errorCode, run.error),
      attempts: run.attempts,
      metadata: run.metadata,
      webhook: run.webhook,
      created_at: iso(run.createdAt),
      started_at: iso(run.startedAt),
      ended_at: iso(run.endedAt),
      updated_at: iso(run.updatedAt),
    }
  }

  private presentError(ctx: HttpContext, code: string, message: string | null): { code: string; message: string } {
    const error = new Exception(message ?? code, { code: code as ErrorCode, status: STATUS_OF_CODE.get(code) ?? 500 })
    const rendered = this.options.exceptionHandler.render(error, ctx.traceId).body.error
    return { code: rendered.code, message: rendered.message }
  }

  /** Stored events as the native stream sends them: interrupts with the request that resumes them, errors without internals. */
  private presentEvent(ctx: HttpContext, run: RunRecord, event: RunEvent): Array<{ event: string; data: unknown }> {
    const data = (event.data ?? {}) as Record<string, unknown>
    if (event.event === 'metadata') {
      return [{ event: 'metadata', data: { ...data, agent: ctx.agent?.agent, path: run.route } }]
    }
    if (event.event === 'interrupt') {
      const interrupts = Array.isArray(data.interrupts) ? (data.interrupts as InterruptedOutput['interrupts']) : []
      return [{ event: 'interrupt', data: { thread_id: run.threadId, interrupts: presentInterrupts(ctx.params.path, run.threadId, interrupts) } }]
    }
    if (event.event === 'error') {
      const code = typeof data.error === 'string' ? data.error : 'E_RUNTIME'
      return [{ event: 'error', data: this.presentError(ctx, code, typeof data.message === 'string' ? data.message : null) }]
    }
    if (event.event === 'end') {
      const error = data.error as { code?: string; message?: string } | undefined
      const shown = error?.code ? { error: this.presentError(ctx, error.code, error.message ?? null) } : {}
      return [{ event: 'end', data: { run_id: run.id, thread_id: run.threadId, status: data.status, ...shown } }]
    }
    return [{ event: event.event, data: event.data }]
  }
}

interface InterruptedOutput {
  values: unknown
  interrupts: Array<{ id: string; value: unknown; node?: string }>
}

function isInterruptedOutput(output: unknown): output is InterruptedOutput {
  return typeof output === 'object' && output !== null && Array.isArray((output as { interrupts?: unknown }).interrupts)
}

/** Runs without a principal are open to whoever knows their id; an owned run only to its principal. */
function ownedBy(run: RunRecord, principal: Principal | undefined): boolean {
  if (run.principal === '') return true
  return principal !== undefined && run.principal === ThreadOwnership.ownerOf(principal)
}

function ended(run: RunRecord): boolean {
  return FINAL_RUN_STATUSES.includes(run.status)
}

/** The URL of a background run of an agent route (path without outer slashes). */
export function runUrl(agentPath: string, runId: string): string {
  return `/agents/${agentPath}/runs/${encodeURIComponent(runId)}`
}

function modesOf(requested: StreamMode | StreamMode[] | undefined): StreamMode[] {
  if (requested === undefined) return ['values']
  return Array.isArray(requested) ? [...new Set(requested)] : [requested]
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString()
}
