import { z, type ZodType } from 'zod'
import { E_INVALID_NAME, E_RUNTIME } from '../errors'
import { Tool } from './tool'
import type { ToolDefinition } from './types'

/** What OpenAI, Anthropic and LangChain all accept as a function name. */
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/

/**
 * Declares a tool. Definition mistakes (bad name, non-object schema,
 * negative retries) throw here, when the module loads, not on first call.
 *
 * @example
 * export const searchDocsTool = defineTool({
 *   name: 'search_docs',
 *   description: 'Search the product documentation. Use for questions about features and setup.',
 *   schema: z.object({ query: z.string().min(1), limit: z.number().int().min(1).max(10).default(3) }),
 *   retry: 2,
 *   timeoutMs: 2000,
 *   handler: async ({ query, limit }, { signal }) => docs.search(query, { limit, signal }),
 *   fallback: () => ({ results: [] }),
 * })
 */
export function defineTool<S extends ZodType, O>(definition: ToolDefinition<S, O>): Tool<S, O> {
  const { name } = definition
  if (typeof name !== 'string' || !TOOL_NAME.test(name)) {
    throw new E_INVALID_NAME('tool', String(name), 'use 1-64 letters, digits, "_" or "-"')
  }
  if (!definition.description?.trim()) throw new E_RUNTIME(`Tool "${name}" needs a description: the model reads it to decide when to call the tool`)
  if (typeof definition.handler !== 'function') throw new E_RUNTIME(`Tool "${name}" needs a handler function`)
  let jsonType: unknown
  try {
    jsonType = (z.toJSONSchema(definition.schema, { io: 'input', unrepresentable: 'any' }) as { type?: unknown }).type
  } catch {
    jsonType = undefined
  }
  if (jsonType !== 'object') throw new E_RUNTIME(`Tool "${name}" needs a zod object schema: models pass tool arguments as an object`)
  const approval = definition.requiresApproval
  if (approval !== undefined && typeof approval !== 'boolean' && typeof approval !== 'function') {
    throw new E_RUNTIME(`Tool "${name}": requiresApproval must be true, false or a function of the input`)
  }
  const retries = typeof definition.retry === 'number' ? definition.retry : definition.retry?.retries
  if (retries !== undefined && (!Number.isInteger(retries) || retries < 0)) {
    throw new E_RUNTIME(`Tool "${name}": retry must be a whole number of retries (0 or more), got ${String(retries)}`)
  }
  const timeoutMs = definition.timeoutMs
  // setTimeout's range: beyond it Node fires at once instead of waiting.
  if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs > 0 && timeoutMs <= 2_147_483_647)) {
    throw new E_RUNTIME(`Tool "${name}": timeoutMs must be a positive number of milliseconds (at most 2^31-1), got ${String(timeoutMs)}`)
  }
  return new Tool(definition)
}
