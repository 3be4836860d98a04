import { randomUUID } from 'node:crypto'
import { Command, MemorySaver, type BaseCheckpointSaver, type LangGraphRunnableConfig } from '@langchain/langgraph'
import type { ZodType } from 'zod'
import type { Durability, InterruptInfo, RunCommand, RunOptions, RunResult, StreamEvent, StreamMode, StreamOptions, ThreadState } from '../contracts/agent_run'
import type { RequestContext } from '../contracts/request_context'
import { E_GRAPH_INVALID, E_NOTHING_TO_CONTINUE, E_NOTHING_TO_RESUME, E_RUNTIME, E_THREAD_NOT_FOUND, E_VALIDATION } from '../errors'
import type { Llm } from '../llm/llm'
import type { TrimOptions } from '../llm/types'
import { resolveLlm } from '../llm/llm_runtime'
import type { MessageBus } from '../contracts/bus'
import { resolveBus } from '../bus/bus_runtime'
import type { McpManager } from '../mcp/mcp_manager'
import { resolveMcp } from '../mcp/mcp_runtime'
import { currentMemory } from '../memory/memory_runtime'
import type { PrincipalMemory } from '../memory/principal_memory'
import type { RagManager } from '../rag/rag_manager'
import { resolveRag } from '../rag/rag_runtime'
import { GraphBuilder, type SubgraphSource } from './graph_builder'
import { emitGraph, type CompiledAgentGraph } from './graph_emit'
import { CONTROL_ROLES, type GraphPlan } from './graph_plan'
import { planGraph } from './graph_planner'
import { recordEpisodeLater, type EpisodicMemoryOption } from './episodic_memory'
import { CALLER_THREAD_KEY, freezeContext, systemContext } from './node_context'
import { cleanValues, hasCheckpoint, rawInterrupts, snapshotInterrupts, toStreamEvents, toThreadState, translateRunError, withNodes } from './run_support'
import { interruptPoints, resumeCheckIn, resumeSchemaIn, type ResumeCheck } from './interrupt_points'
import { stepBudget } from './step_budget'
import type { ToolApprovalRequest } from './tool_steps'
import { validationError, type AnyStateDefinition, type InputOf, type StateOf, type UpdateOf } from './state'

/** LangGraph's usual recursion limit, kept as the floor of ours. */
const DEFAULT_STEP_LIMIT = 1000
/** Headroom over the computed budget, for interrupts placed before or after nodes and Command({ goto }) hops. */
const STEP_SLACK = 25

/** The planned graph and what is derived from it, once per instance. */
interface Blueprint {
  plan: GraphPlan
  /** Langvel's control nodes, hidden from stream updates. */
  hidden: Set<string>
  budget: number
  interrupts: string[]
}

/** What an agent lists as its tools: anything with a name (framework/tools defines the real shape). */
export interface AgentTool {
  readonly name: string
  readonly description?: string
}

/**
 * Optional declarations an agent class may make as plain properties. They are
 * deliberately not members of the base class: with `noImplicitOverride` every
 * agent would otherwise have to write `override middleware = [...]`. Add
 * `implements AgentOptions` to a class to have them type-checked.
 */
export interface AgentOptions {
  /** Named middleware, run after the route's (`'logging'`, `'throttle:10,60'`). */
  middleware?: string[]
  /** Checkpointer driver name; the application's default when omitted. */
  checkpointer?: string
  tools?: readonly AgentTool[]
  description?: string
  /** Run timeout in seconds, enforced by the runner (overrides AGENT_TIMEOUT). */
  timeoutSeconds?: number
  /**
   * The namespace of this agent's threads in the checkpointer (default: the
   * route path it is served at, or the class name when it runs outside the
   * router). Threads under different namespaces never mix, even with the same
   * thread id; give two routes or classes the same one to share threads.
   */
  threadNamespace?: string
  /**
   * How often runs checkpoint (the route's setting wins; default AGENT_DURABILITY):
   * `async` writes each step's checkpoint while the next step runs, `sync`
   * before it, `exit` only when the run ends or stops at an interrupt.
   */
  durability?: Durability
  /** Most LangGraph steps per run, a backstop against runaway cycles (default: 1000, or more when the graph's loops at their maxIterations need more). */
  recursionLimit?: number
  /**
   * Working memory: what `this.llm` (and a toolLoop using it) sends is
   * trimmed to this token budget, keeping system messages and tool-call
   * pairs whole; the state keeps the full conversation.
   */
  workingMemory?: TrimOptions
  /**
   * Episodic memory: when a run finishes (not at an interrupt, not on an
   * error), a summary of the thread is stored for the run's principal,
   * recalled later with `this.memory.episodes(query)`. `true` for the default
   * summary, or `{ summarize(state, ctx) }` for your own.
   */
  episodicMemory?: EpisodicMemoryOption
}

/** Everything the runner and the CLI need to know about an agent, read once. */
export interface AgentDescription {
  name: string
  description?: string
  middleware: string[]
  checkpointer?: string
  timeoutSeconds?: number
  durability?: Durability
  tools: string[]
  inputSchema: ZodType
  interrupts: string[]
}

/**
 * The base class of every agent: declare the state, build the graph, and the
 * class runs it — compiled once, shared by every thread.
 *
 * Nodes are methods, arrow properties, plain functions or lambdas; all run
 * with `this` = the agent instance. Nodes return a partial update (or a
 * LangGraph Command), never the whole state.
 *
 * @example
 * const SupportState = defineState({ query: z.string(), category: z.string().optional(), response: z.string().optional() })
 * type Support = StateOf<typeof SupportState>
 *
 * export class SupportAgent extends Agent<typeof SupportState> {
 *   state = SupportState
 *   middleware = ['logging']
 *   checkpointer = 'memory'
 *
 *   build(graph: GraphBuilder<typeof SupportState>) {
 *     return graph.then(this.classify).branch({ billing: this.billing, general: this.general }, (s) => s.category).then(this.respond)
 *   }
 *   async classify(state: Support) { return { category: state.query.includes('invoice') ? 'billing' : 'general' } }
 *   ...
 * }
 *
 * const agent = await new SupportAgent().compile()
 * const { output, threadId } = await agent.invoke({ query: 'Where is my invoice?' })
 */
export abstract class Agent<D extends AnyStateDefinition = AnyStateDefinition> implements SubgraphSource {
  /** The state declaration (`defineState({...})`). */
  abstract readonly state: D

  /** Describes the graph. Called once per instance. */
  abstract build(graph: GraphBuilder<D>): GraphBuilder<D>

  #planned?: Blueprint
  #compiled?: CompiledAgentGraph
  #saver?: BaseCheckpointSaver
  #drawing?: CompiledAgentGraph
  #route?: string

  get name(): string {
    return this.constructor.name
  }

  /**
   * The application's model (config/llm.ts: LLM_PROVIDER, LLM_MODEL...), with
   * per-call overrides: `await this.llm.invoke(prompt, { temperature: 0 })`.
   * Resolved on each access, so it follows the booted application. An agent
   * that declares `workingMemory` gets it trimming what it sends to that budget.
   */
  get llm(): Llm {
    const workingMemory = (this as AgentOptions).workingMemory
    return workingMemory ? resolveLlm().with({ trim: workingMemory }) : resolveLlm()
  }

  /**
   * The application's retrieval (config/rag.ts: CHROMA_URL, EMBEDDINGS_PROVIDER...):
   * `await this.rag.collection('docs').search(query, { k: 4, signal: ctx.signal })`.
   * Resolved on each access, so it follows the booted application.
   */
  get rag(): RagManager {
    return resolveRag()
  }

  /**
   * The application's MCP servers (mcp.json, config/mcp.ts): their tools for
   * the tool loop (`tools = [this.mcp.tools('github')]`, or `mcpTools('github')`
   * in a class field), direct calls (`await this.mcp.call('notes', 'add_note', args, { signal: ctx.signal })`),
   * resources and prompts.
   */
  get mcp(): McpManager {
    return resolveMcp()
  }

  /**
   * The application's message bus (config/bus.ts: BUS_DRIVER, BUS_MAX_QUEUE...),
   * for agents that talk outside one graph: `await this.bus.publish('reviews', draft)`,
   * `await this.bus.request('pricing', { sku }, { timeoutMs: 2000 })`.
   */
  get bus(): MessageBus {
    return resolveBus()
  }

  /**
   * Long-term memory of the run's principal (config/memory.ts: MEMORY_STORE...),
   * kept across threads and never shared with another principal. Inside a node:
   * `await this.memory.remember('diet', 'vegetarian')`, `await this.memory.recall(state.question, { limit: 3 })`.
   * A run without a principal gets E_MEMORY_ANONYMOUS unless MEMORY_ALLOW_ANONYMOUS.
   */
  get memory(): PrincipalMemory {
    return currentMemory()
  }

  /** The schema a run's input is validated against. */
  get inputSchema(): ZodType {
    return this.state.schema
  }

  /** Names of the nodes where the graph stops for a human; those inside subgraphs as `subgraph/node`. */
  get interrupts(): readonly string[] {
    return this.#blueprint().interrupts
  }

  /** @internal The `resumeSchema` of the interrupt at `path` (`'ask'`, `'child/ask'`), if it declares one. */
  resumeSchemaAt(path: string): ZodType | undefined {
    return resumeSchemaIn(this.#blueprint().plan, path.split('/'))
  }

  /** @internal The payload-aware check of the interrupt at `path` (a tool loop's approvals), if it has one. */
  resumeCheckAt(path: string): ResumeCheck | undefined {
    return resumeCheckIn(this.#blueprint().plan, path.split('/'))
  }

  /** Structural problems of the graph; empty when it is valid. */
  validate(): string[] {
    return [...this.#blueprint().plan.problems]
  }

  /** The agent's declarations, normalized. */
  describe(): AgentDescription {
    const options = this.#declared()
    return {
      name: this.name,
      description: options.description,
      middleware: [...(options.middleware ?? [])],
      checkpointer: options.checkpointer,
      timeoutSeconds: options.timeoutSeconds,
      durability: options.durability,
      tools: (options.tools ?? []).map((tool) => tool.name),
      inputSchema: this.inputSchema,
      interrupts: [...this.interrupts],
    }
  }

  #declared(): AgentOptions {
    return this as AgentOptions
  }

  /**
   * The most LangGraph steps one run of this graph can take with every loop at
   * its maxIterations (subgraphs included). The default recursion limit is
   * sized from it, so a loop always ends by its own limit and onLimit.
   */
  get stepBudget(): number {
    return this.#blueprint().budget
  }

  #stepLimit(): number {
    return this.#declared().recursionLimit ?? Math.max(DEFAULT_STEP_LIMIT, this.stepBudget + STEP_SLACK)
  }

  /** Validates input against the state schema; throws E_VALIDATION listing each bad field. */
  validateInput(input: unknown): UpdateOf<D> {
    return this.state.validateInput(input) as UpdateOf<D>
  }

  /** Validates an `updateState` patch (every key optional); throws E_VALIDATION listing each bad field. */
  protected validatePatch(patch: unknown): UpdateOf<D> {
    return this.state.validatePatch(patch) as UpdateOf<D>
  }

  /**
   * @internal What the run's LangGraph `context` (a node's `runtime.context`)
   * is given: the frozen request context. GraphAgent overrides it for graphs
   * that declare a context schema of their own.
   */
  protected runContext(context: RequestContext): Record<string, unknown> | undefined {
    return context as unknown as Record<string, unknown>
  }

  /**
   * Compiles the graph once (later calls return at once). Without a
   * checkpointer the agent keeps threads in memory (MemorySaver). `route`,
   * the path the agent is served at (the pool passes it), labels its node
   * metrics and is the default namespace of its threads.
   * Throws E_GRAPH_INVALID listing every structural problem.
   */
  async compile(options: { checkpointer?: BaseCheckpointSaver; route?: string } = {}): Promise<this> {
    if (this.#compiled) {
      if (options.checkpointer && options.checkpointer !== this.#saver) throw new E_RUNTIME(`${this.name} is already compiled with another checkpointer`)
      return this
    }
    const saver = options.checkpointer ?? new MemorySaver()
    this.#compiled = this.#emit(saver, options.route)
    this.#saver = saver
    this.#route = options.route
    return this
  }

  get isCompiled(): boolean {
    return this.#compiled !== undefined
  }

  /** The compiled LangGraph graph, for what Langvel does not wrap. */
  get compiledGraph(): CompiledAgentGraph {
    if (!this.#compiled) throw new E_RUNTIME(`${this.name} is not compiled yet: await agent.compile() first`)
    return this.#compiled
  }

  /** @internal Used by `subgraph(AgentClass)`: compiled without a checkpointer of its own, so it inherits the parent's. */
  compileSubgraph(): { graph: CompiledAgentGraph; state: AnyStateDefinition } {
    return { graph: this.#emit(undefined), state: this.state }
  }

  /** Runs to the end or to the first interrupt. */
  async invoke(input: InputOf<D>, options: RunOptions = {}): Promise<RunResult<StateOf<D>>> {
    return this.#run(this.validateInput(input), options)
  }

  /** Continues an interrupted thread with the human's answer. */
  async resume(threadId: string, value: unknown, options: RunOptions = {}): Promise<RunResult<StateOf<D>>> {
    const resume = await this.#checkResume(await this.#pending(threadId), value, options.signal)
    return this.#run(new Command({ resume }), { ...options, threadId })
  }

  /**
   * Continues a thread whose last run stopped before the end without an
   * interrupt — a crash, a cancellation, a timeout — from its last
   * checkpoint: steps that finished (and the tool calls of a turn that
   * finished) do not run again. E_NOTHING_TO_CONTINUE (409) when the thread
   * ran to its end, or waits at an interrupt (that takes `resume()`).
   *
   * @example
   * await agent.continue(threadId)   // after a restart, the run goes on where it stopped
   */
  async continue(threadId: string, options: RunOptions = {}): Promise<RunResult<StateOf<D>>> {
    const state = await this.getState(threadId)
    if (state.interrupts.length > 0) throw new E_NOTHING_TO_CONTINUE(threadId, 'waits at an interrupt: resume it with a value', { help: 'Use resume(threadId, value).' })
    if (state.next.length === 0) throw new E_NOTHING_TO_CONTINUE(threadId, 'has nothing left to run: its last run finished')
    return this.#run(null, { ...options, threadId })
  }

  /**
   * Continues a thread with a LangGraph command: `resume` answers the
   * interrupts it waits on (checked as `resume()` checks it), `update` is
   * applied to its state first (validated, reducers apply), `goto` names the
   * nodes to run next. An empty command runs the thread on from its latest
   * checkpoint (after a stop before or after a node, a crash, a
   * cancellation). E_NOTHING_TO_CONTINUE when the thread has no checkpoint.
   *
   * @example
   * await agent.command(threadId, { update: { approved: true }, goto: 'ship' })
   */
  async command(threadId: string, command: RunCommand, options: RunOptions = {}): Promise<RunResult<StateOf<D>>> {
    const input = await this.#commandInput(threadId, command, options.signal)
    return this.#run(input, { ...options, threadId })
  }

  /** Streams `command()`; resolves once the thread and the command are checked, with the events still to come. */
  async commandStream(threadId: string, command: RunCommand, options: StreamOptions = {}): Promise<AsyncIterable<StreamEvent>> {
    const input = await this.#commandInput(threadId, command, options.signal)
    return this.#streamRun({ ...options, threadId }, async () => input)
  }

  /** The graph's own nodes (not Langvel's control nodes): what `goto`, `interruptBefore` and `interruptAfter` may name. */
  nodeNames(): string[] {
    const { plan, hidden } = this.#blueprint()
    return [...plan.nodes.keys()].filter((name) => !hidden.has(name))
  }

  /**
   * Streams a run (default mode: updates). Input is validated before this
   * returns; the stream ends with an `interrupt` event when the run stopped at one.
   */
  stream(input: InputOf<D>, options: StreamOptions = {}): AsyncIterable<StreamEvent> {
    const parsed = this.validateInput(input)
    return this.#streamRun(options, async () => parsed)
  }

  /**
   * Streams the continuation of an interrupted thread. Resolves once the
   * thread and the value are checked (E_THREAD_NOT_FOUND, E_NOTHING_TO_RESUME,
   * E_VALIDATION reject here), with the events still to come.
   */
  async resumeStream(threadId: string, value: unknown, options: StreamOptions = {}): Promise<AsyncIterable<StreamEvent>> {
    const resume = await this.#checkResume(await this.#pending(threadId), value, options.signal)
    return this.#streamRun({ ...options, threadId }, async () => new Command({ resume }))
  }

  async getState(threadId: string): Promise<ThreadState<StateOf<D>>> {
    const snapshot = await (await this.#ready()).getState(this.#threadConfig(threadId), WITH_SUBGRAPHS)
    if (!hasCheckpoint(snapshot)) throw new E_THREAD_NOT_FOUND(threadId)
    return toThreadState(snapshot, threadId)
  }

  /** Checkpoints of a thread, newest first. */
  async getHistory(threadId: string, options: { limit?: number } = {}): Promise<ThreadState<StateOf<D>>[]> {
    const graph = await this.#ready()
    const states: ThreadState<StateOf<D>>[] = []
    for await (const snapshot of graph.getStateHistory(this.#threadConfig(threadId), options.limit ? { limit: options.limit } : undefined)) {
      states.push(toThreadState(snapshot, threadId))
    }
    if (states.length === 0) throw new E_THREAD_NOT_FOUND(threadId)
    return states
  }

  /** Applies a validated patch to a thread as if `asNode` had returned it (reducers apply). */
  /**
   * Applies a validated patch to a thread as if `asNode` had returned it
   * (reducers apply). On an interrupted thread the pending interrupt is raised
   * again right after, so the thread still waits for `resume()` — with a
   * payload computed from the edited state.
   */
  async updateState(threadId: string, patch: UpdateOf<D>, options: { asNode?: string } = {}): Promise<ThreadState<StateOf<D>>> {
    const values = this.validatePatch(patch)
    const before = await this.getState(threadId)
    const graph = await this.#ready()
    await graph.updateState(this.#threadConfig(threadId), values, options.asNode)
    if (before.interrupts.length > 0) {
      const { config } = this.#runConfig({ threadId })
      await graph.invoke(null, config)
    }
    return this.getState(threadId)
  }

  /**
   * LangGraph's checkpoint config of one of this agent's threads (its id under
   * the agent's namespace, optionally at one checkpoint), for reading the
   * thread through `compiledGraph` in LangGraph's own shapes: raw snapshots
   * and history.
   */
  checkpointConfig(threadId: string, checkpointId?: string): LangGraphRunnableConfig {
    return { configurable: { thread_id: this.#threadKey(threadId), ...(checkpointId ? { checkpoint_id: checkpointId } : {}) } }
  }

  /** Mermaid text of the graph (subgraphs expanded with `xray`). */
  toMermaid(options: { xray?: boolean } = {}): string {
    this.#drawing ??= this.#compiled ?? this.#emit(undefined)
    return this.#drawing.getGraph({ xray: options.xray ?? false }).drawMermaid()
  }

  #blueprint(): Blueprint {
    if (!this.#planned) {
      const builder = this.build(new GraphBuilder(this.state))
      if (!(builder instanceof GraphBuilder)) throw new E_GRAPH_INVALID(this.name, ['build() must return the graph builder (return graph.then(...)...)'])
      const plan = planGraph(builder.steps, this.state)
      const hidden = new Set([...plan.nodes.values()].filter((node) => CONTROL_ROLES.has(node.role)).map((node) => node.name))
      this.#planned = { plan, hidden, budget: stepBudget(builder.steps), interrupts: interruptPoints(plan) }
    }
    return this.#planned
  }

  #emit(checkpointer: BaseCheckpointSaver | undefined, metricsLabel?: string): CompiledAgentGraph {
    return this.compileGraph(checkpointer, metricsLabel)
  }

  /**
   * @internal Turns the planned graph into a compiled LangGraph graph with
   * `checkpointer`. GraphAgent (`Route.graph`) overrides it to serve a graph
   * built with LangGraph directly.
   */
  protected compileGraph(checkpointer: BaseCheckpointSaver | undefined, metricsLabel?: string): CompiledAgentGraph {
    const { plan } = this.#blueprint()
    if (plan.problems.length > 0) throw new E_GRAPH_INVALID(this.name, plan.problems, { details: { problems: plan.problems } })
    return emitGraph(plan, this.state, { owner: this, checkpointer, name: this.name, metricsLabel })
  }

  async #ready(): Promise<CompiledAgentGraph> {
    if (!this.#compiled) await this.compile()
    return this.#compiled as CompiledAgentGraph
  }

  /**
   * The checkpointer's thread id: the caller's id under this agent's
   * namespace, so another agent run with the same id (a reused session id, a
   * typo) can never read or overwrite this agent's thread.
   */
  #threadKey(threadId: string): string {
    return `${this.#declared().threadNamespace ?? this.#route ?? this.name}:${threadId}`
  }

  #threadConfig(threadId: string): LangGraphRunnableConfig {
    return { configurable: { thread_id: this.#threadKey(threadId) } }
  }

  /** `'*'`, or node names checked against the graph. */
  #stopNodes(nodes: string[] | '*', path: string): string[] | '*' {
    return nodes === '*' ? '*' : this.assertNodes(nodes, path)
  }

  #runConfig(options: RunOptions): { config: RunConfig; threadId: string; context: RequestContext } {
    const threadId = options.threadId ?? randomUUID()
    const context = freezeContext(options.context ?? systemContext(randomUUID()))
    const durability = options.durability ?? this.#declared().durability
    const runContext = this.runContext(context)
    const config: RunConfig = {
      configurable: { thread_id: this.#threadKey(threadId), [CALLER_THREAD_KEY]: threadId },
      ...(runContext === undefined ? {} : { context: runContext }),
      recursionLimit: this.#stepLimit(),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(durability ? { durability } : {}),
      ...(options.callbacks?.length ? { callbacks: options.callbacks } : {}),
      ...(options.interruptBefore ? { interruptBefore: this.#stopNodes(options.interruptBefore, 'interruptBefore') } : {}),
      ...(options.interruptAfter ? { interruptAfter: this.#stopNodes(options.interruptAfter, 'interruptAfter') } : {}),
      ...(options.control ? { control: options.control } : {}),
    }
    return { config, threadId, context }
  }

  async #run(input: unknown, options: RunOptions): Promise<RunResult<StateOf<D>>> {
    const graph = await this.#ready()
    const { config, threadId, context } = this.#runConfig(options)
    let output: unknown
    try {
      if (options.signal?.aborted) throw options.signal.reason ?? new Error('aborted')
      output = await graph.invoke(input as never, config)
    } catch (error) {
      throw translateRunError(error, options.signal, this.name, this.#stepLimit())
    }
    let interrupts = rawInterrupts(output)
    if (interrupts.length > 0) interrupts = withNodes(interrupts, await graph.getState(this.#threadConfig(threadId), WITH_SUBGRAPHS))
    else await this.#finished(threadId, context, async () => cleanValues(output))
    return { output: cleanValues<StateOf<D>>(output), threadId, interrupts }
  }

  /** A run ended without an interrupt: its episode is stored after it returns, when the agent keeps episodic memory (never throws). */
  #finished(threadId: string, context: RequestContext, values: () => Promise<Record<string, unknown>>): Promise<void> {
    return recordEpisodeLater(this, this.#declared().episodicMemory, {
      key: this.#threadKey(threadId),
      threadId,
      route: this.#route,
      values,
      context,
    })
  }

  /** `prepare` runs when iteration starts: it checks the thread (resume) and returns the graph input. */
  async *#streamRun(options: StreamOptions, prepare: () => Promise<unknown>): AsyncGenerator<StreamEvent> {
    const graph = await this.#ready()
    const input = await prepare()
    const { config, threadId, context } = this.#runConfig(options)
    const wanted = new Set<StreamMode>(options.modes?.length ? options.modes : ['updates'])
    // Updates are always streamed internally: they carry the interrupts.
    const streamMode = [...new Set<StreamMode>([...wanted, 'updates'])]
    const hidden = this.#blueprint().hidden
    const interrupts: InterruptInfo[] = []
    try {
      if (options.signal?.aborted) throw options.signal.reason ?? new Error('aborted')
      if (options.subgraphs) {
        // Chunks come as [namespace, mode, chunk]; a subgraph's interrupt reaches the root too, and is reported from there.
        const stream = await graph.stream(input as never, { ...config, streamMode, subgraphs: true })
        for await (const [namespace, mode, chunk] of stream as AsyncIterable<[string[], StreamMode, unknown]>) {
          if (namespace.length === 0) yield* toStreamEvents(mode, chunk, wanted, hidden, interrupts)
          else for (const event of toStreamEvents(mode, chunk, wanted, hidden, [])) yield { ...event, namespace } as StreamEvent
        }
      } else {
        const stream = await graph.stream(input as never, { ...config, streamMode })
        for await (const [mode, chunk] of stream as AsyncIterable<[StreamMode, unknown]>) {
          yield* toStreamEvents(mode, chunk, wanted, hidden, interrupts)
        }
      }
    } catch (error) {
      throw translateRunError(error, options.signal, this.name, this.#stepLimit())
    }
    if (interrupts.length > 0) yield { event: 'interrupt', data: withNodes(interrupts, await graph.getState(this.#threadConfig(threadId), WITH_SUBGRAPHS)) }
    else await this.#finished(threadId, context, async () => cleanValues((await graph.getState(this.#threadConfig(threadId))).values))
  }

  /**
   * Checks a resume value against the `resumeSchema` of the interrupt waiting
   * for it (and, for a tool approval, edited arguments against the tool's
   * schema). The value may be LangGraph's map `{ [interruptId]: value }`
   * (whatever the number pending); each entry is checked against its own
   * interrupt, and a key that is not a pending interrupt id is refused.
   * Several tool approvals pending need that map.
   */
  async #checkResume(pending: InterruptInfo[], value: unknown, signal?: AbortSignal): Promise<unknown> {
    if (value === undefined || value === null) {
      throw new E_VALIDATION('Invalid resume value: LangGraph cannot resume with null or undefined', {
        details: [{ path: '', message: 'a resume value is required; send true or {} to simply continue' }],
      })
    }
    const ids = new Set(pending.map((info) => info.id))
    const entries = typeof value === 'object' && !Array.isArray(value) ? Object.entries(value as Record<string, unknown>) : []
    if (entries.length > 0 && entries.every(([key]) => ids.has(key))) {
      const byId = new Map(pending.map((info) => [info.id, info]))
      return this.#checkMap(entries.map(([id, entry]) => [byId.get(id) as InterruptInfo, entry]), signal)
    }
    // A map by interrupt id naming one that no longer waits (answered already, or another thread's): say so, never pass the map on as an answer.
    const unknown = entries.filter(([key]) => !ids.has(key))
    if (entries.length > 0 && (unknown.length < entries.length || entries.every(([key]) => INTERRUPT_ID.test(key)))) {
      throw new E_VALIDATION(`Invalid resume value: ${unknown.map(([key]) => key).join(', ')} ${unknown.length === 1 ? 'is not the id of an interrupt' : 'are not ids of interrupts'} this thread waits on`, {
        details: [
          ...unknown.map(([key]) => ({ path: key, message: 'not a pending interrupt id (already answered, or from another thread)' })),
          ...pending.map((info) => ({ path: info.id, message: `pending: ${describePending(info)}` })),
        ],
      })
    }
    if (pending.length === 1) return this.#checkOne(pending[0], value, 'resume value', signal)
    // One answer would reach just one of the calls, whichever asks first: each call gets its own.
    if (pending.some((info) => isToolApproval(info.value))) {
      throw new E_VALIDATION('Invalid resume value: several tool calls wait for approval; answer them as { [interruptId]: decision }', {
        details: pending.map((info) => ({ path: info.id, message: `decision for ${describePending(info)}` })),
      })
    }
    return value
  }

  async #checkMap(entries: Array<[InterruptInfo, unknown]>, signal: AbortSignal | undefined): Promise<Record<string, unknown>> {
    const checked = await Promise.all(entries.map(([info, entry]) => this.#checkOne(info, entry, `resume value for ${info.id}`, signal)))
    return Object.fromEntries(entries.map(([info], i) => [info.id, checked[i]]))
  }

  async #checkOne(info: InterruptInfo, value: unknown, what: string, signal: AbortSignal | undefined): Promise<unknown> {
    const schema = info.node ? this.resumeSchemaAt(info.node) : undefined
    let checked = value
    if (schema) {
      const parsed = schema.safeParse(value)
      if (!parsed.success) throw validationError(what, parsed.error)
      checked = parsed.data
    }
    const check = info.node ? this.resumeCheckAt(info.node) : undefined
    return check ? check(checked, info.value, signal) : checked
  }

  /** LangGraph's input for a command: null for an empty one; E_VALIDATION for a bad part. */
  async #commandInput(threadId: string, command: RunCommand, signal?: AbortSignal): Promise<Command | null> {
    const snapshot = await (await this.#ready()).getState(this.#threadConfig(threadId), WITH_SUBGRAPHS)
    if (!hasCheckpoint(snapshot)) throw new E_NOTHING_TO_CONTINUE(threadId, 'has no checkpoint yet: start it with input')
    const { resume, update, goto } = command
    if (resume === undefined && update === undefined && goto === undefined) return null
    const fields: { resume?: unknown; update?: Record<string, unknown>; goto?: string[] } = {}
    if (goto !== undefined) fields.goto = this.assertNodes(typeof goto === 'string' ? [goto] : goto, 'goto')
    if (update !== undefined && update !== null) fields.update = this.state.validatePatch(update as UpdateOf<D>) as Record<string, unknown>
    if (resume !== undefined) {
      const pending = snapshotInterrupts(snapshot)
      if (pending.length === 0) throw new E_NOTHING_TO_RESUME(threadId)
      fields.resume = await this.#checkResume(pending, resume, signal)
    }
    return new Command(fields)
  }

  /** `names` when each is a node of this graph; E_VALIDATION naming the others (at `path`) otherwise. */
  assertNodes(names: readonly string[], path: string): string[] {
    const known = new Set(this.nodeNames())
    const unknown = names.filter((name) => !known.has(name))
    if (unknown.length > 0) {
      const list = unknown.map((name) => JSON.stringify(name)).join(', ')
      throw new E_VALIDATION(`Unknown node ${list} in ${path}`, {
        details: [{ path, message: `${list} ${unknown.length === 1 ? 'is not a node' : 'are not nodes'} of ${this.name}; its nodes are ${[...known].join(', ')}` }],
      })
    }
    return [...names]
  }

  /** The interrupts a thread waits on; E_THREAD_NOT_FOUND / E_NOTHING_TO_RESUME otherwise. */
  async #pending(threadId: string): Promise<InterruptInfo[]> {
    const snapshot = await (await this.#ready()).getState(this.#threadConfig(threadId), WITH_SUBGRAPHS)
    if (!hasCheckpoint(snapshot)) throw new E_THREAD_NOT_FOUND(threadId)
    const interrupts = snapshotInterrupts(snapshot)
    if (interrupts.length === 0) throw new E_NOTHING_TO_RESUME(threadId)
    return interrupts
  }
}

function isToolApproval(payload: unknown): payload is ToolApprovalRequest {
  return (payload as { type?: unknown } | null)?.type === 'tool_approval'
}

function describePending(info: InterruptInfo): string {
  return isToolApproval(info.value) ? `tool ${info.value.tool} (call ${info.value.callId})` : `interrupt at ${info.node ?? 'an unknown node'}`
}

/** What LangGraph's interrupt ids look like (an XXH3-128 hex digest). */
const INTERRUPT_ID = /^[0-9a-f]{32}$/

/** A run's LangGraph config, with the nodes it stops before or after. */
type RunConfig = LangGraphRunnableConfig & { interruptBefore?: string[] | '*'; interruptAfter?: string[] | '*' }

/** Subgraph states included, so an interrupt inside a subgraph reports its own node (`child/ask`). */
const WITH_SUBGRAPHS = { subgraphs: true }
