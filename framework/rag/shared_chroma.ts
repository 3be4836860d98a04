import type { Application } from '../foundation/application'
import { MANAGED_CHROMA_URL_ENV } from './rag_manager'

export interface SharedChroma {
  /** The environment the workers are forked with: the managed Chroma's URL. */
  env: Record<string, string>
  stop(): Promise<void>
}

/**
 * For the cluster primary of `langvel serve --workers N`: when RAG would
 * use a managed local Chroma (CHROMA_URL empty, outside production), starts
 * one here, so every worker shares it instead of each starting its own on
 * the same data folder. Undefined when there is nothing to share (CHROMA_URL
 * set, production, or no rag provider).
 *
 * @example
 * const shared = await sharedChromaForWorkers(app)
 * await runClusterPrimary({ workers, logger, graceSeconds, env: shared?.env })
 * await shared?.stop()
 */
export async function sharedChromaForWorkers(app: Application): Promise<SharedChroma | undefined> {
  if (!app.bound('rag') || !app.config.has('rag')) return undefined
  if (app.config.get('rag').chroma.url || app.isProduction) return undefined
  const rag = app.make('rag')
  if (!rag.managesChroma) return undefined
  await rag.ping()
  const url = rag.managedChroma?.url
  if (!url) return undefined
  return { env: { [MANAGED_CHROMA_URL_ENV]: url }, stop: () => rag.close() }
}
