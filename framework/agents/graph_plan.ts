import type { InterruptOptions, SubgraphAgentClass } from './graph_builder'
import type { TeamMemberSpec, TeamSteps } from './team_steps'
import type { ToolSteps } from './tool_steps'

/*
 * The builder is first planned into this plain description (no LangGraph
 * involved), so validate() can report every problem at once and positional
 * interrupts can rewire edges before anything is handed to LangGraph.
 */

export const START = '__start__'
export const END = '__end__'

type AnyFn = (...args: any[]) => any

export type PlanNode =
  | { name: string; role: 'node' | 'merge'; fn: AnyFn }
  | { name: string; role: 'interrupt'; options: InterruptOptions<any> }
  | { name: string; role: 'subgraph'; plan?: GraphPlan; agent?: SubgraphAgentClass }
  | { name: string; role: 'junction' }
  | { name: string; role: 'loop'; loopId: string; phase: 'enter' | 'next' }
  /** A tool loop's model turn; `loopId` counts its turns since the loop was entered through `gate`. */
  | { name: string; role: 'tool_model'; loopId: string; spec: ToolSteps; gate: string }
  /** A tool loop's calls: one task per call the model made (LangGraph Send). */
  | { name: string; role: 'tool_calls'; spec: ToolSteps }
  /** A team's entry: resets its turn count (a swarm's also routes to the active member). */
  | { name: string; role: 'team_gate'; team: string; spec: TeamSteps }
  /** A supervisor's turn: picks the next member or ends the team. */
  | { name: string; role: 'team_lead'; team: string; spec: TeamSteps }
  /** One member's turn: the member agent run as a subgraph, its state mapped in and out. */
  | { name: string; role: 'team_member'; team: string; spec: TeamSteps; member: TeamMemberSpec; agent: SubgraphAgentClass }

export type RouterLogic =
  | { kind: 'branch'; label: string; keys: string[]; selector?: AnyFn }
  | { kind: 'loop'; loopId: string; phase: 'enter' | 'next'; mode: 'while' | 'until'; cond: AnyFn; maxIterations: number; onLimit: 'error' | 'exit' }
  /** Sends each pending call to the `tools` node, or takes `exit`. */
  | { kind: 'tools'; spec: ToolSteps; tools: string }
  /** Routes to the member a team's record names (`exit` when none). */
  | { kind: 'team'; team: string; spec: TeamSteps }

export interface PlanRouter {
  from: string
  /** Route key -> node name (or END). */
  paths: Record<string, string>
  logic: RouterLogic
}

export interface GraphPlan {
  nodes: Map<string, PlanNode>
  edges: Array<{ from: string; to: string }>
  /** Waiting edges: `to` runs once, after every node in `from` ran. */
  joins: Array<{ from: string[]; to: string }>
  routers: PlanRouter[]
  problems: string[]
  /** Needs the loop-counter channel. */
  usesLoops: boolean
  /** Needs the team-record channel. */
  usesTeams: boolean
  /** Needs the resume-value channel. */
  usesResume: boolean
  /** Names of interrupt nodes, in graph order. */
  interrupts: string[]
}

/** Node roles Langvel adds itself; their stream updates are not shown to callers. */
export const CONTROL_ROLES = new Set<PlanNode['role']>(['junction', 'loop', 'team_gate'])
