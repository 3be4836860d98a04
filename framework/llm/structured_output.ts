import { HumanMessage, ToolMessage, type AIMessage, type BaseMessage } from '@langchain/core/messages'
import { z, type ZodType } from 'zod'
import { E_INVALID_INPUT, E_LLM_BAD_OUTPUT } from '../errors'
import type { LlmResponse } from './types'

/** The function-calling tool the model is forced to call with the result. */
export interface ResultTool {
  type: 'function'
  function: { name: string; description: string; parameters: Record<string, unknown> }
}

export type StructuredCall = (messages: BaseMessage[], tool: ResultTool, cacheable: (message: AIMessage) => boolean) => Promise<LlmResponse>

type Parsed<S extends ZodType> = { ok: true; data: z.output<S> } | { ok: false; summary: string; issues: Array<{ path: string; message: string }> }

const FENCE = /^```(?:json)?\s*([\s\S]*?)\s*```$/

/** The JSON object in a text answer, for models that reply in text despite the forced tool. */
function jsonFromText(text: string): unknown {
  const trimmed = text.trim()
  const body = FENCE.exec(trimmed)?.[1] ?? trimmed
  const start = body.indexOf('{')
  const end = body.lastIndexOf('}')
  if (start < 0 || end <= start) return undefined
  try {
    return JSON.parse(body.slice(start, end + 1))
  } catch {
    return undefined
  }
}

export function resultTool(schema: ZodType, name: string, description: string): ResultTool {
  let parameters: Record<string, unknown>
  try {
    const { $schema: _ignored, ...json } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>
    parameters = json
  } catch {
    parameters = {}
  }
  if (parameters.type !== 'object') throw new E_INVALID_INPUT('Structured output needs a zod object schema (models return arguments as an object)')
  return { type: 'function', function: { name, description, parameters } }
}

function parseAnswer<S extends ZodType>(schema: S, message: AIMessage, name: string): Parsed<S> {
  const call = (message.tool_calls ?? []).find((c) => c.name === name)
  const candidate = call ? call.args : jsonFromText(message.text)
  if (candidate === undefined) {
    const summary = `the answer neither called ${name} nor contained a JSON object`
    return { ok: false, summary, issues: [{ path: '', message: summary }] }
  }
  const result = schema.safeParse(candidate)
  if (result.success) return { ok: true, data: result.data }
  const issues = result.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }))
  return { ok: false, summary: issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; '), issues }
}

/** What the model is told after an invalid answer: a tool result for each of its calls, or a user message. */
function feedback(message: AIMessage, name: string, summary: string): BaseMessage[] {
  const instruction = `The result was invalid: ${summary}. Call ${name} again with corrected arguments that match its schema.`
  const calls = message.tool_calls ?? []
  if (calls.length === 0) return [new HumanMessage(instruction)]
  // Every tool call needs its answer, or providers reject the conversation.
  return calls.map((call) => new ToolMessage({ tool_call_id: call.id ?? '', name: call.name, status: 'error', content: call.name === name ? instruction : 'Not run.' }))
}

/**
 * Asks for a result matching `schema` by forcing a call to a function whose
 * parameters are the schema, validates it with zod, and on an invalid answer
 * gives the model one chance to repair it (the errors are sent back). A
 * second invalid answer is E_LLM_BAD_OUTPUT, with the issues in `details`.
 */
export async function structuredOutput<S extends ZodType>(
  schema: S,
  messages: BaseMessage[],
  options: { name: string; description: string },
  call: StructuredCall,
): Promise<{ data: z.output<S>; response: LlmResponse; repaired: boolean }> {
  const tool = resultTool(schema, options.name, options.description)
  const cacheable = (message: AIMessage) => parseAnswer(schema, message, options.name).ok
  const first = await call(messages, tool, cacheable)
  const parsed = parseAnswer(schema, first.message, options.name)
  if (parsed.ok) return { data: parsed.data, response: first, repaired: false }

  const retry = [...messages, first.message, ...feedback(first.message, options.name, parsed.summary)]
  const second = await call(retry, tool, cacheable)
  const repaired = parseAnswer(schema, second.message, options.name)
  if (repaired.ok) return { data: repaired.data, response: second, repaired: true }
  throw new E_LLM_BAD_OUTPUT(`the answer did not match the schema after one repair attempt: ${repaired.summary}`, {
    details: { provider: second.provider, model: second.model, issues: repaired.issues, text: second.text.slice(0, 500) },
  })
}
