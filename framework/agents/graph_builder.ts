import type { BaseCheckpointSaver, Command } from '@langchain/langgraph'
import type { ZodType } from 'zod'
import { E_GRAPH_INVALID } from '../errors'
import type { NodeContext } from './node_context'
import type { AnyStateDefinition, StateOf, UpdateOf } from './state'
import { emitGraph, type CompiledAgentGraph } from './graph_emit'
import { planGraph } from './graph_planner'

/** Route target that ends the run (`branch({ done: END, ... })`). */
export const END = '__end__' as const

export type NodeResult<D> = UpdateOf<D> | Command<any, any, any> | void | null | undefined
/** A node: a method reference, an arrow property, a plain function or a lambda. */
export type NodeFn<D> = (state: StateOf<D>, ctx: NodeContext) => NodeResult<D> | Promise<NodeResult<D>>
export type Condition<D> = (state: StateOf<D>, ctx: NodeContext) => boolean | Promise<boolean>
export type RouteKey = string | number | boolean | null | undefined
export type Selector<D> = (state: StateOf<D>, ctx: NodeContext) => RouteKey | Promise<RouteKey>
export type Step<D extends AnyStateDefinition> = NodeFn<D> | GraphBuilder<D>
export type RouteTarget<D extends AnyStateDefinition> = Step<D> | typeof END
export type Payload<D> = ((state: StateOf<D>, ctx: NodeContext) => unknown) | string | number | boolean | object | null

export interface LoopOptions {
  /** Most body runs per loop entry (default 100). */
  maxIterations?: number
  /** At the limit: raise E_LOOP_LIMIT (default) or continue with the next step. */
  onLimit?: 'error' | 'exit'
  name?: string
}

export interface InterruptOptions<D> {
  /** Stop just before the node with this name (wherever it is in the graph) instead of at this position. */
  before?: string
  /** Stop just after the node with this name. */
  after?: string
  /** What the human sees: a value, or a function of the state. */
  payload?: Payload<D>
  /** State key that receives the resume value. Without it, the next node reads `ctx.resumeValue`. */
  resumeInto?: keyof StateOf<D> & string
  /** The resume value must match it: `resume()` rejects anything else with E_VALIDATION, before the thread moves. */
  resumeSchema?: ZodType
  name?: string
}

/** What `subgraph()` needs from an Agent class; implemented by Agent. */
export interface SubgraphSource {
  compileSubgraph(): { graph: CompiledAgentGraph; state: AnyStateDefinition }
}
export type SubgraphAgentClass = (new () => SubgraphSource) & { name: string }

type AnyFn = (...args: any[]) => any
export type BuilderStep =
  | { kind: 'node'; fn: AnyFn; name?: string; role: 'node' | 'merge' }
  | { kind: 'inline'; builder: GraphBuilder<any> }
  | { kind: 'branch'; routes: Record<string, unknown>; selector?: AnyFn; name?: string }
  | { kind: 'parallel'; arms: unknown[] }
  | { kind: 'loop'; body: unknown; cond: AnyFn; mode: 'while' | 'until'; maxIterations: number; onLimit: 'error' | 'exit'; name?: string }
  | { kind: 'subgraph'; target: unknown; name?: string }
  | { kind: 'interrupt'; options: InterruptOptions<any> }
  | { kind: 'end' }

export interface CompileGraphOptions {
  /** `this` for every node, selector and condition (the Agent instance). */
  owner?: object
  /** A LangGraph saver; `undefined` inherits the parent's when used as a subgraph. */
  checkpointer?: BaseCheckpointSaver | false
  /** Used in error messages and as the graph name. */
  name?: string
  /** The `agent` label of the node duration metric (the route path when pooled); `name` when omitted. */
  metricsLabel?: string
}

/**
 * Fluent, immutable description of an agent's graph, compiled to a real
 * LangGraph StateGraph. Every method returns a new builder, so a chain can be
 * reused in two places without one use changing the other.
 *
 * @example
 * build(graph: GraphBuilder<typeof SupportState>) {
 *   return graph
 *     .then(this.classify)
 *     .branch({ billing: this.billing, technical: this.technical }, (s) => s.category)
 *     .then(this.respond)
 * }
 */
export class GraphBuilder<D extends AnyStateDefinition = AnyStateDefinition> {
  constructor(
    readonly state?: D,
    readonly steps: readonly BuilderStep[] = [],
  ) {}

  /** An empty builder over the same state, for branch routes, loop bodies and parallel arms. */
  chain(): GraphBuilder<D> {
    return new GraphBuilder(this.state)
  }

  /** Runs a node (or a nested chain) after the previous step. */
  then(step: Step<D>, options: { name?: string } = {}): GraphBuilder<D> {
    if (typeof step === 'function') return this.add({ kind: 'node', fn: step, name: options.name, role: 'node' })
    return this.add({ kind: 'inline', builder: step })
  }

  /**
   * Routes to one of `routes` by the key `selector` returns (without a
   * selector: by `state.next`). A key that is not a route raises
   * E_BRANCH_UNKNOWN. The routes rejoin at the next step, or end the run.
   */
  branch(routes: Record<string, RouteTarget<D>>, selector?: Selector<D>, options: { name?: string } = {}): GraphBuilder<D> {
    return this.add({ kind: 'branch', routes: { ...routes }, selector, name: options.name })
  }

  /** Runs every arm at once on the same state; they join into the next step (or end the run). */
  parallel(...arms: Step<D>[]): GraphBuilder<D> {
    return this.add({ kind: 'parallel', arms })
  }

  /** A node that runs exactly once, after every arm of the preceding `parallel` finished. */
  merge(fn: NodeFn<D>, options: { name?: string } = {}): GraphBuilder<D> {
    return this.add({ kind: 'node', fn, name: options.name, role: 'merge' })
  }

  /** Repeats `body` while the condition holds (checked before each run), then goes on to the next step. */
  loop(body: Step<D>, options: LoopOptions & { while: Condition<D> }): GraphBuilder<D> {
    return this.add({ kind: 'loop', body, cond: options.while, mode: 'while', ...loopLimits(options), name: options.name })
  }

  /** Runs `body`, then repeats it until the condition holds, then goes on to the next step. */
  until(body: Step<D>, condition: Condition<D>, options: LoopOptions = {}): GraphBuilder<D> {
    return this.add({ kind: 'loop', body, cond: condition, mode: 'until', ...loopLimits(options), name: options.name })
  }

  /** Runs a chain or another Agent class as a LangGraph subgraph (own checkpoints, own interrupts). */
  subgraph(target: GraphBuilder<D> | SubgraphAgentClass, options: { name?: string } = {}): GraphBuilder<D> {
    return this.add({ kind: 'subgraph', target, name: options.name })
  }

  /** Stops the run for a human; `resume(threadId, value)` continues it. */
  interrupt(options: InterruptOptions<D> = {}): GraphBuilder<D> {
    return this.add({ kind: 'interrupt', options })
  }

  /** Ends the run here. */
  end(): GraphBuilder<D> {
    return this.add({ kind: 'end' })
  }

  /** Structural problems (empty graph, unreachable nodes, dangling routes...); empty when valid. */
  validate(): string[] {
    return planGraph(this.steps, this.state).problems
  }

  /**
   * Compiles to a LangGraph graph. Throws E_GRAPH_INVALID listing every
   * problem — in every environment: a broken graph is a bug, not a warning.
   */
  compile(options: CompileGraphOptions = {}): CompiledAgentGraph {
    if (!this.state) throw new E_GRAPH_INVALID(options.name ?? 'graph', ['the builder has no state definition: create it with new GraphBuilder(State)'])
    const plan = planGraph(this.steps, this.state)
    if (plan.problems.length > 0) throw new E_GRAPH_INVALID(options.name ?? 'graph', plan.problems, { details: { problems: plan.problems } })
    return emitGraph(plan, this.state, options)
  }

  /** Mermaid text of the compiled graph (LangGraph's drawMermaid); E_GRAPH_INVALID when it does not compile. */
  toMermaid(options: CompileGraphOptions & { xray?: boolean } = {}): string {
    return this.compile({ ...options, checkpointer: undefined }).getGraph({ xray: options.xray ?? false }).drawMermaid()
  }

  private add(step: BuilderStep): GraphBuilder<D> {
    return new GraphBuilder(this.state, [...this.steps, step])
  }
}

function loopLimits(options: LoopOptions) {
  return { maxIterations: options.maxIterations ?? 100, onLimit: options.onLimit ?? ('error' as const) }
}
