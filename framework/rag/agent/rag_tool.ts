import { z } from 'zod'
import { isException } from '../../errors'
import { defineTool } from '../../tools/define_tool'
import type { Tool } from '../../tools/tool'
import type { Where } from '../types'
import { formatContext } from './context_format'
import { markUsesRag } from './rag_requirement'
import { collectionNamed } from './rag_source'

export interface RagToolOptions {
  /** The collection searched (`docs`). */
  collection: string
  /** Passages returned per call (default 4); the model may ask for fewer or more, up to `maxK`. */
  k?: number
  /** Most passages the model may ask for (default 10). */
  maxK?: number
  /** Read by the model to decide when to call the tool: say what the collection holds. */
  description: string
  /** What the model calls it by (default `search_<collection>`). */
  name?: string
  /** Drop passages scoring below this (0..1). */
  minScore?: number
  /** A fixed metadata filter on every search (`{ lang: 'en' }`). */
  filter?: Where
  /** Per-attempt time limit in milliseconds (default 10000). */
  timeoutMs?: number
}

const DEFAULT_K = 4

/**
 * A tool that searches a RAG collection, for an agent's tool loop. The model
 * gets the passages as `<document>` blocks naming their source, chunk and
 * score (see formatContext), so its answer can cite them. An empty or missing
 * collection, or no match, is answered with a sentence saying so, so the model
 * is told it has nothing to answer from. Searches run on the run's signal.
 *
 * A route whose agent lists such a tool needs RAG configured: `assertRagFor`
 * checks it at boot.
 *
 * @example
 * export const searchDocsTool = ragTool({
 *   collection: 'docs',
 *   name: 'search_docs',
 *   description: 'Search the product documentation. Use it for questions about features and setup.',
 *   k: 4,
 * })
 * // in an agent: tools = [searchDocsTool]; graph.then(toolLoop({ tools: this.tools }))
 */
export function ragTool(options: RagToolOptions): Tool<RagToolSchema, string> {
  const k = options.k ?? DEFAULT_K
  const maxK = options.maxK ?? Math.max(10, k)
  const schema = z.object({
    query: z.string().trim().min(1).max(1000).describe('What to look for, in words likely to appear in the passages'),
    k: z.number().int().min(1).max(maxK).default(k).describe('How many passages to return'),
  })
  const tool = defineTool({
    name: options.name ?? `search_${options.collection.replace(/[^a-zA-Z0-9_-]/g, '_')}`.slice(0, 64),
    description: options.description,
    schema,
    timeoutMs: options.timeoutMs ?? 10_000,
    handler: async ({ query, k: wanted }, { signal }) => {
      const collection = collectionNamed(options.collection)
      try {
        const results = await collection.search(query, { k: wanted, filter: options.filter, minScore: options.minScore, signal })
        if (results.length > 0) return formatContext(results, { collection: options.collection })
      } catch (error) {
        if (!(isException(error) && error.code === 'E_COLLECTION_NOT_FOUND')) throw error
        return missingNotice(options.collection)
      }
      // Nothing matched: tell the model whether there was anything to search at all.
      const count = (await collection.info({ signal }))?.count
      if (count === undefined) return missingNotice(options.collection)
      if (count === 0) return `The collection "${options.collection}" is empty: there is nothing to answer from. Say so; do not make up an answer.`
      return formatContext([], { collection: options.collection })
    },
  })
  return markUsesRag(tool, options.collection)
}

type RagToolSchema = z.ZodObject<{ query: z.ZodString; k: z.ZodDefault<z.ZodNumber> }>

function missingNotice(collection: string): string {
  return `The collection "${collection}" does not exist yet: there is nothing to answer from. Say so; do not make up an answer.`
}
