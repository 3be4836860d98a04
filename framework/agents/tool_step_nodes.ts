import { Send, type LangGraphRunnableConfig } from '@langchain/langgraph'
import { nodeContext } from './node_context'
import { LOOPS_KEY, timedNode, userView, type RuntimeScope } from './node_runtime'
import type { ToolStepCall, ToolSteps } from './tool_steps'

type Raw = Record<string, any>
type GraphNodeFn = (state: Raw, config: LangGraphRunnableConfig) => Promise<unknown>

/**
 * What the router sends the tools node: one call (LangGraph Send's argument,
 * the task's whole input), and whether it waits for approval — decided before
 * the call and checkpointed with the packet, so a resumed task asks (and
 * honours the answer) whatever the approval rule would say now.
 */
interface CallPacket {
  call: ToolStepCall
  approval?: boolean
}

/**
 * The model turn: counts itself in the loop counter, so maxSteps holds across
 * interrupts and restarts. The turn that ends the loop (no calls left) sets
 * the count back to 0, so entering the loop again by its name
 * (`Command({ goto })`, past the enter gate) gets all its steps too.
 */
export function toolModelNode(name: string, loopId: string, spec: ToolSteps, scope: RuntimeScope): GraphNodeFn {
  return (raw, config) =>
    timedNode(scope, name, async () => {
      const step = (raw[LOOPS_KEY]?.[loopId] ?? 0) + 1
      const update = await spec.model(scope.owner, userView(raw, scope), nodeContext(config, name), step)
      const done = spec.pendingCalls(update).length === 0
      return { ...update, [LOOPS_KEY]: { [loopId]: done ? 0 : step } }
    })
}

/** One tool call, a task of its own: a finished call is never run again when its step resumes. */
export function toolCallsNode(name: string, spec: ToolSteps, scope: RuntimeScope): GraphNodeFn {
  return (raw, config) =>
    timedNode(scope, name, () => {
      const packet = raw as CallPacket
      return spec.runCall(scope.owner, packet.call, nodeContext(config, name), packet.approval === true)
    })
}

/** After a model turn: one Send per pending call, or `exit` when the model answered. */
export function toolRouter(spec: ToolSteps, tools: string, scope: RuntimeScope): (raw: Raw, config: LangGraphRunnableConfig) => Promise<string | Send[]> {
  return async (raw, config) => {
    const calls = spec.pendingCalls(userView(raw, scope))
    if (calls.length === 0) return 'exit'
    const ctx = nodeContext(config, spec.name)
    const approvals = await Promise.all(calls.map((call) => spec.needsApproval(call, ctx)))
    return calls.map((call, i) => new Send(tools, (approvals[i] ? { call, approval: true } : { call }) satisfies CallPacket))
  }
}
