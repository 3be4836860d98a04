import { existsSync } from 'node:fs'
import type { Provider } from '../contracts/provider'
import type { Application } from '../foundation/application'
import { SOURCE_EXTENSIONS } from '../foundation/paths'
import { loadRoutes } from '../routing/load_routes'
import { Router } from '../routing/router'
import { AgentRunner } from './agent_runner'
import { agentThrottle, createAgentMiddlewareRegistry, type AgentMiddlewareFactory } from './middleware'

declare module '../foundation/application' {
  interface ContainerBindings {
    agents: AgentRunner
  }
}

/** The first `<base>.ts`/`<base>.js` that exists, so routes and the middleware kernel load from source or build/. */
function sourceFile(base: string): string | undefined {
  return SOURCE_EXTENSIONS.map((extension) => `${base}${extension}`).find((file) => existsSync(file))
}

/**
 * Builds the AgentRunner from `routes/agents.ts` and the application's named
 * middleware (`app/middleware/kernel.ts`, optional). Building it validates
 * every route path and middleware name, so a typo fails the boot of the
 * command or server that uses agents, never a request.
 */
export function createAgentRunner(app: Application): AgentRunner {
  const routesFile = sourceFile(app.codePathFor('routes', 'agents'))
  const kernelFile = sourceFile(app.codePathFor('app', 'middleware', 'kernel'))
  const kernel = kernelFile ? (require(kernelFile) as { agentMiddleware?: Record<string, AgentMiddlewareFactory> }) : {}
  const checkpointers = app.make('checkpointer')
  return new AgentRunner({
    router: routesFile ? loadRoutes(routesFile) : new Router(),
    middleware: createAgentMiddlewareRegistry({ ...frameworkAgentMiddleware(app), ...(kernel.agentMiddleware ?? {}) }),
    resolveCheckpointer: (name) => checkpointers.use(name),
    logger: app.logger.child({ logger: 'agents' }),
    defaultTimeoutSeconds: app.config.get('server').agentTimeoutSeconds,
    defaultCheckpointer: checkpointers.defaultDriver,
    checkpointerDrivers: () => checkpointers.drivers,
    transportMiddleware: transportMiddlewareNames(app),
  })
}

/** Agent middleware over the application's services: `throttle` when a rate limiter is bound. */
function frameworkAgentMiddleware(app: Application): Record<string, AgentMiddlewareFactory> {
  return app.bound('rateLimiter') ? { throttle: agentThrottle(() => app.make('rateLimiter')) } : {}
}

/**
 * Route middleware that HTTP runs itself, from the services bound: the
 * names framework/http registers (auth, can, throttle). Listed here so a
 * route naming them is valid for the runner too.
 */
function transportMiddlewareNames(app: Application): string[] {
  return [...(app.bound('auth') ? ['auth', 'can'] : []), ...(app.bound('rateLimiter') ? ['throttle'] : [])]
}

export const agentsProvider: Provider = {
  name: 'agents',
  register(app: Application) {
    app.singleton('agents', () => createAgentRunner(app))
  },
}
