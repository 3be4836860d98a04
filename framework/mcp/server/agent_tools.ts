import type { Tool } from '@modelcontextprotocol/sdk/types.js'
import type { AgentRouteInfo } from '../../contracts/agent_run'
import { E_RUNTIME } from '../../errors'
import { THREAD_ID_PATTERN } from '../../http/agent_path'
import { inputJsonSchema } from '../../http/openapi'
import { agentToolNames, RESUME_TOOL } from './tool_names'

/** The argument every agent tool adds to its route's input: the thread to continue. */
export const THREAD_ARGUMENT = 'thread_id'

/** One agent route as an MCP tool. */
export interface AgentTool {
  readonly name: string
  readonly route: AgentRouteInfo
}

const threadIdSchema = (description: string) => ({ type: 'string', pattern: THREAD_ID_PATTERN.source, description })

/**
 * The agent routes as MCP tools, built once from the runner's routes: each
 * route's tool (named by tool_names.ts) takes the route's input JSON Schema
 * (the one /openapi.json and GET /agents show) plus an optional `thread_id`,
 * and one `resume` tool answers a run stopped at an interrupt. With no
 * routes there are no tools at all.
 *
 * @example
 * const catalog = new AgentToolCatalog(runner.routes())
 * catalog.definitions             // what tools/list answers
 * catalog.tool('support_ticket')  // { name, route }
 */
export class AgentToolCatalog {
  /** The `tools/list` answer. */
  readonly definitions: Tool[]
  private readonly byName = new Map<string, AgentTool>()
  private readonly byPath = new Map<string, AgentTool>()

  constructor(routes: readonly AgentRouteInfo[]) {
    const names = agentToolNames(routes)
    this.definitions = routes.map((route) => {
      const tool: AgentTool = { name: names.get(route.path) as string, route }
      this.byName.set(tool.name, tool)
      this.byPath.set(route.path, tool)
      return { name: tool.name, description: describe(route), inputSchema: toolInputSchema(route) }
    })
    if (routes.length > 0) this.definitions.push(resumeDefinition([...this.byName.keys()]))
  }

  /** The agent tool called `name` (not `resume`). */
  tool(name: string): AgentTool | undefined {
    return this.byName.get(name)
  }

  /** The tool a `resume` call names: by tool name, or by route path (`/approval`). */
  find(nameOrPath: string): AgentTool | undefined {
    return this.byName.get(nameOrPath) ?? this.byPath.get(nameOrPath)
  }
}

function describe(route: AgentRouteInfo): string {
  const what = route.description ?? `Runs the ${route.agent} agent (${route.path}).`
  if (route.interrupts.length === 0) return what
  return `${what}${/[.!?]$/.test(what) ? '' : '.'} It may stop to ask for input (status "interrupted"): answer with the "${RESUME_TOOL}" tool.`
}

/** The route's input schema with `thread_id` added; an agent input of its own named so would be ambiguous. */
function toolInputSchema(route: AgentRouteInfo): Tool['inputSchema'] {
  const schema = inputJsonSchema(route.inputSchema)
  const properties = (schema.properties ?? {}) as Record<string, object>
  if (Object.hasOwn(properties, THREAD_ARGUMENT)) {
    throw new E_RUNTIME(`Route ${route.path}: its input has a "${THREAD_ARGUMENT}" field, which its MCP tool uses for the thread to continue`, {
      help: 'Rename the field, or set MCP_HTTP_ENABLED=false and do not run `langvel mcp:serve` to keep the agents off MCP.',
    })
  }
  return {
    ...schema,
    type: 'object',
    properties: { ...properties, [THREAD_ARGUMENT]: threadIdSchema('Continue this thread (the thread_id of an earlier result); a new thread when omitted') },
  }
}

function resumeDefinition(tools: string[]): Tool {
  return {
    name: RESUME_TOOL,
    description:
      'Continues an agent run that stopped at an interrupt (a result with status "interrupted"). `value` is the answer the interrupt asks for; the result has the same shape as the agent tool\'s.',
    inputSchema: {
      type: 'object',
      properties: {
        route: { type: 'string', enum: tools, description: 'The agent tool whose run stopped' },
        [THREAD_ARGUMENT]: threadIdSchema('The thread_id of the interrupted result'),
        value: { description: 'The answer to the interrupt, as its payload asks' },
      },
      required: ['route', THREAD_ARGUMENT, 'value'],
    },
  }
}
