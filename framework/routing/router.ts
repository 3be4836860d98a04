import type { AgentClass } from '../agents/agent_pool'
import { graphAgent, type GraphAgentOptions, type GraphSource } from '../agents/graph_agent'
import { E_AGENT_NOT_FOUND, E_DUPLICATE_ROUTE } from '../errors'
import { parseMiddlewareSpec } from '../pipeline/middleware_spec'
import { AgentRoute } from './agent_route'
import { assertRoutePath, joinRoutePath } from './route_path'

export interface RouteGroupOptions {
  /** Prepended to every path in the group (nested prefixes compose). */
  prefix?: string
  /** Run before the middleware of every route in the group (outer groups first). */
  middleware?: readonly string[]
  /** Prepended to every route name in the group (`'admin.'`). */
  as?: string
}

interface GroupFrame {
  prefix: string
  middleware: readonly string[]
  as: string
}

/**
 * The agent routes of an application. Paths are validated and duplicates
 * refused as routes are registered; middleware names are checked against a
 * registry when the runner resolves the routes.
 *
 * @example
 * const router = new Router()
 * router.agent('/support', SupportAgent).middleware('logging').name('support')
 * router.group({ prefix: '/admin', middleware: ['auth'] }, () => {
 *   router.agent('/reports', ReportAgent) // '/admin/reports', middleware ['auth']
 * })
 */
export class Router {
  private readonly byPath = new Map<string, AgentRoute>()
  private readonly byName = new Map<string, AgentRoute>()
  private readonly groups: GroupFrame[] = [{ prefix: '', middleware: [], as: '' }]

  /** Registers `Agent` at `path` (under the current group's prefix). */
  agent(path: string, agent: AgentClass): AgentRoute {
    return this.add(path, () => agent)
  }

  /**
   * Registers a graph built with LangGraph directly — a compiled StateGraph,
   * a `createReactAgent(...)`, or a function (sync or async) returning one —
   * served like any agent (see GraphAgent): compiled again with Langvel's
   * checkpointer, behind the route's middleware, on both HTTP APIs.
   */
  graph(path: string, graph: GraphSource, options: GraphAgentOptions = {}): AgentRoute {
    return this.add(path, (full) => graphAgent(graph, { ...options, className: graphClassName(full) }))
  }

  private add(path: string, agentFor: (full: string) => AgentClass): AgentRoute {
    const group = this.groups[this.groups.length - 1]
    const full = joinRoutePath(group.prefix, path)
    if (this.byPath.has(full)) throw new E_DUPLICATE_ROUTE(full, { details: { path: full } })
    const route = new AgentRoute(full, agentFor(full), group.middleware, group.as, (r, name, previous) => this.claimName(r, name, previous))
    this.byPath.set(full, route)
    return route
  }

  /** Routes registered inside `callback` share the prefix, middleware and name prefix. */
  group(options: RouteGroupOptions, callback: (router: this) => void): void {
    const parent = this.groups[this.groups.length - 1]
    const prefix = options.prefix ? joinRoutePath(parent.prefix, assertRoutePath(options.prefix)) : parent.prefix
    const middleware = [...parent.middleware]
    for (const spec of options.middleware ?? []) {
      parseMiddlewareSpec(spec)
      if (!middleware.includes(spec)) middleware.push(spec)
    }
    this.groups.push({ prefix, middleware, as: parent.as + (options.as ?? '') })
    try {
      callback(this)
    } finally {
      this.groups.pop()
    }
  }

  /** Routes in registration order. */
  routes(): AgentRoute[] {
    return [...this.byPath.values()]
  }

  find(path: string): AgentRoute | undefined {
    return this.byPath.get(path)
  }

  /** Throws E_AGENT_NOT_FOUND for an unknown path. */
  get(path: string): AgentRoute {
    const route = this.byPath.get(path)
    if (!route) throw new E_AGENT_NOT_FOUND(path)
    return route
  }

  findByName(name: string): AgentRoute | undefined {
    return this.byName.get(name)
  }

  get size(): number {
    return this.byPath.size
  }

  private claimName(route: AgentRoute, name: string, previous?: string): void {
    const holder = this.byName.get(name)
    if (holder && holder !== route) throw new E_DUPLICATE_ROUTE(`name:${name}`, { details: { name, path: holder.path } })
    if (previous !== undefined && previous !== name) this.byName.delete(previous)
    this.byName.set(name, route)
  }
}

/** What a Route.graph route's agent is called in logs and listings: `/support/react-bot` -> `SupportReactBotGraph`. */
function graphClassName(path: string): string {
  const words = path.split(/[/_-]+/).filter(Boolean)
  return `${words.map((word) => word[0].toUpperCase() + word.slice(1)).join('')}Graph`
}
