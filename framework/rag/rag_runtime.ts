import { E_RUNTIME } from '../errors'
import { appLink } from '../support/app_link'
import type { RagManager } from './rag_manager'

/*
 * The process-wide link between code that has no container at hand (agents,
 * tools defined at module load) and the booted application's RagManager.
 * The rag provider sets it at boot. Nothing connects or loads a model until
 * a collection is used.
 */
const link = appLink<RagManager>()

/** Called by the rag provider at boot (and by tests) with the application's manager. */
export function setRagManagerResolver(resolve: (() => RagManager) | undefined): void {
  link.set(resolve)
}

/**
 * Unsets `resolve` if it is still the current resolver (an application
 * shutting down after another booted leaves that one's); true when it was.
 */
export function clearRagManagerResolver(resolve: () => RagManager): boolean {
  return link.clear(resolve)
}

/**
 * The booted application's RagManager. Unlike models there is no offline
 * fallback: a store needs configuration (CHROMA_URL, RAG_STORAGE_PATH), so
 * without a booted application this is E_RUNTIME.
 *
 * @example
 * const results = await resolveRag().collection('docs').search('how do I resume a thread?')
 */
export function resolveRag(): RagManager {
  const manager = link.get()
  if (!manager) throw new E_RUNTIME('RAG is used before the application booted (no rag provider registered)')
  return manager
}
