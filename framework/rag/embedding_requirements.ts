/** The embedding providers EMBEDDINGS_PROVIDER accepts. */
export const EMBEDDING_PROVIDERS = ['local', 'openai', 'ollama', 'openai-compatible', 'fake'] as const

export type EmbeddingProviderName = (typeof EMBEDDING_PROVIDERS)[number]

/** The one model the `local` provider ships (Universal Sentence Encoder lite, bundled weights). */
export const LOCAL_EMBEDDING_MODEL = 'use-lite-512'

/** Models used when EMBEDDINGS_MODEL is empty; ollama and openai-compatible have no sensible default. */
export const DEFAULT_EMBEDDING_MODELS: Partial<Record<EmbeddingProviderName, string>> = {
  local: LOCAL_EMBEDDING_MODEL,
  openai: 'text-embedding-3-small',
  fake: 'fake-hash-64',
}

/** Ollama serves OpenAI's embeddings API under /v1 of its root URL. */
export const OLLAMA_EMBEDDINGS_URL = 'http://127.0.0.1:11434/v1'

export interface EmbeddingSettings {
  provider: string
  model?: string
  baseUrl?: string
  apiKey?: string
  openaiApiKey?: string
}

/**
 * What is missing or wrong for an embedding provider to work: checked at
 * boot by config/rag.ts, so a provider without its key stops the boot
 * naming the key, and never falls back to another provider.
 *
 * @example
 * missingEmbeddingSettings({ provider: 'openai' }) // [{ key: 'EMBEDDINGS_API_KEY', ... }]
 */
export function missingEmbeddingSettings(settings: EmbeddingSettings): Array<{ key: string; message: string }> {
  const problems: Array<{ key: string; message: string }> = []
  const { provider } = settings
  const requires = (key: string, present: unknown, what: string) => {
    if (!present) problems.push({ key, message: `is required when EMBEDDINGS_PROVIDER=${provider} (${what})` })
  }
  if (provider === 'openai') requires('EMBEDDINGS_API_KEY', settings.apiKey ?? settings.openaiApiKey, 'the OpenAI API key; OPENAI_API_KEY is used when it is empty')
  if (provider === 'openai-compatible') {
    requires('EMBEDDINGS_BASE_URL', settings.baseUrl, 'the server URL, e.g. http://127.0.0.1:8080/v1')
    requires('EMBEDDINGS_MODEL', settings.model, 'the embedding model the server serves')
  }
  if (provider === 'ollama') requires('EMBEDDINGS_MODEL', settings.model, 'the pulled embedding model, e.g. nomic-embed-text')
  if (provider === 'local' && settings.model !== undefined && settings.model !== LOCAL_EMBEDDING_MODEL) {
    problems.push({ key: 'EMBEDDINGS_MODEL', message: `the local provider has one model, ${LOCAL_EMBEDDING_MODEL}; leave EMBEDDINGS_MODEL empty or pick another provider` })
  }
  return problems
}
