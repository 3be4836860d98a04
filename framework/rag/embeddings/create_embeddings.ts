import { E_INVALID_CONFIG, E_UNKNOWN_DRIVER } from '../../errors'
import { DEFAULT_EMBEDDING_MODELS, EMBEDDING_PROVIDERS, OLLAMA_EMBEDDINGS_URL, missingEmbeddingSettings, type EmbeddingProviderName } from '../embedding_requirements'
import type { Embeddings } from '../types'
import { FakeEmbeddings } from './fake_embeddings'
import { LocalEmbeddings } from './local_embeddings'
import { OpenAIEmbeddings } from './openai_embeddings'

export interface EmbeddingsConfig {
  provider: string
  model?: string
  baseUrl?: string
  apiKey?: string
}

/** Ollama serves OpenAI's API under /v1 of its root URL; accept either form. */
function ollamaBaseUrl(base: string | undefined): string {
  const root = (base ?? OLLAMA_EMBEDDINGS_URL).replace(/\/+$/, '')
  return root.endsWith('/v1') ? root : `${root}/v1`
}

/**
 * The Embeddings of the configured provider. An unknown provider is
 * E_UNKNOWN_DRIVER and a missing key or model E_INVALID_CONFIG naming it
 * (config/rag.ts checks the same at boot): never a silent fallback.
 *
 * @example
 * const embeddings = createEmbeddings({ provider: 'openai', apiKey: process.env.OPENAI_API_KEY })
 */
export function createEmbeddings(config: EmbeddingsConfig, options: { timeoutMs?: number } = {}): Embeddings {
  if (!EMBEDDING_PROVIDERS.includes(config.provider as EmbeddingProviderName)) {
    throw new E_UNKNOWN_DRIVER('embeddings', config.provider, [...EMBEDDING_PROVIDERS])
  }
  const missing = missingEmbeddingSettings(config)
  if (missing.length > 0) throw new E_INVALID_CONFIG(missing.map((m) => `${m.key}: ${m.message}`), { details: missing })
  const provider = config.provider as EmbeddingProviderName
  const model = config.model ?? (DEFAULT_EMBEDDING_MODELS[provider] as string)
  switch (provider) {
    case 'local':
      return new LocalEmbeddings()
    case 'fake':
      return new FakeEmbeddings(64, config.model)
    case 'ollama':
      return new OpenAIEmbeddings({ provider, model, apiKey: config.apiKey, baseUrl: ollamaBaseUrl(config.baseUrl), timeoutMs: options.timeoutMs })
    case 'openai':
    case 'openai-compatible':
      return new OpenAIEmbeddings({ provider, model, apiKey: config.apiKey, baseUrl: config.baseUrl, timeoutMs: options.timeoutMs })
  }
}
