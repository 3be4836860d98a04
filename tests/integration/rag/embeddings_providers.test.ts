import { createEmbeddings } from '../../../framework/rag/embeddings/create_embeddings'
import { LocalEmbeddings } from '../../../framework/rag/embeddings/local_embeddings'
import { OpenAIEmbeddings } from '../../../framework/rag/embeddings/openai_embeddings'
import { ProviderServer, type RecordedRequest } from '../llm/support/provider_server'

/** OpenAI's /v1/embeddings answer: one vector per input, derived from the text so tests can tell them apart. */
function embeddingsResponder(request: RecordedRequest) {
  const inputs: string[] = Array.isArray(request.body?.input) ? request.body.input : [request.body?.input]
  return {
    json: {
      object: 'list',
      model: request.body?.model,
      data: inputs.map((text, index) => ({ object: 'embedding', index, embedding: [text.length, index + 1, 0.5] })),
      usage: { prompt_tokens: 1, total_tokens: 1 },
    },
  }
}

const PATH = '/v1/embeddings'

describe('embedding providers speaking OpenAI /v1/embeddings, against a local server', () => {
  let server: ProviderServer

  beforeAll(async () => {
    server = await ProviderServer.start(embeddingsResponder)
  })
  afterEach(() => server.reset())
  afterAll(() => server.close())

  it('openai: sends the model and key, and returns one vector per text in order', async () => {
    const embeddings = createEmbeddings({ provider: 'openai', model: 'text-embedding-test', apiKey: 'sk-embed', baseUrl: `${server.url}/v1` })

    const vectors = await embeddings.embedDocuments(['a', 'bbb'])

    expect(vectors).toEqual([
      [1, 1, 0.5],
      [3, 2, 0.5],
    ])
    expect(server.requests).toHaveLength(1)
    expect(server.requests[0].path).toBe(PATH)
    expect(server.requests[0].headers.authorization).toBe('Bearer sk-embed')
    expect(server.requests[0].body).toMatchObject({ model: 'text-embedding-test', input: ['a', 'bbb'], encoding_format: 'float' })
    expect(embeddings).toMatchObject({ provider: 'openai', model: 'text-embedding-test' })
    await expect(embeddings.dimensions()).resolves.toBe(3)
  })

  it('openai: defaults to text-embedding-3-small', async () => {
    const embeddings = createEmbeddings({ provider: 'openai', apiKey: 'sk-embed', baseUrl: `${server.url}/v1` })
    await embeddings.embedQuery('hello')
    expect(server.requests[0].body.model).toBe('text-embedding-3-small')
  })

  it('ollama: goes to <root>/v1/embeddings with the configured model', async () => {
    const embeddings = createEmbeddings({ provider: 'ollama', model: 'nomic-embed-text', baseUrl: server.url })

    const vector = await embeddings.embedQuery('hi')

    expect(vector).toEqual([2, 1, 0.5])
    expect(server.requests[0]).toMatchObject({ path: PATH, body: { model: 'nomic-embed-text' } })
  })

  it('openai-compatible: uses the base URL as given', async () => {
    const embeddings = createEmbeddings({ provider: 'openai-compatible', model: 'bge-small', baseUrl: `${server.url}/v1` })
    await embeddings.embedDocuments(['x'])
    expect(server.requests[0]).toMatchObject({ path: PATH, body: { model: 'bge-small', input: ['x'] } })
  })

  it('a refused key is E_EMBEDDINGS_FAILED, not retried, and the message names no host', async () => {
    const embeddings = createEmbeddings({ provider: 'openai', apiKey: 'sk-wrong', baseUrl: `${server.url}/v1` })
    server.queue(PATH, { status: 401, json: { error: { message: 'Incorrect API key provided', type: 'invalid_request_error' } } })

    const error = await embeddings.embedQuery('x').catch((e: unknown) => e)

    expect(error).toMatchObject({ code: 'E_EMBEDDINGS_FAILED', status: 502 })
    expect((error as Error).message).not.toContain('127.0.0.1')
    expect(server.requests).toHaveLength(1)
  })

  it('a failing server is retried, then E_SERVICE_UNAVAILABLE', async () => {
    const embeddings = new OpenAIEmbeddings({ provider: 'openai', model: 'text-embedding-3-small', apiKey: 'sk-embed', baseUrl: `${server.url}/v1`, maxRetries: 1 })
    const failure = { status: 500, json: { error: { message: 'boom' } } }
    server.queue(PATH, failure, failure)

    const error = await embeddings.embedQuery('x').catch((e: unknown) => e)

    expect(error).toMatchObject({ code: 'E_SERVICE_UNAVAILABLE', message: 'The embedding provider is unavailable' })
    expect(server.requests).toHaveLength(2)
  })

  it('stops waiting as soon as the caller aborts', async () => {
    // The abandoned request runs on until its own timeout: kept short so the suite ends cleanly.
    const embeddings = new OpenAIEmbeddings({ provider: 'openai', model: 'm', apiKey: 'sk-embed', baseUrl: `${server.url}/v1`, timeoutMs: 300, maxRetries: 0 })
    server.queue(PATH, { hang: true })
    const controller = new AbortController()

    const pending = embeddings.embedQuery('x', { signal: controller.signal })
    await server.waitForRequests(1)
    controller.abort(new Error('client went away'))

    await expect(pending).rejects.toMatchObject({ code: 'E_ABORTED' })
  })
})

describe('the local provider (bundled model, offline)', () => {
  const local = new LocalEmbeddings()

  it('gives 512-long vectors that place related texts closer than unrelated ones', async () => {
    const [resume, checkpoint, weather] = await local.embedDocuments(['How do I resume a paused conversation?', 'Continue a stopped chat from where it left off', 'The weather is sunny in Lisbon today'])
    const cosine = (a: number[], b: number[]) => a.reduce((sum, value, index) => sum + value * b[index], 0) / (Math.hypot(...a) * Math.hypot(...b))

    expect(resume).toHaveLength(512)
    await expect(local.dimensions()).resolves.toBe(512)
    expect(cosine(resume, checkpoint)).toBeGreaterThan(cosine(resume, weather))
    expect(local).toMatchObject({ provider: 'local', model: 'use-lite-512' })
  })

  it('embeds a query like a document', async () => {
    const [document] = await local.embedDocuments(['same text'])
    const query = await local.embedQuery('same text')
    query.forEach((value, index) => expect(value).toBeCloseTo(document[index], 5))
  })
})
