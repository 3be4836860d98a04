import { loggingMiddleware } from './logging_middleware'
import { MiddlewareRegistry } from './middleware_registry'
import type { AgentMiddleware, AgentMiddlewareFactory } from './types'
import { validateMiddleware } from './validate_middleware'

/**
 * A registry of agent middleware holding the built-ins (`logging`,
 * `validate`) plus the application's own; an app entry with a built-in's
 * name replaces it.
 *
 * @example
 * import { agentMiddleware } from '../app/middleware/kernel'
 * const registry = createAgentMiddlewareRegistry(agentMiddleware)
 */
export function createAgentMiddlewareRegistry(extra: Record<string, AgentMiddlewareFactory> = {}): MiddlewareRegistry<AgentMiddleware> {
  const registry = new MiddlewareRegistry<AgentMiddleware>().register('logging', loggingMiddleware).register('validate', validateMiddleware)
  for (const [name, factory] of Object.entries(extra)) registry.register(name, factory)
  return registry
}
