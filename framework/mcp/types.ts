/*
 * The contracts of Langvel's MCP client: what a configured server looks like
 * once mcp.json and config/mcp.ts are read, and what a connection to one
 * reports. Drivers (stdio, streamable HTTP) and the manager are built on them.
 */

/** When a server that stopped is started again. */
export interface McpRestartPolicy {
  /** false: a server that exits stays down until the application restarts. */
  enabled: boolean
  /** Restarts in a row without a healthy session in between before giving up (default 10). */
  maxRetries: number
  /** First delay; doubles on each restart in a row, with jitter. */
  baseDelayMs: number
  /** Upper bound of one delay. */
  maxDelayMs: number
}

/** Settings every server has, whichever transport it uses. */
export interface McpServerSettings {
  /** The key under `mcpServers` (or in config/mcp.ts). */
  name: string
  /** Where it was declared, for error messages: `mcp.json` or `config/mcp.ts`. */
  source: string
  /** A required server that is down makes /health/ready answer 503. */
  required: boolean
  /** Time limit of one tool call, resource read or prompt (the run's own deadline may be shorter). */
  callTimeoutMs: number
  /** Time limit of starting the server and completing `initialize`. */
  initTimeoutMs: number
  /** Largest message accepted from the server, in bytes; a larger one is E_MCP_PROTOCOL. */
  maxMessageBytes: number
  restart: McpRestartPolicy
}

/** A server Langvel starts as a child process and talks to over stdin/stdout. */
export interface McpStdioServerConfig extends McpServerSettings {
  transport: 'stdio'
  command: string
  args: string[]
  /** Added to the child's environment (on top of a minimal inherited one: PATH, HOME...). */
  env: Record<string, string>
  /** Working directory of the child, resolved against the project root. */
  cwd?: string
}

/** A server reached over streamable HTTP. */
export interface McpHttpServerConfig extends McpServerSettings {
  transport: 'http'
  url: string
  /** Sent with every request (`Authorization: Bearer ...`). */
  headers: Record<string, string>
}

export type McpServerConfig = McpStdioServerConfig | McpHttpServerConfig

/** Limits of the stderr lines of stdio servers written to the log. */
export interface McpStderrSettings {
  /** Longer lines are cut to this many bytes (the rest is dropped, the cut is marked). */
  maxLineBytes: number
  /** Lines logged per server per second; the rest are counted and reported as skipped. */
  linesPerSecond: number
}

/** Langvel's agents served as MCP tools (`langvel mcp:serve`, and `/mcp` on `langvel serve`). */
export interface McpExposeSettings {
  /** Mount the streamable HTTP endpoint on `langvel serve`. */
  http: boolean
  /** Its path (default `/mcp`). */
  path: string
  /** Request-stage middleware in front of it (default `['auth']`). */
  middleware: string[]
}

/** The resolved `mcp` config (config/mcp.ts) before mcp.json is merged in. */
export interface McpConfig {
  /** The mcp.json read at boot, relative to the project root; a missing file means no servers from it. */
  file: string
  /** Servers declared in code, in the same shape as an `mcpServers` entry of mcp.json. */
  servers: Record<string, unknown>
  /** Defaults of every server; an entry may override them. */
  defaults: Omit<McpServerSettings, 'name' | 'source' | 'required'> & { required: boolean }
  stderr: McpStderrSettings
  expose: McpExposeSettings
}

/** Where a server is in its life. */
export type McpServerStatus = 'idle' | 'starting' | 'ready' | 'restarting' | 'failed' | 'stopped'

/** A tool as the server declared it. */
export interface McpToolInfo {
  name: string
  description?: string
  inputSchema: Record<string, unknown>
  outputSchema?: Record<string, unknown>
}

/** What `mcp:list` and /health show of one server. */
export interface McpServerReport {
  name: string
  transport: 'stdio' | 'http'
  status: McpServerStatus
  required: boolean
  tools: McpToolInfo[]
  /** The server's own name and version from `initialize`. */
  serverInfo?: { name: string; version: string }
  restarts: number
  /** Why the server is not ready, when it is not. */
  error?: { code: string; message: string }
}
