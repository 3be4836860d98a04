import { createHash } from 'node:crypto'
import type { BaseMessage } from '@langchain/core/messages'
import { LRUCache } from 'lru-cache'
import { lruClock, setUntil } from '../support/lru'
import { messageFingerprint, type StoredAnswer } from './messages'

/** Where model answers are cached. Drivers: memory (this file) and Redis (redis_response_cache.ts). */
export interface ResponseCacheStore {
  readonly driver: string
  get(key: string): Promise<StoredAnswer | undefined>
  set(key: string, value: StoredAnswer, ttlSeconds: number): Promise<void>
}

export interface CacheKeyParts {
  provider: string
  model: string
  temperature: number
  maxTokens: number
  messages: readonly BaseMessage[]
  /** Tools in the provider-neutral function format (name, description, parameters). */
  tools: readonly unknown[]
  toolChoice?: string
}

/**
 * The cache key of a call: a SHA-256 of everything that changes the answer —
 * provider, model, sampling parameters, the whole conversation and the tools
 * offered. Any difference is a different key; nothing secret is stored in it.
 *
 * @example
 * responseCacheKey({ provider: 'openai', model: 'gpt-4o-mini', temperature: 0, maxTokens: 256, messages, tools: [] })
 */
export function responseCacheKey(parts: CacheKeyParts): string {
  const material = JSON.stringify([
    'v1',
    parts.provider,
    parts.model,
    parts.temperature,
    parts.maxTokens,
    parts.messages.map(messageFingerprint),
    parts.tools,
    parts.toolChoice ?? null,
  ])
  return createHash('sha256').update(material).digest('hex')
}

/**
 * In-process cache: a TTL per entry and an LRU bound on the number of
 * entries, so memory stays flat however many distinct prompts pass through.
 *
 * @example
 * const cache = new MemoryResponseCache(1000)
 * await cache.set(key, answer, 3600)
 */
export class MemoryResponseCache implements ResponseCacheStore {
  readonly driver = 'memory'
  private readonly entries: LRUCache<string, StoredAnswer>

  constructor(
    maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {
    this.entries = new LRUCache({ max: maxEntries, ...lruClock(now) })
  }

  get size(): number {
    return this.entries.size
  }

  async get(key: string): Promise<StoredAnswer | undefined> {
    return this.entries.get(key)
  }

  async set(key: string, value: StoredAnswer, ttlSeconds: number): Promise<void> {
    setUntil(this.entries, key, value, this.now() + ttlSeconds * 1000)
  }
}
