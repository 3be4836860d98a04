import type { AgentRouteInfo, RunOptions, RunResult } from '../../contracts/agent_run'
import type { RequestContext } from '../../contracts/request_context'
import type { ErrorBody, ExceptionHandler } from '../../http/exception_handler'
import type { ThreadAccess } from '../../http/thread_access'
import type { Logger } from '../../logger'

/** What bounds one run: the runner's own deadline from a signal, or a deadline the host keeps. */
export type RunBoundsOptions = Pick<RunOptions, 'signal' | 'deadline'>

/**
 * Where the tool calls of one MCP connection come from, and the rules they
 * run under. The tools are the same everywhere; the host decides who calls
 * and what guards a call: over HTTP the request's principal, the route's
 * request-stage middleware and the server's run supervisor; over stdio the
 * local operator, as for `langvel agent:run`.
 */
export interface AgentCallHost {
  /** Thread ownership; every thread is open without it. */
  readonly threads?: ThreadAccess
  /** Lets a call of `route`'s tool through, or throws why not; resolves to the context its run gets. */
  admit(route: AgentRouteInfo): Promise<RequestContext>
  /** Runs one agent run; `signal` is the MCP request's (client cancellation, the connection closing). */
  run(route: AgentRouteInfo, signal: AbortSignal, start: (bounds: RunBoundsOptions) => Promise<RunResult>): Promise<RunResult>
  /** Reports a refused or failed call where the host reports errors, and renders what the client sees of it. */
  fail(error: unknown, context?: RequestContext): ErrorBody['error']
}

export interface LocalCallHostOptions {
  /** The context of every run: the local operator, as CLI runs have it. */
  context: () => RequestContext
  exceptionHandler: ExceptionHandler
  logger: Logger
}

/**
 * The host of `langvel mcp:serve`: the client is the local operator who
 * started the process, as for the CLI's agent commands. Request-stage
 * middleware (auth, can, throttle) do not apply, runs have no owner checks,
 * and each run is bounded by its route's timeout and the MCP request's signal.
 *
 * @example
 * const host = new LocalCallHost({ context: cliContext, exceptionHandler, logger })
 */
export class LocalCallHost implements AgentCallHost {
  constructor(private readonly options: LocalCallHostOptions) {}

  async admit(): Promise<RequestContext> {
    return this.options.context()
  }

  run(_route: AgentRouteInfo, signal: AbortSignal, start: (bounds: RunBoundsOptions) => Promise<RunResult>): Promise<RunResult> {
    return start({ signal })
  }

  fail(error: unknown, context?: RequestContext): ErrorBody['error'] {
    const traceId = (context ?? this.options.context()).traceId
    const rendered = this.options.exceptionHandler.render(error, traceId)
    if (rendered.status >= 500) {
      this.options.logger.error('MCP tool call failed', { traceId, error: error instanceof Error ? error : new Error(String(error)) })
    }
    return rendered.body.error
  }
}
