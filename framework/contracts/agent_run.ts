import type { ZodType } from 'zod'
import type { RequestContext } from './request_context'

export type StreamMode = 'values' | 'updates' | 'messages' | 'custom'

export interface RunOptions {
  /** Continue (or start) this thread; a new id is generated when omitted. */
  threadId?: string
  /** Cancels the run: LangGraph stops between and inside nodes that honour it. */
  signal?: AbortSignal
  /** Read-only request facts (principal, request id); frozen before nodes see it. */
  context?: RequestContext
  /**
   * The caller bounds this run itself: `signal` already carries the run's
   * deadline, and the caller stops waiting the moment it aborts (the HTTP
   * RunSupervisor does both). The runner then adds no timer, signal or race
   * of its own on top.
   */
  supervised?: boolean
}

export interface StreamOptions extends RunOptions {
  modes?: StreamMode[]
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
  | { event: StreamMode; data: unknown; node?: string }
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
  middleware: string[]
  checkpointer: string
  /** Per-route run timeout in seconds (overrides AGENT_TIMEOUT). */
  timeoutSeconds?: number
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
  stream(path: string, input: unknown, options?: StreamOptions): AsyncIterable<StreamEvent>
  resume(path: string, threadId: string, value: unknown, options?: RunOptions): Promise<RunResult>
  resumeStream?(path: string, threadId: string, value: unknown, options?: StreamOptions): AsyncIterable<StreamEvent>
  getState(path: string, threadId: string, options?: RunOptions): Promise<ThreadState>
  getHistory(path: string, threadId: string, options?: RunOptions & { limit?: number }): Promise<ThreadState[]>
  /** Mermaid text of the route's graph. */
  graph(path: string): Promise<string>
}
