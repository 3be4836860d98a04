import type { CommandHandler } from '../command'
import { cliContext } from './agent_shared'

const VERSION: string = require('../../../package.json').version

/**
 * `langvel mcp:serve`: the agent routes as MCP tools over stdio, for MCP
 * clients that start it themselves. Runs act as the local operator, as with
 * `agent:run`. stdout carries only the protocol: this command writes no
 * status line, and log lines go to stderr. Ends when the client closes stdin
 * or on SIGTERM/SIGINT; the kernel then shuts the application down.
 */
const mcpServe: CommandHandler = async ({ app }) => {
  const { serveStdio } = require('../../mcp/server/stdio_server') as typeof import('../../mcp/server/stdio_server')
  // Building the runner validates routes/agents.ts and every middleware name before the client is answered.
  const runner = app.make('agents')
  const session = await serveStdio({
    runner,
    context: cliContext,
    logger: app.logger.child({ logger: 'mcp' }),
    debug: app.config.get('app').debug,
    info: { name: app.config.get('app').name, version: VERSION },
  })
  await session.closed
  // Should a library leave a handle open, the process still ends once shut down.
  setTimeout(() => process.exit(process.exitCode ?? 0), 3000).unref()
  return 0
}

export default mcpServe
