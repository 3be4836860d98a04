import { Annotation, StateGraph, type BaseCheckpointSaver, type CompiledStateGraph } from '@langchain/langgraph'
import { BinaryOperatorAggregate, EphemeralValue, LastValue, type BaseChannel } from '@langchain/langgraph/channels'
import { tracedNode } from '../tracing/node_spans'
import type { CompileGraphOptions } from './graph_builder'
import type { GraphPlan, PlanNode } from './graph_plan'
import {
  LOOPS_KEY,
  RESUME_KEY,
  interruptNode,
  junctionNode,
  loopNode,
  routerFunction,
  subgraphNode,
  userNode,
  type RuntimeScope,
  type SubgraphRuntime,
} from './node_runtime'
import type { AnyStateDefinition } from './state'
import type { MemberAgent } from './team_member_run'
import { mergeTeams, TEAMS_KEY, teamGateNode, teamLeadNode, teamMemberNode, teamRouter } from './team_nodes'
import { toolCallsNode, toolModelNode, toolRouter } from './tool_step_nodes'

/** A compiled LangGraph graph over Langvel state (typed loosely: the Agent types the edges). */
export type CompiledAgentGraph = CompiledStateGraph<any, any, any, any, any, any>

const mergeCounters = (a: Record<string, number>, b: Record<string, number>) => ({ ...a, ...b })

/** One LangGraph channel per state key: reducer keys aggregate, the others keep the last write. */
function userChannels(state: AnyStateDefinition): Record<string, BaseChannel> {
  const channels: Record<string, BaseChannel> = {}
  for (const key of state.keys) {
    const spec = state.reducer(key)
    channels[key] = spec ? new BinaryOperatorAggregate(spec.fn, spec.initial) : new LastValue(state.defaultOf(key))
  }
  return channels
}

/**
 * Turns a plan into a LangGraph StateGraph and compiles it. Reserved channels
 * exist only when the plan needs them, and the graph's output schema is the
 * user state, so loop counters and resume values never reach a run's output.
 */
export function emitGraph(plan: GraphPlan, state: AnyStateDefinition, options: CompileGraphOptions): CompiledAgentGraph {
  const user = userChannels(state)
  const all: Record<string, BaseChannel> = { ...user }
  if (plan.usesLoops) all[LOOPS_KEY] = new BinaryOperatorAggregate(mergeCounters, () => ({}))
  if (plan.usesTeams) all[TEAMS_KEY] = new BinaryOperatorAggregate(mergeTeams, () => ({}))
  // guard=false: two interrupts resumed in the same step may both write it.
  if (plan.usesResume) all[RESUME_KEY] = new EphemeralValue(false)
  const scope: RuntimeScope = { state, owner: options.owner, reserved: plan.usesLoops || plan.usesTeams || plan.usesResume, label: options.metricsLabel ?? options.name ?? 'graph' }

  const graph: any = new StateGraph({ state: Annotation.Root(all), input: Annotation.Root(user), output: Annotation.Root(user) } as any)
  for (const node of plan.nodes.values()) {
    const { fn, subgraphs } = runtimeFor(node, scope)
    // With tracing on, each node is its own span; a node running a Langvel subgraph leaves the spans to that graph's nodes.
    graph.addNode(node.name, tracedNode(node.name, fn, { calls: !subgraphs }), subgraphs ? { subgraphs } : undefined)
  }
  for (const { from, to } of plan.edges) graph.addEdge(from, to)
  for (const { from, to } of plan.joins) graph.addEdge(from, to)
  for (const router of plan.routers) {
    const { logic } = router
    const route = logic.kind === 'tools' ? toolRouter(logic.spec, logic.tools, scope) : logic.kind === 'team' ? teamRouter(logic.team, logic.spec) : routerFunction(router.from, logic, scope)
    // Unique names: LangGraph keys conditional edges by function name per source node.
    Object.defineProperty(route, 'name', { value: `route_${plan.routers.indexOf(router) + 1}` })
    graph.addConditionalEdges(router.from, route, { ...router.paths })
  }
  return graph.compile({ checkpointer: options.checkpointer as BaseCheckpointSaver | undefined, name: options.name }) as CompiledAgentGraph
}

function runtimeFor(node: PlanNode, scope: RuntimeScope): { fn: ReturnType<typeof userNode>; subgraphs?: CompiledAgentGraph[] } {
  switch (node.role) {
    case 'node':
    case 'merge':
      return { fn: userNode(node.name, node.fn, scope) }
    case 'interrupt':
      return { fn: interruptNode(node.name, node.options, scope) }
    case 'junction':
      return { fn: junctionNode() }
    case 'tool_model':
      return { fn: toolModelNode(node.name, node.loopId, node.spec, scope) }
    case 'tool_calls':
      return { fn: toolCallsNode(node.name, node.spec, scope) }
    case 'loop':
      return { fn: loopNode(node.loopId, node.phase) }
    case 'team_gate':
      return { fn: teamGateNode(node.team, node.spec) }
    case 'team_lead':
      return { fn: teamLeadNode(node.team, node.spec, scope) }
    case 'team_member': {
      const { fn, graph } = teamMemberNode(node.team, node.spec, node.member, new node.agent() as unknown as MemberAgent, scope)
      return { fn, subgraphs: [graph as CompiledAgentGraph] }
    }
    case 'subgraph': {
      const child: SubgraphRuntime = node.plan
        ? { graph: emitGraph(node.plan, scope.state, { owner: scope.owner, name: node.name, metricsLabel: scope.label }), state: scope.state }
        : new (node.agent as NonNullable<typeof node.agent>)().compileSubgraph()
      return { fn: subgraphNode(child, scope), subgraphs: [child.graph as CompiledAgentGraph] }
    }
  }
}
