import type { ZodType } from 'zod'
import type { NodeContext } from './node_context'

/*
 * What the graph builder needs from a tool loop to lay it out as graph
 * steps (a model node, a tools node run once per call, a route between
 * them). The loop itself lives in framework/llm (toolLoop): the agents
 * concern only knows this shape, so it never imports the model or tools.
 */

/** Marks a node function that the planner expands into tool steps. */
export const TOOL_STEPS = Symbol.for('langvel.toolSteps')

type Raw = Record<string, any>

/** One call the model asked for, as it travels to the tools node. */
export interface ToolStepCall {
  id?: string
  name: string
  args: Record<string, unknown>
}

/** The interrupt payload of a tool call that waits for a human's approval. */
export interface ToolApprovalRequest {
  type: 'tool_approval'
  tool: string
  callId: string
  args: Record<string, unknown>
  description?: string
}

export interface ToolSteps {
  /** The model node's name; the tools node is `<name>_tools`. */
  readonly name: string
  /** Most model calls per entry into the loop. */
  readonly maxSteps: number
  /** Whether a fixed tool of the loop declares `requiresApproval` (its tools node is then listed as an interrupt point). */
  readonly asksApproval: boolean
  /** What a resume value answering an approval must look like. */
  readonly resumeSchema: ZodType
  /** One model turn (`step` counts from 1); returns the messages it added. */
  model(owner: unknown, state: Raw, ctx: NodeContext, step: number): Promise<Raw>
  /** The calls the last model turn left to run; none ends the loop. */
  pendingCalls(state: Raw): ToolStepCall[]
  /**
   * Whether a call must wait for approval, decided once when the model turn
   * is routed (the decision travels in the checkpointed Send packet, so a
   * resume never decides again). A rule that throws counts as "ask".
   */
  needsApproval(call: ToolStepCall, ctx: NodeContext): Promise<boolean>
  /** Runs one call, first asking for approval (a LangGraph interrupt) when `approval` says so; returns the messages it added. */
  runCall(owner: unknown, call: ToolStepCall, ctx: NodeContext, approval: boolean): Promise<Raw>
  /** Checks a decision against the call it answers (edited arguments against the tool's schema), before the thread moves. */
  checkResume(value: unknown, payload: unknown, signal?: AbortSignal): Promise<unknown>
}

/** The tool steps a node function carries, when it is a tool loop. */
export function toolStepsOf(fn: unknown): ToolSteps | undefined {
  if (typeof fn !== 'function') return undefined
  return (fn as unknown as { [TOOL_STEPS]?: ToolSteps })[TOOL_STEPS]
}
