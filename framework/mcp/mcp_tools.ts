import { z } from 'zod'
import { E_INVALID_INPUT, E_TOOL_NOT_FOUND } from '../errors'
import { defineTool } from '../tools/define_tool'
import type { Tool } from '../tools/tool'
import type { RetryOptions, ToolSource } from '../tools/types'
import type { McpServerConnection } from './mcp_connection'
import type { McpToolInfo } from './types'

/** Options of `mcpTools()` / `this.mcp.tools()`. */
export interface McpToolsOptions {
  /** Only these tools of the server (by the server's names); an unknown name is E_TOOL_NOT_FOUND when the tools load. */
  only?: string[]
  /** Name the tools `<server>__<tool>`, for servers whose tool names clash with others'. */
  prefix?: boolean
  /** Retries of a failed call (E_MCP_UNAVAILABLE, E_MCP_TIMEOUT...); bad arguments are never retried. */
  retry?: number | RetryOptions
  /** Per-attempt time limit in milliseconds (default: the server's callTimeoutMs). */
  timeoutMs?: number
  /** A result from the final error instead of failing (the model is told the error otherwise). */
  fallback?: (error: Error, input: Record<string, unknown>) => unknown
  /** Calls that wait for a person's approval in a tool loop: `true` for every tool, or the server's names of some. */
  requiresApproval?: boolean | string[]
}

/** What the model can call a tool: letters, digits, `_` and `-`, at most 64 characters. */
function modelName(server: string, tool: string, prefix: boolean): string {
  const name = (prefix ? `${server}__${tool}` : tool).replace(/[^a-zA-Z0-9_-]/g, '_')
  return name.slice(0, 64) || 'tool'
}

/** The tool result a model reads: the structured content as JSON when there is some, else the text. */
function forModel(result: { structuredContent?: Record<string, unknown>; text: string }): unknown {
  return result.structuredContent ?? result.text
}

/**
 * The tools of one MCP server as Langvel tools, for an agent's `tools` and
 * toolLoop(). The server is asked for its tools when the loop runs (and
 * started then if it is not running), so a changed tool list is picked up.
 * Each tool validates its arguments against the server's input schema
 * before sending (E_TOOL_INPUT), counts in the tool metrics, and takes the
 * usual retry/timeout/fallback options.
 *
 * @example
 * export class NotesAgent extends Agent<typeof NotesState> {
 *   tools = [mcpTools('notes', { only: ['add_note', 'search_notes'] })]
 *   build(graph: GraphBuilder<typeof NotesState>) {
 *     return graph.then(toolLoop({ tools: this.tools }))
 *   }
 * }
 */
export class McpToolset implements ToolSource {
  readonly name: string
  readonly description: string
  readonly mayNeedApproval: boolean
  private cache = new Map<McpToolInfo, Tool<any, any>>()

  constructor(
    readonly server: string,
    private readonly connection: () => McpServerConnection,
    private readonly options: McpToolsOptions = {},
  ) {
    this.name = `mcp:${server}`
    this.mayNeedApproval = options.requiresApproval === true || (Array.isArray(options.requiresApproval) && options.requiresApproval.length > 0)
    this.description = options.only ? `Tools ${options.only.join(', ')} of MCP server "${server}"` : `The tools of MCP server "${server}"`
    if (options.only && (!Array.isArray(options.only) || options.only.some((name) => typeof name !== 'string' || name === ''))) {
      throw new E_INVALID_INPUT(`mcpTools("${server}"): only must be a list of tool names`)
    }
  }

  async load(options: { signal?: AbortSignal } = {}): Promise<Array<Tool<any, any>>> {
    const connection = this.connection()
    const infos = await connection.listTools(options.signal)
    const wanted = this.options.only
    if (wanted) {
      const missing = wanted.filter((name) => !infos.some((info) => info.name === name))
      if (missing.length > 0) {
        throw new E_TOOL_NOT_FOUND(missing[0], {
          help: `MCP server "${this.server}" has: ${infos.map((info) => info.name).join(', ') || 'no tools'}`,
          details: { server: this.server, missing },
        })
      }
    }
    const chosen = wanted ? infos.filter((info) => wanted.includes(info.name)) : infos
    // Tools are kept per declared tool, so a model's view (toLangChain) is built once per tool list.
    const next = new Map<McpToolInfo, Tool<any, any>>()
    for (const info of chosen) next.set(info, this.cache.get(info) ?? this.toTool(info))
    this.cache = next
    return [...next.values()]
  }

  private needsApproval(tool: string): boolean {
    const rule = this.options.requiresApproval
    return Array.isArray(rule) ? rule.includes(tool) : rule === true
  }

  private toTool(info: McpToolInfo): Tool<any, any> {
    const server = this.server
    return defineTool({
      name: modelName(server, info.name, this.options.prefix ?? false),
      description: info.description?.trim() || `Tool "${info.name}" of MCP server "${server}"`,
      // The server's JSON Schema is the contract: shown to the model as is, and checked before sending.
      schema: z.record(z.string(), z.unknown()).superRefine((args, ctx) => {
        const problem = this.connection().checkArguments(info.name, args)
        if (problem) ctx.addIssue({ code: 'custom', message: problem })
      }),
      jsonSchema: info.inputSchema,
      retry: this.options.retry,
      timeoutMs: this.options.timeoutMs,
      fallback: this.options.fallback,
      requiresApproval: this.needsApproval(info.name),
      handler: async (input, { signal }) => forModel(await this.connection().callTool(info.name, input, { signal, timeoutMs: this.options.timeoutMs })),
    })
  }
}
