import { defineConfig, type ConfigProblem } from '../framework/config/define_config'
import { env } from '../framework/config/env'
import { missingProviderSettings } from '../framework/llm/provider_requirements'

export default defineConfig({
  env: {
    LLM_PROVIDER: env.enum(['fake', 'openai', 'anthropic', 'ollama', 'openai-compatible'], 'fake'),
    /** Empty means the provider's default model (openai, anthropic); ollama and openai-compatible need one. */
    LLM_MODEL: env.optionalString(),
    LLM_TEMPERATURE: env.float(0.7, 0, 2),
    LLM_MAX_TOKENS: env.integer(1024, 1, 1_000_000),
    /** Server of ollama / openai-compatible providers; for openai and anthropic a proxy or gateway. */
    LLM_BASE_URL: env.url(['http', 'https']).optional(),
    /** Key of an openai-compatible server (many local servers need none). */
    LLM_API_KEY: env.optionalString(),
    OPENAI_API_KEY: env.optionalString(),
    ANTHROPIC_API_KEY: env.optionalString(),
    LLM_TIMEOUT: env.duration('60s'),
    LLM_MAX_RETRIES: env.integer(2, 0, 10),
    LLM_CACHE: env.enum(['off', 'memory', 'redis'], 'off'),
    LLM_CACHE_TTL: env.duration('1h'),
    LLM_CACHE_MAX_ENTRIES: env.integer(1000, 1, 1_000_000),
    HTTP_TOOL_ALLOW_PRIVATE: env.boolean(false),
  },
  secrets: ['LLM_API_KEY', 'OPENAI_API_KEY', 'ANTHROPIC_API_KEY'],
  resolve: (e) => ({
    provider: e.LLM_PROVIDER,
    model: e.LLM_MODEL,
    temperature: e.LLM_TEMPERATURE,
    maxTokens: e.LLM_MAX_TOKENS,
    baseUrl: e.LLM_BASE_URL,
    apiKey: e.LLM_API_KEY,
    openaiApiKey: e.OPENAI_API_KEY,
    anthropicApiKey: e.ANTHROPIC_API_KEY,
    timeoutSeconds: e.LLM_TIMEOUT,
    maxRetries: e.LLM_MAX_RETRIES,
    cache: { driver: e.LLM_CACHE, ttlSeconds: e.LLM_CACHE_TTL, maxEntries: e.LLM_CACHE_MAX_ENTRIES },
    httpTools: { allowPrivate: e.HTTP_TOOL_ALLOW_PRIVATE },
  }),
  check: (config, { appEnv }) => {
    // A provider without its key stops the boot: silently falling back to another provider would hide the mistake.
    const problems: ConfigProblem[] = missingProviderSettings(config).map((missing) => ({ ...missing, severity: 'error' }))
    if (appEnv === 'production' && config.httpTools.allowPrivate) {
      problems.push({ key: 'HTTP_TOOL_ALLOW_PRIVATE', message: 'lets HTTP tools reach loopback and private addresses (internal services, cloud metadata)', severity: 'warning' })
    }
    return problems
  },
})
