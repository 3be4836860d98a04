import { ToolMessage, coerceMessageLikeToMessage, type BaseMessage, type BaseMessageLike, type ToolCall } from '@langchain/core/messages'
import type { RequestContext } from '../contracts/request_context'
import { E_INVALID_INPUT, E_LOOP_LIMIT, isException } from '../errors'
import type { Tool } from '../tools/tool'
import { ToolRegistry } from '../tools/tool_registry'
import type { ToolSource } from '../tools/types'
import type { Llm } from './llm'
import { resolveLlm } from './llm_runtime'
import type { LlmCallOptions } from './types'

export interface ToolLoopOptions {
  /** The model; default: the agent's `this.llm`, else the application's, resolved when the node runs. */
  llm?: Llm
  /** Tools the model may call (an agent's `tools`, or a registry); sources such as `mcpTools('notes')` are loaded on each run of the node. */
  tools: ReadonlyArray<Tool<any, any> | ToolSource> | ToolRegistry
  /** Most model calls per run of the node (default 5). */
  maxSteps?: number
  /** State key of the conversation, a `reducers.messages()` key (default `messages`). */
  messagesKey?: string
  system?: string
  /** At the limit with tool calls still pending: stop there (default) or raise E_LOOP_LIMIT. */
  onLimit?: 'stop' | 'error'
  /** Node name in the graph (default `tool_loop`). */
  name?: string
  /** Per-call settings (model, temperature, maxTokens, cache...). */
  call?: Omit<LlmCallOptions, 'tools' | 'signal' | 'system'>
}

/** The part of a node's context the loop uses (a NodeContext fits). */
export interface ToolLoopContext {
  signal?: AbortSignal
  context?: RequestContext
}

/** A graph node function: returns the messages it added, for the messages reducer to append. */
export type ToolLoopNode = (state: Record<string, any>, ctx?: ToolLoopContext) => Promise<Record<string, BaseMessage[]>>

/** The agent's own model when the node runs with `this` = an agent that has one (`this.llm`). */
function ownerLlm(owner: unknown): Llm | undefined {
  const llm = (owner as { llm?: unknown } | undefined)?.llm
  return llm && typeof (llm as Llm).invoke === 'function' ? (llm as Llm) : undefined
}

function resultText(output: unknown): string {
  if (typeof output === 'string') return output
  return JSON.stringify(output) ?? ''
}

/** Runs one tool call; Tool.call() records it in the tool metrics (an unknown name is not a tool: not recorded). */
async function runTool(registry: ToolRegistry, call: ToolCall, ctx: ToolLoopContext | undefined): Promise<ToolMessage> {
  const id = call.id ?? ''
  try {
    const output = await registry.call(call.name, call.args, { signal: ctx?.signal, context: ctx?.context, toolCallId: id })
    return new ToolMessage({ tool_call_id: id, name: call.name, content: resultText(output) })
  } catch (error) {
    // A cancelled run stops here; any other failure goes back to the model, which may correct itself.
    if (ctx?.signal?.aborted) throw error
    const code = isException(error) ? `${error.code}: ` : ''
    return new ToolMessage({ tool_call_id: id, name: call.name, status: 'error', content: `Error: ${code}${(error as Error).message}` })
  }
}

function isToolSource(entry: Tool<any, any> | ToolSource): entry is ToolSource {
  return typeof (entry as ToolSource).load === 'function'
}

/** The tools known now, as a registry, and the sources to load when the node runs. */
function splitTools(tools: ToolLoopOptions['tools']): { fixed: ToolRegistry; sources: ToolSource[] } {
  if (tools instanceof ToolRegistry) return { fixed: tools, sources: [] }
  const sources = tools.filter(isToolSource)
  return { fixed: new ToolRegistry(tools.filter((entry): entry is Tool<any, any> => !isToolSource(entry))), sources }
}

/** The fixed tools and what the sources hold now; two tools with one name is an error naming it. */
async function withSources(fixed: ToolRegistry, sources: ToolSource[], signal: AbortSignal | undefined): Promise<ToolRegistry> {
  const loaded = await Promise.all(sources.map((source) => source.load({ signal })))
  const registry = new ToolRegistry(fixed.list())
  for (const tools of loaded) for (const tool of tools) registry.register(tool)
  return registry
}

/**
 * A ready-made graph node: model -> tools -> model ... until the model
 * answers without calling a tool, or `maxSteps` model calls. Tool calls of
 * one step run concurrently; failures go back to the model as error results.
 * At the limit, pending calls are answered "not run" (so the conversation
 * stays valid for the next call) and the loop stops — or, with
 * `onLimit: 'error'`, raises E_LOOP_LIMIT. Returns only the messages it
 * added, for the `messages` reducer to append.
 *
 * @example
 * const SupportState = defineState({ messages: reducers.messages() })
 * build(graph: GraphBuilder<typeof SupportState>) {
 *   return graph.then(toolLoop({ tools: [searchDocsTool, lookupOrderTool], maxSteps: 4, system: 'You are a support agent.' }))
 * }
 */
export function toolLoop(options: ToolLoopOptions): ToolLoopNode {
  const maxSteps = options.maxSteps ?? 5
  if (!Number.isInteger(maxSteps) || maxSteps < 1) throw new E_INVALID_INPUT(`toolLoop: maxSteps must be a positive integer, got ${String(options.maxSteps)}`)
  const key = options.messagesKey ?? 'messages'
  const { fixed, sources } = splitTools(options.tools)
  const name = options.name ?? 'tool_loop'

  // A function, not an arrow: graph nodes run with `this` = the agent.
  const node: ToolLoopNode = async function (this: unknown, state, ctx) {
    const llm = options.llm ?? ownerLlm(this) ?? resolveLlm()
    const raw = (state?.[key] ?? []) as BaseMessageLike[]
    if (!Array.isArray(raw) || raw.length === 0) throw new E_INVALID_INPUT(`toolLoop: state.${key} has no messages to answer`)
    const history = raw.map((message) => coerceMessageLikeToMessage(message))
    const registry = sources.length === 0 ? fixed : await withSources(fixed, sources, ctx?.signal)
    const added: BaseMessage[] = []
    for (let step = 1; step <= maxSteps; step++) {
      const response = await llm.invoke([...history, ...added], {
        ...options.call,
        system: options.system,
        tools: registry.list(),
        signal: ctx?.signal,
      })
      added.push(response.message)
      if (response.toolCalls.length === 0) return { [key]: added }
      if (step === maxSteps) {
        if (options.onLimit === 'error') throw new E_LOOP_LIMIT(name, maxSteps, { help: 'Raise maxSteps, or pass onLimit: "stop" to keep the conversation as it is.' })
        for (const call of response.toolCalls) {
          added.push(new ToolMessage({ tool_call_id: call.id ?? '', name: call.name, status: 'error', content: `Not run: the step limit (${maxSteps}) was reached.` }))
        }
        return { [key]: added }
      }
      added.push(...(await Promise.all(response.toolCalls.map((call) => runTool(registry, call, ctx)))))
    }
    return { [key]: added }
  }
  Object.defineProperty(node, 'name', { value: name })
  return node
}
