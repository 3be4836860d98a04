import { z } from 'zod'
import { defineConfig, type ConfigProblem } from '../framework/config/define_config'
import { env } from '../framework/config/env'
import { EMBEDDING_PROVIDERS, missingEmbeddingSettings } from '../framework/rag/embedding_requirements'

/** Chat-only providers get their own reason: "expected one of" would not say why anthropic is refused. */
const embeddingProvider = z
  .string()
  .default('local')
  .pipe(
    z.enum(EMBEDDING_PROVIDERS, {
      error: (issue) =>
        issue.input === 'anthropic'
          ? `anthropic has no embeddings API; use one of: ${EMBEDDING_PROVIDERS.join(', ')}`
          : `expected one of: ${EMBEDDING_PROVIDERS.join(', ')}`,
    }),
  )

export default defineConfig({
  env: {
    /** Empty: a managed local Chroma in development and test; required in production. */
    CHROMA_URL: env.url(['http', 'https']).optional(),
    CHROMA_TENANT: env.string('default_tenant'),
    CHROMA_DATABASE: env.string('default_database'),
    /** Sent as the `x-chroma-token` header. */
    CHROMA_API_KEY: env.optionalString(),
    CHROMA_TIMEOUT_MS: env.integer(5000, 1, 600_000),
    CHROMA_RETRIES: env.integer(3, 0, 10),
    RAG_STORAGE_PATH: env.string('storage/chroma'),
    RAG_DEFAULT_K: env.integer(5, 1, 1000),
    EMBEDDINGS_PROVIDER: embeddingProvider,
    EMBEDDINGS_MODEL: env.optionalString(),
    EMBEDDINGS_BASE_URL: env.url(['http', 'https']).optional(),
    EMBEDDINGS_API_KEY: env.optionalString(),
    /** Shared with config/llm.ts: the openai embeddings use it when EMBEDDINGS_API_KEY is empty. */
    OPENAI_API_KEY: env.optionalString(),
  },
  secrets: ['CHROMA_API_KEY', 'EMBEDDINGS_API_KEY', 'OPENAI_API_KEY'],
  resolve: (e) => ({
    chroma: {
      url: e.CHROMA_URL,
      tenant: e.CHROMA_TENANT,
      database: e.CHROMA_DATABASE,
      apiKey: e.CHROMA_API_KEY,
      timeoutMs: e.CHROMA_TIMEOUT_MS,
      retries: e.CHROMA_RETRIES,
    },
    storagePath: e.RAG_STORAGE_PATH,
    defaultK: e.RAG_DEFAULT_K,
    embeddings: {
      provider: e.EMBEDDINGS_PROVIDER,
      model: e.EMBEDDINGS_MODEL,
      baseUrl: e.EMBEDDINGS_BASE_URL,
      // OPENAI_API_KEY is OpenAI's: it is never sent to another embeddings server.
      apiKey: e.EMBEDDINGS_API_KEY ?? (e.EMBEDDINGS_PROVIDER === 'openai' ? e.OPENAI_API_KEY : undefined),
    },
  }),
  check: (config) => {
    const problems: ConfigProblem[] = missingEmbeddingSettings(config.embeddings).map((missing) => ({ ...missing, severity: 'error' }))
    return problems
  },
})
