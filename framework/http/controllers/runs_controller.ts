import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import type { AgentRouteInfo, AgentRunner, RunOptions, RunResult, StreamEvent, StreamMode } from '../../contracts/agent_run'
import type { RunDeadline } from '../../agents/run_deadline'
import { toPlainValues } from '../../agents/plain_values'
import { E_RUNTIME, E_VALIDATION } from '../../errors'
import type { RunOutcome } from '../../observability/metrics'
import { THREAD_ID_PATTERN } from '../agent_path'
import type { HttpContext } from '../context'
import type { ExceptionHandler } from '../exception_handler'
import { presentInterrupts } from '../presenters'
import { outcomeOf, resultOutcome, type RunSupervisor } from '../run_supervisor'
import { SseStream } from '../sse_stream'
import type { ThreadAccess } from '../thread_access'

export interface RunsControllerOptions {
  runner: AgentRunner
  supervisor: RunSupervisor
  exceptionHandler: ExceptionHandler
  heartbeatSeconds: number
  /** Thread ownership; every thread is open without it. */
  threads?: ThreadAccess
}

export const STREAM_MODES = ['values', 'updates', 'messages', 'custom'] as const
const required = (what: string) => z.unknown().refine((value) => value !== undefined, `${what} is required`)
const streamFields = {
  stream: z.boolean().optional(),
  stream_mode: z.union([z.enum(STREAM_MODES), z.array(z.enum(STREAM_MODES)).min(1)]).optional(),
}
const RUN_BODY = z.object({
  input: required('input'),
  config: z.looseObject({ thread_id: z.string().regex(THREAD_ID_PATTERN, 'must be 1-128 of A-Z a-z 0-9 . _ : -').optional() }).optional(),
  ...streamFields,
})
const RESUME_BODY = z.object({ value: required('value'), ...streamFields })

type StreamStatus = 'completed' | 'interrupted' | 'error' | 'cancelled'

/** How a stream ended: the status its `end` event reports, and the error when it did not complete. */
interface StreamEnd {
  status: StreamStatus
  reason?: unknown
}

/** A streamed run's metric outcome. */
function streamOutcome(end: StreamEnd): RunOutcome {
  if (end.status === 'completed') return 'success'
  if (end.status === 'interrupted') return 'interrupted'
  return outcomeOf(end.reason)
}

/** Field-level problems in the `details` of E_VALIDATION, shaped as the agents layer shapes them: `{ path, message }`. */
export function validationDetails(issues: readonly z.core.$ZodIssue[]) {
  return issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }))
}

function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const result = schema.safeParse(body)
  if (!result.success) throw new E_VALIDATION('The request body is invalid', { details: validationDetails(result.error.issues) })
  return result.data
}

/**
 * Runs agents over HTTP: `POST /agents/{path}` and
 * `POST /agents/{path}/threads/{id}/resume`, answered as JSON or, with
 * `stream: true` or `Accept: text/event-stream`, as Server-Sent Events. Every
 * run goes through the RunSupervisor (slot, deadline, cancellation).
 *
 * @example
 * kernel.route('POST', '/agents/echo', controller.invoke)
 */
export class RunsController {
  constructor(private readonly options: RunsControllerOptions) {}

  invoke = async (ctx: HttpContext): Promise<void> => {
    const route = this.routeOf(ctx)
    const body = parseBody(RUN_BODY, ctx.body)
    const threadId = body.config?.thread_id ?? randomUUID()
    await this.options.threads?.claim(threadId, ctx.principal, { fresh: body.config?.thread_id === undefined })
    const runner = this.options.runner
    const options = (deadline: RunDeadline): RunOptions => ({ threadId, context: ctx.requestContext(), deadline })
    if (this.wantsStream(ctx, body.stream)) {
      const modes = modesOf(body.stream_mode)
      return this.stream(ctx, route, threadId, modes, (deadline) => runner.stream(route.path, body.input, { ...options(deadline), modes }))
    }
    const result = await this.options.supervisor.supervise(ctx, route, (deadline) => runner.invoke(route.path, body.input, options(deadline)), resultOutcome)
    this.respond(ctx, route, result)
  }

  resume = async (ctx: HttpContext): Promise<void> => {
    const route = this.routeOf(ctx)
    const body = parseBody(RESUME_BODY, ctx.body)
    const threadId = ctx.params.thread_id
    await this.options.threads?.assertCanAccess(threadId, ctx.principal)
    const runner = this.options.runner
    const options = (deadline: RunDeadline): RunOptions => ({ context: ctx.requestContext(), deadline })
    if (this.wantsStream(ctx, body.stream) && runner.resumeStream) {
      const resumeStream = runner.resumeStream.bind(runner)
      const modes = modesOf(body.stream_mode)
      return this.stream(ctx, route, threadId, modes, (deadline) => resumeStream(route.path, threadId, body.value, { ...options(deadline), modes }))
    }
    const result = await this.options.supervisor.supervise(ctx, route, (deadline) => runner.resume(route.path, threadId, body.value, options(deadline)), resultOutcome)
    this.respond(ctx, route, result)
  }

  private routeOf(ctx: HttpContext): AgentRouteInfo {
    if (!ctx.agent) throw new E_RUNTIME('agent route missing from the request context')
    return ctx.agent
  }

  private wantsStream(ctx: HttpContext, stream: boolean | undefined): boolean {
    return stream ?? (ctx.header('accept') ?? '').includes('text/event-stream')
  }

  private respond(ctx: HttpContext, route: AgentRouteInfo, result: RunResult): void {
    const agentPath = ctx.params.path
    ctx.json(200, {
      output: toPlainValues(result.output),
      thread_id: result.threadId,
      interrupts: presentInterrupts(agentPath, result.threadId, result.interrupts),
      metadata: {
        agent: route.agent,
        path: route.path,
        trace_id: ctx.traceId,
        duration_ms: Math.round((performance.now() - ctx.startedAt) * 100) / 100,
      },
    })
  }

  /**
   * Answers a run as Server-Sent Events. The run is started first: a refusal
   * (invalid input, a middleware saying no, an unknown thread) is an ordinary
   * error response. Once it is accepted the stream opens and the `metadata`
   * event goes out at once, before the graph's first step; errors after that
   * are `error` events, and `end` always closes the stream.
   */
  private async stream(
    ctx: HttpContext,
    route: AgentRouteInfo,
    threadId: string,
    modes: StreamMode[],
    start: (deadline: RunDeadline) => Promise<AsyncIterable<StreamEvent>>,
  ): Promise<void> {
    const agentPath = ctx.params.path
    await this.options.supervisor.supervise(
      ctx,
      route,
      async (deadline): Promise<StreamEnd> => {
        const events = await start(deadline)
        const sse = new SseStream(ctx.res, { heartbeatSeconds: this.options.heartbeatSeconds })
        sse.open()
        // A client that stopped reading (but kept the connection) would hold the write, and with it the run
        // and its slot, past any deadline: once the run is stopped, such a response is cut off.
        const cutStalled = () => {
          if (ctx.res.writableNeedDrain) ctx.res.destroy()
        }
        deadline.signal.addEventListener('abort', cutStalled, { once: true })
        const end: StreamEnd = { status: 'completed' }
        try {
          await sse.send('metadata', { agent: route.agent, path: route.path, thread_id: threadId, trace_id: ctx.traceId, request_id: ctx.requestId, stream_mode: modes })
          for await (const event of events) {
            if (event.event === 'interrupt') {
              end.status = 'interrupted'
              await sse.send('interrupt', { thread_id: threadId, interrupts: presentInterrupts(agentPath, threadId, event.data) })
            } else {
              await sse.send(event.event, eventData(event))
            }
          }
        } catch (error) {
          end.reason = deadline.reason ?? error
          end.status = ctx.clientSignal.aborted ? 'cancelled' : 'error'
          if (end.status === 'error') {
            const rendered = this.options.exceptionHandler.render(end.reason, ctx.traceId)
            ctx.error = { code: rendered.body.error.code, status: rendered.status }
            this.options.exceptionHandler.report(end.reason, ctx, rendered.status)
            await sse.send('error', rendered.body.error)
          }
        }
        try {
          await sse.send('end', { thread_id: threadId, status: end.status, duration_ms: Math.round((performance.now() - ctx.startedAt) * 100) / 100 })
        } finally {
          deadline.signal.removeEventListener('abort', cutStalled)
          sse.close()
        }
        return end
      },
      streamOutcome,
    )
  }
}

/**
 * What an event's `data:` line carries. `updates` are keyed by the node that
 * wrote them, as LangGraph's updates mode is (`{"prepare":{"query":"hi"}}`),
 * so parallel branches can be told apart; the runner hands the node separately.
 */
function eventData(event: Exclude<StreamEvent, { event: 'interrupt' }>): unknown {
  const data = toPlainValues(event.data)
  return event.event === 'updates' && event.node !== undefined ? { [event.node]: data } : data
}

function modesOf(requested: StreamMode | StreamMode[] | undefined): StreamMode[] {
  if (requested === undefined) return ['values']
  return Array.isArray(requested) ? [...new Set(requested)] : [requested]
}
