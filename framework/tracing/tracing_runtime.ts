import type { Tracing } from '../contracts/tracing'

/*
 * The process-wide tracing, set by the tracing provider at boot when tracing
 * is on. Code without a container at hand (tools, the model runner, the
 * graph) asks `activeTracing()`; undefined means off, and the caller skips
 * every tracing step.
 */
let current: Tracing | undefined

/**
 * The LangChain tag of model and tool runs Langvel makes spans for itself
 * (`this.llm`, Langvel tools): the graph handler does not make a second one.
 */
export const TRACED_BY_LANGVEL = 'langvel:traced'

/** Called by the tracing provider (and tests) with the application's tracing. */
export function setActiveTracing(tracing: Tracing | undefined): void {
  current = tracing
}

/** Unsets `tracing` if it is still the active one (an application shutting down after another booted leaves that one's). */
export function clearActiveTracing(tracing: Tracing): boolean {
  if (current !== tracing) return false
  current = undefined
  return true
}

/**
 * The tracing of the booted application, or undefined when tracing is off.
 *
 * @example
 * const tracing = activeTracing()
 * if (!tracing) return work()
 * return tracing.inSpan('search docs', { attributes: { 'langvel.rag.collection': 'docs' } }, () => work())
 */
export function activeTracing(): Tracing | undefined {
  return current
}
