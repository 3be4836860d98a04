import {
  AIMessage,
  SystemMessage,
  coerceMessageLikeToMessage,
  isBaseMessage,
  type BaseMessage,
  type MessageContent,
  type ToolCall,
  type UsageMetadata,
} from '@langchain/core/messages'
import { E_INVALID_INPUT } from '../errors'
import type { LlmInput } from './types'

/**
 * The conversation sent to the model: a string becomes one user message,
 * `{ role, content }` objects and tuples become LangChain messages, and the
 * `system` option goes first. A conversation that already starts with a
 * system message gets the option prepended to it, because some providers
 * (Anthropic) accept only one system message, at the start.
 */
export function toMessages(input: LlmInput, system?: string): BaseMessage[] {
  let messages: BaseMessage[]
  if (typeof input === 'string') messages = [coerceMessageLikeToMessage(input)]
  else if (isBaseMessage(input)) messages = [input]
  else if (Array.isArray(input)) messages = input.map((item) => coerceMessageLikeToMessage(item))
  else throw new E_INVALID_INPUT('A model prompt must be a string, a message or an array of messages')
  if (messages.length === 0) throw new E_INVALID_INPUT('A model prompt needs at least one message')
  if (!system) return messages
  const [first, ...rest] = messages
  if (first.type === 'system') return [new SystemMessage(`${system}\n\n${first.text}`), ...rest]
  return [new SystemMessage(system), ...messages]
}

/** What identifies a message for the response cache: role, content, tool calls, tool call id. */
export function messageFingerprint(message: BaseMessage): unknown {
  const m = message as BaseMessage & { tool_calls?: ToolCall[]; tool_call_id?: string }
  return [
    message.type,
    message.content,
    m.tool_calls?.map((call) => [call.name, call.args, call.id]) ?? null,
    m.tool_call_id ?? null,
    message.name ?? null,
  ]
}

/** An answer as kept in the response cache (plain JSON). */
export interface StoredAnswer {
  content: MessageContent
  toolCalls: Array<{ name: string; args: Record<string, unknown>; id?: string }>
  usage?: UsageMetadata
}

export function storeAnswer(message: AIMessage): StoredAnswer {
  return {
    content: message.content,
    toolCalls: (message.tool_calls ?? []).map((call) => ({ name: call.name, args: call.args, id: call.id })),
    ...(message.usage_metadata ? { usage: message.usage_metadata } : {}),
  }
}

export function restoreAnswer(stored: StoredAnswer): AIMessage {
  return new AIMessage({
    content: stored.content,
    tool_calls: stored.toolCalls.map((call) => ({ ...call, type: 'tool_call' as const })),
    usage_metadata: stored.usage,
    response_metadata: { cached: true },
  })
}

/** An AIMessage from whatever a chat model returned (chunks are concatenated by the caller). */
export function asAIMessage(message: BaseMessage): AIMessage {
  if (message instanceof AIMessage && message.constructor === AIMessage) return message
  const m = message as AIMessage
  return new AIMessage({
    content: m.content,
    tool_calls: m.tool_calls ?? [],
    invalid_tool_calls: m.invalid_tool_calls ?? [],
    usage_metadata: m.usage_metadata,
    response_metadata: m.response_metadata,
    additional_kwargs: m.additional_kwargs,
    id: m.id,
  })
}
