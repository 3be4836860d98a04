import type { BuilderStep, GraphBuilder, InterruptOptions } from './graph_builder'
import { CONTROL_ROLES, END, START, type GraphPlan, type PlanNode, type PlanRouter } from './graph_plan'
import { checkConnections } from './graph_check'
import type { AnyStateDefinition } from './state'
import { TEAM_DONE, teamStepsOf, type TeamSteps } from './team_steps'
import { toolStepsOf, type ToolSteps } from './tool_steps'

/** A connection waiting for the next step: from a node, a route of a router, or all arms of a parallel. */
type Exit =
  | { kind: 'edge'; from: string }
  | { kind: 'route'; router: PlanRouter; key: string }
  /** `open`: an arm can end the run first, so a join after it could never fire. */
  | { kind: 'join'; from: string[]; open: boolean }

type AnyFn = (...args: any[]) => any

const isBuilder = (value: unknown): value is GraphBuilder<any> =>
  typeof value === 'object' && value !== null && Array.isArray((value as { steps?: unknown }).steps)
const isAgentClass = (value: unknown): boolean =>
  typeof value === 'function' && typeof (value as { prototype?: { compileSubgraph?: unknown } }).prototype?.compileSubgraph === 'function'

/**
 * Plans builder steps into nodes and edges. Every step connects from the
 * exits the previous step left open, so a step can never hang off START by
 * accident, a join always has the arms it waits for, and loops leave towards
 * the next step. Whatever is still open at the end goes to END.
 */
export function planGraph(steps: readonly BuilderStep[], state: AnyStateDefinition | undefined): GraphPlan {
  return new Planner(state).run(steps)
}

class Planner {
  private readonly plan: GraphPlan = { nodes: new Map(), edges: [], joins: [], routers: [], problems: [], usesLoops: false, usesTeams: false, usesResume: false, interrupts: [] }
  private readonly explicitNames = new Set<string>()
  private readonly positional: Array<{ node: string; before?: string; after?: string }> = []
  private anonymous = 0
  /** Counts links to END, to notice a parallel arm that can end the run. */
  private endLinks = 0

  constructor(private readonly state: AnyStateDefinition | undefined) {}

  run(steps: readonly BuilderStep[]): GraphPlan {
    if (steps.length === 0) this.problem('the graph is empty: build() must return the builder with at least one step')
    this.connect(this.steps(steps, [{ kind: 'edge', from: START }]), END)
    for (const item of this.positional) this.placeInterrupt(item)
    for (const problem of checkConnections(this.plan)) this.problem(problem)
    return this.plan
  }

  private steps(steps: readonly BuilderStep[], exits: Exit[]): Exit[] {
    for (const step of steps) exits = this.step(step, exits)
    return exits
  }

  private step(step: BuilderStep, exits: Exit[]): Exit[] {
    switch (step.kind) {
      case 'node':
        return this.node(step.fn, exits, step.name, step.role)
      case 'inline':
        return this.steps(step.builder.steps, exits)
      case 'branch':
        return this.branch(step, exits)
      case 'parallel':
        return this.parallel(step.arms, exits)
      case 'loop':
        return this.loop(step, exits)
      case 'subgraph':
        return this.subgraph(step.target, step.name, exits)
      case 'interrupt':
        return this.interrupt(step.options, exits)
      case 'end':
        this.connect(exits, END)
        return []
    }
  }

  /** A step given as a function or as a nested builder. An empty chain is only fine as a branch route ("skip"). */
  private sub(step: unknown, exits: Exit[], what: string, allowEmpty = false): Exit[] {
    if (typeof step === 'function') return this.node(step as AnyFn, exits)
    if (isBuilder(step)) {
      if (step.steps.length === 0 && !allowEmpty) this.problem(`${what} is an empty chain`)
      return this.steps(step.steps, exits)
    }
    this.problem(`${what} is neither a function nor a chain`)
    return exits
  }

  private node(fn: AnyFn, exits: Exit[], name?: string, role: 'node' | 'merge' = 'node'): Exit[] {
    if (typeof fn !== 'function') {
      this.problem(`a ${role} step was given ${typeof fn} instead of a function`)
      return exits
    }
    const tools = role === 'node' ? toolStepsOf(fn) : undefined
    if (tools) return this.toolSteps(tools, exits, name)
    const team = role === 'node' ? teamStepsOf(fn) : undefined
    if (team) return this.team(team, exits, name)
    const node = this.add({ name: this.claim(name ?? functionName(fn), name !== undefined), role, fn })
    this.connect(exits, node)
    return [{ kind: 'edge', from: node }]
  }

  private branch(step: Extract<BuilderStep, { kind: 'branch' }>, exits: Exit[]): Exit[] {
    const keys = Object.keys(step.routes)
    const label = step.name ?? (keys.length ? `branch(${keys.join('|')})` : 'branch')
    if (keys.length === 0) this.problem(`${label} has no routes`)
    if (step.selector !== undefined && typeof step.selector !== 'function') this.problem(`${label}: the selector is not a function`)
    if (!step.selector && this.state && !this.state.has('next')) this.problem(`${label} has no selector, so it routes by state.next, but the state declares no "next" key`)
    const router: PlanRouter = { from: this.single(exits, step.name ?? 'branch'), paths: {}, logic: { kind: 'branch', label, keys, selector: step.selector } }
    this.plan.routers.push(router)
    const out: Exit[] = []
    for (const key of keys) {
      const target = step.routes[key]
      if (target === END) {
        router.paths[key] = END
        this.endLinks++
      } else out.push(...this.sub(target, [{ kind: 'route', router, key }], `${label} route "${key}"`, true))
    }
    return out
  }

  private parallel(arms: unknown[], exits: Exit[]): Exit[] {
    if (arms.length === 0) {
      this.problem('parallel() needs at least one arm')
      return exits
    }
    const start = [{ kind: 'edge', from: this.single(exits, 'parallel') } as Exit]
    const ends: string[] = []
    let open = false
    arms.forEach((arm, index) => {
      const before = this.endLinks
      const armExits = this.sub(arm, start, `parallel arm ${index + 1}`)
      if (this.endLinks !== before) open = true
      if (armExits.length === 0) return
      const only = armExits[0]
      // A join waits on one node per arm: an arm ending in a branch first meets at a junction.
      if (armExits.length === 1 && only.kind === 'edge' && only !== start[0]) ends.push(only.from)
      else ends.push(this.junction(armExits, 'parallel_arm'))
    })
    if (ends.length === 0) return []
    if (ends.length === 1 && !open) return [{ kind: 'edge', from: ends[0] }]
    return [{ kind: 'join', from: ends, open }]
  }

  private loop(step: Extract<BuilderStep, { kind: 'loop' }>, exits: Exit[]): Exit[] {
    const { mode, cond, maxIterations, onLimit } = step
    if (typeof cond !== 'function') this.problem(`loop "${step.name ?? 'loop'}": the condition is not a function`)
    if (!Number.isInteger(maxIterations) || maxIterations < 1) this.problem(`loop "${step.name ?? 'loop'}": maxIterations must be a positive integer (got ${maxIterations})`)
    // The gate's name doubles as the loop's counter id: unique within the graph.
    const gate = this.claim(step.name ?? 'loop', step.name !== undefined)
    const loopId = gate
    this.add({ name: gate, role: 'loop', loopId, phase: 'enter' })
    this.connect(exits, gate)
    const next = this.add({ name: this.claim(`${gate}_next`, false), role: 'loop', loopId, phase: 'next' })
    const logic = { kind: 'loop' as const, loopId, mode, cond, maxIterations, onLimit }
    const nextRouter: PlanRouter = { from: next, paths: {}, logic: { ...logic, phase: 'next' } }
    this.plan.routers.push(nextRouter)
    const out: Exit[] = [{ kind: 'route', router: nextRouter, key: 'exit' }]
    let bodyStart: Exit[]
    if (mode === 'while') {
      const gateRouter: PlanRouter = { from: gate, paths: {}, logic: { ...logic, phase: 'enter' } }
      this.plan.routers.push(gateRouter)
      bodyStart = [{ kind: 'route', router: gateRouter, key: 'body' }, { kind: 'route', router: nextRouter, key: 'body' }]
      out.unshift({ kind: 'route', router: gateRouter, key: 'exit' })
    } else {
      bodyStart = [{ kind: 'edge', from: gate }, { kind: 'route', router: nextRouter, key: 'body' }]
    }
    this.connect(this.sub(step.body, bodyStart, `loop "${gate}" body`), next)
    this.plan.usesLoops = true
    return out
  }

  /**
   * A tool loop as graph steps: a gate that resets the turn counter, the model
   * node, and a tools node the router sends each pending call to (one task per
   * call); the tools node leads back to the model. Each turn and each call is
   * then a checkpointed step of its own.
   */
  private toolSteps(spec: ToolSteps, exits: Exit[], name: string | undefined): Exit[] {
    const model = this.claim(name ?? spec.name, name !== undefined)
    const gate = this.add({ name: this.claim(`${model}_enter`, false), role: 'loop', loopId: model, phase: 'enter' })
    this.connect(exits, gate)
    this.add({ name: model, role: 'tool_model', loopId: model, spec, gate })
    const tools = this.add({ name: this.claim(`${model}_tools`, false), role: 'tool_calls', spec })
    this.plan.edges.push({ from: gate, to: model }, { from: tools, to: model })
    const router: PlanRouter = { from: model, paths: { tools }, logic: { kind: 'tools', spec, tools } }
    this.plan.routers.push(router)
    if (spec.asksApproval) this.plan.interrupts.push(tools)
    this.plan.usesLoops = true
    return [{ kind: 'route', router, key: 'exit' }]
  }

  /**
   * A team as graph steps. Supervisor: the supervisor node routing to one
   * member at a time, each member leading back to it until it answers done
   * (it tells a new entry into the team from a member's return by the
   * team's record). Swarm: an entry node routing to
   * the thread's active member; after each turn the member it handed off to
   * runs next, or the team is done. Each member is its agent class run as a
   * subgraph, so its checkpoints and interrupts are its own.
   */
  private team(spec: TeamSteps, exits: Exit[], name: string | undefined): Exit[] {
    const label = `${spec.kind} "${name ?? spec.name}"`
    if (spec.members.length === 0) this.problem(`${label} has no members`)
    if (!Number.isInteger(spec.maxTurns) || spec.maxTurns < 1) this.problem(`${label}: maxTurns must be a positive integer (got ${spec.maxTurns})`)
    const names = spec.members.map((member) => member.name)
    for (const member of spec.members) {
      if (!isAgentClass(member.agent)) this.problem(`${label}: member "${member.name}" is not an Agent class`)
      if (member.name === TEAM_DONE) this.problem(`${label}: no member can be named "${TEAM_DONE}" (the supervisor's answer when the work is finished)`)
    }
    if (spec.kind === 'swarm' && spec.start !== undefined && !names.includes(spec.start)) this.problem(`${label}: start "${spec.start}" is not one of its members (${names.join(', ')})`)
    for (const member of spec.kind === 'swarm' && spec.handoffTargets ? spec.members : []) {
      for (const target of spec.handoffTargets?.(member) ?? []) {
        if (!names.includes(target)) this.problem(`${label}: member "${member.name}" hands off to "${target}", which is not one of its members (${names.join(', ')})`)
      }
    }
    this.plan.usesTeams = true
    if (spec.kind === 'supervisor') {
      const team = this.claim(name ?? spec.name, name !== undefined)
      this.add({ name: team, role: 'team_lead', team, spec })
      this.connect(exits, team)
      const router: PlanRouter = { from: team, paths: {}, logic: { kind: 'team', team, spec } }
      for (const node of this.members(spec, team)) {
        router.paths[node] = node
        this.plan.edges.push({ from: node, to: team })
      }
      this.plan.routers.push(router)
      return [{ kind: 'route', router, key: 'exit' }]
    }
    const team = this.claim(name ?? spec.name, name !== undefined)
    this.add({ name: team, role: 'team_gate', team, spec })
    this.connect(exits, team)
    const nodes = this.members(spec, team)
    const paths = Object.fromEntries(nodes.map((node) => [node, node]))
    this.plan.routers.push({ from: team, paths: { ...paths }, logic: { kind: 'team', team, spec } })
    return nodes.map((node) => {
      const router: PlanRouter = { from: node, paths: { ...paths }, logic: { kind: 'team', team, spec } }
      this.plan.routers.push(router)
      return { kind: 'route', router, key: 'exit' } as Exit
    })
  }

  /** One node per member, named as the member (a name taken elsewhere in the graph is a problem: the team routes by it). */
  private members(spec: TeamSteps, team: string): string[] {
    return spec.members.map((member) => this.add({ name: this.claim(member.name, true), role: 'team_member', team, spec, member, agent: member.agent }))
  }

  private subgraph(target: unknown, name: string | undefined, exits: Exit[]): Exit[] {
    let node: PlanNode
    if (isBuilder(target)) {
      const child = new Planner(this.state).run(target.steps)
      const nodeName = this.claim(name ?? 'subgraph', name !== undefined)
      for (const problem of child.problems) this.problem(`subgraph "${nodeName}": ${problem}`)
      node = { name: nodeName, role: 'subgraph', plan: child }
    } else if (isAgentClass(target)) {
      const agent = target as NonNullable<Extract<PlanNode, { role: 'subgraph' }>['agent']>
      node = { name: this.claim(name ?? agent.name, name !== undefined), role: 'subgraph', agent }
    } else {
      this.problem(`subgraph${name ? ` "${name}"` : ''} is neither a chain nor an Agent class`)
      return exits
    }
    this.add(node)
    this.connect(exits, node.name)
    return [{ kind: 'edge', from: node.name }]
  }

  private interrupt(options: InterruptOptions<any>, exits: Exit[]): Exit[] {
    const { before, after, resumeInto } = options
    const base = options.name ?? (before ? `before_${before}` : after ? `after_${after}` : 'interrupt')
    const name = this.add({ name: this.claim(base, options.name !== undefined), role: 'interrupt', options })
    if (before !== undefined && after !== undefined) this.problem(`interrupt "${name}" takes before or after, not both`)
    if (resumeInto !== undefined && this.state && !this.state.has(resumeInto)) this.problem(`interrupt "${name}": resumeInto "${resumeInto}" is not a state key`)
    this.plan.interrupts.push(name)
    this.plan.usesResume = true
    if (before === undefined && after === undefined) {
      this.connect(exits, name)
      return [{ kind: 'edge', from: name }]
    }
    this.positional.push({ node: name, before, after })
    return exits
  }

  /** Rewires the graph so an interrupt sits before or after a named node. */
  private placeInterrupt({ node, before, after }: { node: string; before?: string; after?: string }): void {
    const target = (before ?? after) as string
    const found = this.plan.nodes.get(target)
    const team = found && (found.role === 'team_lead' || (found.role === 'team_gate' && found.spec.kind === 'swarm' && found.name === found.team)) ? found.team : undefined
    if (team !== undefined) {
      this.placeAroundTeam(node, team, before !== undefined)
      return
    }
    if (!found || found.role === 'junction' || found.role === 'loop' || found.role === 'team_gate' || target === node) {
      this.problem(`interrupt "${node}": there is no node named "${target}" to stop ${before !== undefined ? 'before' : 'after'}`)
      this.plan.edges.push({ from: START, to: node }, { from: node, to: END })
      return
    }
    if (found.role === 'tool_calls') {
      this.problem(`interrupt "${node}": "${target}" runs a tool loop's calls; give the tools requiresApproval instead`)
      this.plan.edges.push({ from: START, to: node }, { from: node, to: END })
      return
    }
    if (found.role === 'tool_model') {
      this.placeAroundToolLoop(node, found, before !== undefined)
      return
    }
    const swap = (name: string) => (name === target ? node : name)
    if (before !== undefined) {
      for (const edge of this.plan.edges) edge.to = swap(edge.to)
      for (const join of this.plan.joins) join.to = swap(join.to)
      for (const router of this.plan.routers) for (const key of Object.keys(router.paths)) router.paths[key] = swap(router.paths[key])
      this.plan.edges.push({ from: node, to: target })
    } else {
      for (const edge of this.plan.edges) edge.from = swap(edge.from)
      for (const join of this.plan.joins) join.from = join.from.map(swap)
      for (const router of this.plan.routers) router.from = swap(router.from)
      this.plan.edges.push({ from: target, to: node })
    }
  }

  /**
   * An interrupt before or after a tool loop stops once per pass through the
   * loop, not once per model turn: `before` takes the edges into its enter
   * gate, `after` its exit route.
   */
  private placeAroundToolLoop(node: string, loop: Extract<PlanNode, { role: 'tool_model' }>, before: boolean): void {
    if (before) {
      const swap = (name: string) => (name === loop.gate ? node : name)
      for (const edge of this.plan.edges) if (edge.from !== node) edge.to = swap(edge.to)
      for (const join of this.plan.joins) join.to = swap(join.to)
      for (const router of this.plan.routers) for (const key of Object.keys(router.paths)) router.paths[key] = swap(router.paths[key])
      this.plan.edges.push({ from: node, to: loop.gate })
      return
    }
    const router = this.plan.routers.find((r) => r.logic.kind === 'tools' && r.from === loop.name)
    if (!router) return
    const exit = router.paths.exit
    router.paths.exit = node
    if (exit !== undefined) this.plan.edges.push({ from: node, to: exit })
  }

  /**
   * An interrupt before or after a team stops once per entry into the team,
   * not at every supervisor turn: `before` takes the edges into its entry,
   * `after` its exit routes.
   */
  private placeAroundTeam(node: string, team: string, before: boolean): void {
    const teamNodes = [...this.plan.nodes.values()].filter((n) => (n.role === 'team_gate' || n.role === 'team_lead' || n.role === 'team_member') && n.team === team)
    const inside = new Set(teamNodes.map((n) => n.name))
    if (before) {
      const entry = teamNodes.find((n) => n.role === 'team_gate' || n.role === 'team_lead')?.name as string
      const swap = (name: string) => (name === entry ? node : name)
      for (const edge of this.plan.edges) if (edge.from !== node && !inside.has(edge.from)) edge.to = swap(edge.to)
      for (const join of this.plan.joins) join.to = swap(join.to)
      for (const router of this.plan.routers) if (!inside.has(router.from)) for (const key of Object.keys(router.paths)) router.paths[key] = swap(router.paths[key])
      this.plan.edges.push({ from: node, to: entry })
      return
    }
    let exit: string | undefined
    for (const router of this.plan.routers) {
      if (router.logic.kind !== 'team' || router.logic.team !== team || !('exit' in router.paths)) continue
      exit = router.paths.exit
      router.paths.exit = node
    }
    if (exit !== undefined) this.plan.edges.push({ from: node, to: exit })
  }

  /** One node to hang routers or fan-out edges from: the previous node, or a junction over several exits. */
  private single(exits: Exit[], label: string): string {
    if (exits.length === 1 && exits[0].kind === 'edge') return exits[0].from
    return this.junction(exits, `${label}_join`)
  }

  private junction(exits: Exit[], label: string): string {
    const name = this.add({ name: this.claim(label, false), role: 'junction' })
    this.connect(exits, name)
    return name
  }

  private connect(exits: Exit[], to: string): void {
    for (const exit of exits) {
      if (to === END) this.endLinks++
      if (exit.kind === 'edge') this.plan.edges.push({ from: exit.from, to })
      else if (exit.kind === 'route') exit.router.paths[exit.key] = to
      else if (to === END) for (const from of exit.from) this.plan.edges.push({ from, to })
      else {
        if (exit.open) this.problem(`a parallel arm can end the run (end() or an END route), so "${to}" after the join would never run`)
        this.plan.joins.push({ from: exit.from, to })
      }
    }
  }

  private add(node: PlanNode): string {
    this.plan.nodes.set(node.name, node)
    return node.name
  }

  /**
   * Node names: explicit names must be unique and valid (a problem otherwise);
   * inferred names (function names, anonymous `step_N`) are made unique
   * deterministically, so a second compile produces the same names — which
   * checkpoints of interrupted threads rely on.
   */
  private claim(base: string, explicit: boolean): string {
    if (explicit) {
      if (!/^[^:|]+$/.test(base) || base.startsWith('__')) this.problem(`node name "${base}" is invalid: no ":" or "|", no leading "__"`)
      else if (this.explicitNames.has(base) || this.plan.nodes.has(base)) {
        const taken = this.plan.nodes.get(base)
        const by = this.explicitNames.has(base) ? 'is used twice' : taken && CONTROL_ROLES.has(taken.role) ? 'is taken by a node Langvel generated (a loop or junction): pick another' : 'is already taken by an earlier node'
        this.problem(`node name "${base}" ${by}`)
      }
      else if (this.state?.has(base)) this.problem(`node name "${base}" is also a state key; LangGraph needs them distinct`)
      else {
        this.explicitNames.add(base)
        return base
      }
    }
    let stem = (base || `step_${++this.anonymous}`).replace(/[:|]/g, '_').replace(/^_+/, '') || `step_${++this.anonymous}`
    if (this.state?.has(stem)) stem = `${stem}_node`
    let name = stem
    for (let n = 2; this.plan.nodes.has(name) || this.explicitNames.has(name) || this.state?.has(name); n++) name = `${stem}_${n}`
    return name
  }

  private problem(text: string): void {
    if (!this.plan.problems.includes(text)) this.plan.problems.push(text)
  }
}

/** `this.classify` -> "classify"; `fn.bind(x)` -> the original name; lambdas -> "". */
function functionName(fn: AnyFn): string {
  const name = fn.name.replace(/^(bound )+/, '')
  return name === 'anonymous' ? '' : name
}
