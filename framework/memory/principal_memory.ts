import type { BaseStore, Item } from '@langchain/langgraph-checkpoint'
import { E_INVALID_INPUT, E_RUNTIME } from '../errors'
import type { Embeddings } from '../rag/types'
import { DEFAULT_EPISODE_MAX_CHARS, episodeValue, toEpisode, type Episode, type EpisodeInput, type RecalledEpisode } from './episodes'
import { memoryNamespace } from './memory_owner'
import { rankByText, rankByVector, type Ranked } from './memory_ranking'

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
  /** Longest episode summary kept, in characters; longer ones are cut. */
  episodeMaxChars?: number
}

/** Items read per page when listing a namespace. */
const PAGE = 100
/** Read-and-delete rounds `clear()` makes before giving up on a namespace that never empties. */
const CLEAR_ROUNDS = 20

/**
 * The long-term memory of one principal: facts that outlive a thread, under
 * the namespace `['memories', <owner>, 'm']` of a LangGraph store, and the
 * summaries of its finished threads (episodes), under `['memories', <owner>, 'e']`.
 * Nothing here can reach another principal's namespaces. Agents get it as `this.memory`.
 *
 * @example
 * await this.memory.remember('diet', 'vegetarian, no nuts')
 * const hits = await this.memory.recall('what does the user eat?', { limit: 3 })
 * const past = await this.memory.episodes('the trip to Lisbon', { limit: 2 })
 */
export class PrincipalMemory {
  readonly namespace: string[]
  readonly episodeNamespace: string[]

  constructor(
    private readonly store: BaseStore,
    readonly owner: string,
    private readonly options: PrincipalMemoryOptions = {},
  ) {
    this.namespace = memoryNamespace(owner)
    this.episodeNamespace = memoryNamespace(owner, 'e')
  }

  /** Stores (or replaces) the memory `key`. The value must be JSON. */
  async remember(key: string, value: unknown): Promise<void> {
    assertKey(key)
    if (value === undefined) throw new E_INVALID_INPUT(`memory "${key}" has no value: use forget() to remove one`)
    await this.put(this.namespace, key, value, typeof value === 'string' ? value : JSON.stringify(value))
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
    return (await this.items(this.namespace)).map(toMemory)
  }

  /**
   * The memories closest to `query`, best first: by embedding similarity when
   * embeddings are configured, else by the words they share with the query
   * (memories sharing none are left out).
   */
  async recall(query: string, options: { limit?: number } = {}): Promise<RecalledMemory[]> {
    const ranked = await this.rank(this.namespace, query, options.limit)
    return ranked.map(({ item, score }) => ({ ...toMemory(item), score }))
  }

  /**
   * Stores the summary of a thread (an episode), replacing the one stored
   * before under the same key: one episode per thread. The summary is cut to
   * MEMORY_EPISODE_MAX_CHARS. Agents that declare `episodicMemory` have it
   * called when a run finishes; call it yourself for anything else worth recalling.
   */
  async rememberEpisode(input: EpisodeInput): Promise<Episode> {
    const { key, value } = episodeValue(input, this.options.episodeMaxChars ?? DEFAULT_EPISODE_MAX_CHARS)
    assertKey(key)
    await this.put(this.episodeNamespace, key, value, value.summary)
    const item = await this.store.get(this.episodeNamespace, key)
    if (!item) throw new E_RUNTIME(`the episode ${key} of ${this.owner} was not found right after it was stored`)
    return toEpisode(item)
  }

  /**
   * The principal's episodes. Without a query: every one, most recently
   * finished first (at most `limit`). With one: the closest to it, best
   * first, ranked as `recall` ranks memories (default limit: MEMORY_RECALL_LIMIT).
   */
  episodes(options?: { limit?: number }): Promise<Episode[]>
  episodes(query: string, options?: { limit?: number }): Promise<RecalledEpisode[]>
  async episodes(queryOrOptions?: string | { limit?: number }, given: { limit?: number } = {}): Promise<Episode[] | RecalledEpisode[]> {
    if (typeof queryOrOptions === 'string') {
      const ranked = await this.rank(this.episodeNamespace, queryOrOptions, given.limit)
      return ranked.map(({ item, score }) => ({ ...toEpisode(item), score }))
    }
    const all = (await this.items(this.episodeNamespace)).map(toEpisode).sort((a, b) => b.finishedAt.getTime() - a.finishedAt.getTime())
    const limit = queryOrOptions?.limit
    return limit === undefined ? all : all.slice(0, Math.max(0, limit))
  }

  /** Removes the episode `key` (a thread's key, as `episodes()` lists it); true when there was one. */
  async forgetEpisode(key: string): Promise<boolean> {
    assertKey(key)
    const existed = (await this.store.get(this.episodeNamespace, key)) !== null
    if (existed) await this.store.delete(this.episodeNamespace, key)
    return existed
  }

  /**
   * Removes every memory of the principal; resolves with how many it removed.
   * Reads and deletes until a read finds none, so a memory written meanwhile,
   * or one an offset page skipped as rows moved, is not left behind.
   */
  async clear(): Promise<number> {
    return this.empty(this.namespace, 'memories')
  }

  /** Removes every episode of the principal, as `clear()` removes its memories; resolves with how many it removed. */
  async clearEpisodes(): Promise<number> {
    return this.empty(this.episodeNamespace, 'episodes')
  }

  private async empty(namespace: string[], what: string): Promise<number> {
    let removed = 0
    for (let round = 0; round < CLEAR_ROUNDS; round++) {
      const items = await this.items(namespace)
      if (items.length === 0) return removed
      for (const item of items) await this.store.delete(namespace, item.key)
      removed += items.length
    }
    throw new E_RUNTIME(`${what} of ${this.owner} are still being written: ${CLEAR_ROUNDS} rounds of deletion did not empty them`)
  }

  /** Writes an item with its text (and its vector when embeddings are on). */
  private async put(namespace: string[], key: string, value: unknown, text: string): Promise<void> {
    const stored: StoredMemory = { value, text }
    const embeddings = this.options.embeddings
    if (embeddings) {
      stored.embedding = await embeddings.embedQuery(text)
      stored.embeddingModel = modelOf(embeddings)
    }
    // index: false: the store never embeds by itself; the vector, when there is one, is ours.
    await this.store.put(namespace, key, stored, false)
  }

  private async rank(namespace: string[], query: string, given: number | undefined): Promise<Ranked[]> {
    const limit = given ?? this.options.recallLimit ?? 5
    const items = await this.items(namespace)
    if (items.length === 0 || limit <= 0) return []
    const embeddings = this.options.embeddings
    const ranked = embeddings ? await rankByVector(items, query, embeddings, modelOf(embeddings)) : rankByText(items, query)
    return ranked.slice(0, limit)
  }

  /**
   * Every item of exactly `namespace` (one of this principal's). Stores match a search prefix by
   * text (Postgres: `LIKE 'memories:<owner>:m%'`); the last level keeps other
   * owners out of the match, and anything not exactly in this namespace is
   * still dropped here, so the check that keeps principals apart does not
   * depend on the driver.
   */
  private async items(namespace: string[]): Promise<Item[]> {
    const mine: Item[] = []
    const path = namespace.join('\u0000')
    for (let offset = 0; ; offset += PAGE) {
      const page = await this.store.search(namespace, { limit: PAGE, offset })
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
