import { randomUUID } from 'node:crypto'
import type { Tracing } from '../contracts/tracing'

/*
 * The process-wide tracing, set by the tracing provider at boot when tracing
 * is on. Code without a container at hand (tools, the model runner, the
 * graph) asks `activeTracing()`; undefined means off, and the caller skips
 * every tracing step.
 */
let current: Tracing | undefined

/**
 * The metadata key of Langvel tools' LangChain runs while tracing is on: they
 * make their own spans, so the graph handler does not make a second one.
 * Metadata, not a tag: tags reach clients in `messages` stream events.
 */
export const TRACED_BY_LANGVEL = 'langvel_traced'

/** Run ids of the model runs Langvel makes spans for itself (`this.llm`), while they run. */
const ownRuns = new Set<string>()

/**
 * With tracing on, a fresh LangChain run id for one of Langvel's own model
 * calls, marked so the graph handler makes no second span for it; undefined
 * (nothing marked, LangChain picks the id) when tracing is off. Release it
 * when the call is over. An id, not a tag or metadata: both are copied into
 * the client-visible `messages` stream events.
 */
export function ownRunId(): string | undefined {
  if (!current) return undefined
  const runId = randomUUID()
  ownRuns.add(runId)
  return runId
}

export function releaseRunId(runId: string | undefined): void {
  if (runId) ownRuns.delete(runId)
}

/** True for the runs whose spans Langvel makes itself (model calls by run id, tools by metadata). */
export function isTracedByLangvel(runId: string, metadata?: Record<string, unknown>): boolean {
  return ownRuns.has(runId) || metadata?.[TRACED_BY_LANGVEL] === true
}

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
