/** The settings a provider needs, as config/llm.ts resolves them. */
export interface ProviderSettings {
  provider: string
  model?: string
  baseUrl?: string
  openaiApiKey?: string
  anthropicApiKey?: string
}

export interface MissingSetting {
  key: string
  message: string
}

/**
 * What is missing for `provider` to work: checked at boot by config/llm.ts
 * (so a provider without its key stops the boot, naming the key) and by
 * `LlmManager.use()` for a provider picked in code.
 *
 * @example
 * missingProviderSettings({ provider: 'openai' }) // [{ key: 'OPENAI_API_KEY', ... }]
 */
export function missingProviderSettings(settings: ProviderSettings, provider: string = settings.provider): MissingSetting[] {
  const missing: MissingSetting[] = []
  const requires = (key: string, present: unknown, what: string) => {
    if (!present) missing.push({ key, message: `is required when LLM_PROVIDER=${provider} (${what})` })
  }
  if (provider === 'openai') requires('OPENAI_API_KEY', settings.openaiApiKey, 'the OpenAI API key')
  if (provider === 'anthropic') requires('ANTHROPIC_API_KEY', settings.anthropicApiKey, 'the Anthropic API key')
  if (provider === 'openai-compatible') {
    requires('LLM_BASE_URL', settings.baseUrl, 'the server URL, e.g. http://127.0.0.1:8080/v1')
    requires('LLM_MODEL', settings.model, 'the model the server serves')
  }
  if (provider === 'ollama') requires('LLM_MODEL', settings.model, 'the pulled model, e.g. llama3.1')
  return missing
}
