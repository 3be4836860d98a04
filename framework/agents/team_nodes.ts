import type { LangGraphRunnableConfig } from '@langchain/langgraph'
import { E_BRANCH_UNKNOWN, E_RUNTIME, E_TEAM_LIMIT, isException } from '../errors'
import { nodeContext, type NodeContext } from './node_context'
import { changedKeys, timedNode, userView, type RuntimeScope } from './node_runtime'
import { cleanValues } from './run_support'
import type { AnyStateDefinition } from './state'
import { memberStack, runMemberTurn, type MemberAgent } from './team_member_run'
import { TEAM_DONE, TEAMS_KEY, type TeamMemberSpec, type TeamSteps } from './team_steps'

export { TEAMS_KEY }

type Raw = Record<string, any>
type GraphNodeFn = (state: Raw, config: LangGraphRunnableConfig) => Promise<unknown>

/** A team's progress, checkpointed: turns, the next member and a swarm's active member survive interrupts and restarts. */
export interface TeamRecord {
  /** Member turns since the team was entered. */
  turns: number
  /** Members that took those turns, in order. */
  consulted: string[]
  /** The member the router sends the run to next; none ends the team. */
  next?: string
  /** Swarm: the member that answered last, who takes the next message of the thread. */
  active?: string
  /** Supervisor: set by a member's turn, so the supervisor tells a member's return from a new entry into the team. */
  returning?: boolean
}

/** The channel's reducer: a team's record is replaced whole; teams do not touch each other's. */
export const mergeTeams = (a: Record<string, TeamRecord>, b: Record<string, TeamRecord>) => ({ ...a, ...b })

function recordOf(raw: Raw, team: string): TeamRecord {
  return raw[TEAMS_KEY]?.[team] ?? { turns: 0, consulted: [] }
}

function write(team: string, record: TeamRecord): Raw {
  return { [TEAMS_KEY]: { [team]: record } }
}

function memberNames(spec: TeamSteps): string[] {
  return spec.members.map((member) => member.name)
}

function limitError(team: string, spec: TeamSteps): Error {
  return new E_TEAM_LIMIT(team, spec.maxTurns, {
    details: { team, maxTurns: spec.maxTurns },
    help: 'Raise maxTurns, make the supervisor (or the members handing off) finish, or pass onLimit: "finish" to go on with what the team has.',
  })
}

/**
 * A swarm's entry: the turn count starts again, and the run goes to the
 * active member — the one that answered the thread last, else `start`.
 */
export function teamGateNode(team: string, spec: TeamSteps): GraphNodeFn {
  return async (raw) => {
    const before = recordOf(raw, team)
    const names = memberNames(spec)
    const active = before.active !== undefined && names.includes(before.active) ? before.active : (spec.start ?? names[0])
    return write(team, { turns: 0, consulted: [], active, next: active })
  }
}

/**
 * The supervisor's turn: asks its route for the next member (or done). At
 * maxTurns it is still asked, so a team that finishes on its last turn ends
 * normally; any other answer then hits the limit.
 */
export function teamLeadNode(team: string, spec: TeamSteps, scope: RuntimeScope): GraphNodeFn {
  const names = memberNames(spec)
  return (raw, config) =>
    timedNode(scope, team, async () => {
      const kept = recordOf(raw, team)
      // Reached from outside the team (not a member's return): a new entry, whose turns count from zero.
      const record: TeamRecord = kept.returning ? kept : { turns: 0, consulted: [] }
      const ctx = nodeContext(config, team)
      if (!spec.route) throw new E_RUNTIME(`Team "${team}": the supervisor has no route`)
      let next = await spec.route(scope.owner, userView(raw, scope), ctx, { consulted: [...record.consulted], turn: record.turns, maxTurns: spec.maxTurns, members: spec.members })
      if (next !== TEAM_DONE && !names.includes(next)) {
        throw new E_BRANCH_UNKNOWN(next, [...names, TEAM_DONE], { details: { team, value: next ?? null, members: names } })
      }
      if (next !== TEAM_DONE && record.turns >= spec.maxTurns) {
        if (spec.onLimit === 'error') throw limitError(team, spec)
        next = TEAM_DONE
      }
      ctx.writer({ type: 'team', team, next })
      return write(team, { turns: record.turns, consulted: record.consulted, next: next === TEAM_DONE ? undefined : next })
    })
}

/** After a team node: the member its record names, or `exit`. */
export function teamRouter(team: string, spec: TeamSteps): (raw: Raw) => Promise<string> {
  const names = new Set(memberNames(spec))
  return async (raw) => {
    const next = recordOf(raw, team).next
    return next !== undefined && names.has(next) ? next : 'exit'
  }
}

/** The member's input: its own mapping, or the keys both states declare. */
async function memberInput(member: TeamMemberSpec, state: Raw, own: AnyStateDefinition, owner: unknown, ctx: NodeContext): Promise<Raw> {
  if (member.input) return (await member.input.call(owner, state, ctx)) ?? {}
  const input: Raw = {}
  for (const key of own.keys) if (key in state && state[key] !== undefined) input[key] = state[key]
  return input
}

/**
 * The member's input checked against its own state schema. The caller's
 * input was valid: a mapping that does not fit is the team's bug, so a
 * server error naming the member (its schema's paths stay in the logs).
 */
function checkedInput(agent: MemberAgent, team: string, member: string, input: Raw): Raw {
  try {
    return agent.validateInput(input)
  } catch (error) {
    if (isException(error) && error.code === 'E_VALIDATION') {
      throw new E_RUNTIME(`Team "${team}": the input of member "${member}" does not fit its state: ${error.message}`, {
        cause: error,
        details: { team, member, issues: (error as { details?: unknown }).details },
        help: 'Give the member an input mapping (member(Agent, { input: (state) => ({ ... }) })) that builds what its state requires.',
      })
    }
    throw error
  }
}

/** Messages the member's turn added: those of its result that were not in its input (by id, else by identity). */
function addedMessages(result: Raw, input: Raw): unknown[] {
  const after = Array.isArray(result.messages) ? result.messages : []
  const before: unknown[] = Array.isArray(input.messages) ? input.messages : []
  const ids = new Set(before.map((message) => (message as { id?: unknown })?.id).filter((id) => id !== undefined))
  return after.filter((message: unknown) => {
    const id = (message as { id?: unknown })?.id
    return id !== undefined ? !ids.has(id) : !before.includes(message)
  })
}

/**
 * One member's turn: its input mapped from the team's state and checked
 * against its schema, the member agent run as a subgraph (through its own
 * middleware), its result mapped back. Run inside this node with the node's
 * config, LangGraph namespaces the member's checkpoints and bubbles its
 * interrupts through the team; a resume runs this node again and the member
 * continues where it stopped.
 */
export function teamMemberNode(team: string, spec: TeamSteps, member: TeamMemberSpec, agent: MemberAgent, scope: RuntimeScope): { fn: GraphNodeFn; graph: unknown } {
  const child = agent.compileSubgraph()
  const stack = memberStack(agent, team, member.name)
  const names = new Set(memberNames(spec))
  const fn: GraphNodeFn = (raw, config) =>
    timedNode(scope, member.name, async () => {
      const state = userView(raw, scope)
      const record = recordOf(raw, team)
      const ctx = nodeContext(config, member.name)
      ctx.writer({ type: 'team', team, member: member.name, turn: record.turns + 1 })
      const input = checkedInput(agent, team, member.name, await memberInput(member, state, child.state, scope.owner, ctx))
      const result = cleanValues<Raw>(await runMemberTurn(stack, agent, child.graph, input, config, ctx))
      // Compared by value: the member's copy of team items is not the team's own (validated, or restored from a checkpoint).
      const mapped = member.output ? ((await member.output.call(scope.owner, result, state, ctx)) ?? {}) : Object.fromEntries(Object.entries(result).filter(([key]) => scope.state.has(key)))
      const update = changedKeys(mapped, state, scope.state, true)
      const turns = record.turns + 1
      const consulted = [...record.consulted, member.name]
      if (spec.kind === 'supervisor') return { ...update, ...write(team, { turns, consulted, active: member.name, returning: true }) }
      const target = spec.handoff?.({ messages: addedMessages(result, input) })
      if (target !== undefined && !names.has(target)) {
        throw new E_RUNTIME(`Team "${team}": member "${member.name}" handed off to "${target}", which is not one of its members (${[...names].join(', ')})`, {
          details: { team, member: member.name, target, members: [...names] },
          help: `Name a member in handoffTool(), or add the agent to the team as member(Agent, { name: '${target}' }).`,
        })
      }
      let next = target
      if (next !== undefined && turns >= spec.maxTurns) {
        if (spec.onLimit === 'error') throw limitError(team, spec)
        next = undefined
      }
      // The conversation was handed over: the member it went to takes the thread's next message, even when the limit stopped this run first.
      return { ...update, ...write(team, { turns, consulted, active: target ?? member.name, next }) }
    })
  return { fn, graph: child.graph }
}
