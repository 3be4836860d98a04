import type { AgentClass } from '../agents/agent_pool'
import type { AgentRouteDefinition } from '../agents/route_definition'
import type { Durability } from '../contracts/agent_run'
import { E_RUNTIME } from '../errors'
import { parseMiddlewareSpec } from '../pipeline/middleware_spec'

/** A registered route as the runner and the CLI read it. */
export type RouteDefinition = AgentRouteDefinition

const DURABILITIES: readonly Durability[] = ['exit', 'async', 'sync']
const TRACE_BACKENDS: readonly string[] = ['langsmith', 'langfuse']

/** Called by a route when it takes a name, so the router can refuse duplicates. */
export type NameClaim = (route: AgentRoute, name: string, previous?: string) => void

/**
 * One agent route, configured fluently after `Route.agent(path, Agent)`.
 *
 * @example
 * Route.agent('/support', SupportAgent).middleware('auth', 'throttle:10,60').name('support').timeout(120).durability('exit')
 */
export class AgentRoute {
  private readonly state: { -readonly [K in keyof RouteDefinition]: RouteDefinition[K] }

  constructor(
    path: string,
    agent: AgentClass,
    groupMiddleware: readonly string[],
    private readonly namePrefix: string,
    private readonly claimName: NameClaim,
  ) {
    if (typeof agent !== 'function') throw new E_RUNTIME(`Route ${path}: expected an agent class, got ${typeof agent}`)
    this.state = { path, agent, middleware: [...groupMiddleware] }
  }

  get path(): string {
    return this.state.path
  }

  /** A snapshot of what was declared. */
  get definition(): RouteDefinition {
    return { ...this.state, middleware: [...this.state.middleware] }
  }

  /** Appends named middleware (`'auth'`, `'throttle:10,60'`); names are checked against the registry at boot. */
  middleware(...specs: Array<string | readonly string[]>): this {
    for (const spec of specs.flat()) {
      parseMiddlewareSpec(spec)
      if (!this.state.middleware.includes(spec)) this.state.middleware = [...this.state.middleware, spec]
    }
    return this
  }

  /** A unique route name (group `as` prefixes it), used by `route:list` and for lookups. */
  name(name: string): this {
    if (typeof name !== 'string' || name.trim() === '') throw new E_RUNTIME(`Route ${this.path}: a route name cannot be empty`)
    const full = `${this.namePrefix}${name}`
    this.claimName(this, full, this.state.name)
    this.state.name = full
    return this
  }

  /** Run timeout in seconds for this route; overrides the agent's and AGENT_TIMEOUT. */
  timeout(seconds: number): this {
    if (!(Number.isFinite(seconds) && seconds > 0)) throw new E_RUNTIME(`Route ${this.path}: timeout must be a positive number of seconds, got ${String(seconds)}`)
    this.state.timeoutSeconds = seconds
    return this
  }

  /**
   * How often this route's runs checkpoint; overrides the agent's and
   * AGENT_DURABILITY. `exit` writes only when a run ends or stops at an
   * interrupt: fastest, but a crash mid-run loses the whole run.
   */
  durability(mode: Durability): this {
    if (!DURABILITIES.includes(mode)) throw new E_RUNTIME(`Route ${this.path}: durability must be one of ${DURABILITIES.join(', ')}, got ${String(mode)}`)
    this.state.durability = mode
    return this
  }

  /**
   * Traces this route's runs to LangSmith and/or Langfuse even when that
   * backend is not on for every route: it needs the backend's credentials
   * (LANGSMITH_API_KEY; LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY), and a
   * backend switched off (LANGFUSE_TRACING=off) stays off.
   *
   * @example
   * Route.agent('/support', SupportAgent).name('support').trace('langsmith', 'langfuse')
   */
  trace(...backends: Array<'langsmith' | 'langfuse'>): this {
    for (const backend of backends) {
      if (!TRACE_BACKENDS.includes(backend)) throw new E_RUNTIME(`Route ${this.path}: trace() takes ${TRACE_BACKENDS.join(' or ')}, got ${String(backend)}`)
    }
    this.state.trace = [...new Set([...(this.state.trace ?? []), ...backends])]
    return this
  }

  /** Overrides the agent's description in listings and the HTTP index. */
  description(text: string): this {
    this.state.description = text
    return this
  }
}
