import { z, type ZodType } from 'zod'
import type { Llm } from '../llm/llm'
import { resolveLlm } from '../llm/llm_runtime'
import type { LlmCallOptions } from '../llm/types'
import { defineTool } from './define_tool'
import type { Tool } from './tool'
import type { RetryOptions } from './types'

const DEFAULT_SCHEMA = z.object({ input: z.string().min(1).describe('The text to work on') })

export interface LlmToolOptions<S extends ZodType, R extends ZodType | undefined> {
  name: string
  description: string
  /** The tool's own instructions to the model. */
  system: string
  /** Input schema; default `{ input: string }`. */
  schema?: S
  /** A zod object schema: the tool returns a validated object instead of text. */
  output?: R
  /** Default: the application's model, resolved on each call. */
  llm?: Llm
  /** Builds the user message from the input (default: `input` of the default schema, JSON otherwise). */
  prompt?: (input: z.output<S>) => string
  /** Model settings for this tool (model, temperature, maxTokens, cache...). */
  call?: Omit<LlmCallOptions, 'signal' | 'system' | 'tools' | 'toolChoice'>
  timeoutMs?: number
  retry?: number | RetryOptions
}

type Output<R> = R extends ZodType ? z.output<R> : string

/**
 * A model call with its own system prompt, packaged as a tool: a summarizer,
 * a translator or a classifier another agent (or model) can call. With
 * `output`, the result is structured and validated.
 *
 * @example
 * export const summarizeTool = llmTool({
 *   name: 'summarize',
 *   description: 'Summarize a long text in three sentences.',
 *   system: 'You summarize texts in at most three sentences. Keep names and numbers.',
 *   call: { temperature: 0, maxTokens: 200 },
 * })
 * const summary = await summarizeTool.call({ input: article })
 */
export function llmTool<S extends ZodType = typeof DEFAULT_SCHEMA, R extends ZodType | undefined = undefined>(options: LlmToolOptions<S, R>): Tool<S, Output<R>> {
  const schema = (options.schema ?? DEFAULT_SCHEMA) as S
  const prompt =
    options.prompt ??
    ((input: z.output<S>) => {
      const value = input as { input?: unknown }
      return !options.schema && typeof value.input === 'string' ? value.input : JSON.stringify(input)
    })
  return defineTool({
    name: options.name,
    description: options.description,
    schema,
    timeoutMs: options.timeoutMs,
    retry: options.retry,
    handler: async (input, { signal }) => {
      const llm = options.llm ?? resolveLlm()
      const settings = { ...options.call, system: options.system, signal }
      if (options.output) return (await llm.structured(prompt(input), options.output, settings)) as Output<R>
      return (await llm.invoke(prompt(input), settings)).text as Output<R>
    },
  })
}
