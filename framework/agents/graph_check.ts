import { END, START, type GraphPlan, type PlanRouter } from './graph_plan'

/**
 * Connection problems of a finished plan: routes that lead nowhere, nodes
 * START cannot reach, nodes from which END cannot be reached. The planner
 * connects every step as it goes, so these mostly catch steps after end() —
 * and would catch a planner bug before LangGraph sees the graph.
 */
export function checkConnections(plan: GraphPlan): string[] {
  const problems: string[] = []
  const forward = new Map<string, Set<string>>()
  const backward = new Map<string, Set<string>>()
  const link = (from: string, to: string) => {
    addTo(forward, from, to)
    addTo(backward, to, from)
  }
  for (const { from, to } of plan.edges) link(from, to)
  for (const join of plan.joins) for (const from of join.from) link(from, join.to)
  for (const router of plan.routers) {
    const { logic } = router
    const wanted =
      logic.kind === 'branch' ? logic.keys : logic.kind === 'tools' ? ['tools', 'exit'] : logic.kind === 'team' ? teamKeys(router, plan.nodes.get(router.from)?.role === 'team_gate') : ['body', 'exit']
    for (const key of wanted) {
      const to = router.paths[key]
      const owner = logic.kind === 'branch' ? logic.label : logic.kind === 'tools' ? `tool loop "${logic.spec.name}"` : logic.kind === 'team' ? `team "${logic.team}"` : `loop "${logic.loopId}"`
      if (to === undefined) problems.push(`route "${key}" of ${owner} leads nowhere`)
      else link(router.from, to)
    }
  }
  const reached = walk(START, forward)
  const finishing = walk(END, backward)
  for (const name of plan.nodes.keys()) {
    if (!reached.has(name)) problems.push(`node "${name}" is unreachable (a step after end()?)`)
    else if (!finishing.has(name)) problems.push(`node "${name}" is a dead end: no path from it reaches the end of the graph`)
  }
  return problems
}

function addTo(map: Map<string, Set<string>>, key: string, value: string): void {
  const set = map.get(key) ?? new Set<string>()
  set.add(value)
  map.set(key, set)
}

function walk(from: string, graph: Map<string, Set<string>>): Set<string> {
  const seen = new Set<string>([from])
  const queue = [from]
  while (queue.length > 0) {
    for (const next of graph.get(queue.pop() as string) ?? []) {
      if (seen.has(next)) continue
      seen.add(next)
      queue.push(next)
    }
  }
  return seen
}

/** A team router leads to each member, and (but for a swarm's entry, which always picks a member) out of the team. */
function teamKeys(router: PlanRouter, entry: boolean): string[] {
  const members = Object.keys(router.paths).filter((key) => key !== 'exit')
  return entry ? members : [...members, 'exit']
}
