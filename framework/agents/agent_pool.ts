import type { BaseCheckpointSaver } from '@langchain/langgraph-checkpoint'
import type { Durability, RunCommand, RunOptions, RunResult, StreamEvent, StreamOptions, ThreadState } from '../contracts/agent_run'

/**
 * What the pool and the runner need from an agent. The `Agent` base class
 * satisfies it; tests use tiny classes of their own.
 */
export interface RunnableAgent {
  /** True for a graph Langvel did not build (Route.graph): its nodes are traced through LangChain's callbacks. */
  readonly externalGraph?: boolean
  /** Named middleware (`'logging'`, `'throttle:10,60'`), after the route's. */
  readonly middleware?: readonly string[]
  /** Checkpointer driver name; the manager's default when omitted. */
  readonly checkpointer?: string
  /** The namespace of the agent's threads in the checkpointer (default: the route path). */
  readonly threadNamespace?: string
  /** Tool objects (with a `name`), tool names, or a registry with `names()`. */
  readonly tools?: unknown
  readonly description?: string
  readonly timeoutSeconds?: number
  readonly durability?: Durability
  /** Zod schema of the run input, when the agent declares one. */
  readonly inputSchema?: unknown
  /** Nodes the graph may stop at for a human (interrupt points). */
  readonly interrupts?: readonly string[]
  /** The resume schema of an interrupt point (`'ask'`, `'child/ask'`), when it declares one. */
  resumeSchemaAt?(path: string): unknown
  /** `route`: the route path, the `agent` label of its node durations and the default namespace of its threads. */
  compile(options: { checkpointer?: BaseCheckpointSaver; route?: string }): unknown
  invoke(input: unknown, options?: RunOptions): Promise<RunResult>
  stream(input: unknown, options?: StreamOptions): AsyncIterable<StreamEvent>
  resume(threadId: string, value: unknown, options?: RunOptions): Promise<RunResult>
  resumeStream?(threadId: string, value: unknown, options?: StreamOptions): AsyncIterable<StreamEvent> | Promise<AsyncIterable<StreamEvent>>
  /** Continues a thread with a LangGraph command (see RunCommand). */
  command?(threadId: string, command: RunCommand, options?: RunOptions): Promise<RunResult>
  commandStream?(threadId: string, command: RunCommand, options?: StreamOptions): Promise<AsyncIterable<StreamEvent>>
  /** Goes on with a thread from its last checkpoint (E_NOTHING_TO_CONTINUE when it ended or waits at an interrupt). */
  continue?(threadId: string, options?: RunOptions): Promise<RunResult>
  getState(threadId: string, options?: RunOptions): Promise<ThreadState>
  getHistory(threadId: string, options?: RunOptions & { limit?: number }): Promise<ThreadState[]>
  toMermaid(): string | Promise<string>
  /** Returns the parsed input or throws E_VALIDATION. */
  validateInput?(input: unknown): unknown
}

export type AgentClass<A extends RunnableAgent = RunnableAgent> = new () => A

/** The part of a route the pool needs. */
export interface PooledRoute {
  readonly path: string
  readonly agent: AgentClass
}

export interface AgentPoolOptions {
  /** `(name) => checkpointerManager.use(name)`; without it agents compile with no checkpointer. */
  resolveCheckpointer?: (name?: string) => BaseCheckpointSaver | undefined
}

interface Entry {
  instance: RunnableAgent
  compiled?: Promise<RunnableAgent>
}

/**
 * One agent instance and one compiled graph per route for the life of the
 * process. Compiling a graph costs far more than running it, so it happens
 * once, on first use (or in `warm()`), even when the first requests arrive
 * together: concurrent callers share one compilation.
 *
 * A failed compilation is not cached: its waiters all get the same error,
 * and the next call starts over with a fresh instance.
 *
 * @example
 * const pool = new AgentPool({ resolveCheckpointer: (name) => checkpointers.use(name) })
 * const agent = await pool.get({ path: '/support', agent: SupportAgent })
 * await agent.invoke({ question: 'hi' })
 */
export class AgentPool {
  private readonly entries = new Map<string, Entry>()

  constructor(private readonly options: AgentPoolOptions = {}) {}

  /**
   * The route's agent instance, created on first call, not compiled yet.
   * Used to read what the agent declares (middleware, tools, schema).
   */
  instance(route: PooledRoute): RunnableAgent {
    return this.entry(route).instance
  }

  /** The route's compiled agent; compiles it once. */
  get(route: PooledRoute): Promise<RunnableAgent> {
    let entry: Entry
    try {
      entry = this.entry(route)
    } catch (error) {
      return Promise.reject(error)
    }
    if (!entry.compiled) {
      const compiled = this.compile(entry.instance, route.path)
      entry.compiled = compiled
      // Registered before any waiter's handler, so by the time a waiter sees
      // the failure the entry is gone and its retry builds a fresh instance.
      compiled.catch(() => {
        if (this.entries.get(route.path) === entry) this.entries.delete(route.path)
      })
    }
    return entry.compiled
  }

  /** Compiles every route now (server start), so the first request does not pay for it. */
  async warm(routes: Iterable<PooledRoute>): Promise<void> {
    await Promise.all([...routes].map((route) => this.get(route)))
  }

  has(path: string): boolean {
    return this.entries.has(path)
  }

  get size(): number {
    return this.entries.size
  }

  private entry(route: PooledRoute): Entry {
    let entry = this.entries.get(route.path)
    if (!entry) {
      entry = { instance: new route.agent() }
      this.entries.set(route.path, entry)
    }
    return entry
  }

  private async compile(instance: RunnableAgent, path: string): Promise<RunnableAgent> {
    const checkpointer = this.options.resolveCheckpointer?.(instance.checkpointer)
    await instance.compile({ checkpointer, route: path })
    return instance
  }
}
