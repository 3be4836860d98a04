import type { CommandHandler } from '../command'
import type { McpToolInfo } from '../../mcp/types'

/** `add(a: number, b: number)`: a tool's arguments from its input schema, `?` after optional ones. */
export function toolSignature(tool: McpToolInfo): string {
  const properties = (tool.inputSchema.properties ?? {}) as Record<string, { type?: unknown }>
  const required = new Set(Array.isArray(tool.inputSchema.required) ? (tool.inputSchema.required as string[]) : [])
  const args = Object.entries(properties).map(([name, schema]) => {
    const type = Array.isArray(schema?.type) ? schema.type.join('|') : typeof schema?.type === 'string' ? schema.type : 'any'
    return `${name}${required.has(name) ? '' : '?'}: ${type}`
  })
  return `${tool.name}(${args.join(', ')})`
}

/**
 * `langvel mcp:list [--json]`: starts every configured MCP server and lists
 * it with its status and tools (their input schemas with --json). Exits 1
 * when a server could not be started, so scripts notice.
 */
const mcpList: CommandHandler<{ json?: boolean }> = async ({ app, options, output }) => {
  const mcp = app.make('mcp')
  const reports = await mcp.list()
  const down = reports.filter((report) => report.status !== 'ready')
  if (options.json) {
    output.json(
      reports.map((report) => ({
        name: report.name,
        transport: report.transport,
        status: report.status,
        required: report.required,
        server: report.serverInfo ?? null,
        restarts: report.restarts,
        error: report.error ?? null,
        tools: report.tools.map((tool) => ({ name: tool.name, description: tool.description ?? null, input_schema: tool.inputSchema, output_schema: tool.outputSchema ?? null })),
      })),
    )
    return down.length > 0 ? 1 : 0
  }
  if (reports.length === 0) {
    output.info('No MCP servers configured: declare them under `servers` in config/mcp.ts or under "mcpServers" in mcp.json')
    return 0
  }
  output.table(
    ['Server', 'Transport', 'Status', 'Tools', 'Required'],
    reports.map((report) => [report.name, report.transport, report.status, report.tools.length, report.required ? 'yes' : 'no']),
  )
  for (const report of reports) {
    output.line()
    if (report.error) output.error(`${report.name}: ${report.error.message}`)
    if (report.tools.length === 0) continue
    output.line(`${report.name}${report.serverInfo ? ` (${report.serverInfo.name} ${report.serverInfo.version})` : ''}:`)
    for (const tool of report.tools) output.line(`  ${toolSignature(tool)}${tool.description ? `  ${output.paint('dim', firstLine(tool.description))}` : ''}`)
  }
  return down.length > 0 ? 1 : 0
}

function firstLine(text: string): string {
  const line = text.trim().split('\n')[0]
  return line.length > 100 ? `${line.slice(0, 97)}...` : line
}

export default mcpList
