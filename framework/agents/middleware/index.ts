export { loggingMiddleware } from './logging_middleware'
export { validateMiddleware } from './validate_middleware'
export { isStreamOutcome } from './types'
export type { AgentMiddleware, AgentMiddlewareContext, AgentMiddlewareFactory, AgentRunMode, AgentRunOutcome } from './types'
