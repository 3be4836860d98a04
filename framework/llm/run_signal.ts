import { getConfig } from '@langchain/langgraph'

/**
 * The AbortSignal of the LangGraph run the caller is inside, if any.
 * LangGraph keeps the run config in AsyncLocalStorage while a node (or a tool
 * it runs) executes, so a model call made there can be cancelled with the run
 * even when the node forgot to pass `ctx.signal`. Outside a run there is no
 * config (some LangGraph versions throw, others return undefined): no signal.
 *
 * @example
 * const signal = options.signal ?? currentRunSignal()
 */
export function currentRunSignal(): AbortSignal | undefined {
  try {
    return getConfig()?.signal ?? undefined
  } catch {
    return undefined
  }
}
