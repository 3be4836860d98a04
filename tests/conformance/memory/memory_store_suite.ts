import { createEmbeddings } from '../../../framework/rag/embeddings/create_embeddings'
import type { Embeddings } from '../../../framework/rag/types'
import type { MemoryManager } from '../../../framework/memory/memory_manager'

/** What the suite needs of a driver: a fresh manager on isolated storage, and a way to release it. */
export interface MemoryDriverUnderTest {
  /** A manager on this driver; `semantic: false` ranks recall by text. */
  create(options: { semantic: boolean; allowAnonymous?: boolean; embeddings?: () => Embeddings }): Promise<MemoryManager>
  /** Called after every test. */
  cleanup?(): Promise<void>
}

const user = (id: string) => ({ id, type: 'user' as const, permissions: [] })

/** The offline embeddings (Universal Sentence Encoder lite): loaded once per file. */
let shared: Embeddings | undefined
export const offlineEmbeddings = (): Embeddings => (shared ??= createEmbeddings({ provider: 'local' }))

/**
 * One behaviour for every long-term memory driver: put/get/search/delete,
 * principals kept apart (ids that are prefixes of one another, a user and an
 * API key with the same id, ids with the characters stores reserve), and
 * semantic recall with the offline embeddings.
 */
export function memoryStoreConformance(driver: MemoryDriverUnderTest): void {
  afterEach(async () => driver.cleanup?.())

  describe('put, get, list and delete', () => {
    it('remembers a value under a key, replaces it, and forgets it', async () => {
      const memory = (await driver.create({ semantic: false })).forOwner('user:42')
      await memory.remember('language', 'French')
      await memory.remember('profile', { plan: 'pro', seats: 3 })
      expect(await memory.get('language')).toMatchObject({ key: 'language', value: 'French' })
      expect((await memory.get('profile'))?.value).toEqual({ plan: 'pro', seats: 3 })
      await memory.remember('language', 'German')
      expect((await memory.get('language'))?.value).toBe('German')
      expect((await memory.list()).map((item) => item.key).sort()).toEqual(['language', 'profile'])
      expect(await memory.forget('language')).toBe(true)
      expect(await memory.forget('language')).toBe(false)
      expect(await memory.get('language')).toBeUndefined()
      expect((await memory.list()).map((item) => item.key)).toEqual(['profile'])
    })

    it('lists past one page of the store', async () => {
      const memory = (await driver.create({ semantic: false })).forOwner('user:many')
      for (let i = 0; i < 130; i++) await memory.remember(`fact-${i}`, `fact number ${i}`)
      expect(await memory.list()).toHaveLength(130)
      expect(await memory.clear()).toBe(130)
      expect(await memory.list()).toEqual([])
    })

    it('refuses an empty key and an undefined value', async () => {
      const memory = (await driver.create({ semantic: false })).forOwner('user:42')
      await expect(memory.remember('', 'x')).rejects.toMatchObject({ code: 'E_INVALID_INPUT' })
      await expect(memory.remember('k', undefined)).rejects.toMatchObject({ code: 'E_INVALID_INPUT' })
    })
  })

  describe('isolation between principals', () => {
    it('never shows one principal the memories of another, even when ids are prefixes of one another', async () => {
      const manager = await driver.create({ semantic: false })
      const owners = ['user:1', 'user:10', 'user:1.0', 'api_key:1', 'user:a_b%c\\d', 'user:é:x']
      for (const owner of owners) await manager.forOwner(owner).remember('secret', `the secret of ${owner}`)
      for (const owner of owners) {
        const memory = manager.forOwner(owner)
        expect((await memory.list()).map((item) => item.value)).toEqual([`the secret of ${owner}`])
        expect((await memory.recall('secret', { limit: 10 })).map((item) => item.value)).toEqual([`the secret of ${owner}`])
      }
      await manager.forOwner('user:1').clear()
      expect(await manager.forOwner('user:1').list()).toEqual([])
      expect(await manager.forOwner('user:10').list()).toHaveLength(1)
    })

    it('keys a principal by type and id, refuses runs without one, and shares one anonymous memory only when allowed', async () => {
      const strict = await driver.create({ semantic: false })
      await strict.forPrincipal(user('7')).remember('k', 'user seven')
      expect((await strict.forOwner('user:7').get('k'))?.value).toBe('user seven')
      expect(await strict.forPrincipal({ id: '7', type: 'api_key', permissions: [] }).get('k')).toBeUndefined()
      expect(() => strict.forPrincipal(undefined)).toThrow(expect.objectContaining({ code: 'E_MEMORY_ANONYMOUS', status: 401 }))
      expect(() => strict.forContext({ requestId: 'r', traceId: 't' })).toThrow(expect.objectContaining({ code: 'E_MEMORY_ANONYMOUS' }))

      const open = await driver.create({ semantic: false, allowAnonymous: true })
      await open.forPrincipal(undefined).remember('note', 'shared by anonymous callers')
      expect((await open.forContext({ requestId: 'r2', traceId: 't2' }).get('note'))?.value).toBe('shared by anonymous callers')
      expect(await open.forPrincipal(user('anonymous')).get('note')).toBeUndefined()
    })
  })

  describe('recall', () => {
    it('ranks memories by meaning with the offline embeddings', async () => {
      const memory = (await driver.create({ semantic: true, embeddings: offlineEmbeddings })).forOwner('user:semantic')
      await memory.remember('diet', 'The user is vegetarian and never eats meat')
      await memory.remember('pet', 'The user has a dog called Rex')
      await memory.remember('home', 'The user lives in Paris, France')
      await memory.remember('job', 'The user works as a nurse at a hospital')
      expect((await memory.recall('what food should I cook for them?', { limit: 1 }))[0].key).toBe('diet')
      expect((await memory.recall('which city is the user based in?', { limit: 1 }))[0].key).toBe('home')
      expect((await memory.recall('their animal', { limit: 1 }))[0].key).toBe('pet')
      const all = await memory.recall('occupation and employer', { limit: 10 })
      expect(all[0].key).toBe('job')
      expect(all).toHaveLength(4)
      expect(all.map((hit) => hit.score)).toEqual([...all.map((hit) => hit.score)].sort((a, b) => b - a))
    }, 60_000)

    it('falls back to the words a memory shares with the query without embeddings', async () => {
      const memory = (await driver.create({ semantic: false })).forOwner('user:text')
      await memory.remember('diet', 'vegetarian, no nuts')
      await memory.remember('pet', { kind: 'dog', name: 'Rex' })
      const hits = await memory.recall('Is the user vegetarian?')
      expect(hits.map((hit) => hit.key)).toEqual(['diet'])
      expect((await memory.recall('dog Rex'))[0]).toMatchObject({ key: 'pet', value: { kind: 'dog', name: 'Rex' }, score: 1 })
      expect(await memory.recall('nothing matches this')).toEqual([])
    })
  })

  describe('episodes (summaries of finished threads)', () => {
    it('keeps one episode per thread key: a later summary of the thread replaces it, its first timestamp kept', async () => {
      const memory = (await driver.create({ semantic: false })).forOwner('user:ep')
      const first = await memory.rememberEpisode({ key: '/trips:t-1', threadId: 't-1', agent: 'TripAgent', route: '/trips', summary: 'Planned a trip to Lisbon' })
      expect(first).toMatchObject({ key: '/trips:t-1', threadId: 't-1', agent: 'TripAgent', route: '/trips', summary: 'Planned a trip to Lisbon' })
      expect(first.finishedAt).toBeInstanceOf(Date)
      await memory.rememberEpisode({ key: '/trips:t-2', threadId: 't-2', agent: 'TripAgent', summary: 'Booked a hotel in Porto', finishedAt: new Date(Date.now() + 1000) })
      const replaced = await memory.rememberEpisode({ key: '/trips:t-1', threadId: 't-1', agent: 'TripAgent', route: '/trips', summary: 'Planned a trip to Lisbon, then cancelled it', finishedAt: new Date(Date.now() + 2000) })
      expect(replaced.createdAt.getTime()).toBe(first.createdAt.getTime())
      const all = await memory.episodes()
      expect(all.map((episode) => [episode.key, episode.summary])).toEqual([
        ['/trips:t-1', 'Planned a trip to Lisbon, then cancelled it'],
        ['/trips:t-2', 'Booked a hotel in Porto'],
      ])
      expect(await memory.episodes({ limit: 1 })).toHaveLength(1)
      // Episodes are not facts: list() and recall() see only remembered facts.
      expect(await memory.list()).toEqual([])
      expect(await memory.recall('Lisbon')).toEqual([])
      expect(await memory.forgetEpisode('/trips:t-2')).toBe(true)
      expect(await memory.forgetEpisode('/trips:t-2')).toBe(false)
      expect((await memory.episodes()).map((episode) => episode.key)).toEqual(['/trips:t-1'])
    })

    it('recalls the episodes closest to a query, and cuts long summaries', async () => {
      const memory = (await driver.create({ semantic: false })).forOwner('user:ep-recall')
      await memory.rememberEpisode({ threadId: 'a', agent: 'A', summary: 'The user asked about invoices and a refund' })
      await memory.rememberEpisode({ threadId: 'b', agent: 'A', summary: 'The user planned a hiking trip' })
      const hits = await memory.episodes('refund for my invoice')
      expect(hits.map((hit) => hit.threadId)).toEqual(['a'])
      expect(hits[0].score).toBeGreaterThan(0)
      const long = await memory.rememberEpisode({ threadId: 'c', agent: 'A', summary: `${'🙂'.repeat(1500)}${'x'.repeat(1500)}` })
      expect([...long.summary]).toHaveLength(2000)
      expect(long.summary.endsWith('…')).toBe(true)
      expect(long.summary.startsWith('🙂'.repeat(1500))).toBe(true)
      await expect(memory.rememberEpisode({ threadId: '', agent: 'A', summary: 'x' })).rejects.toMatchObject({ code: 'E_INVALID_INPUT' })
    })

    it('keeps the episodes of principals apart, and clears them without touching facts', async () => {
      const manager = await driver.create({ semantic: false })
      for (const owner of ['user:1', 'user:10', 'api_key:1']) {
        await manager.forOwner(owner).rememberEpisode({ threadId: 't', agent: 'A', summary: `the thread of ${owner}` })
        await manager.forOwner(owner).remember('fact', `a fact of ${owner}`)
      }
      for (const owner of ['user:1', 'user:10', 'api_key:1']) {
        expect((await manager.forOwner(owner).episodes('thread')).map((hit) => hit.summary)).toEqual([`the thread of ${owner}`])
      }
      expect(await manager.forOwner('user:1').clearEpisodes()).toBe(1)
      expect(await manager.forOwner('user:1').episodes()).toEqual([])
      expect(await manager.forOwner('user:1').list()).toHaveLength(1)
      expect(await manager.forOwner('user:10').episodes()).toHaveLength(1)
    })

    it('ranks episodes by meaning with the offline embeddings', async () => {
      const memory = (await driver.create({ semantic: true, embeddings: offlineEmbeddings })).forOwner('user:ep-semantic')
      await memory.rememberEpisode({ threadId: 'food', agent: 'A', summary: 'We chose a vegetarian menu for the dinner party' })
      await memory.rememberEpisode({ threadId: 'car', agent: 'A', summary: 'The car needed new brakes and an oil change' })
      expect((await memory.episodes('what did we cook for the guests?', { limit: 1 }))[0].threadId).toBe('food')
      expect((await memory.episodes('vehicle repair', { limit: 1 }))[0].threadId).toBe('car')
    }, 60_000)
  })
}
