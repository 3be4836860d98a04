import type { LangGraphRunnableConfig } from '@langchain/langgraph'
import type { RequestContext } from '../contracts/request_context'

/**
 * What a node, branch selector or loop condition receives beside the state.
 * The request context travels outside the graph state, so input can never
 * forge it, and it is frozen: nodes read it, they do not change it.
 *
 * @example
 * async classify(state: Support, ctx: NodeContext) {
 *   ctx.writer({ progress: 'classifying' })          // a `custom` stream event
 *   const user = ctx.context.principal?.id
 *   return { category: await classify(state.query, { signal: ctx.signal }) }
 * }
 */
export interface NodeContext {
  readonly context: RequestContext
  /** Aborted when the run is cancelled or times out: pass it to slow calls. */
  readonly signal: AbortSignal
  readonly threadId: string
  /** The graph node running (for a selector or condition: the node it follows). */
  readonly node: string
  /** Emits a `custom` stream event. A no-op when nobody streams custom events. */
  readonly writer: (chunk: unknown) => void
  /** The value the interrupt just before this node was resumed with (when it has no `resumeInto`). */
  readonly resumeValue?: unknown
  /** LangGraph's run config, for what Langvel does not wrap. */
  readonly config: LangGraphRunnableConfig
}

/**
 * The caller's thread id in a run's configurable (the checkpointer's
 * `thread_id` is namespaced by the agent). LangGraph keeps `__` keys out of
 * checkpoint metadata.
 */
export const CALLER_THREAD_KEY = '__langvel_thread_id'

const neverAborted = new AbortController().signal
const noop = () => {}

/** The context every run gets when the caller passes none (CLI, tests). */
export function systemContext(requestId: string): RequestContext {
  return { requestId, traceId: requestId, principal: { id: 'system', type: 'system', permissions: [] } }
}

/** Freezes a request context and the objects inside it, once per run. */
export function freezeContext(context: RequestContext): RequestContext {
  if (Object.isFrozen(context)) return context
  const principal = context.principal
    ? Object.freeze({
        ...context.principal,
        permissions: Object.freeze([...context.principal.permissions]),
        ...(context.principal.claims ? { claims: Object.freeze({ ...context.principal.claims }) } : {}),
      })
    : undefined
  return Object.freeze({ ...context, ...(principal ? { principal } : {}) })
}

export function nodeContext(config: LangGraphRunnableConfig, node: string, resumeValue?: unknown): NodeContext {
  return {
    context: config.context as unknown as RequestContext,
    signal: config.signal ?? neverAborted,
    threadId: String(config.configurable?.[CALLER_THREAD_KEY] ?? config.configurable?.thread_id ?? ''),
    node,
    writer: config.writer ?? noop,
    resumeValue,
    config,
  }
}
