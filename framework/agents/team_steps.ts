import type { SubgraphAgentClass } from './graph_builder'
import type { NodeContext } from './node_context'
import { RESERVED_PREFIX } from './state'

/*
 * What the graph builder needs from a team to lay it out as graph steps:
 * its members (ordinary agent classes, each run as a subgraph) and, for a
 * supervisor, how the next member is picked. The teams concern
 * (framework/teams) builds this shape; the agents concern never imports the
 * model to route.
 */

/** Marks a node function that the planner expands into a team. */
export const TEAM_STEPS = Symbol.for('langvel.teamSteps')

type Raw = Record<string, any>

/** Each team's record in the graph state, `{ [team]: TeamRecord }` (see team_nodes.ts). */
export const TEAMS_KEY = `${RESERVED_PREFIX}_teams`

/** The supervisor's answer that ends the team's work. */
export const TEAM_DONE = 'done'

/** One member of a team: an agent class and how the team's state maps to its own. */
export interface TeamMemberSpec {
  /** The member's node name in the team graph (also what the supervisor answers and a handoff names). */
  readonly name: string
  readonly agent: SubgraphAgentClass
  /** What the supervisor reads about the member. */
  readonly description?: string
  /** The member's input from the team's state (default: the keys both states declare). */
  readonly input?: (this: unknown, state: Raw, ctx: NodeContext) => Raw | Promise<Raw>
  /** The team's update from the member's final state (default: the keys both states declare, as changed). */
  readonly output?: (this: unknown, result: Raw, state: Raw, ctx: NodeContext) => Raw | Promise<Raw>
}

/** What a supervisor's route function learns beside the state. */
export interface TeamTurnInfo {
  /** Members that already took a turn since the team was entered, in order (repeats included). */
  readonly consulted: readonly string[]
  /** Turns taken so far since the team was entered. */
  readonly turn: number
  /** The team's maxTurns: at `turn === maxTurns` only `done` ends the team normally (anything else hits the limit). */
  readonly maxTurns: number
  readonly members: readonly TeamMemberSpec[]
}

export interface TeamSteps {
  readonly kind: 'supervisor' | 'swarm'
  /** The team's name: the supervisor node (supervisor) or the entry node (swarm). */
  readonly name: string
  readonly members: readonly TeamMemberSpec[]
  /** Most member turns per entry into the team. */
  readonly maxTurns: number
  /** At the limit: E_TEAM_LIMIT (`error`) or go on with the next step (`finish`). */
  readonly onLimit: 'error' | 'finish'
  /** Swarm: the member that takes the first turn of a thread. */
  readonly start?: string
  /** Supervisor: the next member's name, or TEAM_DONE. */
  route?(owner: unknown, state: Raw, ctx: NodeContext, info: TeamTurnInfo): Promise<string>
  /** Swarm: the name a finished turn handed control to (from the messages it added), if any — a member's or not. */
  handoff?(added: Raw): string | undefined
  /** Swarm: the handoff targets a member declares among its tools, to check them against the members when the graph is planned. */
  handoffTargets?(member: TeamMemberSpec): string[]
}

/** The team steps a node function carries, when it is a team. */
export function teamStepsOf(fn: unknown): TeamSteps | undefined {
  if (typeof fn !== 'function') return undefined
  return (fn as unknown as { [TEAM_STEPS]?: TeamSteps })[TEAM_STEPS]
}
