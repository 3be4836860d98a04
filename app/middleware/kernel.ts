import type { AgentMiddlewareFactory } from '../../framework/agents/middleware'
import { maxInputMiddleware } from './max_input_middleware'

/**
 * The application's named agent middleware, added to the built-ins
 * (`logging`, `validate`). Routes and agents refer to them by these names;
 * an unknown name fails the boot.
 */
export const agentMiddleware: Record<string, AgentMiddlewareFactory> = {
  max_input: maxInputMiddleware,
}
