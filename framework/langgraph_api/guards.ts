import type { AgentRouteInfo } from '../contracts/agent_run'
import { E_FORBIDDEN } from '../errors'
import { compose, type HttpMiddleware } from '../http/compose'
import type { HttpContext } from '../http/context'
import type { MiddlewareRegistry } from '../pipeline/middleware_registry'
import { parseMiddlewareSpec } from '../pipeline/middleware_spec'
import { AuthenticationError } from '../auth/authentication_error'

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
 * The `auth` reference that identifies a caller as the application's own
 * authentication does: the union of the guards its `auth` references accept
 * (`auth` is both; `auth:api_key` only keys), so identifying a caller never
 * needs a guard (a JWT key) that nothing else uses. Undefined when nothing
 * authenticates.
 *
 * @example
 * identifyingAuth(['auth:api_key', 'throttle:5,1']) // 'auth:api_key'
 */
export function identifyingAuth(specs: readonly string[]): string | undefined {
  const guards = new Set<string>()
  for (const spec of specs) {
    const { name, args } = parseMiddlewareSpec(spec)
    if (name !== 'auth') continue
    for (const guard of args.length === 0 ? ['jwt', 'api_key'] : args) guards.add(guard)
  }
  if (guards.size === 0) return undefined
  return guards.has('jwt') && guards.has('api_key') ? 'auth' : `auth:${[...guards].join(',')}`
}

/**
 * Authenticates a request that presents credentials (a Bearer token or an
 * X-API-Key), so what it creates belongs to its principal; a request without
 * any stays anonymous. Credentials that do not verify leave it anonymous too:
 * the SDK sends an X-Api-Key from LANGGRAPH_API_KEY or LANGSMITH_API_KEY on
 * its own, which must not make public endpoints 401. Where a route needs a
 * principal (its `auth`, or LANGGRAPH_API_MIDDLEWARE's), that middleware
 * still refuses them.
 */
export function identify(auth: HttpMiddleware | undefined): HttpMiddleware {
  return {
    name: 'langgraph_identify',
    async handle(ctx, next) {
      if (!auth || ctx.principal || (ctx.header('authorization') === undefined && ctx.header('x-api-key') === undefined)) return next()
      try {
        await auth.handle(ctx, async () => undefined)
      } catch (error) {
        if (!(error instanceof AuthenticationError)) throw error
        ctx.principal = undefined
      }
      return next()
    },
  }
}
