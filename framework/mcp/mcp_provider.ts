import type { Provider } from '../contracts/provider'
import type { Application } from '../foundation/application'
import { loadMcpServers } from './mcp_config'
import { McpManager } from './mcp_manager'
import { clearMcpManagerResolver, setMcpManagerResolver } from './mcp_runtime'

declare module '../foundation/application' {
  interface ContainerBindings {
    mcp: McpManager
  }
}

const resolvers = new WeakMap<Application, () => McpManager>()

/**
 * Binds `mcp`: the McpManager of the servers in mcp.json and config/mcp.ts.
 * Building it reads and checks mcp.json (a malformed entry is a config error
 * naming the server and field); no server starts until one is used or
 * `langvel serve` starts them. Shutdown closes every session and ends every
 * child process.
 *
 * @example
 * await app.make('mcp').call('notes', 'list_notes', {})
 */
export const mcpProvider: Provider = {
  name: 'mcp',
  register(app: Application) {
    app.singleton('mcp', () => {
      const config = app.config.get('mcp')
      return new McpManager({
        servers: loadMcpServers(config, { basePath: app.path(), env: app.env }),
        stderr: config.stderr,
        logger: app.logger.child({ component: 'mcp' }),
      })
    })
  },
  boot(app: Application) {
    const resolve = () => app.make('mcp')
    resolvers.set(app, resolve)
    setMcpManagerResolver(resolve)
  },
  async shutdown(app: Application) {
    const resolve = resolvers.get(app)
    if (resolve) clearMcpManagerResolver(resolve)
    if (app.resolved('mcp')) await app.make('mcp').close()
  },
}
