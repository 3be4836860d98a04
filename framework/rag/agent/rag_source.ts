import { resolveRag } from '../rag_runtime'
import type { RagCollection } from '../types'

/**
 * The booted application's collection `name`, looked up when a search runs
 * (not when a tool or step is defined), so tools declared at module load
 * follow the application that is running them.
 */
export function collectionNamed(name: string): RagCollection {
  return resolveRag().collection(name)
}
