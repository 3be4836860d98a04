import { E_INVALID_INPUT, isException } from '../../errors'
import type { NodeContext } from '../../agents/node_context'
import type { SearchResult, Where } from '../types'
import { formatContext } from './context_format'
import { markUsesRag } from './rag_requirement'
import { collectionNamed } from './rag_source'

/** A graph state's values (`StateOf<typeof MyState>`): the step's types are inferred from the graph it is added to. */
type AnyState = Record<string, any>
type StateKey<S> = keyof S & string

export interface RetrieveOptions<S extends AnyState> {
  /** The search text, read from the state (`(state) => state.question`). */
  query: (state: S, ctx: NodeContext) => string | undefined | Promise<string | undefined>
  /** State key that receives the passages as `<document>` blocks (see formatContext). */
  into: StateKey<S>
  /** State key that receives the raw SearchResult[] as well, for code that branches on scores or sources. */
  resultsInto?: StateKey<S>
  /** Passages (default RAG_DEFAULT_K). */
  k?: number
  /** A metadata filter: fixed, or computed from the state (a tenant, a language). */
  filter?: Where | ((state: S, ctx: NodeContext) => Where | undefined)
  /** Drop passages scoring below this (0..1). */
  minScore?: number
  /** Node name in the graph (default `retrieve_<collection>`). */
  name?: string
}

/**
 * A graph step that searches `collection` with a query taken from the state
 * and writes the passages, delimited and attributed (`<document source=...
 * chunk=...>` blocks, best first), into the state. With nothing found — no
 * match, an empty or a missing collection — it writes a notice saying so,
 * which a prompt can pass on as it is. The search runs on the run's signal.
 *
 * @example
 * build(graph: GraphBuilder<typeof QaState>) {
 *   return graph
 *     .then(retrieve('docs', { query: (state) => state.question, into: 'context', k: 4 }))
 *     .then(this.answer) // this.llm.invoke(`Answer from these passages, naming the source:\n${state.context}\n\n${state.question}`)
 * }
 */
export function retrieve<S extends AnyState>(collection: string, options: RetrieveOptions<S>): (state: S, ctx: NodeContext) => Promise<Partial<S>> {
  if (typeof options.query !== 'function') throw new E_INVALID_INPUT(`retrieve("${collection}"): query must be a function of the state`)
  if (!options.into) throw new E_INVALID_INPUT(`retrieve("${collection}"): into must name the state key that receives the passages`)
  const node = async (state: S, ctx: NodeContext): Promise<Partial<S>> => {
    const query = (await options.query(state, ctx))?.trim()
    const results = query ? await search(collection, query, state, ctx, options) : []
    const update: Record<string, unknown> = { [options.into]: formatContext(results, { collection }) }
    if (options.resultsInto) update[options.resultsInto] = results
    return update as Partial<S>
  }
  Object.defineProperty(node, 'name', { value: options.name ?? `retrieve_${collection.replace(/[^a-zA-Z0-9_-]/g, '_')}` })
  return markUsesRag(node, collection)
}

async function search<S extends AnyState>(collection: string, query: string, state: S, ctx: NodeContext, options: RetrieveOptions<S>): Promise<SearchResult[]> {
  const filter = typeof options.filter === 'function' ? options.filter(state, ctx) : options.filter
  try {
    return await collectionNamed(collection).search(query, { k: options.k, filter, minScore: options.minScore, signal: ctx?.signal })
  } catch (error) {
    // A collection nobody built yet holds nothing: the notice says so, the run goes on.
    if (isException(error) && error.code === 'E_COLLECTION_NOT_FOUND') return []
    throw error
  }
}
