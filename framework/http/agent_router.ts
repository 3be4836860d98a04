import type { AgentRouteInfo, AgentRunner } from '../contracts/agent_run'
import { E_AGENT_NOT_FOUND, E_DUPLICATE_ROUTE, E_NOT_FOUND } from '../errors'
import { normalizeAgentPath, parseAgentTarget, type AgentAction } from './agent_path'
import { compose, type HttpMiddleware } from './compose'
import type { HttpContext } from './context'
import type { AgentsController } from './controllers/agents_controller'
import type { BackgroundRunsController } from './controllers/background_runs_controller'
import type { RunsController } from './controllers/runs_controller'
import type { MiddlewareRegistry } from '../pipeline/middleware_registry'

export interface AgentRouterOptions {
  runner: AgentRunner
  /** The application's middleware: the `request` stage of each route's list runs here. */
  registry: MiddlewareRegistry<HttpMiddleware, unknown>
  /** Reads POST bodies; placed after the route's named middleware so auth runs before the body is read. */
  body: HttpMiddleware
  agents: AgentsController
  runs: RunsController
  /** Background runs (`/runs` endpoints). */
  backgroundRuns: BackgroundRunsController
}

/** Route templates per action: metric labels stay bounded whatever the URL. */
export const AGENT_ROUTE_TEMPLATES: Record<AgentAction, string> = {
  invoke: '/agents/:path',
  graph: '/agents/:path/graph',
  state: '/agents/:path/threads/:thread_id/state',
  history: '/agents/:path/threads/:thread_id/history',
  resume: '/agents/:path/threads/:thread_id/resume',
  create_run: '/agents/:path/runs',
  show_run: '/agents/:path/runs/:run_id',
  cancel_run: '/agents/:path/runs/:run_id/cancel',
  wait_run: '/agents/:path/runs/:run_id/wait',
  stream_run: '/agents/:path/runs/:run_id/stream',
}

const METHOD_OF: Record<AgentAction, 'GET' | 'POST'> = {
  invoke: 'POST',
  resume: 'POST',
  graph: 'GET',
  state: 'GET',
  history: 'GET',
  create_run: 'POST',
  show_run: 'GET',
  cancel_run: 'POST',
  wait_run: 'GET',
  stream_run: 'GET',
}
/** Actions that read a JSON body (a cancel takes none). */
const READS_BODY: ReadonlySet<AgentAction> = new Set(['invoke', 'resume', 'create_run'])

/**
 * Routes everything under /agents/. The raw path is validated first (see
 * agent_path.ts), then looked up in the routes the runner registered. The
 * request-stage middleware of each route (its list and its agent's, as the
 * runner reports them) are resolved and composed once, at construction, so
 * an unknown name fails the server's startup with E_UNKNOWN_MIDDLEWARE.
 *
 * @example
 * kernel.prefix('/agents/', new AgentRouter(options).handle)
 */
export class AgentRouter {
  private readonly routes = new Map<string, AgentRouteInfo>()
  private readonly chains = new Map<string, (ctx: HttpContext) => Promise<void>>()

  constructor(options: AgentRouterOptions) {
    const { agents, runs, backgroundRuns, registry, body } = options
    const handlers: Record<AgentAction, (ctx: HttpContext) => void | Promise<void>> = {
      invoke: runs.invoke,
      resume: runs.resume,
      graph: agents.graph,
      state: agents.state,
      history: agents.history,
      create_run: backgroundRuns.create,
      show_run: backgroundRuns.show,
      cancel_run: backgroundRuns.cancel,
      wait_run: backgroundRuns.wait,
      stream_run: backgroundRuns.stream,
    }
    for (const route of options.runner.routes()) {
      const path = normalizeAgentPath(route.path)
      if (this.routes.has(path)) throw new E_DUPLICATE_ROUTE(route.path)
      this.routes.set(path, route)
      const named = registry.resolve(route.middleware, 'request', `route ${route.path}`)
      for (const action of Object.keys(handlers) as AgentAction[]) {
        const stack = READS_BODY.has(action) ? [...named, body] : named
        this.chains.set(`${action} ${path}`, compose(stack, handlers[action]))
      }
    }
  }

  has = (agentPath: string): boolean => this.routes.has(agentPath)

  handle = (ctx: HttpContext): Promise<void> => {
    const target = parseAgentTarget(ctx.method, ctx.path, this.has)
    ctx.routeTemplate = AGENT_ROUTE_TEMPLATES[target.action]
    const method = ctx.method === 'HEAD' ? 'GET' : ctx.method
    if (method !== METHOD_OF[target.action]) throw new E_NOT_FOUND(`Route ${ctx.method} ${ctx.routeTemplate}`)
    const route = this.routes.get(target.agentPath)
    if (!route) throw new E_AGENT_NOT_FOUND(target.agentPath)
    ctx.agent = route
    ctx.params = { path: target.agentPath }
    if (target.threadId !== undefined) ctx.params.thread_id = target.threadId
    if (target.runId !== undefined) ctx.params.run_id = target.runId
    return (this.chains.get(`${target.action} ${target.agentPath}`) as (ctx: HttpContext) => Promise<void>)(ctx)
  }
}
