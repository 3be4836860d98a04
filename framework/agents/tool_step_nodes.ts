import { Send, type LangGraphRunnableConfig } from '@langchain/langgraph'
import { recordNodeDuration } from '../observability'
import { nodeContext } from './node_context'
import { LOOPS_KEY, userView, type RuntimeScope } from './node_runtime'
import type { ToolStepCall, ToolSteps } from './tool_steps'

type Raw = Record<string, any>
type GraphNodeFn = (state: Raw, config: LangGraphRunnableConfig) => Promise<unknown>

/** What the router sends the tools node: one call (LangGraph Send's argument, the task's whole input). */
interface CallPacket {
  call: ToolStepCall
}

async function timed<T>(scope: RuntimeScope, name: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now()
  try {
    return await work()
  } finally {
    recordNodeDuration(scope.label, name, (performance.now() - started) / 1000)
  }
}

/** The model turn: counts itself in the loop counter, so maxSteps holds across interrupts and restarts. */
export function toolModelNode(name: string, loopId: string, spec: ToolSteps, scope: RuntimeScope): GraphNodeFn {
  return (raw, config) =>
    timed(scope, name, async () => {
      const step = (raw[LOOPS_KEY]?.[loopId] ?? 0) + 1
      const update = await spec.model(scope.owner, userView(raw, scope), nodeContext(config, name), step)
      return { ...update, [LOOPS_KEY]: { [loopId]: step } }
    })
}

/** One tool call, a task of its own: a finished call is never run again when its step resumes. */
export function toolCallsNode(name: string, spec: ToolSteps, scope: RuntimeScope): GraphNodeFn {
  return (raw, config) => timed(scope, name, () => spec.runCall(scope.owner, (raw as CallPacket).call, nodeContext(config, name)))
}

/** After a model turn: one Send per pending call, or `exit` when the model answered. */
export function toolRouter(spec: ToolSteps, tools: string, scope: RuntimeScope): (raw: Raw) => Promise<string | Send[]> {
  return async (raw) => {
    const calls = spec.pendingCalls(userView(raw, scope))
    return calls.length === 0 ? 'exit' : calls.map((call) => new Send(tools, { call } satisfies CallPacket))
  }
}
