import type { BaseCallbackHandler } from '@langchain/core/callbacks/base'
import type { RunControl } from '@langchain/langgraph'
import type { ZodType } from 'zod'
import type { RequestContext } from './request_context'

export type StreamMode = 'values' | 'updates' | 'messages' | 'custom'

/**
 * How much a run checkpoints (LangGraph's `durability`):
 * - `async` (LangGraph's default): each step's checkpoint is written while the next step runs;
 * - `sync`: each checkpoint is written before the next step starts;
 * - `exit`: only when the run ends or stops at an interrupt.
 */
export type Durability = 'exit' | 'async' | 'sync'

/** What bounds a run: the signal its nodes get, and a wait that ends the moment the run is stopped. */
export interface RunBounds {
  readonly signal: AbortSignal
  /** Resolves or rejects with `work`, or rejects with why the run was stopped, whichever comes first. */
  race<T>(work: Promise<T>): Promise<T>
}

export interface RunOptions {
  /** Continue (or start) this thread; a new id is generated when omitted. */
  threadId?: string
  /** Cancels the run: LangGraph stops between and inside nodes that honour it. */
  signal?: AbortSignal
  /**
   * The run's deadline, when the caller keeps it (the HTTP server does, to
   * hold the run's concurrency slot until it has really stopped). Without
   * one the runner starts its own from the route's timeout and `signal`.
   */
  deadline?: RunBounds
  /** Read-only request facts (principal, request id); frozen before nodes see it. */
  context?: RequestContext
  /** Overrides the route's checkpoint durability for this run. */
  durability?: Durability
  /** LangChain callback handlers that observe the run's graph (tracing adds its own). */
  callbacks?: BaseCallbackHandler[]
  /** Stops the run before these nodes run (`'*'`: before every node), as LangGraph's `interruptBefore`; the thread then waits with them in `next`. */
  interruptBefore?: string[] | '*'
  /** Stops the run after these nodes ran (`'*'`: after every node), as LangGraph's `interruptAfter`. */
  interruptAfter?: string[] | '*'
  /**
   * LangGraph's run control: `control.requestDrain()` stops the run at its
   * next step boundary with its checkpoint saved (the run rejects with
   * GraphDrained), so it can be continued elsewhere. The run queue drains this way.
   */
  control?: RunControl
}

export interface StreamOptions extends RunOptions {
  modes?: StreamMode[]
  /** Streams the events of subgraphs (a team's members) too, each with its `namespace`. */
  subgraphs?: boolean
}

/**
 * What continues a thread, as LangGraph's `Command`: the answer to the
 * interrupts it waits on (`resume`), a patch applied to its state first
 * (`update`, reducers apply), the nodes to run next (`goto`). An empty
 * command continues the thread from its latest checkpoint.
 */
export interface RunCommand {
  resume?: unknown
  update?: Record<string, unknown>
  goto?: string | string[]
}

/** A pending human-in-the-loop stop. Resume with `resume(threadId, value)`. */
export interface InterruptInfo {
  id: string
  value: unknown
  node?: string
}

export interface RunResult<S = Record<string, unknown>> {
  output: S
  threadId: string
  interrupts: InterruptInfo[]
}

/** One item of `stream()`: a LangGraph stream chunk, or the interrupts the run stopped at. */
export type StreamEvent =
  | { event: StreamMode; data: unknown; node?: string; namespace?: string[] }
  | { event: 'interrupt'; data: InterruptInfo[] }

export interface ThreadState<S = Record<string, unknown>> {
  threadId: string
  values: S
  /** Nodes that run next (non-empty while interrupted). */
  next: string[]
  interrupts: InterruptInfo[]
  checkpointId?: string
  parentCheckpointId?: string
  createdAt?: string
  metadata?: Record<string, unknown>
}

/** What the HTTP layer and the CLI know about a registered agent route. */
export interface AgentRouteInfo {
  path: string
  name?: string
  description?: string
  /** Agent class name. */
  agent: string
  /**
   * The agent serves a compiled LangGraph graph Langvel did not build: with
   * tracing on, its runs follow every runnable of the graph through LangChain
   * callbacks to make node spans (RunTrace's `graphCallbacks`), since its
   * nodes do not make their own.
   */
  externalGraph?: boolean
  middleware: string[]
  checkpointer: string
  /** Where the route's threads live in the checkpointer: its thread ids are `<threadNamespace>:<thread id>`. */
  threadNamespace?: string
  /** The run's time limit in seconds: the route's, else the agent's, else AGENT_TIMEOUT. */
  timeoutSeconds?: number
  /** How often runs checkpoint: the route's, else the agent's, else the project default. */
  durability?: Durability
  inputSchema?: ZodType
  interrupts: string[]
  /** The `resumeSchema` of each interrupt point that declares one, by interrupt path. */
  resumeSchemas?: Record<string, ZodType>
  tools: string[]
}

/**
 * Runs registered agents by route path, through their middleware, on pooled
 * compiled graphs. Implemented in framework/agents; used by HTTP and the CLI.
 */
export interface AgentRunner {
  routes(): AgentRouteInfo[]
  /** Throws E_AGENT_NOT_FOUND for an unknown path. */
  route(path: string): AgentRouteInfo
  invoke(path: string, input: unknown, options?: RunOptions): Promise<RunResult>
  /**
   * Starts a streamed run. Resolves once the run is accepted — its run
   * middleware passed and its input is valid — with the events still to
   * come; a refusal rejects here, before anything was streamed.
   */
  stream(path: string, input: unknown, options?: StreamOptions): Promise<AsyncIterable<StreamEvent>>
  resume(path: string, threadId: string, value: unknown, options?: RunOptions): Promise<RunResult>
  /** Goes on with a thread from its last checkpoint, through the route's middleware and deadline (E_NOTHING_TO_CONTINUE when there is nothing left). */
  continue?(path: string, threadId: string, options?: RunOptions): Promise<RunResult>
  resumeStream?(path: string, threadId: string, value: unknown, options?: StreamOptions): Promise<AsyncIterable<StreamEvent>>
  /** Continues a thread with a LangGraph command (see RunCommand); rejects a bad command before the run starts. */
  command?(path: string, threadId: string, command: RunCommand, options?: RunOptions): Promise<RunResult>
  commandStream?(path: string, threadId: string, command: RunCommand, options?: StreamOptions): Promise<AsyncIterable<StreamEvent>>
  getState(path: string, threadId: string, options?: RunOptions): Promise<ThreadState>
  getHistory(path: string, threadId: string, options?: RunOptions & { limit?: number }): Promise<ThreadState[]>
  /** Mermaid text of the route's graph. */
  graph(path: string): Promise<string>
  /**
   * The route's agent instance, compiled, for protocol layers that read
   * LangGraph's own shapes (raw snapshots, the drawable graph) or update a
   * thread's state. Runs never go through it: they go through `invoke`,
   * `stream` and `resume`, which apply the route's middleware and deadline.
   */
  compiledAgent?(path: string): Promise<unknown>
}
