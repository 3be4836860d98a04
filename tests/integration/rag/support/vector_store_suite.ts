import type { VectorStore } from '../../../../framework/rag/types'

/**
 * The VectorStore contract, as one suite any driver must pass. `open` gives
 * a store on isolated storage; each test uses collections of its own.
 *
 * @example
 * vectorStoreConformance('chroma', async () => new ChromaStore({ url: server.url }))
 */
export function vectorStoreConformance(driver: string, open: () => Promise<VectorStore>): void {
  describe(`VectorStore contract (${driver})`, () => {
    let store: VectorStore
    let counter = 0
    const fresh = () => `conformance-${Date.now().toString(36)}-${++counter}`
    const facts = { provider: 'fake', model: 'fake-hash-4', dimensions: 4 }

    beforeAll(async () => {
      store = await open()
    })
    afterAll(() => store.close())

    const seed = async (name: string) => {
      await store.ensureCollection(name, facts)
      await store.upsert(name, [
        { id: 'a', text: 'alpha', embedding: [1, 0, 0, 0], metadata: { source: 'one.md', chunk: 0 } },
        { id: 'b', text: 'beta', embedding: [0, 1, 0, 0], metadata: { source: 'one.md', chunk: 1 } },
        { id: 'c', text: 'gamma', embedding: [0, 0, 1, 0], metadata: { source: 'two.md', chunk: 0 } },
      ])
    }

    it('answers its heartbeat', async () => {
      await expect(store.heartbeat()).resolves.toBeUndefined()
    })

    it('creates a collection recording the embedding facts, and returns the existing one unchanged', async () => {
      const name = fresh()
      await expect(store.describe(name)).resolves.toBeUndefined()
      const created = await store.ensureCollection(name, facts)
      expect(created).toEqual({ name, count: 0, embeddingProvider: 'fake', embeddingModel: 'fake-hash-4', dimensions: 4 })
      const again = await store.ensureCollection(name, { provider: 'other', model: 'other', dimensions: 8 })
      expect(again).toEqual(created)
      expect(await store.describe(name)).toEqual(created)
      expect((await store.listCollections()).map((info) => info.name)).toContain(name)
    })

    it('stores records and reads them back by id, without embeddings', async () => {
      const name = fresh()
      await seed(name)
      const records = await store.get(name, { ids: ['a', 'c', 'missing'] })
      expect(records.sort((x, y) => x.id.localeCompare(y.id))).toEqual([
        { id: 'a', text: 'alpha', metadata: { source: 'one.md', chunk: 0 } },
        { id: 'c', text: 'gamma', metadata: { source: 'two.md', chunk: 0 } },
      ])
      expect((await store.describe(name))?.count).toBe(3)
    })

    it('replaces a record upserted again under the same id', async () => {
      const name = fresh()
      await seed(name)
      await store.upsert(name, [{ id: 'a', text: 'alpha v2', embedding: [1, 0, 0, 0], metadata: { source: 'one.md', chunk: 0, version: 2 } }])
      expect(await store.get(name, { ids: ['a'] })).toEqual([{ id: 'a', text: 'alpha v2', metadata: { source: 'one.md', chunk: 0, version: 2 } }])
      expect((await store.describe(name))?.count).toBe(3)
    })

    it('reads records by metadata filter, with limit and offset', async () => {
      const name = fresh()
      await seed(name)
      const fromOne = await store.get(name, { where: { source: 'one.md' } })
      expect(fromOne.map((record) => record.id).sort()).toEqual(['a', 'b'])
      const page = await store.get(name, { where: { source: 'one.md' }, limit: 1, offset: 1 })
      expect(page).toHaveLength(1)
    })

    it('queries nearest first, with cosine distances, k and a filter', async () => {
      const name = fresh()
      await seed(name)
      const matches = await store.query(name, [0.9, 0.1, 0, 0], { k: 2 })
      expect(matches.map((match) => match.id)).toEqual(['a', 'b'])
      expect(matches[0]).toMatchObject({ text: 'alpha', metadata: { source: 'one.md', chunk: 0 } })
      expect(matches[0].distance).toBeGreaterThanOrEqual(0)
      expect(matches[0].distance).toBeLessThan(matches[1].distance)
      // Cosine ignores length: a scaled vector is the same direction.
      const [scaled] = await store.query(name, [10, 0, 0, 0], { k: 1 })
      expect(scaled.distance).toBeCloseTo(0, 5)
      const filtered = await store.query(name, [0.9, 0.1, 0, 0], { k: 3, where: { source: 'two.md' } })
      expect(filtered.map((match) => match.id)).toEqual(['c'])
    })

    it('deletes records by id and by filter', async () => {
      const name = fresh()
      await seed(name)
      await store.delete(name, { ids: ['a'] })
      expect((await store.get(name, { ids: ['a'] })).length).toBe(0)
      await store.delete(name, { where: { source: 'two.md' } })
      expect((await store.get(name, {})).map((record) => record.id)).toEqual(['b'])
    })

    it('drops a collection; dropping it again says it did not exist', async () => {
      const name = fresh()
      await seed(name)
      await expect(store.dropCollection(name)).resolves.toBe(true)
      await expect(store.describe(name)).resolves.toBeUndefined()
      await expect(store.dropCollection(name)).resolves.toBe(false)
    })

    it('treats a missing collection as empty for reads and deletes, and refuses to query it', async () => {
      const name = fresh()
      await expect(store.get(name, { ids: ['a'] })).resolves.toEqual([])
      await expect(store.delete(name, { ids: ['a'] })).resolves.toBeUndefined()
      await expect(store.query(name, [1, 0, 0, 0], { k: 1 })).rejects.toMatchObject({ code: 'E_COLLECTION_NOT_FOUND', status: 404 })
      await expect(store.upsert(name, [{ id: 'a', text: 'a', embedding: [1, 0, 0, 0] }])).rejects.toMatchObject({ code: 'E_COLLECTION_NOT_FOUND' })
    })

    it('refuses an invalid collection name before any request', async () => {
      for (const bad of ['ab', 'has space', '-leading', 'trailing-', 'x'.repeat(513)]) {
        await expect(store.describe(bad)).rejects.toMatchObject({ code: 'E_INVALID_COLLECTION', status: 400 })
      }
    })

    it('refuses a vector of the wrong length with a client error that does not name the server', async () => {
      const name = fresh()
      await seed(name)
      const error = await store.upsert(name, [{ id: 'z', text: 'z', embedding: [1, 0] }]).catch((e: unknown) => e)
      expect(error).toMatchObject({ code: 'E_INVALID_INPUT', status: 400 })
      expect((error as Error).message).not.toMatch(/127\.0\.0\.1|http:/)
    })

    it('refuses a delete that selects nothing rather than emptying the collection', async () => {
      const name = fresh()
      await seed(name)
      await expect(store.delete(name, {})).rejects.toMatchObject({ code: 'E_INVALID_INPUT' })
      expect((await store.describe(name))?.count).toBe(3)
    })

    it('gives up at once when the caller has already cancelled', async () => {
      const controller = new AbortController()
      controller.abort()
      await expect(store.heartbeat({ signal: controller.signal })).rejects.toMatchObject({ code: 'E_ABORTED' })
    })
  })
}
