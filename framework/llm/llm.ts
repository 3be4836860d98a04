import type { BindToolsInput } from '@langchain/core/language_models/chat_models'
import type { BaseMessageLike } from '@langchain/core/messages'
import type { z, ZodType } from 'zod'
import { E_INVALID_INPUT } from '../errors'
import type { LlmRunner, ModelRequest } from './llm_runner'
import { toMessages } from './messages'
import { currentRunSignal } from './run_signal'
import { structuredOutput } from './structured_output'
import { countMessageTokens, countTokens } from './token_counter'
import type { LlmCallOptions, LlmDefaults, LlmInput, LlmProviderName, LlmResponse, LlmStreamEvent, LlmTool, StructuredOptions, TrimOptions } from './types'
import { checkTrimOptions, trimConversation } from './working_memory'

/** Everything an Llm applies when a call does not say otherwise. */
export interface LlmSettings {
  provider: LlmProviderName
  model: string
  temperature: number
  maxTokens: number
  system?: string
  timeoutMs: number
  maxRetries: number
  /** Whether calls use the response cache unless they pass `cache: false` (LLM_CACHE is not off). */
  cacheByDefault: boolean
  cacheTtlSeconds: number
  /** Working-memory budget of every call (`llm.with({ trim })`); a call's own `trim` wins. */
  trim?: TrimOptions | false
}

function checkNumber(name: string, value: number | undefined, min: number, max: number): void {
  if (value !== undefined && !(typeof value === 'number' && value >= min && value <= max)) {
    throw new E_INVALID_INPUT(`${name} must be a number between ${min} and ${max}, got ${String(value)}`)
  }
}

/** Our tools go through `toLangChain()` (validation, retries, timeouts); LangChain tools as they are. */
function toBindable(tool: LlmTool | BindToolsInput): BindToolsInput {
  const ours = tool as { toLangChain?: () => BindToolsInput }
  return typeof ours.toLangChain === 'function' ? ours.toLangChain() : (tool as BindToolsInput)
}

/** `options` with the enclosing LangGraph run's signal when the caller gave none. */
function withRunSignal<O extends { signal?: AbortSignal }>(options: O): O {
  if (options.signal) return options
  const signal = currentRunSignal()
  return signal ? { ...options, signal } : options
}

/**
 * The model as agents use it (`this.llm`): one provider, with defaults from
 * config/llm.ts that every call may override. Calls retry on rate limits and
 * server errors, stop when the run's signal aborts, may be cached, and report
 * tokens and latency to the log and /metrics. A call made inside a LangGraph
 * run without a `signal` uses the run's own, so an aborted or timed-out run
 * closes its provider requests too.
 *
 * @example
 * const { text } = await this.llm.invoke(state.query, { system: 'Answer in one sentence.', signal: ctx.signal })
 * const precise = this.llm.with({ temperature: 0, model: 'gpt-4o' })
 * for await (const event of this.llm.stream('Tell me a story')) if (event.type === 'text') ctx.writer(event.text)
 * const { category } = await this.llm.structured(state.query, z.object({ category: z.enum(['billing', 'technical']) }))
 */
export class Llm {
  constructor(
    private readonly runner: LlmRunner,
    readonly settings: Readonly<LlmSettings>,
  ) {}

  get provider(): LlmProviderName {
    return this.settings.provider
  }

  get model(): string {
    return this.settings.model
  }

  /** The same model with other defaults (model, temperature, max tokens, system prompt, working-memory budget). */
  with(defaults: LlmDefaults): Llm {
    checkNumber('temperature', defaults.temperature, 0, 2)
    checkNumber('maxTokens', defaults.maxTokens, 1, 10_000_000)
    if (defaults.trim) checkTrimOptions(defaults.trim)
    const defined = Object.fromEntries(Object.entries(defaults).filter(([, value]) => value !== undefined))
    return new Llm(this.runner, { ...this.settings, ...defined })
  }

  /** One answer. `input` is a string (a user message) or a conversation. */
  invoke(input: LlmInput, options: LlmCallOptions = {}): Promise<LlmResponse> {
    try {
      return this.runner.run(this.request(input, withRunSignal(options), options.tools?.map(toBindable) ?? [], options.toolChoice))
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /** `invoke` for a conversation: `[{ role: 'user', content: 'hi' }, ...]` or LangChain messages. */
  chat(messages: readonly BaseMessageLike[], options: LlmCallOptions = {}): Promise<LlmResponse> {
    if (!Array.isArray(messages)) return Promise.reject(new E_INVALID_INPUT('chat() takes an array of messages'))
    return this.invoke(messages, options)
  }

  /**
   * Streams the answer: `{ type: 'text', text }` events as the model writes,
   * then one `{ type: 'usage', usage, response }`. Leaving the loop early
   * cancels the request. Retries happen only before the first text arrives.
   */
  stream(input: LlmInput, options: LlmCallOptions = {}): AsyncGenerator<LlmStreamEvent> {
    // The run's signal is taken where stream() is called, not where iteration starts.
    return this.streamed(input, withRunSignal(options))
  }

  /**
   * A result validated against a zod object schema. The model is made to
   * call a function with the schema as parameters; an invalid result gets one
   * repair attempt (the validation errors are sent back), then E_LLM_BAD_OUTPUT.
   */
  async structured<S extends ZodType>(input: LlmInput, schema: S, given: StructuredOptions = {}): Promise<z.output<S>> {
    const options = withRunSignal(given)
    const messages = toMessages(input, options.system ?? this.settings.system)
    const name = options.name ?? 'respond'
    const description = options.description ?? 'Return the result. Call this exactly once, with arguments matching the schema.'
    const { data } = await structuredOutput(schema, messages, { name, description }, (conversation, tool, cacheable) =>
      this.runner.run({ ...this.request(conversation, { ...options, system: undefined }, [tool], name, true), cacheable }),
    )
    return data
  }

  /** Tokens of a text or conversation, counted locally (cl100k; an estimate for non-OpenAI models). */
  countTokens(input: LlmInput): number {
    return typeof input === 'string' ? countTokens(input) : countMessageTokens(toMessages(input))
  }

  private async *streamed(input: LlmInput, options: LlmCallOptions): AsyncGenerator<LlmStreamEvent> {
    yield* this.runner.stream(this.request(input, options, options.tools?.map(toBindable) ?? [], options.toolChoice))
  }

  private request(input: LlmInput, options: LlmCallOptions, tools: BindToolsInput[], toolChoice: string | undefined, prepared = false): ModelRequest {
    checkNumber('temperature', options.temperature, 0, 2)
    checkNumber('maxTokens', options.maxTokens, 1, 10_000_000)
    const s = this.settings
    const conversation = prepared ? (input as ModelRequest['messages']) : toMessages(input, options.system ?? s.system)
    // Only what is sent is trimmed: the caller's conversation (and a graph's checkpointed state) keeps everything.
    const trim = options.trim ?? s.trim
    const messages = trim ? trimConversation(conversation, trim) : conversation
    const cache = options.cache === false ? undefined : typeof options.cache === 'object' ? options.cache : options.cache || s.cacheByDefault ? { ttlSeconds: s.cacheTtlSeconds } : undefined
    return {
      settings: {
        provider: s.provider,
        model: options.model ?? s.model,
        temperature: options.temperature ?? s.temperature,
        maxTokens: options.maxTokens ?? s.maxTokens,
      },
      messages,
      trimmed: trim ? conversation.length - messages.length : undefined,
      tools,
      toolChoice: tools.length > 0 ? toolChoice : undefined,
      signal: options.signal,
      timeoutMs: options.timeoutMs ?? s.timeoutMs,
      maxRetries: options.maxRetries ?? s.maxRetries,
      cache,
    }
  }
}
