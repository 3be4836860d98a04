import { E_RUNTIME } from '../errors'
import { appLink } from '../support/app_link'
import type { McpManager } from './mcp_manager'
import { McpToolset, type McpToolsOptions } from './mcp_tools'

/*
 * The process-wide link between code that has no container at hand (agents,
 * tools declared at module load) and the booted application's McpManager.
 * The mcp provider sets it at boot.
 */
const link = appLink<McpManager>()

/** Called by the mcp provider at boot (and by tests) with the application's manager. */
export function setMcpManagerResolver(resolve: (() => McpManager) | undefined): void {
  link.set(resolve)
}

/** Unsets `resolve` if it is still the current resolver; true when it was. */
export function clearMcpManagerResolver(resolve: () => McpManager): boolean {
  return link.clear(resolve)
}

/**
 * The booted application's McpManager.
 *
 * @example
 * const result = await resolveMcp().call('notes', 'list_notes', {})
 */
export function resolveMcp(): McpManager {
  const manager = link.get()
  if (!manager) throw new E_RUNTIME('MCP is used before the application booted (no mcp provider registered)')
  return manager
}

/**
 * The tools of an MCP server, for an agent's `tools` (the same as
 * `this.mcp.tools(server)`, usable in a class field or at module load: the
 * server is looked up when the tools are first loaded).
 *
 * @example
 * export class NotesAgent extends Agent<typeof NotesState> {
 *   tools = [mcpTools('notes')]
 *   build(graph: GraphBuilder<typeof NotesState>) {
 *     return graph.then(toolLoop({ tools: this.tools }))
 *   }
 * }
 */
export function mcpTools(server: string, options: McpToolsOptions = {}): McpToolset {
  return new McpToolset(server, () => resolveMcp().server(server), options)
}
