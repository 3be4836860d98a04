import type { BaseMessage } from '@langchain/core/messages'
import type { FakeCall, FakeReply, FakeToolSpec } from './fake_script'

type JsonSchema = Record<string, any>

const MAX_TOOL_RESULT_CHARS = 400

function lastOf(messages: BaseMessage[], type: string): BaseMessage | undefined {
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i].type === type) return messages[i]
  return undefined
}

/** Words of a tool name worth matching in a question (`lookup_order` -> lookup, order). */
function nameWords(name: string): string[] {
  return name
    .split(/[_\-\s]+|(?<=[a-z])(?=[A-Z])/)
    .map((word) => word.toLowerCase())
    .filter((word) => word.length >= 4)
}

/**
 * A value that satisfies a JSON schema, built from the user's text: strings
 * get the text, numbers the first number in it, enums the option it names. Enough for a fake tool call
 * or structured answer to pass validation of the common shapes.
 */
export function sampleFromSchema(schema: JsonSchema | undefined, text: string): unknown {
  if (!schema || typeof schema !== 'object') return text
  if ('const' in schema) return schema.const
  if (Array.isArray(schema.enum) && schema.enum.length > 0) {
    // The option the text names, so a fake classifier answers "billing" to a billing question.
    const lower = text.toLowerCase()
    return schema.enum.find((option: unknown) => typeof option === 'string' && lower.includes(option.toLowerCase())) ?? schema.enum[0]
  }
  if ('default' in schema) return schema.default
  const variants = schema.anyOf ?? schema.oneOf
  if (Array.isArray(variants) && variants.length > 0) return sampleFromSchema(variants.find((v: JsonSchema) => v?.type !== 'null') ?? variants[0], text)
  const type = Array.isArray(schema.type) ? schema.type.find((t: string) => t !== 'null') : schema.type
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {}
      const properties: Record<string, JsonSchema> = schema.properties ?? {}
      for (const key of schema.required ?? []) out[key] = sampleFromSchema(properties[key], text)
      return out
    }
    case 'array':
      return Array.from({ length: schema.minItems ?? 0 }, () => sampleFromSchema(schema.items, text))
    case 'integer':
    case 'number': {
      const found = /-?\d+(?:\.\d+)?/.exec(text)
      const value = found ? Number(found[0]) : (schema.minimum ?? 0)
      return type === 'integer' ? Math.trunc(value) : value
    }
    case 'boolean':
      return false
    case 'null':
      return null
    default: {
      const value = text || 'fake'
      return typeof schema.maxLength === 'number' ? value.slice(0, schema.maxLength) : value
    }
  }
}

function callTool(tool: FakeToolSpec, text: string, index: number): FakeReply {
  return { toolCalls: [{ name: tool.name, args: sampleFromSchema(tool.parameters, text) as Record<string, unknown>, id: `fake_call_${index}` }] }
}

/**
 * How the fake model answers when nothing is scripted. Deterministic, so
 * example agents and tests give the same output on every run:
 * - a forced tool (structured output, `toolChoice`) is called with arguments
 *   built from its schema;
 * - after tool results, it reports them;
 * - when a bound tool's name appears in the question ("order" for
 *   `lookup_order`), it calls that tool;
 * - otherwise it echoes the last user message.
 */
export function fakeDefaultReply(call: FakeCall): FakeReply {
  const human = lastOf(call.messages, 'human')
  const text = human?.text.trim() ?? ''
  const last = call.messages.at(-1)
  const forced = call.toolChoice && !['auto', 'none'].includes(call.toolChoice)
  if (forced && call.tools.length > 0) {
    const tool = call.tools.find((t) => t.name === call.toolChoice) ?? call.tools[0]
    return callTool(tool, text, call.messages.length)
  }
  if (last?.type === 'tool') {
    const results: string[] = []
    for (let i = call.messages.length - 1; i >= 0 && call.messages[i].type === 'tool'; i--) {
      const message = call.messages[i] as BaseMessage & { name?: string }
      const content = message.text.length > MAX_TOOL_RESULT_CHARS ? `${message.text.slice(0, MAX_TOOL_RESULT_CHARS)}...` : message.text
      results.unshift(`${message.name ?? 'tool'}: ${content}`)
    }
    return { text: `Here is what I found. ${results.join(' | ')}` }
  }
  if (call.toolChoice !== 'none' && last?.type === 'human' && call.tools.length > 0) {
    const lower = text.toLowerCase()
    const tool = call.tools.find((t) => nameWords(t.name).some((word) => lower.includes(word)))
    if (tool) return callTool(tool, text, call.messages.length)
  }
  return { text: text ? `Echo: ${text}` : 'Echo: (no message)' }
}
