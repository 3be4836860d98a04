import type { ZodType, z } from 'zod'
import type { RequestContext } from '../contracts/request_context'
import type { Tool } from './tool'

/** What a tool handler receives beside its validated input. */
export interface ToolHandlerContext {
  /** Aborted when the attempt times out or the run is cancelled: pass it to fetch, db drivers, child tools. */
  signal: AbortSignal
  /** Read-only facts about the request the run belongs to (principal, request id). */
  context?: RequestContext
  /** 0 for the first attempt, 1 for the first retry, ... */
  attempt: number
  /** Set when a model called the tool through LangChain. */
  toolCallId?: string
}

/** What a `requiresApproval` predicate receives beside the call's input. */
export interface ToolApprovalContext {
  context?: RequestContext
  toolCallId?: string
}

export interface RetryOptions {
  /** Retries after the first attempt (3 = up to 4 attempts in all). */
  retries: number
  /** Delay before the first retry; doubles on each retry, with jitter. Default 200 ms. */
  baseDelayMs?: number
  /** Upper bound of one delay. Default 5000 ms. */
  maxDelayMs?: number
  /** Whether an error is worth another attempt. Default: everything except 4xx Langvel exceptions. */
  when?: (error: unknown) => boolean
}

export interface ToolDefinition<S extends ZodType, O> {
  /** What the model calls it by: letters, digits, `_` and `-`, at most 64 characters. */
  name: string
  /** Read by the model to decide when to call the tool: say what it does and when to use it. */
  description: string
  /** Zod object schema of the input; violations are rejected with E_TOOL_INPUT and never retried. */
  schema: S
  handler: (input: z.output<S>, ctx: ToolHandlerContext) => O | Promise<O>
  /** `3` = three retries with exponential backoff; or the full options. */
  retry?: number | RetryOptions
  /** Per-attempt time limit: the handler's signal aborts and the attempt fails with E_TOOL_TIMEOUT. */
  timeoutMs?: number
  /** Produces a result from the final error (E_TOOL_TIMEOUT or E_TOOL_FAILED) instead of rejecting. */
  fallback?: (error: Error, input: z.output<S>) => O | Promise<O>
  /**
   * Whether a call the model makes in a tool loop must wait for a human's
   * approval before it runs: `true`, or a predicate of the validated input
   * (`({ amount }) => amount > 100`). The run stops with an interrupt showing
   * the tool, the call id and the arguments; the resume value approves,
   * rejects or edits the call. A direct `tool.call()` is the program's own
   * decision and is never held.
   */
  requiresApproval?: boolean | ((input: z.output<S>, ctx: ToolApprovalContext) => boolean | Promise<boolean>)
  /**
   * In a tool loop, a successful call of this tool ends the loop: the model is
   * not called again and the tool's result is the loop's last message (a
   * handoff to another agent is such a tool). Default false.
   */
  returnDirect?: boolean
  /**
   * The input schema models are shown, when it is not the zod schema's own:
   * for tools described by a JSON Schema from elsewhere (an MCP server's tools),
   * whose zod schema only checks it.
   */
  jsonSchema?: Record<string, unknown>
}

export interface ToolCallOptions {
  /** The run's signal: aborting it stops the handler, skips retries and the fallback. */
  signal?: AbortSignal
  context?: RequestContext
  toolCallId?: string
}

/**
 * Tools that are only known at run time (an MCP server's, listed when it
 * starts), for an agent's `tools` and toolLoop(): loaded each time the loop
 * runs, so a server's changed tool list is picked up.
 */
export interface ToolSource {
  /** How the source appears where an agent's tools are listed (`mcp:notes`). */
  readonly name: string
  readonly description?: string
  /** Whether some of its tools may wait for approval, known before they load (lists the loop's tools step as an interrupt point). */
  readonly mayNeedApproval?: boolean
  /** The tools, as of now. */
  load(options?: { signal?: AbortSignal }): Promise<Array<Tool<any, any>>>
}
