import { isBaseMessage, type BaseMessage } from '@langchain/core/messages'

/**
 * State as clients read it (HTTP responses, SSE events, CLI output): chat
 * messages become `{ type, content, id, tool_calls... }` instead of
 * LangChain's constructor serialization. Programmatic callers keep the real
 * message objects; only presentation calls this.
 *
 * @example
 * res.json({ output: toPlainValues(result.output) })
 */
export function toPlainValues(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value
  if (isBaseMessage(value)) return plainMessage(value)
  if (Array.isArray(value)) return value.map(toPlainValues)
  const prototype = Object.getPrototypeOf(value)
  if (prototype !== Object.prototype && prototype !== null) return value
  const out: Record<string, unknown> = {}
  for (const [key, item] of Object.entries(value)) out[key] = toPlainValues(item)
  return out
}

function plainMessage(message: BaseMessage): Record<string, unknown> {
  const out: Record<string, unknown> = { type: message.getType(), content: message.content }
  if (message.id) out.id = message.id
  if (message.name) out.name = message.name
  const toolCalls = (message as { tool_calls?: unknown[] }).tool_calls
  if (toolCalls && toolCalls.length > 0) out.tool_calls = toolCalls
  const toolCallId = (message as { tool_call_id?: string }).tool_call_id
  if (toolCallId) out.tool_call_id = toolCallId
  const usage = (message as { usage_metadata?: unknown }).usage_metadata
  if (usage) out.usage_metadata = usage
  return out
}
