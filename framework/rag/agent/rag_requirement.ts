import { GraphBuilder, type BuilderStep } from '../../agents/graph_builder'
import type { AnyStateDefinition } from '../../agents/state'
import { resolveRag } from '../rag_runtime'

/** Carried by ragTool() tools and retrieve() nodes: the collection they search. */
const USES_RAG = Symbol.for('langvel.rag.collection')

type Marked = { [USES_RAG]?: string }

/** Marks a tool or a node as searching `collection`; returns it. */
export function markUsesRag<T extends object>(target: T, collection: string): T {
  Object.defineProperty(target, USES_RAG, { value: collection, enumerable: false })
  return target
}

/** What ragCollectionsOf reads from an agent: its tools and, when it has them, its state and graph. */
export interface RagUser {
  readonly tools?: unknown
  readonly state?: unknown
  build?(graph: GraphBuilder<any>): GraphBuilder<any>
}

/**
 * The collections an agent searches through ragTool() tools in its `tools`
 * and retrieve() steps in its graph (branches, loops, parallel arms and
 * subgraphs included), each once. Empty for an agent that does not use RAG.
 * The graph is described from a fresh builder: `build()` only describes, it
 * runs nothing.
 *
 * @example
 * ragCollectionsOf(new CustomerSupportAgent()) // ['docs']
 */
export function ragCollectionsOf(agent: RagUser): string[] {
  const found = new Set<string>()
  for (const tool of toolList(agent.tools)) collect(tool, found)
  if (typeof agent.build === 'function' && agent.state) {
    const builder = agent.build(new GraphBuilder(agent.state as AnyStateDefinition))
    if (builder instanceof GraphBuilder) walk(builder.steps, found, new Set([agent.constructor]))
  }
  return [...found]
}

/**
 * Checks, at boot, that an agent which searches collections can reach a
 * store: in production without CHROMA_URL this throws the configuration
 * error (E_INVALID_CONFIG naming CHROMA_URL) when the route is registered,
 * not on its first request. Nothing connects. Returns the collections the
 * agent searches (empty, and nothing checked, for an agent without RAG).
 *
 * @example
 * // for each route, where the runner instantiates its agent:
 * assertRagFor(instance)
 */
export function assertRagFor(agent: RagUser): string[] {
  const collections = ragCollectionsOf(agent)
  // The manager's store is built from the configuration; building it is where a missing CHROMA_URL is refused.
  if (collections.length > 0) void resolveRag().store
  return collections
}

function collect(value: unknown, found: Set<string>): void {
  const collection = value && (typeof value === 'object' || typeof value === 'function') ? (value as Marked)[USES_RAG] : undefined
  if (typeof collection === 'string') found.add(collection)
}

function toolList(tools: unknown): unknown[] {
  if (Array.isArray(tools)) return tools
  const registry = tools as { list?: () => unknown[] } | undefined
  return typeof registry?.list === 'function' ? registry.list() : []
}

function walk(steps: readonly BuilderStep[], found: Set<string>, seen: Set<unknown>): void {
  const visit = (step: unknown): void => {
    if (typeof step === 'function') {
      collect(step, found)
      // A subgraph given as an Agent class: its own tools and graph count too.
      if (isAgentClass(step) && !seen.has(step)) {
        seen.add(step)
        for (const collection of ragCollectionsOf(new (step as new () => RagUser)())) found.add(collection)
      }
    } else if (step instanceof GraphBuilder) {
      walk(step.steps, found, seen)
    }
  }
  for (const step of steps) {
    switch (step.kind) {
      case 'node':
        visit(step.fn)
        break
      case 'inline':
        walk(step.builder.steps, found, seen)
        break
      case 'branch':
        Object.values(step.routes).forEach(visit)
        break
      case 'parallel':
        step.arms.forEach(visit)
        break
      case 'loop':
        visit(step.body)
        break
      case 'subgraph':
        visit(step.target)
        break
      default:
        break
    }
  }
}

function isAgentClass(value: unknown): boolean {
  const prototype = (value as { prototype?: { build?: unknown; compileSubgraph?: unknown } }).prototype
  return typeof prototype?.build === 'function' && typeof prototype.compileSubgraph === 'function'
}
