import type { Item } from '@langchain/langgraph-checkpoint'
import type { Embeddings } from '../rag/types'
import type { StoredMemory } from './principal_memory'

export interface Ranked {
  item: Item
  score: number
}

/**
 * Ranks memories by cosine similarity to the query. Memories stored without
 * a vector, or with one from another model, are embedded now (not written
 * back: the next `remember` of that key stores a fresh one).
 */
export async function rankByVector(items: Item[], query: string, embeddings: Embeddings, model: string): Promise<Ranked[]> {
  const stale = items.filter((item) => !hasVector(item, model))
  const fresh = stale.length > 0 ? await embeddings.embedDocuments(stale.map((item) => (item.value as StoredMemory).text)) : []
  const vectors = new Map(stale.map((item, i) => [item, fresh[i]]))
  const target = await embeddings.embedQuery(query)
  return items
    .map((item) => ({ item, score: cosine(target, vectors.get(item) ?? ((item.value as StoredMemory).embedding as number[])) }))
    .sort((a, b) => b.score - a.score)
}

/** Ranks memories by the share of the query's words they contain; those with none are dropped. */
export function rankByText(items: Item[], query: string): Ranked[] {
  const wanted = new Set(words(query))
  if (wanted.size === 0) return []
  return items
    .map((item) => {
      const found = new Set(words((item.value as StoredMemory).text).filter((word) => wanted.has(word)))
      return { item, score: found.size / wanted.size }
    })
    .filter((ranked) => ranked.score > 0)
    .sort((a, b) => b.score - a.score)
}

function hasVector(item: Item, model: string): boolean {
  const value = item.value as StoredMemory
  return Array.isArray(value.embedding) && value.embeddingModel === model
}

function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []
}

function cosine(a: number[], b: number[]): number {
  if (a.length !== b.length) return 0
  let dot = 0
  let na = 0
  let nb = 0
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i]
    na += a[i] * a[i]
    nb += b[i] * b[i]
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb)
}
