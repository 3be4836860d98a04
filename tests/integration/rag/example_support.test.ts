import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import request from 'supertest'
import { Application } from '../../../framework/foundation/application'
import { defaultProviders } from '../../../framework/foundation/providers'
import { createServer, type HttpServer } from '../../../framework/http/server'
import { createLogger } from '../../../framework/logger'
import { ingest, ingestTarget } from '../../../framework/rag/ingest'
import { ChromaServer } from '../../helpers/chroma_server'

const ROOT = join(__dirname, '..', '..', '..')

/**
 * The README's RAG example as `langvel serve` wires it, on a Chroma of the
 * test's own: /customer-support's search_docs reads the `docs` collection
 * built from the project's docs/, and the offline fake model answers from it.
 */
describe('/customer-support answers documentation questions from the docs collection', () => {
  const base = mkdtempSync(join(tmpdir(), 'langvel-rag-example-'))
  let chroma: ChromaServer
  let app: Application
  let server: HttpServer
  let http: ReturnType<typeof request>
  const ask = async (query: string) => {
    const response = await http.post('/agents/customer-support').send({ input: { query } })
    expect(response.status).toBe(200)
    return response.body.output as { response: string; messages: Array<{ type: string; content: string }> }
  }

  beforeAll(async () => {
    chroma = await ChromaServer.start()
    app = Application.create({
      basePath: base,
      loadDotenv: false,
      env: {
        APP_ENV: 'test',
        JWT_SECRET_KEY: randomBytes(48).toString('base64url'),
        STATE_CHECKPOINTER: 'memory',
        RATE_LIMIT_DRIVER: 'memory',
        CHROMA_URL: chroma.url,
        EMBEDDINGS_PROVIDER: 'fake',
        LLM_PROVIDER: 'fake',
      },
      providers: defaultProviders(),
      logger: createLogger({ silent: true }),
    })
    await app.boot()
    server = createServer({ app, runner: app.make('agents'), health: { database: 'off', checkpointer: 'off' } })
    server.markReady()
    http = request(server.express)
  })

  afterAll(async () => {
    await server?.shutdown(1)
    await app?.shutdown()
    await chroma?.stop()
    rmSync(base, { recursive: true, force: true })
  })

  it('says the docs collection does not exist yet instead of inventing an answer', async () => {
    const output = await ask('What do the docs say about the redis checkpointer TTL?')
    expect(output.response).toContain('"docs" does not exist yet')
    expect(output.response).not.toContain('Sources:')
  })

  it('once docs/ is ingested, answers from the page that covers the question and names it', async () => {
    const summary = await ingest(ingestTarget(app.make('rag'), 'docs'), [join(ROOT, 'docs')], { chunkSize: 1000, chunkOverlap: 150, root: ROOT })
    expect(summary.chunks.added).toBeGreaterThan(50)

    const output = await ask('What do the docs say about the sliding-window log algorithm of the rate limiter?')

    // The page that covers the question is among the passages the model was given, with its text, and the
    // answer names it; which rank it gets may move a little as the documentation is edited.
    const tool = output.messages.find((message) => message.type === 'tool')
    const passages = [...(tool?.content ?? '').matchAll(/<document index="\d+" source="([^"]+)" chunk="\d+" score="[\d.]+"[^>]*>\n([\s\S]*?)\n<\/document>/g)]
    expect(passages.length).toBeGreaterThan(0)
    const covering = passages.find((passage) => passage[1] === 'docs/rate-limiting.md')
    expect(covering?.[2]).toContain('sliding-window log')
    expect(output.response).toMatch(/^\[general\] Here is what I found\. search_docs: <document index="1" source="docs\//)
    expect(output.response).toMatch(/\nSources: (.+, )?docs\/rate-limiting.md(, |\n|$)/)
  })
})
