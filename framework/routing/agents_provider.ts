import type { Provider } from '../contracts/provider'
import type { Application } from '../foundation/application'
import { sourceFile } from '../foundation/paths'
import { AgentRunner } from '../agents/agent_runner'
import { E_MCP_SERVER_NOT_FOUND } from '../errors'
import { McpToolset } from '../mcp/mcp_tools'
import { assertRagFor, type RagUser } from '../rag/agent/rag_requirement'
import { loadRoutes } from './load_routes'

declare module '../foundation/application' {
  interface ContainerBindings {
    agents: AgentRunner
  }
}

/**
 * Builds the AgentRunner from `routes/agents.ts` and the application's
 * middleware registry (container binding `middleware`). Building it
 * validates every route path and middleware name, and that retrieval is
 * configured for every agent that uses it (a `ragTool`, a `retrieve` step),
 * and that every MCP server an agent's tools name is configured (under
 * `servers` in config/mcp.ts or in mcp.json), so a typo, a missing CHROMA_URL
 * or an undeclared MCP server fails the boot of the command or server that
 * uses agents, never a request.
 */
export function createAgentRunner(app: Application): AgentRunner {
  const routesFile = sourceFile(app.codePathFor('routes', 'agents'))
  const checkpointers = app.make('checkpointer')
  const routes = routesFile ? loadRoutes(routesFile).routes() : []
  const runner = new AgentRunner({
    routes,
    middleware: app.bound('middleware') ? app.make('middleware') : undefined,
    resolveCheckpointer: (name) => checkpointers.use(name),
    logger: app.logger.child({ logger: 'agents' }),
    defaultTimeoutSeconds: app.config.get('server').agentTimeoutSeconds,
    defaultDurability: app.config.get('agents').durability,
    defaultCheckpointer: checkpointers.defaultDriver,
    checkpointerDrivers: () => checkpointers.drivers,
  })
  if (app.bound('rag')) for (const route of routes) assertRagFor(runner.pool.instance(route.definition) as RagUser)
  if (app.bound('mcp')) {
    for (const route of routes) {
      const agent = runner.pool.instance(route.definition) as { name?: string; tools?: unknown }
      for (const tool of Array.isArray(agent.tools) ? agent.tools : []) {
        if (tool instanceof McpToolset && !app.make('mcp').has(tool.server)) {
          throw new E_MCP_SERVER_NOT_FOUND(tool.server, {
            help: `The tools of agent ${agent.name ?? '?'} (route ${route.path}) come from it. Declare it under \`servers\` in config/mcp.ts or under "mcpServers" in mcp.json; \`langvel mcp:list\` shows the configured servers.`,
          })
        }
      }
    }
  }
  return runner
}

export const agentsProvider: Provider = {
  name: 'agents',
  register(app: Application) {
    app.singleton('agents', () => createAgentRunner(app))
  },
}
