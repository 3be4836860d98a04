import { v5 as uuid5 } from '@langchain/core/utils/uuid'
import { z, type ZodType } from 'zod'
import type { Agent } from '../agents/agent'
import type { AgentRouteInfo, AgentRunner } from '../contracts/agent_run'
import { E_NOT_FOUND } from '../errors'
import type { HttpContext } from '../http/context'
import { inputJsonSchema } from '../http/openapi'
import type { RouteGuards } from './guards'
import { agentOf, parseBody, queryFlag } from './request'

/** LangGraph's namespace for the assistant id of a graph: `uuid5(graph_id, NAMESPACE_GRAPH)`. */
const NAMESPACE_GRAPH = '6ba7b821-9dad-11d1-80b4-00c04fd430c8'
/** Assistants are the routes: they do not change while serving, so they all share one creation time. */
const BOOTED_AT = new Date().toISOString()

/** One agent route as an assistant. */
export interface AssistantEntry {
  /** The route's name (its path without the leading slash when it has none); also its graph id. */
  id: string
  /** The id LangGraph gives the default assistant of this graph. */
  uuid: string
  route: AgentRouteInfo
}

const SEARCH_BODY = z.looseObject({
  graph_id: z.string().optional().nullable(),
  name: z.string().optional().nullable(),
  metadata: z.record(z.string(), z.unknown()).optional().nullable(),
  limit: z.number().int().min(1).max(1000).optional().nullable(),
  offset: z.number().int().min(0).optional().nullable(),
  select: z.array(z.string()).optional().nullable(),
})

/**
 * The agent routes as the protocol's assistants: the route name is both the
 * `assistant_id` and the `graph_id`, and LangGraph's UUID of that graph id
 * finds the same assistant.
 *
 * @example
 * const assistants = new AssistantCatalog(runner.routes())
 * assistants.get('echo').route.path // '/echo'
 */
export class AssistantCatalog {
  private readonly byId = new Map<string, AssistantEntry>()
  readonly entries: AssistantEntry[]

  constructor(routes: readonly AgentRouteInfo[]) {
    this.entries = routes.map((route) => {
      const id = route.name ?? route.path.replace(/^\/+|\/+$/g, '')
      return { id, uuid: uuid5(id, NAMESPACE_GRAPH), route }
    })
    for (const entry of this.entries) {
      this.byId.set(entry.id, entry)
      this.byId.set(entry.uuid, entry)
    }
  }

  find(id: string): AssistantEntry | undefined {
    return this.byId.get(id)
  }

  /** Throws E_NOT_FOUND (404) for an id that is no assistant. */
  get(id: string): AssistantEntry {
    const entry = this.find(id)
    if (!entry) throw new E_NOT_FOUND(`Assistant ${JSON.stringify(id.slice(0, 200))}`)
    return entry
  }
}

/** An assistant in the protocol's shape (the SDK's `Assistant`). */
export function presentAssistant(entry: AssistantEntry) {
  return {
    assistant_id: entry.id,
    graph_id: entry.id,
    name: entry.id,
    description: entry.route.description ?? null,
    config: {},
    context: {},
    metadata: { created_by: 'system', path: entry.route.path },
    version: 1,
    created_at: BOOTED_AT,
    updated_at: BOOTED_AT,
  }
}

/**
 * The assistants endpoints: search, one assistant, its graph (nodes and
 * edges), its JSON Schemas and subgraphs. None of them runs a graph.
 *
 * @example
 * kernel.route('POST', '/assistants/search', controller.search)
 */
export class AssistantsController {
  constructor(
    private readonly catalog: AssistantCatalog,
    private readonly runner: AgentRunner,
    /** Each route's request middleware: reading one assistant runs its route's, as `GET /agents/<path>/graph` does. */
    private readonly guards?: RouteGuards,
  ) {}

  search = (ctx: HttpContext): void => {
    const body = parseBody(SEARCH_BODY, ctx.body ?? {})
    const found = this.matching(body)
    const offset = body.offset ?? 0
    const limit = body.limit ?? 10
    const page = found.slice(offset, offset + limit)
    if (offset + page.length < found.length) ctx.res.setHeader('X-Pagination-Next', String(offset + page.length))
    ctx.res.setHeader('X-Pagination-Total', String(found.length))
    const select = body.select
    ctx.json(200, select ? page.map((assistant) => Object.fromEntries(Object.entries(assistant).filter(([key]) => select.includes(key)))) : page)
  }

  /** `POST /assistants/count`: how many assistants a search would find. */
  count = (ctx: HttpContext): void => {
    ctx.json(200, this.matching(parseBody(SEARCH_BODY, ctx.body ?? {})).length)
  }

  show = async (ctx: HttpContext): Promise<void> => {
    ctx.json(200, presentAssistant(await this.admitted(ctx)))
  }

  graph = async (ctx: HttpContext): Promise<void> => {
    const entry = await this.admitted(ctx)
    const agent = await this.agent(entry)
    const xray = queryFlag(ctx, 'xray')
    ctx.json(200, agent.compiledGraph.getGraph({ xray }).toJSON())
  }

  schemas = async (ctx: HttpContext): Promise<void> => {
    const entry = await this.admitted(ctx)
    ctx.json(200, await this.schemasOf(entry))
  }

  /** A Langvel agent's subgraphs are compiled into its own graph: an agent route has none of its own to list. */
  subgraphs = async (ctx: HttpContext): Promise<void> => {
    await this.admitted(ctx)
    ctx.json(200, {})
  }

  /** The assistant of the path, once its route's request middleware let this request through. */
  private async admitted(ctx: HttpContext): Promise<AssistantEntry> {
    const entry = this.catalog.get(ctx.params.assistant_id)
    await this.guards?.admit(ctx, entry.route)
    return entry
  }

  private matching(body: z.output<typeof SEARCH_BODY>) {
    const wanted = Object.entries(body.metadata ?? {})
    return this.catalog.entries
      .map(presentAssistant)
      .filter((assistant) => !body.graph_id || assistant.graph_id === body.graph_id)
      .filter((assistant) => !body.name || assistant.name === body.name)
      .filter((assistant) => wanted.every(([key, value]) => JSON.stringify((assistant.metadata as Record<string, unknown>)[key]) === JSON.stringify(value)))
  }

  private async schemasOf(entry: AssistantEntry) {
    const agent = await this.agent(entry)
    const state = agent.state.schema as ZodType
    return {
      graph_id: entry.id,
      input_schema: inputJsonSchema(entry.route.inputSchema ?? state),
      output_schema: outputJsonSchema(state),
      state_schema: outputJsonSchema(state),
      config_schema: null,
      context_schema: null,
    }
  }

  private agent(entry: AssistantEntry): Promise<Agent> {
    return agentOf(this.runner, entry.route)
  }
}

function outputJsonSchema(schema: ZodType): Record<string, unknown> {
  try {
    const converted = z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }) as Record<string, unknown>
    delete converted.$schema
    return converted
  } catch {
    return {}
  }
}
