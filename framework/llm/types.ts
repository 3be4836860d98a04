import type { AIMessage, BaseMessage, BaseMessageLike, ToolCall } from '@langchain/core/messages'
import type { StructuredToolInterface } from '@langchain/core/tools'
import type { ConfigMap } from '../config/config'
import type { Tool } from '../tools/tool'

/** config/llm.ts, resolved. */
export type LlmConfig = ConfigMap['llm']

export type LlmProviderName = LlmConfig['provider']

export const LLM_PROVIDERS: readonly LlmProviderName[] = ['fake', 'openai', 'anthropic', 'ollama', 'openai-compatible']

/** A prompt: a string (one user message), one message, or a conversation. */
export type LlmInput = string | BaseMessage | readonly BaseMessageLike[]

/** A tool the model may call: one of ours (`defineTool`) or any LangChain tool. */
export type LlmTool = Tool<any, any> | StructuredToolInterface

/** The settings that select a client: each distinct combination gets its own cached LangChain model. */
export interface ClientSettings {
  provider: LlmProviderName
  model: string
  temperature: number
  maxTokens: number
}

/** Working memory: what `trimConversation` keeps of a conversation (see docs/llm.md#working-memory). */
export interface TrimOptions {
  /** Token budget of what is sent, system messages included (counted like `countMessageTokens`). */
  maxTokens: number
  /** Keep every system message whatever the budget (default true); `false` trims them like any other message. */
  keepSystem?: boolean
  /** Where a kept history may begin: at a user message (default, which every provider accepts) or at any message but a tool result. */
  startOn?: 'human' | 'any'
}

/** Defaults an `Llm` applies to every call; `llm.with({...})` derives one with other defaults. */
export interface LlmDefaults {
  model?: string
  temperature?: number
  maxTokens?: number
  system?: string
  /**
   * Send only the most recent messages that fit a token budget (working
   * memory); the caller's conversation is not changed. `false` turns off a
   * budget set with `llm.with({ trim })`.
   */
  trim?: TrimOptions | false
}

export interface LlmCallOptions extends LlmDefaults {
  /**
   * Aborting it cancels the in-flight request. Default: inside a LangGraph run
   * (a node, or a tool it calls), the run's own signal; outside one, none.
   */
  signal?: AbortSignal
  /** Per-attempt limit; default LLM_TIMEOUT. */
  timeoutMs?: number
  /** Retries after the first attempt on 429, 5xx, timeouts and network errors; default LLM_MAX_RETRIES. */
  maxRetries?: number
  /** Read and write the response cache (`true`, or a TTL), or bypass it (`false`). Default: on when LLM_CACHE is not `off`. */
  cache?: boolean | { ttlSeconds: number }
  /** Tools the model may call; the calls come back in `response.toolCalls`. */
  tools?: readonly LlmTool[]
  /** `auto` (default), `any` (must call one), `none`, or a tool name the model must call. */
  toolChoice?: string
}

export interface LlmUsage {
  promptTokens: number
  completionTokens: number
  totalTokens: number
  /** True when the provider reported nothing and the counts come from the local tokenizer. */
  estimated: boolean
}

export interface LlmResponse {
  /** The text of the answer (empty when the model only called tools). */
  text: string
  /** The LangChain message, to append to a conversation. */
  message: AIMessage
  toolCalls: ToolCall[]
  usage: LlmUsage
  provider: LlmProviderName
  model: string
  /** Time until the answer was complete, in milliseconds (cache lookups included). */
  latencyMs: number
  /** Served from the response cache: the provider was not called. */
  cached: boolean
  /** Requests sent to the provider (0 on a cache hit). */
  attempts: number
}

export type LlmStreamEvent = { type: 'text'; text: string } | { type: 'usage'; usage: LlmUsage; response: LlmResponse }

export interface StructuredOptions extends Omit<LlmCallOptions, 'tools' | 'toolChoice'> {
  /** Name of the function the model is asked to call with the result (default `respond`). */
  name?: string
  /** What the result is, for the model. */
  description?: string
}
