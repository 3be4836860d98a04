import { defineConfig } from '../framework/config/define_config'
import { env } from '../framework/config/env'
import type { McpConfig } from '../framework/mcp/types'

/**
 * MCP servers your agents use. Servers come from `mcp.json` at the project
 * root (the `mcpServers` format other MCP clients use, so you can paste
 * yours) and from `servers` below, in the same shape. `${VAR}` in a value is
 * replaced from the environment.
 */
const servers: Record<string, unknown> = {}

export default defineConfig({
  env: {
    /** The mcp.json file, relative to the project root. */
    MCP_CONFIG_FILE: env.string('mcp.json'),
    MCP_CALL_TIMEOUT_MS: env.integer(30_000, 1, 3_600_000),
    MCP_INIT_TIMEOUT_MS: env.integer(10_000, 1, 600_000),
    MCP_MAX_MESSAGE_BYTES: env.integer(4 * 1024 * 1024, 1024, 512 * 1024 * 1024),
    MCP_RESTART_MAX_RETRIES: env.integer(10, 0, 1_000_000),
    MCP_RESTART_BASE_DELAY_MS: env.integer(500, 1, 600_000),
    MCP_RESTART_MAX_DELAY_MS: env.integer(30_000, 1, 3_600_000),
    MCP_STDERR_MAX_LINE_BYTES: env.integer(4096, 80, 1024 * 1024),
    MCP_STDERR_LINES_PER_SECOND: env.integer(50, 1, 100_000),
    /** Serve the agent routes as MCP tools at MCP_HTTP_PATH on `langvel serve`. */
    MCP_HTTP_ENABLED: env.boolean(true),
    MCP_HTTP_PATH: env.string('/mcp'),
    MCP_HTTP_MIDDLEWARE: env.list(['auth']),
  },
  resolve: (e): McpConfig => ({
    file: e.MCP_CONFIG_FILE,
    servers,
    defaults: {
      required: false,
      callTimeoutMs: e.MCP_CALL_TIMEOUT_MS,
      initTimeoutMs: e.MCP_INIT_TIMEOUT_MS,
      maxMessageBytes: e.MCP_MAX_MESSAGE_BYTES,
      restart: { enabled: true, maxRetries: e.MCP_RESTART_MAX_RETRIES, baseDelayMs: e.MCP_RESTART_BASE_DELAY_MS, maxDelayMs: e.MCP_RESTART_MAX_DELAY_MS },
    },
    stderr: { maxLineBytes: e.MCP_STDERR_MAX_LINE_BYTES, linesPerSecond: e.MCP_STDERR_LINES_PER_SECOND },
    expose: { http: e.MCP_HTTP_ENABLED, path: e.MCP_HTTP_PATH, middleware: e.MCP_HTTP_MIDDLEWARE },
  }),
})
