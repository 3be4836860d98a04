import type { BaseCheckpointSaver } from '@langchain/langgraph'
import { z } from 'zod'
import type { Durability } from '../contracts/agent_run'
import { E_GRAPH_INVALID, E_RUNTIME, isException } from '../errors'
import { Agent } from './agent'
import type { AgentClass } from './agent_pool'
import type { GraphBuilder } from './graph_builder'
import type { CompiledAgentGraph } from './graph_emit'
import { contextSchemaOf, standardIssues, stateOfGraph, type StateGraphBuilderLike } from './graph_state'
import type { RequestContext } from '../contracts/request_context'
import { StateDefinition, type AnyStateDefinition } from './state'

/** A compiled LangGraph StateGraph as Langvel reads it: `new StateGraph(...).compile()`, `createReactAgent(...)`. */
export interface CompiledGraphLike {
  readonly builder: StateGraphBuilderLike
  invoke(input: unknown, config?: unknown): Promise<unknown>
  stream(input: unknown, config?: unknown): Promise<unknown>
  getState(config: unknown, options?: unknown): Promise<unknown>
}

/** What `Route.graph()` serves: a compiled graph, or a function (sync or async) that returns one. */
export type GraphSource = CompiledGraphLike | (() => CompiledGraphLike | Promise<CompiledGraphLike>)

export interface GraphAgentOptions {
  /** Checkpointer driver name (config/checkpointer.ts); the application's default when omitted. */
  checkpointer?: string
  /** Shown in listings and as the assistant's description, unless the route gives one. */
  description?: string
  /** Threads' namespace in the checkpointer (default: the route path). */
  threadNamespace?: string
  /** Most LangGraph steps per run (default 1000). */
  recursionLimit?: number
  durability?: Durability
  timeoutSeconds?: number
}

/** Before an async factory has resolved: any object is accepted, and the run checks it once the graph is known. */
const PENDING_STATE = new StateDefinition({})
const PENDING_INPUT = z.looseObject({})

/**
 * An agent whose graph was built with LangGraph directly rather than with
 * Langvel's builder: what `Route.graph('/path', graph)` registers. It runs
 * through the same runner as every agent (middleware, auth, limits,
 * deadlines, metrics, both HTTP APIs, `agent:run`); only the graph differs.
 *
 * The graph is compiled again from its builder with the checkpointer
 * Langvel manages (and the same store, cache, name and description), so its
 * threads live where every agent's do. A graph already compiled with a
 * checkpointer of its own is refused: its threads would live in a store
 * Langvel neither configures nor cleans. So is one compiled with
 * `interruptBefore` / `interruptAfter`: those stops wait for no value, so
 * neither API could resume them; `interrupt()` in a node is the way.
 *
 * @example
 * const Support = graphAgent(createReactAgent({ llm, tools }), { description: 'Answers with tools' })
 * const agent = await new Support().compile()
 * await agent.invoke({ messages: [{ role: 'user', content: 'hi' }] })
 */
export class GraphAgent extends Agent<AnyStateDefinition> {
  /** Its nodes were not emitted by Langvel, so tracing follows them through LangChain's callbacks. */
  readonly externalGraph = true
  #graph?: CompiledGraphLike
  #state?: AnyStateDefinition
  /** An async factory's graph, checked when it resolves. */
  #pending?: Promise<void>

  constructor(
    source: GraphSource,
    private readonly declared: GraphAgentOptions = {},
  ) {
    super()
    const value = typeof source === 'function' ? this.#call(source) : source
    if (isPromiseLike(value)) {
      this.#pending = Promise.resolve(value).then((graph) => this.#adopt(graph), (error) => Promise.reject(this.#factoryError(error)))
      // Awaited by compile(); marked handled so a failure waits for it rather than crashing the process.
      this.#pending.catch(() => undefined)
    } else {
      this.#adopt(value)
    }
  }

  get state(): AnyStateDefinition {
    return this.#state ?? PENDING_STATE
  }

  override get inputSchema() {
    return this.#state ? this.#state.schema : PENDING_INPUT
  }

  get description(): string | undefined {
    return this.declared.description
  }

  get checkpointer(): string | undefined {
    return this.declared.checkpointer
  }

  get threadNamespace(): string | undefined {
    return this.declared.threadNamespace
  }

  /** The route's option, else the graph's own `withConfig({ recursionLimit })`. */
  get recursionLimit(): number | undefined {
    return this.declared.recursionLimit ?? positiveInteger(this.#graphConfig().recursionLimit)
  }

  /** The route's option, else the graph's own `withConfig({ durability })`. */
  get durability(): Durability | undefined {
    return this.declared.durability ?? durabilityOf(this.#graphConfig().durability)
  }

  get timeoutSeconds(): number | undefined {
    return this.declared.timeoutSeconds
  }

  /** The graph was built elsewhere: nothing to describe with Langvel's builder. */
  build(graph: GraphBuilder<AnyStateDefinition>): GraphBuilder<AnyStateDefinition> {
    return graph
  }

  override validate(): string[] {
    return []
  }

  /**
   * Checks the input against the mirrored state (E_VALIDATION naming each bad
   * field), then hands LangGraph the caller's own values of the keys it
   * accepted: the graph parses them itself, so a zod transform runs once.
   * Before an async factory resolved, the input is checked by the run itself,
   * once the graph's state is known.
   */
  override validateInput(input: unknown) {
    return this.#state ? rawValues(this.#state.validateInput(input), input) : (input as ReturnType<AnyStateDefinition['validateInput']>)
  }

  /** Like validateInput, for `updateState` patches. */
  protected override validatePatch(patch: unknown) {
    return rawValues(this.state.validatePatch(patch), patch)
  }

  /**
   * A graph that declares a context schema gets Langvel's request context
   * (`requestId`, `traceId`, `principal`, `ip`) as its run context, checked
   * against that schema; one whose schema requires more was refused when it
   * was adopted. A graph without one gets the request context as it is.
   */
  protected override runContext(context: RequestContext): Record<string, unknown> | undefined {
    const schema = this.#graph ? contextSchemaOf(this.#graph.builder) : undefined
    if (schema) {
      const issues = standardIssues(schema, context)
      if (issues) throw contextError(this.name, issues)
    }
    return context as unknown as Record<string, unknown>
  }

  /** @internal A graph agent run inside another agent's graph: an async factory's graph must have resolved first. */
  override compileSubgraph() {
    if (!this.#graph) {
      throw new E_GRAPH_INVALID(this.name, ['its graph comes from an async factory that has not resolved, so it cannot be compiled into another graph'], {
        help: 'Pass the compiled graph itself, or a synchronous factory, to graphAgent() when it is used as a subgraph.',
      })
    }
    return super.compileSubgraph()
  }

  override async compile(options: { checkpointer?: BaseCheckpointSaver; route?: string } = {}): Promise<this> {
    if (this.#pending) await this.#pending
    return super.compile(options)
  }

  /** @internal */
  protected override compileGraph(checkpointer: BaseCheckpointSaver | undefined): CompiledAgentGraph {
    if (!this.#graph) throw new E_RUNTIME(`${this.name} is not compiled yet: await agent.compile() first`)
    const graph = this.#graph as unknown as Record<string, unknown> & CompiledGraphLike
    const compiled = graph.builder.compile({
      checkpointer,
      store: graph.store,
      cache: graph.cache,
      name: graph.name,
      description: graph.description,
      transformers: graph.streamTransformers,
    }) as CompiledAgentGraph
    // What was set on the compiled object itself carries over too.
    const settings = compiled as unknown as Record<string, unknown>
    for (const key of COPIED_SETTINGS) if (graph[key] !== undefined) settings[key] = graph[key]
    // `graph.withConfig({...})` defaults (recursionLimit, tags) carry over.
    const config = graph.config as Record<string, unknown> | undefined
    return (config && Object.keys(config).length > 0 ? compiled.withConfig(config) : compiled) as CompiledAgentGraph
  }

  #graphConfig(): Record<string, unknown> {
    return ((this.#graph as unknown as { config?: Record<string, unknown> } | undefined)?.config ?? {}) as Record<string, unknown>
  }

  #call(factory: () => CompiledGraphLike | Promise<CompiledGraphLike>): CompiledGraphLike | Promise<CompiledGraphLike> {
    try {
      return factory()
    } catch (error) {
      throw this.#factoryError(error)
    }
  }

  /** Langvel's own errors (a missing model configuration...) keep their code; anything else says which graph failed. */
  #factoryError(error: unknown): unknown {
    if (isException(error)) return error
    const message = error instanceof Error ? error.message : String(error)
    return new E_GRAPH_INVALID(this.name, [`the graph factory failed: ${message}`], { cause: error })
  }

  #adopt(graph: unknown): void {
    assertServable(graph, this.name)
    assertContextServable(graph, this.name)
    this.#state = stateOfGraph(graph.builder)
    this.#graph = graph
  }
}

/**
 * An agent class serving `source`, named `className` (what logs, metrics and
 * `agent:list` show). A graph given directly is checked now; a factory is
 * called when the class is instantiated (the runner does it at boot), or, when
 * it is async, checked once it resolves, before the route's first run.
 *
 * @example
 * router.agent('/react', graphAgent(createReactAgent({ llm, tools }), { className: 'ReactGraph' }))
 */
export function graphAgent(source: GraphSource, options: GraphAgentOptions & { className?: string } = {}): AgentClass<GraphAgent> {
  const { className = 'GraphAgent', ...declared } = options
  if (typeof source !== 'function') {
    assertServable(source, className)
    assertContextServable(source, className)
  }
  const shared = typeof source === 'function' ? onceSettled(source) : source
  const served = class extends GraphAgent {
    constructor() {
      super(shared, declared)
    }
  }
  Object.defineProperty(served, 'name', { value: className })
  return served
}

/**
 * The factory called once for every instance of the class (the route's
 * instance, and each parent graph that runs it as a subgraph): its graph is
 * kept once it is known. A factory that throws or rejects is called again
 * next time.
 */
function onceSettled(factory: () => CompiledGraphLike | Promise<CompiledGraphLike>): () => CompiledGraphLike | Promise<CompiledGraphLike> {
  let graph: CompiledGraphLike | undefined
  let pending: Promise<CompiledGraphLike> | undefined
  return () => {
    if (graph) return graph
    if (pending) return pending
    const value = factory()
    if (!isPromiseLike(value)) return (graph = value)
    pending = Promise.resolve(value).then(
      (resolved) => {
        pending = undefined
        return (graph = resolved)
      },
      (error: unknown) => {
        pending = undefined
        throw error
      },
    )
    return pending
  }
}

/** Settings made on a compiled graph object (not its builder), kept when it is compiled again. */
const COPIED_SETTINGS = ['stepTimeout', 'retryPolicy', 'debug'] as const

/** The caller's own values of the keys validation accepted. */
function rawValues<T extends Record<string, unknown>>(accepted: T, raw: unknown): T {
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(accepted)) out[key] = (raw as Record<string, unknown>)[key]
  return out as T
}

function positiveInteger(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined
}

function durabilityOf(value: unknown): Durability | undefined {
  return value === 'exit' || value === 'async' || value === 'sync' ? value : undefined
}

/** A request context as every run has one (no principal: an unauthenticated route's). */
const SAMPLE_CONTEXT: RequestContext = Object.freeze({ requestId: 'request', traceId: 'trace' })

/**
 * Neither API lets a caller choose a run's context: a graph whose context
 * schema requires more than Langvel's request context could never run.
 */
function assertContextServable(graph: CompiledGraphLike, agent: string): void {
  const schema = contextSchemaOf(graph.builder)
  const issues = schema ? standardIssues(schema, SAMPLE_CONTEXT) : undefined
  if (issues) throw contextError(agent, issues)
}

function contextError(agent: string, issues: string[]): InstanceType<typeof E_GRAPH_INVALID> {
  return new E_GRAPH_INVALID(agent, [`the graph's context schema does not accept Langvel's request context (requestId, traceId, principal, ip): ${issues.join('; ')}`], {
    help: 'Runs get the request context as their LangGraph context; neither API passes a context chosen by the caller. Make the context schema\'s other fields optional (read them from the state instead), or drop the context schema.',
  })
}

/** Throws E_GRAPH_INVALID unless `graph` is a compiled StateGraph Langvel can serve as it is. */
function assertServable(graph: unknown, agent: string): asserts graph is CompiledGraphLike {
  if (!isCompiledStateGraph(graph)) {
    throw new E_GRAPH_INVALID(agent, [`expected a compiled LangGraph StateGraph (new StateGraph(...).compile(), createReactAgent(...)) or a function returning one, got ${describeValue(graph)}`], {
      help: 'Pass the compiled graph itself (or a function returning it) to Route.graph(); a functional-API entrypoint() is not supported.',
    })
  }
  const fields = graph as unknown as { checkpointer?: unknown; interruptBefore?: unknown; interruptAfter?: unknown }
  if (fields.checkpointer !== undefined && fields.checkpointer !== null && typeof fields.checkpointer !== 'boolean') {
    throw new E_GRAPH_INVALID(agent, ['the graph was compiled with a checkpointer of its own'], {
      help: 'Compile it without one (`.compile()`, or createReactAgent without checkpointSaver): Langvel gives it the configured checkpointer (STATE_CHECKPOINTER, or the route\'s `checkpointer` option).',
    })
  }
  const owning = subgraphsWithSavers(graph)
  if (owning.length > 0) {
    throw new E_GRAPH_INVALID(agent, [`the subgraph${owning.length === 1 ? '' : 's'} at ${owning.join(', ')} ${owning.length === 1 ? 'was' : 'were'} compiled with a checkpointer of ${owning.length === 1 ? 'its' : 'their'} own`], {
      help: 'Compile subgraphs without one (`.compile()`): they share the checkpointer Langvel gives the graph.',
    })
  }
  if (hasStaticInterrupts(fields.interruptBefore) || hasStaticInterrupts(fields.interruptAfter)) {
    throw new E_GRAPH_INVALID(agent, ['the graph was compiled with interruptBefore / interruptAfter'], {
      help: 'Call interrupt() inside the node that needs a person instead (from @langchain/langgraph): runs stop there and are resumed with a value, over both APIs.',
    })
  }
}

/** Nodes (`parent/child` for nested ones) whose subgraph was compiled with a checkpointer of its own. */
function subgraphsWithSavers(graph: CompiledGraphLike, prefix = ''): string[] {
  const nodes = (graph.builder as unknown as { nodes?: Record<string, { runnable?: unknown; subgraphs?: unknown[] }> }).nodes ?? {}
  const out: string[] = []
  for (const [name, node] of Object.entries(nodes)) {
    for (const sub of new Set([node.runnable, ...(node.subgraphs ?? [])])) {
      if (!isCompiledStateGraph(sub)) continue
      const saver = (sub as unknown as { checkpointer?: unknown }).checkpointer
      if (saver !== undefined && saver !== null && typeof saver !== 'boolean') out.push(`${prefix}${name}`)
      else out.push(...subgraphsWithSavers(sub, `${prefix}${name}/`))
    }
  }
  return [...new Set(out)]
}

function isCompiledStateGraph(value: unknown): value is CompiledGraphLike {
  const graph = value as Partial<CompiledGraphLike> | null | undefined
  return (
    typeof graph === 'object' &&
    graph !== null &&
    typeof graph.invoke === 'function' &&
    typeof graph.stream === 'function' &&
    typeof graph.getState === 'function' &&
    typeof graph.builder?.compile === 'function' &&
    typeof graph.builder.channels === 'object'
  )
}

/** `interruptBefore: ['tools']` or `'*'`: stops that resume() cannot answer (they wait for no value). */
function hasStaticInterrupts(nodes: unknown): boolean {
  return nodes === '*' || (Array.isArray(nodes) && nodes.length > 0)
}

function isPromiseLike(value: unknown): value is PromiseLike<CompiledGraphLike> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function'
}

function describeValue(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'function') return `a function (${value.name || 'anonymous'})`
  if (typeof value === 'object') {
    const name = (value as object).constructor?.name
    return name && name !== 'Object' ? `a ${name}` : 'a plain object'
  }
  return `${typeof value} ${JSON.stringify(value)}`
}
