import type { GetPromptResult, ReadResourceResult } from '@modelcontextprotocol/sdk/types.js'
import { E_MCP_SERVER_NOT_FOUND } from '../errors'
import type { Logger } from '../logger'
import { McpServerConnection, type McpCallOptions, type McpToolResult } from './mcp_connection'
import { mcpMetrics, type McpMetrics } from './mcp_metrics'
import { McpToolset, type McpToolsOptions } from './mcp_tools'
import type { McpServerConfig, McpServerReport, McpStderrSettings } from './types'

export interface McpManagerOptions {
  servers: McpServerConfig[]
  stderr: McpStderrSettings
  logger: Logger
  metrics?: McpMetrics
}

/**
 * The application's MCP servers (mcp.json and config/mcp.ts), by name. Bound
 * as `mcp`; agents reach it as `this.mcp`. Nothing starts until a server is
 * used, or `start()` is called (`langvel serve` starts them all at boot).
 *
 * @example
 * const result = await app.make('mcp').call('notes', 'add_note', { title: 'Groceries', body: 'milk' })
 * const tools = app.make('mcp').tools('github', { only: ['search_issues'] })
 */
export class McpManager {
  private readonly connections = new Map<string, McpServerConnection>()

  constructor(options: McpManagerOptions) {
    const metrics = options.metrics ?? mcpMetrics()
    for (const server of options.servers) {
      const logger = options.logger.child({ mcp_server: server.name })
      this.connections.set(server.name, new McpServerConnection(server, { logger, stderr: options.stderr, metrics }))
    }
  }

  /** The configured servers' names, in declaration order. */
  names(): string[] {
    return [...this.connections.keys()]
  }

  has(name: string): boolean {
    return this.connections.has(name)
  }

  /** One server's connection; E_MCP_SERVER_NOT_FOUND for a name that is not configured. */
  server(name: string): McpServerConnection {
    const connection = this.connections.get(name)
    if (!connection) throw new E_MCP_SERVER_NOT_FOUND(name, { details: { configured: this.names() } })
    return connection
  }

  /** Starts every server (or those named) in parallel and waits until each is ready or has failed. Never rejects. */
  async start(names: string[] = this.names()): Promise<void> {
    await Promise.all(names.map((name) => this.server(name).start()))
  }

  /** Starts the servers and reports each: status, tools with their schemas, errors. */
  async list(): Promise<McpServerReport[]> {
    await this.start()
    return this.reports()
  }

  /** What each server is doing now, without starting any. */
  reports(): McpServerReport[] {
    return [...this.connections.values()].map((connection) => connection.report())
  }

  /** Calls a tool of a server directly (no model involved). */
  call(server: string, tool: string, args: Record<string, unknown> = {}, options?: McpCallOptions): Promise<McpToolResult> {
    return this.server(server).callTool(tool, args, options)
  }

  /**
   * The tools of a server for an agent: `tools = [this.mcp.tools('github')]`,
   * or a subset with `{ only: ['search_issues'] }`. Loaded when the tool loop
   * runs.
   */
  tools(server: string, options: McpToolsOptions = {}): McpToolset {
    this.server(server)
    return new McpToolset(server, () => this.server(server), options)
  }

  /** Reads a resource of a server (`this.mcp.resource('notes', 'notes://readme')`). */
  resource(server: string, uri: string, options?: McpCallOptions): Promise<ReadResourceResult> {
    return this.server(server).readResource(uri, options)
  }

  /** Gets a prompt of a server with its arguments filled in. */
  prompt(server: string, name: string, args: Record<string, string> = {}, options?: McpCallOptions): Promise<GetPromptResult> {
    return this.server(server).getPrompt(name, args, options)
  }

  /** Closes every session and ends every child process. */
  async close(): Promise<void> {
    await Promise.all([...this.connections.values()].map((connection) => connection.close()))
  }
}
