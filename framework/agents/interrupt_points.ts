import type { ZodType } from 'zod'
import type { SubgraphSource } from './graph_builder'
import type { GraphPlan, PlanNode } from './graph_plan'

/** What an Agent class used as a subgraph tells about its own interrupts. */
interface InterruptSource extends SubgraphSource {
  readonly interrupts: readonly string[]
  resumeSchemaAt(path: string): ZodType | undefined
  resumeCheckAt(path: string): ResumeCheck | undefined
}

/** A check of a resume value that needs the interrupt's payload (a tool approval: the edited arguments against that tool's schema). */
export type ResumeCheck = (value: unknown, payload: unknown, signal?: AbortSignal) => Promise<unknown>

type SubgraphNode = Extract<PlanNode, { role: 'subgraph' | 'team_member' }>

/** One instance per planned node: its graph is planned once, not on every resume that asks for a schema. */
const children = new WeakMap<SubgraphNode, InterruptSource>()

function childAgent(node: SubgraphNode): InterruptSource | undefined {
  if (!node.agent) return undefined
  let child = children.get(node)
  if (!child) {
    child = new node.agent() as InterruptSource
    children.set(node, child)
  }
  return child
}

/** Nodes that run another graph: subgraphs, and the members of a team. */
function isNested(node: PlanNode): node is SubgraphNode {
  return node.role === 'subgraph' || node.role === 'team_member'
}

function planOf(node: SubgraphNode): GraphPlan | undefined {
  return node.role === 'subgraph' ? node.plan : undefined
}

/**
 * The interrupt points of a plan in graph order, with those of its subgraphs
 * as `subgraph/interrupt` paths (the same paths a paused run reports).
 *
 * @example
 * interruptPoints(plan) // ['review', 'child/ask']
 */
export function interruptPoints(plan: GraphPlan): string[] {
  const points = [...plan.interrupts]
  for (const node of plan.nodes.values()) {
    if (!isNested(node)) continue
    const plan = planOf(node)
    const inner = plan ? interruptPoints(plan) : (childAgent(node)?.interrupts ?? [])
    for (const point of inner) points.push(`${node.name}/${point}`)
  }
  return points
}

/** The `resumeSchema` of the interrupt at `path` (`['ask']`, `['child', 'ask']`), if it declares one. */
export function resumeSchemaIn(plan: GraphPlan, path: readonly string[]): ZodType | undefined {
  const node = plan.nodes.get(path[0] ?? '')
  if (!node) return undefined
  if (path.length === 1) return node.role === 'interrupt' ? node.options.resumeSchema : node.role === 'tool_calls' ? node.spec.resumeSchema : undefined
  if (!isNested(node)) return undefined
  const inner = planOf(node)
  return inner ? resumeSchemaIn(inner, path.slice(1)) : childAgent(node)?.resumeSchemaAt(path.slice(1).join('/'))
}

/** The payload-aware check of the interrupt at `path`, after its schema: a tool loop's approvals have one. */
export function resumeCheckIn(plan: GraphPlan, path: readonly string[]): ResumeCheck | undefined {
  const node = plan.nodes.get(path[0] ?? '')
  if (!node) return undefined
  if (path.length === 1) return node.role === 'tool_calls' ? (value, payload, signal) => node.spec.checkResume(value, payload, signal) : undefined
  if (!isNested(node)) return undefined
  const inner = planOf(node)
  return inner ? resumeCheckIn(inner, path.slice(1)) : childAgent(node)?.resumeCheckAt(path.slice(1).join('/'))
}
