import type { AgentRouteInfo, AgentRunner } from '../../contracts/agent_run'
import { E_BAD_REQUEST, E_RUNTIME } from '../../errors'
import { normalizeAgentPath } from '../agent_path'
import type { HttpContext } from '../context'
import { inputJsonSchema } from '../openapi'
import { presentState } from '../presenters'
import type { ThreadAccess } from '../thread_access'

const DEFAULT_HISTORY_LIMIT = 20
const MAX_HISTORY_LIMIT = 100

/**
 * The read side of the agent API: the route list, graph diagrams and thread
 * state and history. None of it runs a graph, so none of it takes a run slot.
 *
 * @example
 * kernel.route('GET', '/agents', controller.list)
 */
export class AgentsController {
  private listBody?: string

  constructor(
    private readonly runner: AgentRunner,
    private readonly threads?: ThreadAccess,
  ) {}

  /** `GET /agents`: serialised once, since routes do not change while serving. */
  list = (ctx: HttpContext): void => {
    this.listBody ??= JSON.stringify({
      agents: this.runner.routes().map((route) => ({
        path: normalizeAgentPath(route.path),
        name: route.name ?? null,
        description: route.description ?? null,
        agent: route.agent,
        input_schema: inputJsonSchema(route.inputSchema),
        interrupts: route.interrupts,
        streaming: true,
      })),
    })
    ctx.send(200, this.listBody, 'application/json; charset=utf-8')
  }

  graph = async (ctx: HttpContext): Promise<void> => {
    const route = routeOf(ctx)
    const mermaid = await this.runner.graph(route.path)
    const accept = ctx.header('accept') ?? ''
    if (accept.includes('text/vnd.mermaid') || (accept.includes('text/plain') && !accept.includes('json'))) {
      return ctx.send(200, mermaid, 'text/vnd.mermaid; charset=utf-8')
    }
    ctx.json(200, { path: ctx.params.path, format: 'mermaid', graph: mermaid })
  }

  state = async (ctx: HttpContext): Promise<void> => {
    const route = routeOf(ctx)
    await this.threads?.assertCanAccess(ctx.params.thread_id, ctx.principal)
    const state = await this.runner.getState(route.path, ctx.params.thread_id, { context: ctx.requestContext(), signal: ctx.clientSignal })
    ctx.json(200, presentState(ctx.params.path, state))
  }

  history = async (ctx: HttpContext): Promise<void> => {
    const route = routeOf(ctx)
    const limit = parseLimit(ctx.searchParam('limit'))
    await this.threads?.assertCanAccess(ctx.params.thread_id, ctx.principal)
    const history = await this.runner.getHistory(route.path, ctx.params.thread_id, { context: ctx.requestContext(), signal: ctx.clientSignal, limit })
    ctx.json(200, { thread_id: ctx.params.thread_id, history: history.map((state) => presentState(ctx.params.path, state)) })
  }
}

function routeOf(ctx: HttpContext): AgentRouteInfo {
  if (!ctx.agent) throw new E_RUNTIME('agent route missing from the request context')
  return ctx.agent
}

function parseLimit(value: string | null): number {
  if (value === null) return DEFAULT_HISTORY_LIMIT
  if (!/^\d{1,3}$/.test(value) || Number(value) < 1 || Number(value) > MAX_HISTORY_LIMIT) {
    throw new E_BAD_REQUEST(`limit must be an integer between 1 and ${MAX_HISTORY_LIMIT}`)
  }
  return Number(value)
}
