import type { AgentRouteInfo, RunResult } from '../../contracts/agent_run'
import type { RequestContext } from '../../contracts/request_context'
import { E_ABORTED, E_FORBIDDEN } from '../../errors'
import { compose, type HttpMiddleware } from '../../http/compose'
import type { HttpContext } from '../../http/context'
import type { ErrorBody, ExceptionHandler } from '../../http/exception_handler'
import { resultOutcome, type RunSupervisor } from '../../http/run_supervisor'
import type { ThreadAccess } from '../../http/thread_access'
import type { AgentCallHost, RunBoundsOptions } from './call_host'

/** What every MCP request of one server shares. */
export interface HttpCallRules {
  /** Each route's request-stage middleware (auth, can, throttle, the application's), built once, by route path. */
  guards: ReadonlyMap<string, readonly HttpMiddleware[]>
  supervisor: RunSupervisor
  exceptionHandler: ExceptionHandler
  threads?: ThreadAccess
}

/**
 * The host of one MCP request on `langvel serve`. The caller is the
 * request's principal (set by the endpoint's middleware, `auth` by default).
 * A tool call first goes through its route's request-stage middleware, on
 * this request, as `POST /agents/<path>` would: `can:<permission>` refuses a
 * principal without it, `throttle` counts on the route's own counter, a route
 * with `auth:api_key` refuses a JWT. Runs then go through the server's
 * RunSupervisor: a concurrency slot, the route's deadline, one metric per
 * run, and cancellation when the client disconnects or the server drains.
 *
 * @example
 * const host = new HttpCallHost(ctx, rules)
 * const server = createAgentMcpServer({ runner, catalog, host, info })
 */
export class HttpCallHost implements AgentCallHost {
  readonly threads?: ThreadAccess
  /** Guards of one request run one after another: each sees the request as its route's (`ctx.agent`). */
  private admitted: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly ctx: HttpContext,
    private readonly rules: HttpCallRules,
  ) {
    this.threads = rules.threads
  }

  admit(route: AgentRouteInfo): Promise<RequestContext> {
    const turn = this.admitted.then(() => this.guard(route))
    this.admitted = turn.catch(() => undefined)
    return turn
  }

  run(route: AgentRouteInfo, signal: AbortSignal, start: (bounds: RunBoundsOptions) => Promise<RunResult>): Promise<RunResult> {
    return this.rules.supervisor.supervise(
      this.ctx,
      route,
      async (deadline) => {
        const cancel = () => deadline.stop(new E_ABORTED('cancelled by the MCP client'))
        if (signal.aborted) cancel()
        else signal.addEventListener('abort', cancel, { once: true })
        try {
          return await start({ deadline })
        } finally {
          signal.removeEventListener('abort', cancel)
        }
      },
      resultOutcome,
    )
  }

  fail(error: unknown): ErrorBody['error'] {
    const handler = this.rules.exceptionHandler
    const rendered = handler.render(error, this.ctx.traceId || this.ctx.requestId)
    handler.report(error, this.ctx, rendered.status)
    return rendered.body.error
  }

  /** The route's request-stage middleware on this request; the context is read once they let it through. */
  private async guard(route: AgentRouteInfo): Promise<RequestContext> {
    const ctx = this.ctx
    const previous = ctx.agent
    let through = false
    ctx.agent = route
    try {
      await compose(this.rules.guards.get(route.path) ?? [], () => {
        through = true
      })(ctx)
    } finally {
      ctx.agent = previous
    }
    // A middleware refuses by throwing; one that answered the request itself cannot be told to an MCP client.
    if (!through) throw new E_FORBIDDEN()
    return ctx.requestContext()
  }
}
