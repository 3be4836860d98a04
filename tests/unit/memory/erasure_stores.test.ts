import type { Redis } from 'ioredis'
import { InMemoryStore, type SearchItem } from '@langchain/langgraph-checkpoint'
import { RedisThreadOwnerStore } from '../../../framework/auth/threads/redis_thread_owner_store'
import { PrincipalMemory } from '../../../framework/memory/principal_memory'

describe('what an erasure reads', () => {
  it('lists each thread once although SCAN returns a key twice', async () => {
    const values: Record<string, string> = { 'p:auth:thread_owner:t-1': 'user:alice', 'p:auth:thread_owner:t-2': 'user:alice', 'p:auth:thread_owner:t-3': 'user:bob' }
    // SCAN guarantees every key is returned, not that it is returned once (a rehash in between repeats some).
    const pages: Array<[string, string[]]> = [
      ['7', ['p:auth:thread_owner:t-1', 'p:auth:thread_owner:t-3']],
      ['0', ['p:auth:thread_owner:t-1', 'p:auth:thread_owner:t-2']],
    ]
    let call = 0
    const redis = {
      scan: async () => pages[call++],
      mget: async (...keys: string[]) => keys.map((key) => values[key] ?? null),
    } as unknown as Redis
    const store = new RedisThreadOwnerStore(() => redis, { prefix: 'p:' })
    expect(await store.threadsOf('user:alice')).toEqual(['t-1', 't-2'])
  })

  it('clear() reads again until nothing is left, so a page that skipped an item does not leave it behind', async () => {
    const store = new InMemoryStore()
    const memory = new PrincipalMemory(store, 'user:alice')
    for (let i = 0; i < 5; i++) await memory.remember(`k${i}`, `fact ${i}`)
    // The first read misses two items, as an offset page does when rows move under it.
    const search = store.search.bind(store)
    let reads = 0
    store.search = async (...args: Parameters<InMemoryStore['search']>): Promise<SearchItem[]> => {
      const found = await search(...args)
      return reads++ === 0 ? found.slice(2) : found
    }
    expect(await memory.clear()).toBe(5)
    expect(await search(memory.namespace)).toEqual([])
  })
})
