import type { AIMessage, BaseMessage } from '@langchain/core/messages'
import { SpanKind, type Attributes, type SpanOptions } from '@opentelemetry/api'
import type { ModelRequest } from './llm_runner'
import type { LlmResponse } from './types'

/*
 * The span of one model call, in OpenTelemetry's GenAI semantic conventions:
 * `chat <model>`, with the provider, the requested and answering model, the
 * tokens and the finish reasons. Prompt and completion text go on it only
 * when content capture is on (OTEL_CAPTURE_CONTENT), as
 * `gen_ai.input.messages` / `gen_ai.output.messages`.
 */

/** Longest text kept per message when content is captured. */
const MAX_CONTENT = 8192

/** Name and start attributes of a model call's span. */
export function modelSpan(request: ModelRequest, captureContent: boolean): { name: string; options: SpanOptions } {
  const { provider, model, temperature, maxTokens } = request.settings
  const attributes: Attributes = {
    'gen_ai.operation.name': 'chat',
    'gen_ai.system': provider,
    'gen_ai.provider.name': provider,
    'gen_ai.request.model': model,
    'gen_ai.request.temperature': temperature,
    'gen_ai.request.max_tokens': maxTokens,
  }
  if (request.tools.length > 0) attributes['langvel.llm.tools'] = request.tools.length
  if (request.trimmed !== undefined) attributes['langvel.llm.trimmed_messages'] = request.trimmed
  if (captureContent) attributes['gen_ai.input.messages'] = JSON.stringify(request.messages.map(messageContent))
  return { name: `chat ${model}`, options: { kind: SpanKind.CLIENT, attributes } }
}

/** Attributes of a model call's answer. */
export function responseAttributes(response: LlmResponse, captureContent: boolean): Attributes {
  const { usage, message } = response
  const attributes: Attributes = {
    'gen_ai.response.model': modelName(message) ?? response.model,
    'gen_ai.usage.input_tokens': usage.promptTokens,
    'gen_ai.usage.output_tokens': usage.completionTokens,
    'langvel.llm.usage_estimated': usage.estimated,
    'langvel.llm.cached': response.cached,
    'langvel.llm.attempts': response.attempts,
  }
  const finish = finishReason(message, response)
  if (finish) attributes['gen_ai.response.finish_reasons'] = [finish]
  if (typeof message.id === 'string') attributes['gen_ai.response.id'] = message.id
  if (captureContent) attributes['gen_ai.output.messages'] = JSON.stringify([{ ...messageContent(message), finish_reason: finish }])
  return attributes
}

function messageContent(message: BaseMessage): Record<string, unknown> {
  const out: Record<string, unknown> = { role: roleOf(message), content: clip(message.text) }
  const calls = (message as AIMessage).tool_calls
  if (calls?.length) out.tool_calls = calls.map((call) => ({ id: call.id, name: call.name, arguments: call.args }))
  return out
}

function roleOf(message: BaseMessage): string {
  switch (message.getType()) {
    case 'human':
      return 'user'
    case 'ai':
      return 'assistant'
    default:
      return message.getType()
  }
}

function clip(text: string): string {
  return text.length > MAX_CONTENT ? `${text.slice(0, MAX_CONTENT)}...` : text
}

function modelName(message: AIMessage): string | undefined {
  const name = message.response_metadata?.model_name ?? message.response_metadata?.model
  return typeof name === 'string' ? name : undefined
}

/** The provider's finish reason (OpenAI's finish_reason, Anthropic's stop_reason), else what the answer shows. */
function finishReason(message: AIMessage, response: LlmResponse): string | undefined {
  const metadata = message.response_metadata ?? {}
  const reported = metadata.finish_reason ?? metadata.stop_reason
  if (typeof reported === 'string') return reported
  if (response.cached) return response.toolCalls.length > 0 ? 'tool_calls' : 'stop'
  return undefined
}
