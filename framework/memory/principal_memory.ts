import type { BaseStore, Item } from '@langchain/langgraph-checkpoint'
import { E_INVALID_INPUT, E_RUNTIME } from '../errors'
import type { Embeddings } from '../rag/types'
import { memoryNamespace } from './memory_owner'
import { rankByText, rankByVector } from './memory_ranking'

/** One remembered fact. */
export interface Memory {
  key: string
  value: unknown
  createdAt: Date
  updatedAt: Date
}

/** A memory as recall ranks it: `score` is the cosine similarity (semantic) or the share of query words found (text). */
export interface RecalledMemory extends Memory {
  score: number
}

/** What a memory is stored as: the value, its text, and its vector when embeddings are on. */
export interface StoredMemory extends Record<string, unknown> {
  value: unknown
  text: string
  embedding?: number[]
  /** `<provider>/<model>` of the vector, so a changed model is never compared with an old vector. */
  embeddingModel?: string
}

export interface PrincipalMemoryOptions {
  /** Rank recall by these; text matching without them. */
  embeddings?: Embeddings
  /** Memories recall returns by default. */
  recallLimit?: number
}

/** Items read per page when listing a namespace. */
const PAGE = 100
/** Read-and-delete rounds `clear()` makes before giving up on a namespace that never empties. */
const CLEAR_ROUNDS = 20

/**
 * The long-term memory of one principal: facts that outlive a thread, under
 * the namespace `['memories', <owner>, 'm']` of a LangGraph store. Nothing here
 * can reach another principal's namespace. Agents get it as `this.memory`.
 *
 * @example
 * await this.memory.remember('diet', 'vegetarian, no nuts')
 * const hits = await this.memory.recall('what does the user eat?', { limit: 3 })
 */
export class PrincipalMemory {
  readonly namespace: string[]

  constructor(
    private readonly store: BaseStore,
    readonly owner: string,
    private readonly options: PrincipalMemoryOptions = {},
  ) {
    this.namespace = memoryNamespace(owner)
  }

  /** Stores (or replaces) the memory `key`. The value must be JSON. */
  async remember(key: string, value: unknown): Promise<void> {
    assertKey(key)
    if (value === undefined) throw new E_INVALID_INPUT(`memory "${key}" has no value: use forget() to remove one`)
    const text = typeof value === 'string' ? value : JSON.stringify(value)
    const stored: StoredMemory = { value, text }
    const embeddings = this.options.embeddings
    if (embeddings) {
      stored.embedding = await embeddings.embedQuery(text)
      stored.embeddingModel = modelOf(embeddings)
    }
    // index: false: the store never embeds by itself; the vector, when there is one, is ours.
    await this.store.put(this.namespace, key, stored, false)
  }

  /** The memory `key`, or undefined. */
  async get(key: string): Promise<Memory | undefined> {
    assertKey(key)
    const item = await this.store.get(this.namespace, key)
    return item ? toMemory(item) : undefined
  }

  /** Removes the memory `key`; true when there was one. */
  async forget(key: string): Promise<boolean> {
    assertKey(key)
    const existed = (await this.store.get(this.namespace, key)) !== null
    if (existed) await this.store.delete(this.namespace, key)
    return existed
  }

  /** Every memory of the principal, newest first. */
  async list(): Promise<Memory[]> {
    return (await this.items()).map(toMemory)
  }

  /**
   * The memories closest to `query`, best first: by embedding similarity when
   * embeddings are configured, else by the words they share with the query
   * (memories sharing none are left out).
   */
  async recall(query: string, options: { limit?: number } = {}): Promise<RecalledMemory[]> {
    const limit = options.limit ?? this.options.recallLimit ?? 5
    const items = await this.items()
    if (items.length === 0 || limit <= 0) return []
    const embeddings = this.options.embeddings
    const ranked = embeddings ? await rankByVector(items, query, embeddings, modelOf(embeddings)) : rankByText(items, query)
    return ranked.slice(0, limit).map(({ item, score }) => ({ ...toMemory(item), score }))
  }

  /**
   * Removes every memory of the principal; resolves with how many it removed.
   * Reads and deletes until a read finds none, so a memory written meanwhile,
   * or one an offset page skipped as rows moved, is not left behind.
   */
  async clear(): Promise<number> {
    let removed = 0
    for (let round = 0; round < CLEAR_ROUNDS; round++) {
      const items = await this.items()
      if (items.length === 0) return removed
      for (const item of items) await this.store.delete(this.namespace, item.key)
      removed += items.length
    }
    throw new E_RUNTIME(`memories of ${this.owner} are still being written: ${CLEAR_ROUNDS} rounds of deletion did not empty them`)
  }

  /**
   * Every item of exactly this namespace. Stores match a search prefix by
   * text (Postgres: `LIKE 'memories:<owner>:m%'`); the last level keeps other
   * owners out of the match, and anything not exactly in this namespace is
   * still dropped here, so the check that keeps principals apart does not
   * depend on the driver.
   */
  private async items(): Promise<Item[]> {
    const mine: Item[] = []
    const path = this.namespace.join('\u0000')
    for (let offset = 0; ; offset += PAGE) {
      const page = await this.store.search(this.namespace, { limit: PAGE, offset })
      for (const item of page) if (item.namespace.join('\u0000') === path) mine.push(item)
      if (page.length < PAGE) return mine
    }
  }
}

function assertKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0 || key.length > 512) throw new E_INVALID_INPUT('a memory key is a string of 1 to 512 characters')
}

function modelOf(embeddings: Embeddings): string {
  return `${embeddings.provider}/${embeddings.model}`
}

function toMemory(item: Item): Memory {
  return { key: item.key, value: (item.value as StoredMemory).value, createdAt: new Date(item.createdAt), updatedAt: new Date(item.updatedAt) }
}
