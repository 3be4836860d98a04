import { defineConfig } from '../framework/config/define_config'
import { env } from '../framework/config/env'

export default defineConfig({
  env: {
    LLM_PROVIDER: env.enum(['fake', 'openai', 'anthropic', 'ollama', 'openai-compatible'], 'fake'),
    LLM_MODEL: env.optionalString(),
    LLM_TEMPERATURE: env.float(0.7, 0, 2),
    LLM_MAX_TOKENS: env.integer(1024, 1, 1_000_000),
  },
  resolve: (e) => ({
    provider: e.LLM_PROVIDER,
    model: e.LLM_MODEL,
    temperature: e.LLM_TEMPERATURE,
    maxTokens: e.LLM_MAX_TOKENS,
  }),
})
