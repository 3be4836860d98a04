import { join } from 'node:path'
import { discoverConfigFiles, loadConfig, secretKeys } from '../../../framework/config'
import { createEmbeddings } from '../../../framework/rag/embeddings/create_embeddings'

const definitions = discoverConfigFiles(join(__dirname, '..', '..', '..', 'config'))

function problems(rawEnv: Record<string, string>): Array<{ key: string; message: string }> {
  try {
    loadConfig(definitions, rawEnv)
  } catch (error) {
    expect(error).toMatchObject({ code: 'E_INVALID_CONFIG' })
    return (error as { details: Array<{ key: string; message: string }> }).details
  }
  throw new Error('expected E_INVALID_CONFIG')
}

describe('config/rag.ts', () => {
  it('defaults to the local embeddings and a managed Chroma', () => {
    const { values } = loadConfig(definitions, {})
    expect(values.rag).toEqual({
      chroma: { url: undefined, tenant: 'default_tenant', database: 'default_database', apiKey: undefined, timeoutMs: 5000, retries: 3 },
      storagePath: 'storage/chroma',
      defaultK: 5,
      embeddings: { provider: 'local', model: undefined, baseUrl: undefined, apiKey: undefined },
    })
  })

  it('refuses an unknown embedding provider at boot, listing the valid ones', () => {
    const [problem] = problems({ EMBEDDINGS_PROVIDER: 'cohere' })
    expect(problem).toMatchObject({ key: 'EMBEDDINGS_PROVIDER', message: expect.stringContaining('local, openai, ollama, openai-compatible, fake') })
  })

  it('refuses anthropic, saying it cannot embed', () => {
    const [problem] = problems({ EMBEDDINGS_PROVIDER: 'anthropic' })
    expect(problem).toMatchObject({ key: 'EMBEDDINGS_PROVIDER', message: expect.stringContaining('anthropic has no embeddings API') })
  })

  it('refuses openai without a key, naming EMBEDDINGS_API_KEY, and accepts OPENAI_API_KEY in its place', () => {
    expect(problems({ EMBEDDINGS_PROVIDER: 'openai' })).toEqual([expect.objectContaining({ key: 'EMBEDDINGS_API_KEY' })])
    const { values } = loadConfig(definitions, { EMBEDDINGS_PROVIDER: 'openai', OPENAI_API_KEY: 'sk-shared' })
    expect(values.rag).toMatchObject({ embeddings: { provider: 'openai', apiKey: 'sk-shared' } })
    const own = loadConfig(definitions, { EMBEDDINGS_PROVIDER: 'openai', OPENAI_API_KEY: 'sk-shared', EMBEDDINGS_API_KEY: 'sk-own' })
    expect(own.values.rag).toMatchObject({ embeddings: { apiKey: 'sk-own' } })
  })

  it('needs a model for ollama, and a model and URL for openai-compatible', () => {
    expect(problems({ EMBEDDINGS_PROVIDER: 'ollama' }).map((p) => p.key)).toEqual(['EMBEDDINGS_MODEL'])
    expect(problems({ EMBEDDINGS_PROVIDER: 'openai-compatible' }).map((p) => p.key).sort()).toEqual(['EMBEDDINGS_BASE_URL', 'EMBEDDINGS_MODEL'])
  })

  it('refuses another model for the local provider, which has one', () => {
    expect(problems({ EMBEDDINGS_MODEL: 'all-MiniLM-L6-v2' })).toEqual([expect.objectContaining({ key: 'EMBEDDINGS_MODEL' })])
  })

  it('validates CHROMA_URL, the timeout, the retries and RAG_DEFAULT_K', () => {
    const keys = problems({ CHROMA_URL: 'chroma:8000', CHROMA_TIMEOUT_MS: '0', CHROMA_RETRIES: '11', RAG_DEFAULT_K: '0' }).map((p) => p.key)
    expect(keys.sort()).toEqual(['CHROMA_RETRIES', 'CHROMA_TIMEOUT_MS', 'CHROMA_URL', 'RAG_DEFAULT_K'])
  })

  it('treats the Chroma token and the embedding keys as secrets (redacted by config:show and in errors)', () => {
    const secrets = secretKeys(definitions)
    for (const key of ['CHROMA_API_KEY', 'EMBEDDINGS_API_KEY', 'OPENAI_API_KEY']) expect(secrets.has(key)).toBe(true)
  })
})

describe('createEmbeddings', () => {
  it('refuses an unknown provider and a provider missing its key: never a fallback', () => {
    expect(() => createEmbeddings({ provider: 'anthropic' })).toThrow(expect.objectContaining({ code: 'E_UNKNOWN_DRIVER' }))
    expect(() => createEmbeddings({ provider: 'openai' })).toThrow(expect.objectContaining({ code: 'E_INVALID_CONFIG', message: expect.stringContaining('EMBEDDINGS_API_KEY') }))
  })

  it('builds each provider with its default model', () => {
    expect(createEmbeddings({ provider: 'local' })).toMatchObject({ provider: 'local', model: 'use-lite-512' })
    expect(createEmbeddings({ provider: 'fake' })).toMatchObject({ provider: 'fake', model: 'fake-hash-64' })
    expect(createEmbeddings({ provider: 'openai', apiKey: 'sk' })).toMatchObject({ provider: 'openai', model: 'text-embedding-3-small' })
    expect(createEmbeddings({ provider: 'ollama', model: 'nomic-embed-text' })).toMatchObject({ provider: 'ollama', model: 'nomic-embed-text' })
  })
})
