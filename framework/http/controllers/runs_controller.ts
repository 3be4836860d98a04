import { randomUUID } from 'node:crypto'
import { z } from 'zod'
import type { AgentRouteInfo, AgentRunner, RunResult, StreamEvent, StreamMode } from '../../contracts/agent_run'
import { E_ABORTED, E_RUNTIME, E_VALIDATION } from '../../errors'
import { THREAD_ID_PATTERN } from '../agent_path'
import type { HttpContext } from '../context'
import type { ExceptionHandler } from '../exception_handler'
import { presentInterrupts } from '../presenters'
import type { RunSupervisor } from '../run_supervisor'
import type { RunOutcome } from '../../observability/metrics'
import { SseStream } from '../sse_stream'
import { toPlainValues } from '../../agents/plain_values'
import type { ThreadAccess } from '../thread_access'

export interface RunsControllerOptions {
  runner: AgentRunner
  supervisor: RunSupervisor
  exceptionHandler: ExceptionHandler
  heartbeatSeconds: number
  /** How long a cancelled stream's generator may take to unwind before its slot is released. */
  abortGraceMs?: number
  /** Thread ownership; every thread is open without it. */
  threads?: ThreadAccess
}

const STREAM_MODES = ['values', 'updates', 'messages', 'custom'] as const
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

/** Field-level problems in the `details` of E_VALIDATION, shaped as the agents layer shapes them: `{ path, message }`. */
export function validationDetails(issues: readonly z.core.$ZodIssue[]) {
  return issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }))
}

function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const result = schema.safeParse(body)
  if (!result.success) throw new E_VALIDATION('The request body is invalid', { details: validationDetails(result.error.issues) })
  return result.data
}

/** A finished invoke or resume: interrupted when it stopped at an interrupt. */
function runOutcome(result: RunResult): RunOutcome {
  return result.interrupts.length > 0 ? 'interrupted' : 'success'
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
    // The supervisor bounds the run (deadline, disconnect, drain) and races its abort: the runner adds nothing on top.
    const runOptions = { threadId, context: ctx.requestContext(), supervised: true }
    if (this.wantsStream(ctx, body.stream)) {
      try {
        this.checkInput(route, body.input)
      } catch (error) {
        throw this.options.supervisor.refused(ctx, route, error)
      }
      const modes = modesOf(body.stream_mode)
      return this.stream(ctx, route, threadId, modes, (signal) => runner.stream(route.path, body.input, { ...runOptions, signal, modes }))
    }
    const result = await this.options.supervisor.supervise(ctx, route, (signal) => runner.invoke(route.path, body.input, { ...runOptions, signal }), {
      outcome: runOutcome,
    })
    this.respond(ctx, route, result)
  }

  resume = async (ctx: HttpContext): Promise<void> => {
    const route = this.routeOf(ctx)
    const body = parseBody(RESUME_BODY, ctx.body)
    const threadId = ctx.params.thread_id
    await this.options.threads?.assertCanAccess(threadId, ctx.principal)
    const runner = this.options.runner
    const runOptions = { context: ctx.requestContext(), supervised: true }
    if (this.wantsStream(ctx, body.stream) && runner.resumeStream) {
      const resumeStream = runner.resumeStream.bind(runner)
      const modes = modesOf(body.stream_mode)
      return this.stream(ctx, route, threadId, modes, (signal) => resumeStream(route.path, threadId, body.value, { ...runOptions, signal, modes }))
    }
    const result = await this.options.supervisor.supervise(ctx, route, (signal) => runner.resume(route.path, threadId, body.value, { ...runOptions, signal }), {
      outcome: runOutcome,
    })
    this.respond(ctx, route, result)
  }

  private routeOf(ctx: HttpContext): AgentRouteInfo {
    if (!ctx.agent) throw new E_RUNTIME('agent route missing from the request context')
    return ctx.agent
  }

  private wantsStream(ctx: HttpContext, stream: boolean | undefined): boolean {
    return stream ?? (ctx.header('accept') ?? '').includes('text/event-stream')
  }

  /** Streams answer 200 before the run starts, so input is checked against the route's schema first. */
  private checkInput(route: AgentRouteInfo, input: unknown): void {
    if (!route.inputSchema) return
    const result = route.inputSchema.safeParse(input)
    if (!result.success) {
      // The same message and details the agent runner gives for invalid input, paths relative to `input`.
      const details = validationDetails(result.error.issues)
      throw new E_VALIDATION(`Invalid input: ${details.map((d) => (d.path ? `${d.path}: ${d.message}` : d.message)).join('; ')}`, { details })
    }
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

  private async stream(
    ctx: HttpContext,
    route: AgentRouteInfo,
    threadId: string,
    modes: StreamMode[],
    start: (signal: AbortSignal) => AsyncIterable<StreamEvent>,
  ): Promise<void> {
    const agentPath = ctx.params.path
    await this.options.supervisor.supervise(
      ctx,
      route,
      async (signal) => {
        const sse = new SseStream(ctx.res, { heartbeatSeconds: this.options.heartbeatSeconds })
        sse.open()
        let status: StreamStatus = 'completed'
        let reason: unknown
        let iterator: AsyncIterator<StreamEvent> | undefined
        try {
          await sse.send('metadata', { agent: route.agent, path: route.path, thread_id: threadId, trace_id: ctx.traceId, request_id: ctx.requestId, stream_mode: modes })
          iterator = start(signal)[Symbol.asyncIterator]()
          for (;;) {
            const step = await nextOrAbort(iterator, signal)
            if (step.done) break
            const event = step.value
            if (event.event === 'interrupt') {
              status = 'interrupted'
              await sse.send('interrupt', { thread_id: threadId, interrupts: presentInterrupts(agentPath, threadId, event.data) })
            } else {
              await sse.send(event.event, eventData(event))
            }
          }
        } catch (error) {
          reason = signal.aborted ? signal.reason : error
          status = ctx.clientSignal.aborted ? 'cancelled' : 'error'
          if (status === 'error') {
            const rendered = this.options.exceptionHandler.render(reason, ctx.traceId)
            ctx.error = { code: rendered.body.error.code, status: rendered.status }
            this.options.exceptionHandler.report(reason, ctx, rendered.status)
            await sse.send('error', rendered.body.error)
          }
        }
        await sse.send('end', { thread_id: threadId, status, duration_ms: Math.round((performance.now() - ctx.startedAt) * 100) / 100 })
        sse.close()
        // The slot is held until the generator has unwound (its run saw the abort), within a bound.
        if (iterator?.return && reason !== undefined) await settleWithin(iterator.return(), this.options.abortGraceMs ?? 5000)
        return { status, reason }
      },
      {
        race: false,
        outcome: ({ status, reason }) => {
          if (status === 'completed') return 'success'
          if (status === 'interrupted') return 'interrupted'
          if (status === 'cancelled') return 'cancelled'
          const code = (reason as { code?: string } | undefined)?.code
          return code === 'E_TIMEOUT' ? 'timeout' : code === 'E_ABORTED' || code === 'E_SHUTTING_DOWN' ? 'cancelled' : 'error'
        },
      },
    )
  }
}

function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms)
    promise.then(
      () => {
        clearTimeout(timer)
        resolve()
      },
      () => {
        clearTimeout(timer)
        resolve()
      },
    )
  })
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

/** The next stream item, or the abort reason as soon as the signal fires (a node may be mid-flight). */
function nextOrAbort<T>(iterator: AsyncIterator<T>, signal: AbortSignal): Promise<IteratorResult<T>> {
  if (signal.aborted) return Promise.reject(signal.reason ?? new E_ABORTED('aborted'))
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason ?? new E_ABORTED('aborted'))
    signal.addEventListener('abort', onAbort, { once: true })
    iterator.next().then(
      (step) => {
        signal.removeEventListener('abort', onAbort)
        resolve(step)
      },
      (error) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}
