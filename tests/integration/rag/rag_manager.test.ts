import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FakeEmbeddings } from '../../../framework/rag/embeddings/fake_embeddings'
import { documentId } from '../../../framework/rag/rag_collection'
import { RagManager } from '../../../framework/rag/rag_manager'
import { ChromaServer } from '../../helpers/chroma_server'
import { metricValue, ragConfig, testRag } from './support/rag'

const DOCS = [
  { text: 'Threads resume from their last checkpoint after an interrupt.', metadata: { source: 'docs/agents.md', chunk: 0 } },
  { text: 'The rate limiter counts requests in Redis per key.', metadata: { source: 'docs/rate_limit.md', chunk: 0 } },
  { text: 'Checkpoints are stored by the checkpointer driver: sqlite, postgres or redis.', metadata: { source: 'docs/agents.md', chunk: 1 } },
]

describe('RagManager and its collections', () => {
  let server: ChromaServer
  let counter = 0
  const fresh = () => `rag-${Date.now().toString(36)}-${++counter}`

  beforeAll(async () => {
    server = await ChromaServer.start()
  })
  afterAll(() => server?.stop())

  it('adds documents and finds the closest first, scored 0..1, with source and chunk', async () => {
    const { manager } = testRag(server.url)
    const docs = manager.collection(fresh())
    const ids = await docs.add(DOCS)

    const results = await docs.search('how do threads resume from a checkpoint', { k: 2 })

    expect(ids).toEqual(DOCS.map((doc) => documentId(doc.text)))
    expect(results).toHaveLength(2)
    expect(results[0]).toMatchObject({ id: ids[0], text: DOCS[0].text, source: 'docs/agents.md', chunk: 0 })
    expect(results[0].score).toBeGreaterThan(results[1].score)
    for (const result of results) expect(result.score).toBeGreaterThanOrEqual(0)
    for (const result of results) expect(result.score).toBeLessThanOrEqual(1)
  })

  it('uses RAG_DEFAULT_K, a metadata filter and minScore', async () => {
    const { manager } = testRag(server.url, { defaultK: 1 })
    const docs = manager.collection(fresh())
    await docs.add(DOCS)

    expect(await docs.search('checkpoint')).toHaveLength(1)
    const filtered = await docs.search('checkpoint', { k: 5, filter: { source: 'docs/rate_limit.md' } })
    expect(filtered.map((result) => result.source)).toEqual(['docs/rate_limit.md'])
    const strict = await docs.search('threads resume from their last checkpoint after an interrupt', { k: 3, minScore: 0.99 })
    expect(strict.map((result) => result.text)).toEqual([DOCS[0].text])
  })

  it('stores a text once however often it is added, and lets upsert replace a document by id', async () => {
    const { manager } = testRag(server.url)
    const docs = manager.collection(fresh())
    await docs.add(DOCS)
    await docs.add(DOCS)
    expect(await docs.count()).toBe(3)

    await docs.upsert([{ id: 'fixed', text: 'first version' }, { id: 'fixed', text: 'second version' }])
    await docs.upsert([{ id: 'fixed', text: 'third version', metadata: { version: 3 } }])

    expect(await docs.count()).toBe(4)
    const [best] = await docs.search('third version', { k: 1 })
    expect(best).toMatchObject({ id: 'fixed', text: 'third version', metadata: { version: 3 } })
  })

  it('embeds in batches: many documents, several embedding calls', async () => {
    const embeddings = new FakeEmbeddings(64)
    const calls: number[] = []
    const embedDocuments = embeddings.embedDocuments.bind(embeddings)
    embeddings.embedDocuments = async (texts: string[]) => {
      calls.push(texts.length)
      return embedDocuments(texts)
    }
    const { manager } = testRag(server.url, { embeddings })
    const docs = manager.collection(fresh())

    await docs.upsert(Array.from({ length: 150 }, (_, index) => ({ text: `document number ${index}` })))

    expect(calls).toEqual([64, 64, 22])
    expect(await docs.count()).toBe(150)
  })

  it('refuses to search or add with other embeddings than the collection was built with, naming both', async () => {
    const name = fresh()
    await testRag(server.url).manager.collection(name).add(DOCS)
    const other = testRag(server.url, { embeddings: new FakeEmbeddings(32) })

    const searching = await other.manager.collection(name).search('checkpoint').catch((e: unknown) => e)
    const adding = await other.manager.collection(name).add([{ text: 'more' }]).catch((e: unknown) => e)

    for (const error of [searching, adding]) {
      expect(error).toMatchObject({ code: 'E_EMBEDDINGS_MISMATCH', status: 409 })
      expect((error as Error).message).toContain('fake/fake-hash-64 (64 dimensions)')
      expect((error as Error).message).toContain('fake/fake-hash-32 (32 dimensions)')
    }
    await expect(other.metrics.errors.get()).resolves.toMatchObject({ values: expect.arrayContaining([expect.objectContaining({ labels: { operation: 'search', kind: 'mismatch' }, value: 1 })]) })
  })

  it('refuses a model of the same length but another name', async () => {
    const name = fresh()
    await testRag(server.url).manager.collection(name).add(DOCS)
    const renamed = testRag(server.url, { embeddings: new FakeEmbeddings(64, 'another-model') })

    await expect(renamed.manager.collection(name).search('checkpoint')).rejects.toMatchObject({ code: 'E_EMBEDDINGS_MISMATCH' })
  })

  it('lists, describes and drops collections', async () => {
    const { manager } = testRag(server.url)
    const name = fresh()
    await manager.collection(name).add(DOCS)

    expect(await manager.collection(name).info()).toEqual({ name, count: 3, embeddingProvider: 'fake', embeddingModel: 'fake-hash-64', dimensions: 64 })
    expect((await manager.collections()).map((info) => info.name)).toContain(name)
    await expect(manager.drop(name)).resolves.toBe(true)
    await expect(manager.collection(name).count()).resolves.toBe(0)
    await expect(manager.collection(name).search('checkpoint')).rejects.toMatchObject({ code: 'E_COLLECTION_NOT_FOUND', status: 404 })
  })

  it('writes to a collection another process dropped by making it again', async () => {
    const name = fresh()
    const mine = testRag(server.url).manager.collection(name)
    await mine.add(DOCS)
    await mine.search('checkpoint')
    await testRag(server.url).manager.drop(name)

    await mine.add([{ text: 'after the drop' }])

    expect(await mine.count()).toBe(1)
  })

  it('deletes documents by filter', async () => {
    const { manager } = testRag(server.url)
    const docs = manager.collection(fresh())
    await docs.add(DOCS)

    await docs.delete({ where: { source: 'docs/agents.md' } })

    expect(await docs.count()).toBe(1)
  })

  it('refuses an invalid collection name and an out-of-range k as client errors', async () => {
    const { manager } = testRag(server.url)
    expect(() => manager.collection('no spaces allowed')).toThrow(expect.objectContaining({ code: 'E_INVALID_COLLECTION', status: 400 }))
    await expect(manager.collection(fresh()).search('x', { k: 0 })).rejects.toMatchObject({ code: 'E_INVALID_INPUT' })
  })

  it('records search durations and stored chunks per collection', async () => {
    const { manager, registry } = testRag(server.url)
    const name = fresh()
    const docs = manager.collection(name)
    await docs.add(DOCS)
    await docs.search('checkpoint')
    await docs.search('redis')

    await expect(metricValue(registry, 'langvel_rag_search_duration_seconds', { collection: name })).resolves.toBe(2)
    await expect(metricValue(registry, 'langvel_rag_chunks_ingested_total', { collection: name })).resolves.toBe(3)
  })

  it('pings the store', async () => {
    const { manager } = testRag(server.url)
    await expect(manager.ping()).resolves.toBeGreaterThanOrEqual(0)
  })

  it('refuses RAG in production without CHROMA_URL, naming it, and never starts a managed Chroma', async () => {
    const manager = new RagManager({ config: ragConfig(), appEnv: 'production', basePath: process.cwd(), embeddings: new FakeEmbeddings(8) })

    expect(() => manager.collection('docs')).toThrow(expect.objectContaining({ code: 'E_INVALID_CONFIG', message: expect.stringContaining('CHROMA_URL') }))
    await expect(manager.ping()).rejects.toMatchObject({ code: 'E_INVALID_CONFIG' })
    expect(manager.managedChroma).toBeUndefined()
  })

  it('starts its managed Chroma again when the one it started went away, keeping the data', async () => {
    const basePath = mkdtempSync(join(tmpdir(), 'langvel-restart-'))
    const manager = new RagManager({ config: ragConfig({ chroma: { timeoutMs: 2000, retries: 1 } }), appEnv: 'test', basePath, embeddings: new FakeEmbeddings(8) })
    try {
      const docs = manager.collection('docs')
      await docs.add([{ id: 'a', text: 'kept across the restart' }])
      const first = manager.managedChroma?.pid as number
      process.kill(first, 'SIGKILL')
      while (manager.managedChroma?.isRunning) await new Promise((resolve) => setImmediate(resolve))

      // The call that finds it gone fails as unavailable; the next one starts a new server on the same data.
      await docs.count().catch((error: { code?: string }) => expect(error.code).toBe('E_SERVICE_UNAVAILABLE'))
      await expect(docs.count()).resolves.toBe(1)
      expect(manager.managedChroma?.pid).not.toBe(first)
    } finally {
      await manager.close()
      rmSync(basePath, { recursive: true, force: true })
    }
  })
})
