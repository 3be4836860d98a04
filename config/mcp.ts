import { join } from 'node:path'
import { defineConfig, type ConfigProblem } from '../framework/config/define_config'
import { env } from '../framework/config/env'
import { MCP_LIMITS } from '../framework/mcp/mcp_config'
import { nodeServer } from '../framework/mcp/node_server'
import type { McpConfig } from '../framework/mcp/types'

/**
 * MCP servers your agents use. Servers come from `mcp.json` at the project
 * root (the `mcpServers` format other MCP clients use, so you can paste
 * yours) and from `servers` below, in the same shape. `${VAR}` and
 * `${VAR:-default}` in a value are replaced from the environment. A name is
 * declared in one place only. See "MCP servers" in docs/CONFIGURATION.md.
 *
 * @example
 * const servers: Record<string, unknown> = {
 *   filesystem: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem', './docs'] },
 *   search: { url: 'https://mcp.example.com/mcp', headers: { Authorization: 'Bearer ${SEARCH_TOKEN}' }, required: true },
 * }
 */
const servers: Record<string, unknown> = {
  // The example notes server (app/mcp/notes_server.ts), used by the /notes agent.
  notes: {
    ...nodeServer(join(__dirname, '..', 'app', 'mcp', 'notes_server')),
    env: { NOTES_FILE: '${NOTES_FILE:-storage/mcp/notes.json}' },
  },
}

const limit = (name: keyof typeof MCP_LIMITS, fallback: number) => env.integer(fallback, MCP_LIMITS[name].min, MCP_LIMITS[name].max)

/**
 * A comma list of middleware names, `auth` when unset or empty; `none` is the
 * empty list (no middleware), the one way to write it: `,` is refused.
 */
const middlewareList = env
  .list(['auth'])
  .refine((names) => names.length > 0, 'expected middleware names separated by commas, or none for no middleware')
  .refine((names) => names.length === 1 || !names.includes('none'), 'none means no middleware and cannot be listed with other names')
  .transform((names) => (names[0] === 'none' ? [] : names))

export default defineConfig({
  env: {
    /** The mcp.json file, relative to the project root. */
    MCP_CONFIG_FILE: env.string('mcp.json'),
    MCP_CALL_TIMEOUT_MS: limit('callTimeoutMs', 30_000),
    MCP_INIT_TIMEOUT_MS: limit('initTimeoutMs', 10_000),
    MCP_MAX_MESSAGE_BYTES: limit('maxMessageBytes', 4 * 1024 * 1024),
    MCP_RESTART_MAX_RETRIES: limit('maxRetries', 10),
    MCP_RESTART_BASE_DELAY_MS: limit('baseDelayMs', 500),
    MCP_RESTART_MAX_DELAY_MS: limit('maxDelayMs', 30_000),
    MCP_STDERR_MAX_LINE_BYTES: env.integer(4096, 80, 1024 * 1024),
    MCP_STDERR_LINES_PER_SECOND: env.integer(50, 1, 100_000),
    /** Serve the agent routes as MCP tools at MCP_HTTP_PATH on `langvel serve`. */
    MCP_HTTP_ENABLED: env.boolean(true),
    MCP_HTTP_PATH: env.string('/mcp'),
    /** Request middleware in front of it; `none` for none. */
    MCP_HTTP_MIDDLEWARE: middlewareList,
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
  check: (config, { appEnv }) => {
    const problems: ConfigProblem[] = []
    const { baseDelayMs, maxDelayMs } = config.defaults.restart
    if (baseDelayMs > maxDelayMs) {
      problems.push({ key: 'MCP_RESTART_BASE_DELAY_MS', message: `is above MCP_RESTART_MAX_DELAY_MS (${maxDelayMs})`, severity: 'error' })
    }
    if (!config.expose.path.startsWith('/')) problems.push({ key: 'MCP_HTTP_PATH', message: 'expected a path starting with /', severity: 'error' })
    // `auth` or `auth:<guard>`: without it, anyone who reaches the port can run every agent through /mcp.
    const authenticated = config.expose.middleware.some((name) => name.split(':')[0] === 'auth')
    if (appEnv === 'production' && config.expose.http && !authenticated) {
      problems.push({ key: 'MCP_HTTP_MIDDLEWARE', message: `${config.expose.path} serves every agent route without authentication (only routes with their own auth keep it): add auth to the list, or set MCP_HTTP_ENABLED=false`, severity: 'warning' })
    }
    return problems
  },
})
