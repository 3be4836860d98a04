import type { AgentRouteInfo, RunResult, StreamEvent, StreamOptions } from '../../contracts/agent_run'
import type { Logger } from '../../logger'
import type { MiddlewareHandler, Next } from '../../pipeline/pipeline'
import type { RunnableAgent } from '../agent_pool'

/** `command`: a thread continued with a LangGraph command (its input is the RunCommand). `continue`: the thread goes on from its last checkpoint (`AgentRunner.continue`); there is no input. */
export type AgentRunMode = 'invoke' | 'stream' | 'resume' | 'command' | 'continue'

/** What a run produces: a result, or (when streaming) the events still to come. */
export type AgentRunOutcome = RunResult | AsyncIterable<StreamEvent>

/** The context agent middleware receives. Middleware may replace `input` and `options`. */
export interface AgentMiddlewareContext {
  /** Agent class name. */
  readonly agent: string
  /** Route path the run came in on. */
  readonly path: string
  readonly route: AgentRouteInfo
  readonly mode: AgentRunMode
  /** True for `stream()` and `resumeStream()`: `next()` then resolves to an AsyncIterable. */
  readonly streaming: boolean
  /** The run input; for `resume` the value given to the interrupt; for `command` the RunCommand. */
  input: unknown
  /** threadId (always set), request context, cancellation signal, stream modes. */
  options: StreamOptions & { threadId: string }
  /** Child logger carrying agent, path and threadId. */
  readonly logger: Logger
  /** The route's pooled agent (validate middleware reads its schema). */
  readonly instance: RunnableAgent
}

/**
 * Agent middleware: `{ name, handle(ctx, next) }`, built by a factory from
 * the arguments written after `:` in its name (`throttle:10,60`).
 */
export interface AgentMiddleware extends MiddlewareHandler<AgentMiddlewareContext, AgentRunOutcome> {
  readonly name: string
  handle(ctx: AgentMiddlewareContext, next: Next<AgentRunOutcome>): Promise<AgentRunOutcome>
}

/** Builds a middleware from its string arguments; throw here to reject bad arguments at boot. */
export type AgentMiddlewareFactory = (args: string[]) => AgentMiddleware

export function isStreamOutcome(outcome: AgentRunOutcome): outcome is AsyncIterable<StreamEvent> {
  return typeof (outcome as AsyncIterable<StreamEvent>)?.[Symbol.asyncIterator] === 'function'
}
