import { AIMessage, ToolMessage, coerceMessageLikeToMessage, type BaseMessage, type BaseMessageLike } from '@langchain/core/messages'
import { interrupt } from '@langchain/langgraph'
import { TOOL_STEPS, type ToolApprovalRequest, type ToolStepCall, type ToolSteps } from '../agents/tool_steps'
import type { RequestContext } from '../contracts/request_context'
import { E_INVALID_INPUT, E_LOOP_LIMIT, E_VALIDATION, isException } from '../errors'
import { createLogger, type Logger } from '../logger'
import type { Tool } from '../tools/tool'
import { ToolRegistry } from '../tools/tool_registry'
import type { ToolSource } from '../tools/types'
import type { Llm } from './llm'
import { ownerLlm, resolveLlm } from './llm_runtime'
import { approvalRequest, editedResult, normalizeDecision, refusedMessage, toolApprovalSchema, unapprovedMessage, type ToolApprovalDecision } from './tool_approval'
import type { LlmCallOptions } from './types'

export interface ToolLoopOptions {
  /** The model; default: the agent's `this.llm`, else the application's, resolved when the node runs. */
  llm?: Llm
  /** Tools the model may call (an agent's `tools`, or a registry); sources such as `mcpTools('notes')` are loaded on each run of the node. */
  tools: ReadonlyArray<Tool<any, any> | ToolSource> | ToolRegistry
  /** Most model calls each time the loop is entered (default 5). */
  maxSteps?: number
  /** State key of the conversation, a `reducers.messages()` key (default `messages`). */
  messagesKey?: string
  system?: string
  /** At the limit with tool calls still pending: stop there (default) or raise E_LOOP_LIMIT. */
  onLimit?: 'stop' | 'error'
  /** The model step's name in the graph (default `tool_loop`); its calls run in `<name>_tools`. */
  name?: string
  /** Per-call settings (model, temperature, maxTokens, cache...). */
  call?: Omit<LlmCallOptions, 'tools' | 'signal' | 'system'>
}

/** The part of a node's context the loop uses (a NodeContext fits). */
export interface ToolLoopContext {
  signal?: AbortSignal
  context?: RequestContext
}

/**
 * The whole loop as one function of the state (returns the messages it
 * added); added to a graph, it becomes tool steps instead (see toolLoop).
 */
export type ToolLoopNode = ((state: Record<string, any>, ctx?: ToolLoopContext) => Promise<Record<string, BaseMessage[]>>) & { readonly [TOOL_STEPS]: ToolSteps }

let logger: Logger | undefined

/** Warnings of the loop itself (created on first use: most runs write none). */
function warn(message: string, meta: Record<string, unknown>): void {
  logger ??= createLogger({ name: 'tools' })
  logger.warn(message, meta)
}

function resultText(output: unknown): string {
  if (typeof output === 'string') return output
  return JSON.stringify(output) ?? ''
}

/** Runs one tool call; Tool.call() records it in the tool metrics (an unknown name is not a tool: not recorded). */
async function runTool(registry: ToolRegistry, call: ToolStepCall, ctx: ToolLoopContext | undefined): Promise<ToolMessage> {
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

/** The calls an AI message asks for, in the shape the tools step receives. */
function callsOf(message: BaseMessage | undefined): ToolStepCall[] {
  if (!message || !AIMessage.isInstance(message)) return []
  return (message.tool_calls ?? []).map((call) => ({ id: call.id, name: call.name, args: call.args ?? {} }))
}

/**
 * Whether the last turn's calls include a successful one of a `returnDirect`
 * tool: the results that end the conversation are then the loop's answer.
 */
function endedDirectly(history: BaseMessage[], registry: ToolRegistry): boolean {
  for (let i = history.length - 1; i >= 0; i--) {
    const message = history[i]
    if (!ToolMessage.isInstance(message)) return false
    if (message.status === 'error' || !message.name || !registry.has(message.name)) continue
    if (registry.get(message.name).returnDirect) return true
  }
  return false
}

function notRunMessages(calls: ToolStepCall[], maxSteps: number): ToolMessage[] {
  return calls.map((call) => new ToolMessage({ tool_call_id: call.id ?? '', name: call.name, status: 'error', content: `Not run: the step limit (${maxSteps}) was reached.` }))
}

/** The validated input of a call, or undefined when it does not validate (Tool.call then reports it). */
function validInput(tool: Tool<any, any>, args: unknown): { value: unknown } | undefined {
  const parsed = tool.schema.safeParse(args)
  return parsed.success ? { value: parsed.data } : undefined
}

/**
 * The model <-> tools loop: model, then the tools it asked for, then the
 * model again ... until it answers without calling a tool, or `maxSteps`
 * model calls. Tool calls of one turn run concurrently; failures go back to
 * the model as error results. At the limit, pending calls are answered "not
 * run" (so the conversation stays valid for the next call) and the loop stops
 * — or, with `onLimit: 'error'`, raises E_LOOP_LIMIT. Only the messages it
 * adds are written, for the `messages` reducer to append.
 *
 * Added to a graph (`graph.then(toolLoop(...))`, or as a branch route or loop
 * body), the loop becomes graph steps: the model turn is the node `name`, each
 * tool call a task of the node `<name>_tools`. Every turn and every call is
 * then checkpointed, shows in `updates` streams and thread history, and a
 * run stopped mid-loop resumes without repeating finished steps. A tool with
 * `requiresApproval` stops the run before its call (an interrupt); resume with
 * `'approve'`, `'reject'`, `{ approve: true, args }` or `{ approve: false, reason }`.
 *
 * Called directly as a function, it runs the whole loop at once (a call that
 * needs approval is then answered "not run").
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
  const toolsNow = (signal: AbortSignal | undefined) => (sources.length === 0 ? Promise.resolve(fixed) : withSources(fixed, sources, signal))

  const conversation = (state: Record<string, any>): BaseMessage[] => {
    const raw = (state?.[key] ?? []) as BaseMessageLike[]
    if (!Array.isArray(raw) || raw.length === 0) throw new E_INVALID_INPUT(`toolLoop: state.${key} has no messages to answer`)
    return raw.map((message) => coerceMessageLikeToMessage(message))
  }

  /** One model call; at the limit with calls pending, those are answered "not run" (or E_LOOP_LIMIT). */
  const turn = async (owner: unknown, history: BaseMessage[], registry: ToolRegistry, step: number, signal: AbortSignal | undefined): Promise<BaseMessage[]> => {
    const llm = options.llm ?? ownerLlm(owner) ?? resolveLlm()
    const response = await llm.invoke(history, { ...options.call, system: options.system, tools: registry.list(), signal })
    if (response.toolCalls.length === 0 || step < maxSteps) return [response.message]
    if (options.onLimit === 'error') throw new E_LOOP_LIMIT(name, maxSteps, { help: 'Raise maxSteps, or pass onLimit: "stop" to keep the conversation as it is.' })
    return [response.message, ...notRunMessages(callsOf(response.message), maxSteps)]
  }

  /** Whether a call waits for approval: its tool's rule, for input that validates (Tool.call reports the rest); a rule that throws counts as "ask". */
  const approvalNeeded = async (registry: ToolRegistry, call: ToolStepCall, ctx: ToolLoopContext | undefined): Promise<boolean> => {
    const tool = registry.has(call.name) ? registry.get(call.name) : undefined
    const input = tool ? validInput(tool, call.args) : undefined
    if (!tool || !input) return false
    try {
      return await tool.needsApproval(input.value, { context: ctx?.context, toolCallId: call.id })
    } catch (error) {
      // Fail closed: a rule that cannot decide must not let the call through unasked.
      warn(`tool "${call.name}": requiresApproval threw; the call waits for approval`, { tool: call.name, toolCallId: call.id, error: error as Error })
      return true
    }
  }

  /**
   * Runs a call, asking first when `approval` says so (decided once, before
   * the call: a resumed task never decides again). `ask` gets the decision
   * (an interrupt), or there is nobody to ask and the call does not run.
   */
  const runCall = async (registry: ToolRegistry, call: ToolStepCall, ctx: ToolLoopContext | undefined, approval: boolean, ask: ((request: ToolApprovalRequest) => ToolApprovalDecision) | undefined): Promise<ToolMessage> => {
    if (!approval) return runTool(registry, call, ctx)
    if (!ask) return unapprovedMessage(call)
    const tool = registry.has(call.name) ? registry.get(call.name) : undefined
    const decision = normalizeDecision(ask(approvalRequest(call, tool)))
    if (!decision.approve) return refusedMessage(call, decision.reason)
    if (!decision.args) return runTool(registry, call, ctx)
    return editedResult(await runTool(registry, { ...call, args: decision.args }, ctx), decision.args)
  }

  const steps: ToolSteps = {
    name,
    maxSteps,
    asksApproval: fixed.list().some((tool) => tool.mayNeedApproval) || sources.some((source) => source.mayNeedApproval === true),
    resumeSchema: toolApprovalSchema,
    async model(owner, state, ctx, step) {
      const registry = await toolsNow(ctx.signal)
      const history = conversation(state)
      // Only this pass's own calls end it: a conversation that arrived ending in another loop's (or agent's) returnDirect result is answered.
      if (step > 1 && endedDirectly(history, registry)) return { [key]: [] }
      return { [key]: await turn(owner, history, registry, step, ctx.signal) }
    },
    pendingCalls(state) {
      const messages = (state?.[key] ?? []) as BaseMessage[]
      return callsOf(messages.at(-1))
    },
    async needsApproval(call, ctx) {
      if (fixed.has(call.name)) return approvalNeeded(fixed, call, ctx)
      let registry: ToolRegistry
      try {
        registry = await toolsNow(ctx.signal)
      } catch (error) {
        if (ctx.signal.aborted) throw error
        // The tools step loads them again (and reports the failure); until then nobody can say the call is safe to run unasked.
        warn(`tool "${call.name}": its tool sources did not load to decide on approval; the call waits for approval`, { tool: call.name, toolCallId: call.id, error: error as Error })
        return true
      }
      return approvalNeeded(registry, call, ctx)
    },
    async runCall(_owner, call, ctx, approval) {
      // On resume LangGraph runs this task again and interrupt() returns the decision.
      const registry = await toolsNow(ctx.signal)
      return { [key]: [await runCall(registry, call, ctx, approval, (request) => interrupt(request) as ToolApprovalDecision)] }
    },
    async checkResume(value, payload, signal) {
      const decision = normalizeDecision(value as ToolApprovalDecision)
      const tool = (payload as { tool?: unknown } | null)?.tool
      if (!decision.approve || !decision.args || typeof tool !== 'string') return value
      const registry = await toolsNow(signal)
      if (!registry.has(tool)) {
        // The tool left its source since the call was asked for: nothing to check the edit against.
        throw new E_VALIDATION(`Invalid resume value: tool "${tool}" is no longer available, so its arguments cannot be edited`, {
          details: [{ path: 'args', message: 'approve without args (the call then fails and the model is told) or reject' }],
        })
      }
      // Edited arguments must suit the tool before the thread moves: E_TOOL_INPUT (422), nothing runs.
      registry.get(tool).parse(decision.args)
      return value
    },
  }

  // A function, not an arrow: graph nodes run with `this` = the agent.
  const node = async function (this: unknown, state: Record<string, any>, ctx?: ToolLoopContext) {
    const history = conversation(state)
    const registry = await toolsNow(ctx?.signal)
    const added: BaseMessage[] = []
    for (let step = 1; step <= maxSteps; step++) {
      added.push(...(await turn(this, [...history, ...added], registry, step, ctx?.signal)))
      const calls = callsOf(added.at(-1))
      if (calls.length === 0) break
      added.push(...(await Promise.all(calls.map(async (call) => runCall(registry, call, ctx, await approvalNeeded(registry, call, ctx), undefined)))))
      if (endedDirectly(added, registry)) break
    }
    return { [key]: added }
  }
  Object.defineProperty(node, 'name', { value: name })
  Object.defineProperty(node, TOOL_STEPS, { value: steps })
  return node as ToolLoopNode
}
