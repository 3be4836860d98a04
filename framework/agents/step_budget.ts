import type { BuilderStep } from './graph_builder'
import { teamStepsOf, type TeamSteps } from './team_steps'
import { toolStepsOf } from './tool_steps'

type AgentClass = new () => { stepBudget: number }

const isChain = (value: unknown): value is { steps: readonly BuilderStep[] } =>
  typeof value === 'object' && value !== null && Array.isArray((value as { steps?: unknown }).steps)
const isAgentClass = (value: unknown): value is AgentClass =>
  typeof value === 'function' && typeof (value as { prototype?: { compileSubgraph?: unknown } }).prototype?.compileSubgraph === 'function'

/**
 * An upper bound of the LangGraph steps one run of these builder steps can
 * take, counting every loop at its maxIterations (and the loop's own gate
 * nodes). It sizes the agent's default recursion limit, so that limit stays a
 * backstop against cycles Langvel cannot see (Command({ goto })) and never
 * cuts a loop short of the maxIterations and onLimit it was given.
 *
 * @example
 * stepBudget(new GraphBuilder(S).then(a).loop(b, { while: c, maxIterations: 600 }).steps) // 1 + 1 + 601 * 2
 */
export function stepBudget(steps: readonly BuilderStep[]): number {
  let total = 0
  for (const step of steps) total += stepCost(step)
  return total
}

function stepCost(step: BuilderStep): number {
  switch (step.kind) {
    case 'node':
      return partCost(step.fn)
    case 'inline':
      return stepBudget(step.builder.steps)
    case 'branch':
      // A junction before the router may run, then one route.
      return 1 + Math.max(0, ...Object.values(step.routes).map(partCost))
    case 'parallel':
      // Arms run side by side; junctions before and after them.
      return 2 + Math.max(0, ...step.arms.map(partCost))
    case 'loop':
      // The gate, then per round the body and the loop's `next` node; one more round to notice the limit.
      return 1 + ((Number.isInteger(step.maxIterations) ? Math.max(1, step.maxIterations) : 1) + 1) * (partCost(step.body) + 1)
    case 'subgraph':
      // The child runs under the same limit, so its steps are budgeted here too.
      return 1 + (isChain(step.target) ? stepBudget(step.target.steps) : isAgentClass(step.target) ? new step.target().stepBudget : 0)
    case 'interrupt':
      return 1
    case 'end':
      return 0
  }
}

/** A branch route, parallel arm or loop body: a function, a chain, or END. */
function partCost(part: unknown): number {
  const tools = toolStepsOf(part)
  // A tool loop: its gate, then per turn the model and the tools.
  if (tools) return 1 + 2 * tools.maxSteps
  const team = teamStepsOf(part)
  if (team) return teamCost(team)
  if (typeof part === 'function') return 1
  if (isChain(part)) return stepBudget(part.steps)
  return 0
}

/**
 * A team: its entry, then per member turn the member (its own steps
 * included) and, for a supervisor, the supervisor's turn before it; one more
 * supervisor turn to notice the limit or finish.
 */
function teamCost(team: TeamSteps): number {
  const turns = Number.isInteger(team.maxTurns) ? Math.max(1, team.maxTurns) : 1
  const member = Math.max(0, ...team.members.map((m) => (isAgentClass(m.agent) ? new (m.agent as unknown as AgentClass)().stepBudget : 0)))
  return team.kind === 'supervisor' ? 2 + turns * (member + 2) : 1 + turns * (member + 1)
}
