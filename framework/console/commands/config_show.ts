import { secretKeys } from '../../config/loader'
import { redact } from '../../logger/redact'
import { loadMcpServers, redactMcpServer } from '../../mcp/mcp_config'
import type { Application } from '../../foundation/application'
import type { CommandHandler } from '../command'

/** Prints every config file's environment keys with their effective values; secrets redacted. */
const configShow: CommandHandler<{ json?: boolean }> = ({ app, options, output }) => {
  const definitions = app.config.definitions
  const secrets = secretKeys(definitions)
  const effective: Record<string, Record<string, unknown>> = {}
  for (const [name, definition] of Object.entries(definitions)) {
    const values: Record<string, unknown> = {}
    for (const key of Object.keys(definition.env)) {
      const raw = app.env[key]
      values[key] = secrets.has(key) ? (raw ? '<redacted>' : null) : raw === undefined || raw === '' ? null : raw
    }
    // Resolved objects hold secrets under other names (jwtSecret, url): redact by key name and URL credentials.
    effective[name] = { env: values, resolved: redact(app.config.get(name)) }
  }
  if (effective.mcp) (effective.mcp.resolved as Record<string, unknown>).servers = mcpServers(app)
  if (options.json) {
    output.json({ environment: app.config.appEnv, config: effective })
    return
  }
  output.line(`${output.paint('bold', 'Environment')}: ${app.config.appEnv}`)
  for (const [name, { resolved }] of Object.entries(effective)) {
    output.line()
    output.line(output.paint('bold', `config/${name}`))
    const rows = Object.entries(resolved as Record<string, unknown>).map(([key, value]) => [key, JSON.stringify(value) ?? 'undefined'])
    output.table(['key', 'value'], rows)
  }
}

/**
 * The servers of mcp.json and config/mcp.ts as they will run, in place of the
 * declarations of config/mcp.ts: env and header values and substituted
 * arguments are secrets whatever their names, which redact() cannot know.
 * A malformed mcp.json fails the command with its E_INVALID_CONFIG.
 */
function mcpServers(app: Application): Array<Record<string, unknown>> {
  return loadMcpServers(app.config.get('mcp'), { basePath: app.basePath, env: app.env }).map(redactMcpServer)
}

export default configShow
