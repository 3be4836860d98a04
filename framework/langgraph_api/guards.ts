import type { AgentRouteInfo } from '../contracts/agent_run'
import { E_FORBIDDEN } from '../errors'
import { compose, type HttpMiddleware } from '../http/compose'
import type { HttpContext } from '../http/context'
import type { MiddlewareRegistry } from '../pipeline/middleware_registry'

/**
 * Each route's request-stage middleware (auth, can, throttle, the
 * application's), built once at startup, run on a protocol request that acts
 * on that route: a run of its assistant, or a read or update of a thread
 * bound to it, exactly as `POST /agents/<path>` would run them.
 *
 * @example
 * const guards = new RouteGuards(registry, runner.routes())
 * await guards.admit(ctx, route)
 */
export class RouteGuards {
  private readonly stacks: Map<string, readonly HttpMiddleware[]>

  constructor(registry: MiddlewareRegistry<HttpMiddleware, unknown>, routes: readonly AgentRouteInfo[]) {
    this.stacks = new Map(routes.map((route) => [route.path, registry.resolve(route.middleware, 'request', `route ${route.path} (LangGraph API)`)]))
  }

  /** Runs the route's middleware on this request (`ctx.agent` is the route meanwhile); throws why not when one refuses. */
  async admit(ctx: HttpContext, route: AgentRouteInfo): Promise<void> {
    const previous = ctx.agent
    let through = false
    ctx.agent = route
    try {
      await compose(this.stacks.get(route.path) ?? [], () => {
        through = true
      })(ctx)
    } finally {
      ctx.agent = previous
    }
    // A middleware refuses by throwing; one that answered the request itself has nothing the protocol can return.
    if (!through) throw new E_FORBIDDEN()
  }
}

/**
 * Authenticates a request that presents credentials (a Bearer token or an
 * X-API-Key), so what it creates belongs to its principal; a request without
 * any stays anonymous. Bad credentials are refused (401) as `auth` refuses them.
 */
export function identify(auth: HttpMiddleware | undefined): HttpMiddleware {
  return {
    name: 'langgraph_identify',
    handle(ctx, next) {
      if (!auth || ctx.principal || (ctx.header('authorization') === undefined && ctx.header('x-api-key') === undefined)) return next()
      return auth.handle(ctx, next)
    },
  }
}
