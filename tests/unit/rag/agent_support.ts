import { FakeEmbeddings } from '../../../framework/rag/embeddings/fake_embeddings'
import type { RagManager } from '../../../framework/rag/rag_manager'
import { setRagManagerResolver } from '../../../framework/rag/rag_runtime'
import type { RagCollection } from '../../../framework/rag/types'
import { MemoryCollection } from './agent_memory_collection'

/**
 * Makes resolveRag() (and so `this.rag`, ragTool, retrieve) answer with
 * in-memory collections: the ones given, and for any other name a collection
 * that does not exist. Returns a function that removes the resolver.
 */
export function useMemoryRag(collections: Record<string, MemoryCollection>): () => void {
  const missing = (name: string): RagCollection => {
    const collection = new MemoryCollection(name, new FakeEmbeddings())
    collection.exists = false
    return collection
  }
  const manager = { collection: (name: string) => collections[name] ?? missing(name), store: {} } as unknown as RagManager
  setRagManagerResolver(() => manager)
  return () => setRagManagerResolver(undefined)
}

/** A collection of the fake embeddings holding `pages` (source -> text), one chunk per paragraph. */
export async function memoryCollection(name: string, pages: Record<string, string>): Promise<MemoryCollection> {
  const collection = new MemoryCollection(name, new FakeEmbeddings(256))
  for (const [source, text] of Object.entries(pages)) {
    const chunks = text.split(/\n{2,}/)
    await collection.add(chunks.map((chunk, index) => ({ id: `${source}#${index}`, text: chunk, metadata: { source, chunk: index } })))
  }
  return collection
}
