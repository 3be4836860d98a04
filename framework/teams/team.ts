import { E_INVALID_INPUT } from '../errors'
import type { SubgraphAgentClass } from '../agents/graph_builder'
import type { NodeContext } from '../agents/node_context'
import { TEAM_STEPS, type TeamMemberSpec, type TeamSteps, type TeamTurnInfo } from '../agents/team_steps'
import type { Llm } from '../llm/llm'
import { declaredHandoffs, handoffTarget } from './handoff'
import { modelRoute } from './model_route'

type Raw = Record<string, any>

/** A member as a team lists it: an agent class, or `member(AgentClass, { ... })` for a name, a description or state mapping. */
export type TeamMember = SubgraphAgentClass | TeamMemberSpec

export interface MemberOptions<TeamState extends Raw = Raw, MemberResult extends Raw = Raw> {
  /** The member's name in the team (default: the class name in snake case without `Agent`: `SecurityCheckAgent` -> `security_check`). */
  name?: string
  /** What the supervisor reads to decide when to call on the member (default: the agent's `description`). */
  description?: string
  /** The member's input from the team's state (default: the keys both states declare). */
  input?: (state: TeamState, ctx: NodeContext) => Raw | Promise<Raw>
  /** The team's update from the member's final state (default: the keys both states declare, as the member changed them). */
  output?: (result: MemberResult, state: TeamState, ctx: NodeContext) => Raw | Promise<Raw>
}

interface TeamOptionsBase {
  members: readonly TeamMember[]
  /** Most member turns each time the team is entered (default 10). */
  maxTurns?: number
  /** At the limit: E_TEAM_LIMIT (`error`, default) or go on with the next step (`finish`). */
  onLimit?: 'error' | 'finish'
  /** The team's node name (default `supervisor` / `swarm`). */
  name?: string
}

export interface SupervisorOptions<TeamState extends Raw = Raw> extends TeamOptionsBase {
  /**
   * Picks the next member by name, or `'done'`. Runs with `this` = the agent.
   * Default: the model (the agent's `this.llm`, or `llm`) chooses from the
   * members' names and descriptions, the team's state and the turns so far.
   */
  route?: (state: TeamState, ctx: NodeContext, info: TeamTurnInfo) => string | Promise<string>
  /** What the model routing the team is told about the task (default: a generic supervisor prompt). */
  instructions?: string
  /**
   * What the routing model reads of the team's state (default: every key but
   * `messages`, each value cut to a length): leave out what it does not need
   * or must not see.
   */
  briefing?: (state: TeamState) => Record<string, unknown>
  /** The routing model; default the agent's `this.llm`, else the application's. */
  llm?: Llm
}

export interface SwarmOptions extends TeamOptionsBase {
  /** The member that takes a thread's first message (default: the first member). Later messages go to the member that answered last. */
  start?: string
}

const AGENT_SUFFIX = /Agent$/

/** `SecurityCheckAgent` -> `security_check`. */
export function memberName(agent: { name: string }): string {
  const base = agent.name.replace(AGENT_SUFFIX, '') || agent.name
  return base
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9_-]/g, '_')
    .toLowerCase()
}

/**
 * A team member with a name, a description, or its state mapped in and out.
 *
 * @example
 * member(SecurityAgent, {
 *   name: 'security',
 *   input: (state) => ({ code: state.code }),
 *   output: (result) => ({ findings: { security: result.findings } }),
 * })
 */
export function member<TeamState extends Raw = Raw, MemberResult extends Raw = Raw>(agent: SubgraphAgentClass, options: MemberOptions<TeamState, MemberResult> = {}): TeamMemberSpec {
  if (typeof agent !== 'function') throw new E_INVALID_INPUT('member() takes an Agent class')
  return {
    name: options.name ?? memberName(agent),
    agent,
    description: options.description ?? describedBy(agent),
    input: options.input as TeamMemberSpec['input'],
    output: options.output as TeamMemberSpec['output'],
  }
}

function describedBy(agent: SubgraphAgentClass): string | undefined {
  try {
    const description = (new agent() as { description?: unknown }).description
    return typeof description === 'string' ? description : undefined
  } catch {
    return undefined
  }
}

function specOf(entry: TeamMember): TeamMemberSpec {
  return typeof entry === 'function' ? member(entry) : entry
}

function limits(options: TeamOptionsBase): Pick<TeamSteps, 'maxTurns' | 'onLimit'> {
  return { maxTurns: options.maxTurns ?? 10, onLimit: options.onLimit ?? 'error' }
}

/** A node function the graph builder expands into the team; called directly it explains itself. */
function teamNode(steps: TeamSteps): (() => never) & { readonly [TEAM_STEPS]: TeamSteps } {
  const node = function () {
    throw new E_INVALID_INPUT(`The ${steps.kind} "${steps.name}" is a graph step: add it with graph.then(...) (or extend ${steps.kind === 'supervisor' ? 'SupervisorAgent' : 'SwarmAgent'})`)
  }
  Object.defineProperty(node, 'name', { value: steps.name })
  Object.defineProperty(node, TEAM_STEPS, { value: steps })
  return node as (() => never) & { readonly [TEAM_STEPS]: TeamSteps }
}

/**
 * A supervisor team as a graph step: the supervisor picks a member, the
 * member (an ordinary agent, run as a subgraph on its own state) takes a
 * turn, and back to the supervisor, until it answers `done` or `maxTurns`
 * member turns were taken. Streams show each member's node and a `custom`
 * event `{ type: 'team', team, member, turn }` when a member starts; an
 * interrupt inside a member stops the team, and resuming the thread resumes
 * that member.
 *
 * @example
 * build(graph: GraphBuilder<typeof ReviewState>) {
 *   return graph.then(supervisor({ members: [ReviewerAgent, SecurityAgent], maxTurns: 4 })).then(this.summarize)
 * }
 */
export function supervisor<TeamState extends Raw = Raw>(options: SupervisorOptions<TeamState>) {
  const members = options.members.map(specOf)
  const route = options.route
  const steps: TeamSteps = {
    kind: 'supervisor',
    name: options.name ?? 'supervisor',
    members,
    ...limits(options),
    route: route
      ? async (owner, state, ctx, info) => route.call(owner, state as TeamState, ctx, info)
      : (owner, state, ctx, info) => modelRoute(owner, state, ctx, info, { instructions: options.instructions, llm: options.llm, briefing: options.briefing as ((state: Raw) => Raw) | undefined }),
  }
  return teamNode(steps)
}

/**
 * A swarm as a graph step: one member at a time holds the conversation and
 * passes control with a handoff tool (`handoffTool('billing')` in its tool
 * loop); the member handed to runs next with the whole conversation. A
 * thread's next message goes to the member that answered last. Members share
 * the `messages` key of the team's state.
 *
 * @example
 * build(graph: GraphBuilder<typeof ChatState>) {
 *   return graph.then(swarm({ members: [TriageAgent, BillingAgent], start: 'triage', maxTurns: 6 }))
 * }
 */
export function swarm(options: SwarmOptions) {
  const members = options.members.map(specOf)
  const steps: TeamSteps = {
    kind: 'swarm',
    name: options.name ?? 'swarm',
    members,
    start: options.start,
    ...limits(options),
    handoff: handoffTarget,
    handoffTargets: declaredHandoffs,
  }
  return teamNode(steps)
}
