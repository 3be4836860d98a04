import { Agent } from '../agents/agent'
import type { GraphBuilder } from '../agents/graph_builder'
import type { NodeContext } from '../agents/node_context'
import type { AnyStateDefinition, StateOf } from '../agents/state'
import type { TeamTurnInfo } from '../agents/team_steps'
import { supervisor, swarm, type TeamMember } from './team'

/**
 * Optional declarations of a team agent, as plain properties (like
 * AgentOptions: no `override` needed). Add `implements TeamOptions<typeof State>`
 * to have them type-checked.
 */
export interface TeamOptions<D extends AnyStateDefinition = AnyStateDefinition> {
  /** Most member turns per run (default 10). */
  maxTurns?: number
  /** At the limit: E_TEAM_LIMIT (`error`, default) or finish with what the team has. */
  onLimit?: 'error' | 'finish'
  /** Supervisor: what the routing model is told about the task. */
  instructions?: string
  /** Supervisor: what the routing model reads of the state (default: every key but `messages`, each value cut). */
  briefing?(state: StateOf<D>): Record<string, unknown>
  /** Supervisor: picks the next member by name, or `'done'`; default: the model decides. */
  route?(state: StateOf<D>, ctx: NodeContext, info: TeamTurnInfo): string | Promise<string>
  /** Swarm: the member that takes a thread's first message. */
  start?: string
}

/**
 * An agent whose graph is a supervisor team: a model (or your `route`)
 * picks which member acts next until the work is done. Members are ordinary
 * agents — own state, tools, model and middleware; the keys their state
 * shares with the team's flow in and out, or map them with `member()`.
 *
 * @example
 * export class CodeReviewAgent extends SupervisorAgent<typeof ReviewState> {
 *   state = ReviewState
 *   agents = [ReviewerAgent, member(SecurityAgent, { name: 'security' })]
 *   maxTurns = 4
 * }
 */
export abstract class SupervisorAgent<D extends AnyStateDefinition = AnyStateDefinition> extends Agent<D> {
  abstract readonly agents: readonly TeamMember[]

  build(graph: GraphBuilder<D>): GraphBuilder<D> {
    const options = this as TeamOptions<D>
    return graph.then(
      supervisor<StateOf<D>>({
        members: this.agents,
        maxTurns: options.maxTurns,
        onLimit: options.onLimit,
        instructions: options.instructions,
        briefing: options.briefing,
        route: options.route,
      }),
    )
  }
}

/**
 * An agent whose graph is a swarm: members hand the conversation to each
 * other with `handoffTool(name)`; the member that answered last takes the
 * thread's next message.
 *
 * @example
 * export class HelpDeskAgent extends SwarmAgent<typeof ChatState> {
 *   state = ChatState
 *   agents = [TriageAgent, BillingAgent]
 *   start = 'triage'
 * }
 */
export abstract class SwarmAgent<D extends AnyStateDefinition = AnyStateDefinition> extends Agent<D> {
  abstract readonly agents: readonly TeamMember[]

  build(graph: GraphBuilder<D>): GraphBuilder<D> {
    const options = this as TeamOptions<D>
    return graph.then(swarm({ members: this.agents, maxTurns: options.maxTurns, onLimit: options.onLimit, start: options.start }))
  }
}
