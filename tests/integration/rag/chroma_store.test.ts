import { ChromaStore } from '../../../framework/rag/chroma_store'
import { ChromaServer } from '../../helpers/chroma_server'
import { vectorStoreConformance } from './support/vector_store_suite'

let server: ChromaServer

beforeAll(async () => {
  server = await ChromaServer.start()
})
afterAll(() => server?.stop())

vectorStoreConformance('chroma', async () => new ChromaStore({ url: server.url }))

describe('ChromaStore', () => {
  it('finds a collection dropped and made again by another client through its cached handle', async () => {
    const mine = new ChromaStore({ url: server.url })
    const theirs = new ChromaStore({ url: server.url })
    const facts = { provider: 'fake', model: 'm', dimensions: 2 }
    await mine.ensureCollection('recreated', facts)
    await mine.upsert('recreated', [{ id: 'old', text: 'old', embedding: [1, 0] }])
    await theirs.dropCollection('recreated')
    await theirs.ensureCollection('recreated', facts)
    await theirs.upsert('recreated', [{ id: 'new', text: 'new', embedding: [1, 0] }])

    const matches = await mine.query('recreated', [1, 0], { k: 5 })

    expect(matches.map((match) => match.id)).toEqual(['new'])
  })

  it('sends CHROMA_API_KEY as the x-chroma-token header', async () => {
    const seen: Array<string | null> = []
    const { createServer } = await import('node:http')
    const proxy = createServer((req, res) => {
      seen.push(req.headers['x-chroma-token'] as string)
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ 'nanosecond heartbeat': 1 }))
    })
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
    try {
      const port = (proxy.address() as { port: number }).port
      await new ChromaStore({ url: `http://127.0.0.1:${port}`, apiKey: 'secret-token' }).heartbeat()
      expect(seen).toEqual(['secret-token'])
    } finally {
      proxy.closeAllConnections()
      await new Promise((resolve) => proxy.close(resolve))
    }
  })
})
