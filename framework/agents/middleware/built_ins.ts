import { MiddlewareRegistry } from '../../pipeline/middleware_registry'
import { loggingMiddleware } from './logging_middleware'
import type { AgentMiddleware } from './types'
import { validateMiddleware } from './validate_middleware'

/** The built-in run-stage middleware (`logging`, `validate`), for code running agents without the application's registry. */
export function builtInRunMiddleware(): MiddlewareRegistry<unknown, AgentMiddleware> {
  return new MiddlewareRegistry<unknown, AgentMiddleware>()
    .register('logging', { stage: 'run', create: loggingMiddleware })
    .register('validate', { stage: 'run', create: validateMiddleware })
}
